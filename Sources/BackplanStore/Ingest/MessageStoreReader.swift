import BackplanCore
import Foundation
import GRDB
import GRDBSQLite

/// Reads a SQLite message store as events: each message is a write of `size_bytes + attachment_bytes`,
/// each read a read of `bytes`.
///
/// The store's tables are DESIGN §2.1's (``MessageStoreSchema/builtIn``) or mapped by a schema file
/// (``MessageStoreSchema``). Datasets are conversations (`--key-by conversation`, with the conversation's
/// class, kind and creation time), users (`sender`: writes by sender, reads by reader) or the whole shard
/// (`shard`). Keyed by sender, each message is also a send of its sender (the owner's own sending activity,
/// `sends`); keyed by conversation or shard a sender is no dataset and no send is kept. The file is opened read-only and every query must be read-only; the tables (or views) and
/// columns are checked before anything is read, and a missing one is an ``InputError`` that says what is
/// expected. Rows with a NULL, non-integer or negative time or size are rejected like bad lines, numbered by
/// their id.
struct MessageStoreReader {
    static let expected: [(table: String, columns: [String])] = [
        ("conversations", ["id", "kind", "created_at", "class"]),
        ("messages", ["id", "conversation_id", "sender", "sent_at", "size_bytes", "attachment_bytes"]),
        ("reads", ["conversation_id", "reader", "read_at", "bytes"]),
    ]
    static var expectedDescription: String {
        expected.map { "\($0.table)(\($0.columns.joined(separator: ", ")))" }.joined(separator: ", ")
    }

    /// One event kind's query, wrapped so it returns Backplan's columns in Backplan's order.
    struct Compiled {
        /// `SELECT <columns> FROM (<query>)`, NULL for optional columns the query does not return.
        var select: String
    }

    let path: String
    let keyBy: KeyBy
    let schema: MessageStoreSchema
    private let queue: DatabaseQueue
    private var conversations: Compiled?
    private var messages: Compiled
    private var reads: Compiled?

    init(path: String, keyBy: KeyBy, schema: MessageStoreSchema = .builtIn, schemaFile: String? = nil) throws {
        try SourceFile.checkReadableFile(path)
        guard [.conversation, .sender, .shard].contains(keyBy) else {
            throw InputError(column: "--key-by", "message stores are keyed by conversation, sender or shard, not '\(keyBy)'")
        }
        self.path = path
        self.keyBy = keyBy
        self.schema = schema
        var config = Configuration()
        config.readonly = true
        config.label = "backplan.message-store"
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            let compiled = try queue.read { db in
                if schema == .builtIn { try Self.checkBuiltInTables(db, path: path) }
                let compile = { (kind: String, q: MessageStoreSchema.Query?) in
                    try q.map { try Self.compile(db, kind: kind, query: $0, store: path, schemaFile: schemaFile) }
                }
                return (try compile("conversations", schema.conversations), try compile("messages", schema.messages),
                        try compile("reads", schema.reads))
            }
            conversations = compiled.0
            messages = compiled.1!
            reads = compiled.2
        } catch let error as InputError {
            throw error
        } catch {
            throw StatsStore.inputError(error, path: path)
        }
    }

    /// DESIGN §2.1's tables (or views of those names) with their columns, with a message that lists them all.
    private static func checkBuiltInTables(_ db: Database, path: String) throws {
        for (table, columns) in expected {
            let found = try String.fetchOne(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
                                            arguments: [table])
            guard found != nil else {
                throw InputError(file: path, column: table,
                                 "missing table '\(table)': a message store has \(expectedDescription) (or give --schema FILE for other table names)")
            }
            let present = Set(try db.columns(in: table).map { $0.name.lowercased() })
            for c in columns where !present.contains(c) {
                throw InputError(file: path, column: "\(table).\(c)",
                                 "missing column '\(c)' in table '\(table)' (expected \(table)(\(columns.joined(separator: ", "))))")
            }
        }
    }

    /// Prepares a kind's query once to learn its columns and that it only reads.
    private static func compile(_ db: Database, kind: String, query: MessageStoreSchema.Query, store: String,
                                schemaFile: String?) throws -> Compiled {
        let file = schemaFile ?? store
        let (required, optional) = MessageStoreSchema.columns[kind] ?? ([], [])
        let names: [String]
        do {
            let probe = try db.makeStatement(sql: query.sql)
            guard probe.isReadonly else {
                throw InputError(file: file, column: kind, "the \(kind) query is not a read-only SELECT")
            }
            names = probe.columnNames.map { $0.lowercased() }
        } catch let error as DatabaseError {
            throw InputError(file: file, column: kind, "the \(kind) query does not run on \(store): \(error.message ?? "\(error)")")
        }
        let missing = required.filter { !names.contains($0) }
        guard missing.isEmpty else {
            throw InputError(file: file, column: kind,
                             "the \(kind) query returns no column \(missing.map { "'\($0)'" }.joined(separator: ", ")) (it must return \(MessageStoreSchema.describe(kind)); name them with AS)")
        }
        // Reads carry no attachment bytes: a constant sixth column keeps one row layout for both kinds of scan.
        let columns = (required + optional).map { names.contains($0) ? "q.\($0) AS \($0)" : "NULL AS \($0)" } + (kind == "reads" ? ["0"] : [])
        return Compiled(select: "SELECT \(columns.joined(separator: ", ")) FROM (\(query.sql)) AS q")
    }

    /// Reads the rows above `earlier`'s position (all rows when `nil`) in one read transaction — a consistent
    /// snapshot while the store keeps taking writes — and returns the position reached in that snapshot.
    ///
    /// - Throws: ``InputError`` when rows at or below the earlier position were deleted or inserted since
    ///   (the store was rewritten, not grown).
    func read(into writer: EventBatcher, tally: Tally, classOverride: String?, after earlier: EarlierImport?,
              progress: (@Sendable (IngestProgress) -> Void)?) throws -> SourcePosition {
        do {
            return try queue.read { db in
                let reached = try position(db)
                let from = earlier?.position
                if let earlier, let from {
                    try check(db, reached: reached, earlier: earlier, from: from)
                }
                let shardName = Self.shardID(path: path)
                if keyBy == .conversation, let conversations {
                    try declareConversations(db, conversations, writer: writer, tally: tally, classOverride: classOverride)
                } else if keyBy == .shard {
                    writer.declare(name: shardName, dataClass: classOverride ?? "shard", createdAt: nil)
                }
                try scan(db, sql: "\(messages.select) WHERE q.id > ? AND q.id <= ? ORDER BY q.id",
                         range: (from?.messagesMaxID ?? .min, reached.messagesMaxID ?? .min),
                         table: "messages", op: .write, writer: writer, tally: tally, shard: shardName, progress: progress)
                if let reads {
                    try scan(db, sql: "\(reads.select) WHERE q.id > ? AND q.id <= ? ORDER BY q.id",
                             range: (from?.readsMaxRowID ?? .min, reached.readsMaxRowID ?? .min),
                             table: "reads", op: .read, writer: writer, tally: tally, shard: shardName, progress: progress)
                }
                return reached
            }
        } catch let error as InputError {
            throw error
        } catch {
            throw StatsStore.inputError(error, path: path)
        }
    }

    /// The highest message and read id in this snapshot, and the row counts at or below them.
    private func position(_ db: Database) throws -> SourcePosition {
        var p = SourcePosition()
        let m = try Row.fetchOne(db, sql: "SELECT max(id), count(*) FROM (\(messages.select))")
        p.messagesMaxID = m?[0] ?? Int64.min
        p.messagesRows = m?[1] ?? 0
        let r = try reads.flatMap { try Row.fetchOne(db, sql: "SELECT max(id), count(*) FROM (\($0.select))") }
        p.readsMaxRowID = r?[0] ?? Int64.min
        p.readsRows = r?[1] ?? 0
        return p
    }

    /// A grown store has exactly the rows it had at or below the earlier position.
    private func check(_ db: Database, reached: SourcePosition, earlier: EarlierImport, from: SourcePosition) throws {
        guard let maxID = from.messagesMaxID, let rows = from.messagesRows,
              let maxRowID = from.readsMaxRowID, let readRows = from.readsRows
        else {
            throw earlier.rewritten(path: path, "its earlier import recorded no message or read position")
        }
        let messagesNow = try Int64.fetchOne(db, sql: "SELECT count(*) FROM (\(messages.select)) WHERE id <= ?", arguments: [maxID]) ?? 0
        if messagesNow != rows {
            throw earlier.rewritten(path: path, "\(rows) messages had ids up to \(maxID) then, \(messagesNow) have now")
        }
        let readsNow = try reads.flatMap {
            try Int64.fetchOne(db, sql: "SELECT count(*) FROM (\($0.select)) WHERE id <= ?", arguments: [maxRowID])
        } ?? 0
        if readsNow != readRows {
            throw earlier.rewritten(path: path, "\(readRows) reads had ids up to \(maxRowID) then, \(readsNow) have now")
        }
    }

    private func declareConversations(_ db: Database, _ query: Compiled, writer: EventBatcher, tally: Tally,
                                      classOverride: String?) throws {
        // The id is read as a blob: a String would stop at a NUL byte and repair invalid UTF-8, merging ids.
        let rows = try Row.fetchCursor(db, sql: "SELECT CAST(c.id AS BLOB), c.kind, c.created_at, c.class FROM (\(query.select)) AS c")
        var seen = Set<String>()
        var rowid = 0  // rows are numbered in query order, 1-based, in reject messages
        while let row = try rows.next() {
            rowid += 1
            let raw: Data? = row[0]
            guard let raw, !raw.isEmpty else {
                tally.records += 1
                try tally.reject(line: rowid, LineError("conversations.id", "empty or NULL conversation id"))
                continue
            }
            if let bad = raw.withUnsafeBytes({ DatasetKey.problem($0) }) {
                tally.records += 1
                try tally.reject(line: rowid, LineError("conversations.id", bad))
                continue
            }
            let id = String(decoding: raw, as: UTF8.self)
            guard seen.insert(id).inserted else {
                tally.records += 1
                try tally.reject(line: rowid, LineError("conversations.id", "duplicate conversation id '\(id)'"))
                continue
            }
            let kind: String? = row[1]
            let createdAt: Int64? = (row[2] as Int64?).map { floorDivide($0, schema.timeDivisor) }
            let cls: String? = row[3]
            var attributes = "{}"
            if let kind, let data = try? JSONSerialization.data(withJSONObject: ["kind": kind], options: [.sortedKeys]) {
                attributes = String(decoding: data, as: UTF8.self)
            }
            writer.declare(name: id, dataClass: classOverride ?? cls ?? kind, createdAt: createdAt.flatMap { validTimes.contains($0) ? $0 : nil },
                               attributesJSON: attributes)
        }
    }

    /// Streams one table's rows: columns are (row id, conversation id, user, time, bytes, extra bytes).
    private func scan(_ db: Database, sql: String, range: (above: Int64, upTo: Int64), table: String, op: AccessOp,
                      writer: EventBatcher, tally: Tally, shard: String,
                      progress: (@Sendable (IngestProgress) -> Void)?) throws {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments([range.above, range.upTo])
        let s = statement.sqliteStatement
        let timeColumn = op == .write ? "\(table).sent_at" : "\(table).read_at"
        let userColumn = op == .write ? "\(table).sender" : "\(table).reader"
        let bytesColumn = op == .write ? "\(table).size_bytes" : "\(table).bytes"
        let shardKey = Array(shard.utf8)
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql)
            }
            tally.records += 1
            let rowid = Int(sqlite3_column_int64(s, 0))
            let keyColumn: Int32 = keyBy == .sender ? 2 : 1
            let at: Int64, bytes: Int64
            do throws(LineError) {
                at = floorDivide(try Self.integer(s, 3, column: timeColumn), schema.timeDivisor)
                guard validTimes.contains(at) else { throw LineError(timeColumn, "time \(at) out of range") }
                let size = try Self.integer(s, 4, column: bytesColumn)
                let extra = sqlite3_column_type(s, 5) == SQLITE_NULL ? 0 : try Self.integer(s, 5, column: "\(table).attachment_bytes")
                guard size >= 0 else { throw LineError(bytesColumn, "negative byte count \(size)") }
                guard extra >= 0 else { throw LineError("\(table).attachment_bytes", "negative byte count \(extra)") }
                let (sum, overflow) = size.addingReportingOverflow(extra)
                guard !overflow else { throw LineError(bytesColumn, "byte count overflows") }
                bytes = sum
                if keyBy != .shard {
                    let column = keyBy == .sender ? userColumn : "\(table).conversation_id"
                    let count = Int(sqlite3_column_bytes(s, keyColumn))
                    guard count > 0 else { throw LineError(column, "NULL or empty") }
                    if let bad = DatasetKey.problem(UnsafeRawBufferPointer(start: sqlite3_column_text(s, keyColumn), count: count)) {
                        throw LineError(column, bad)
                    }
                }
            } catch {
                try tally.reject(line: rowid, error)
                continue
            }
            let index: Int
            if keyBy == .shard {
                index = shardKey.withUnsafeBytes { writer.index(of: $0) }
            } else {
                // sqlite3_column_text is valid until the next step; the writer copies what it keeps.
                let text = sqlite3_column_text(s, keyColumn)
                let count = Int(sqlite3_column_bytes(s, keyColumn))
                index = writer.index(of: UnsafeRawBufferPointer(start: text, count: count))
            }
            try writer.write(index: index, at: at, op: op, bytes: bytes)
            if keyBy == .sender, op == .write {
                // Keyed by sender, a message's sender is itself a dataset: the message is also its owner's send.
                try writer.send(key: UnsafeRawBufferPointer(start: sqlite3_column_text(s, keyColumn),
                                                            count: Int(sqlite3_column_bytes(s, keyColumn))), at: at)
            }
            if tally.records & 0x3FFFF == 0, let progress {
                progress(IngestProgress(path: path, records: tally.records, events: writer.events))
            }
        }
    }

    private static func integer(_ s: OpaquePointer?, _ i: Int32, column: String) throws(LineError) -> Int64 {
        switch sqlite3_column_type(s, i) {
        case SQLITE_INTEGER:
            return sqlite3_column_int64(s, i)
        case SQLITE_FLOAT:
            let d = sqlite3_column_double(s, i)
            guard d.isFinite, d == d.rounded(), abs(d) < 9.2e18 else { throw LineError(column, "not a whole number: \(d)") }
            return Int64(d)
        case SQLITE_NULL:
            throw LineError(column, "NULL")
        default:
            throw LineError(column, "not an integer")
        }
    }
}

/// ⌊a / b⌋ for b > 0 (Swift's `/` rounds toward zero): a time of −1 ms is in second −1, not 0.
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && a < 0) ? q - 1 : q

}

extension MessageStoreReader {
    /// The dataset id of a whole shard (`--key-by shard`): the file's absolute path with links resolved and
    /// without its extension, `/srv/host-a/shard-001`. The base name alone merged two hosts' `shard-001.sqlite`
    /// into one dataset; the path stays unique and still says which file it is.
    static func shardID(path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.deletingPathExtension().path
    }
}
