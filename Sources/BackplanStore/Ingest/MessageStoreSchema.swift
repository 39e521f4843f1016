import BackplanCore
import BackplanYAML
import Crypto
import Foundation

/// How to read a message store whose tables are not the ones of DESIGN §2.1: for each event kind, a
/// read-only `SELECT` that returns Backplan's columns, written out or made from a table and column names.
///
/// Production stores keep their own names (Signal's `message`/`thread`/`part`, WhatsApp's `message`/`chat`),
/// times in milliseconds, attachments in a table of their own and read receipts instead of a reads table.
/// A schema file (YAML) maps them without touching the store:
///
/// ```yaml
/// name: signal-like
/// timeUnit: ms                      # of sent_at, read_at, created_at: s (default), ms, us or ns
/// conversations:                    # optional: id, kind, created_at, class
///   table: thread
///   columns: {id: _id, created_at: date}
/// messages:                         # id, conversation_id, sender, sent_at, size_bytes, attachment_bytes
///   sql: |
///     SELECT m._id AS id, m.thread_id AS conversation_id, m.from_recipient_id AS sender,
///            m.date_sent AS sent_at, length(CAST(m.body AS BLOB)) AS size_bytes,
///            (SELECT coalesce(sum(p.data_size), 0) FROM part p WHERE p.mid = m._id) AS attachment_bytes
///     FROM message m
/// reads:                            # optional: id, conversation_id, reader, read_at, bytes
///   sql: SELECT r._id AS id, m.thread_id AS conversation_id, r.recipient_id AS reader,
///        r.timestamp AS read_at, 0 AS bytes FROM receipt r JOIN message m ON m._id = r.mid
/// ```
///
/// Every query runs on a read-only connection and must be a read-only statement (checked with
/// `sqlite3_stmt_readonly`). `id` must be an integer that grows as rows are added (a rowid or an
/// autoincrement key): incremental ingest reads the rows above the highest `id` imported.
public struct MessageStoreSchema: Sendable, Equatable {
    /// One event kind's query and the columns it must return.
    public struct Query: Sendable, Equatable {
        public var sql: String
    }

    public var name: String
    /// Divisor from the store's time unit to seconds (1 for seconds, 1,000 for milliseconds, …).
    public var timeDivisor: Int64
    public var conversations: Query?
    public var messages: Query
    public var reads: Query?

    /// Backplan's own message-store tables (DESIGN §2.1). Reads have no id column: their rowid is the id.
    public static let builtIn = MessageStoreSchema(
        name: "backplan", timeDivisor: 1,
        conversations: Query(sql: "SELECT id, kind, created_at, class FROM conversations"),
        messages: Query(sql: "SELECT id, conversation_id, sender, sent_at, size_bytes, attachment_bytes FROM messages"),
        reads: Query(sql: "SELECT rowid AS id, conversation_id, reader, read_at, bytes FROM reads"))

    /// Columns each kind's query returns, in the order the reader uses; `optional` ones default to NULL/0.
    static let columns: [String: (required: [String], optional: [String])] = [
        "conversations": (["id"], ["kind", "created_at", "class"]),
        "messages": (["id", "conversation_id", "sender", "sent_at", "size_bytes"], ["attachment_bytes"]),
        "reads": (["id", "conversation_id", "reader", "read_at"], ["bytes"]),
    ]

    /// Short digest of everything that changes what the store's rows import as (for `sources.options`).
    var signature: String {
        if self == .builtIn { return "" }
        var hasher = SHA256()
        for part in [String(timeDivisor), conversations?.sql ?? "", messages.sql, reads?.sql ?? ""] {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0]))
        }
        return "schema=\(name):\(Hex.string(hasher.finalize()).prefix(12))"
    }

    /// Reads a schema file.
    ///
    /// - Throws: ``InputError`` with the file, line and key of a missing or misspelt key, a kind given both
    ///   `sql` and `table`, or an unknown time unit.
    public static func load(_ file: String) throws -> MessageStoreSchema {
        var r = try YAMLReader.open(file)
        let name = try r.optionalString("name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let unit = try r.optionalString("timeUnit") ?? "s"
        let divisors: [String: Int64] = ["s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000]
        guard let divisor = divisors[unit] else { throw r.error("timeUnit", "expected s, ms, us or ns, got '\(unit)'") }
        let conversations = try query(&r, "conversations")
        guard let messages = try query(&r, "messages") else { throw r.error(nil, "missing key 'messages'") }
        let reads = try query(&r, "reads")
        try r.finish()
        return MessageStoreSchema(name: name, timeDivisor: divisor, conversations: conversations, messages: messages, reads: reads)
    }

    private static func query(_ r: inout YAMLReader, _ kind: String) throws -> Query? {
        guard var q = try r.optionalChild(kind) else { return nil }
        let sql = try q.optionalString("sql")
        let table = try q.optionalString("table")
        var mapped: [String: String] = [:]
        if var columns = try q.optionalChild("columns") {
            let (required, optional) = Self.columns[kind] ?? ([], [])
            for c in required + optional { if let v = try columns.optionalString(c) { mapped[c] = v } }
            try columns.finish()
        }
        try q.finish()
        switch (sql, table) {
        case let (sql?, nil):
            guard mapped.isEmpty else { throw r.error(kind, "give either 'sql' or 'table' with 'columns', not both") }
            return Query(sql: sql)
        case let (nil, table?):
            let (required, optional) = Self.columns[kind] ?? ([], [])
            let select = (required + optional).compactMap { c -> String? in
                if let source = mapped[c] { return "\(quoted(source)) AS \(c)" }
                return required.contains(c) ? "\(quoted(c)) AS \(c)" : nil
            }
            return Query(sql: "SELECT \(select.joined(separator: ", ")) FROM \(quoted(table))")
        case (_?, _?):
            throw r.error(kind, "give either 'sql' or 'table' with 'columns', not both")
        case (nil, nil):
            throw r.error(kind, "give 'sql' (a SELECT returning \(describe(kind))) or 'table' (and 'columns' for names that differ)")
        }
    }

    static func describe(_ kind: String) -> String {
        let (required, optional) = columns[kind] ?? ([], [])
        return (required + optional.map { "[\($0)]" }).joined(separator: ", ")
    }

    /// A SQL identifier in double quotes (`"` doubled), so any table or column name is taken literally.
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
