import BackplanCore
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The rows of a message store (DESIGN §3.1: `conversations`, `messages`, `reads`) that make one backup dataset,
/// exported into a standalone SQLite file, and the manifest that lets a restore prove it got them back.
///
/// ```swift
/// let m = try MessageStoreExport.export(source: "chat.sqlite", key: .conversation("c000042"), to: "/tmp/x.sqlite")
/// m.rows           // conversation row + its messages + its reads
/// m.digest         // "rowset-sha256:…", the rows' ``ContentDigest`` (see ``digest(file:scheme:)``)
/// let again = try MessageStoreExport.digest(file: "/tmp/x.sqlite")   // same rows, same digest
/// ```
public enum MessageStoreExport {
    /// Which rows of a store a dataset is.
    public enum Key: Sendable, Equatable, CustomStringConvertible {
        /// One conversation: its row, its messages, its reads.
        case conversation(String)
        /// One sender: their messages, the conversations those are in, and their reads.
        case sender(String)
        /// The whole store, copied with SQLite's online backup API.
        case wholeStore

        public var description: String {
            switch self {
            case .conversation(let id): "conversation=\(id)"
            case .sender(let id): "sender=\(id)"
            case .wholeStore: "whole store"
            }
        }
    }

    /// What a backup holds: rows exported, the SHA-256 of their content, and where the source stood.
    public struct Manifest: Codable, Sendable, Equatable {
        /// Rows over every exported table.
        public var rows: Int
        /// The rows' ``ContentDigest``: `rowset-sha256:` and 64 lowercase hex digits, or, for a backup made before
        /// that scheme, 64 hex digits alone (the rows ordered by every column).
        public var digest: String
        /// The source's largest message id among the exported messages (`nil` when there are none).
        public var maxMessageId: Int64?
        /// Bytes of the exported file.
        public var bytes: Int64

        public init(rows: Int, digest: String, maxMessageId: Int64?, bytes: Int64) {
            self.rows = rows
            self.digest = digest
            self.maxMessageId = maxMessageId
            self.bytes = bytes
        }
    }

    static let tables = ["conversations", "messages", "reads"]

    /// Exports the dataset `key` of the message store `source` into a new SQLite file at `destination` from
    /// one read transaction of the source (a WAL source keeps taking writes meanwhile); the source is opened
    /// read-only and never changed.
    ///
    /// - Throws: ``InputError`` naming `source` when it is missing or not a message store; GRDB errors on I/O.
    public static func export(source: String, key: Key, to destination: String) throws -> Manifest {
        try exporting(source: source) { try $0.export(key, to: destination) }
    }

    /// Many exports of one message store from one open of it and one read transaction (one consistent view
    /// for all): the executor exports a round's changed datasets of a store this way.
    ///
    /// ```swift
    /// let ms = try MessageStoreExport.exporting(source: "chat.sqlite") { e in
    ///     try ["c1", "c2"].map { try e.export(.conversation($0), to: "/tmp/\($0).sqlite") }
    /// }
    /// ```
    ///
    /// With `pages` the store is read through the page tap, so the exports' manifests can start a probe memo
    /// (``Exporter/beginMemo(_:)``).
    public static func exporting<T>(source: String, pages: PageSink? = nil, _ body: (Exporter) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: source) else { throw InputError(file: source, "no such message store") }
        var config = Configuration()
        config.readonly = true
        let uri = pages.flatMap { PageSink.uri(path: source, sink: $0) }
        let src = try DatabaseQueue(path: uri ?? source, configuration: config)
        defer { try? src.close() }
        return try src.inDatabase { db in
            var result: T?
            try db.inTransaction(.deferred) {
                result = try body(Exporter(db: db, source: source, pages: uri == nil ? nil : pages, state: ExporterState()))
                return .commit
            }
            return result!
        }
    }

    /// A message store open for exports inside ``exporting(source:_:)``.
    public struct Exporter {
        let db: Database
        let source: String
        let pages: PageSink?
        let state: ExporterState

        /// Starts the probe memo of this store when it has none (a round that backs every dataset up probes
        /// nothing, and without this the next round would read every row to build the memo): before the
        /// exports, the tables' pages are walked; after them, ``finishMemo(_:_:)`` saves the pages with
        /// the exported conversations' row sums, all of one transaction. `nil` when the store has a memo or
        /// its pages cannot be read through the tap.
        ///
        /// ```swift
        /// try MessageStoreExport.exporting(source: "chat.sqlite", pages: PageSink()) { e in
        ///     let start = try e.beginMemo(memo)
        ///     _ = try e.export(.conversation("c1"), to: "/tmp/c1.sqlite")
        ///     if let start { _ = try e.finishMemo(memo, start) }
        /// }
        /// ```
        public func beginMemo(_ memo: ProbeMemo) throws -> Probe.MemoStart? {
            try Probe(db: db, pages: pages, source: source).beginMemo(memo)
        }

        /// Saves the memo ``beginMemo(_:)`` started, with the row sums of the conversations exported since.
        public func finishMemo(_ memo: ProbeMemo, _ start: Probe.MemoStart) throws -> Probe.MemoOutcome {
            try Probe(db: db, pages: pages, source: source).finishMemo(memo, start, sums: state.sums)
        }

        /// ``MessageStoreExport/export(source:key:to:)`` inside the exporter's transaction.
        public func export(_ key: Key, to destination: String) throws -> Manifest {
            let manifest: Manifest, digest: ContentDigest
            if key == .wholeStore {
                // SQLite's online backup API, read through this transaction's connection: the same view. The
                // copy is a scratch file read by restic at once and deleted after: no journal, no fsync.
                var scratch = Configuration()
                scratch.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF") }
                let dst = try DatabaseQueue(path: destination, configuration: scratch)
                try dst.writeWithoutTransaction { out in try db.backup(to: out) }
                try dst.close()
                (manifest, digest) = try digestState(file: destination)
            } else {
                (manifest, digest) = try copyRows(of: key, into: destination)
            }
            if case .conversation(let id) = key, let sums = RowSums(digest: digest, maxMessageId: manifest.maxMessageId) { state.sums[id] = sums }
            var m = manifest
            var info = stat()
            m.bytes = stat(destination, &info) == 0 ? Int64(info.st_size) : 0
            return m
        }

        /// Copies the rows of `key` into a new SQLite file at `destination` (the source's own `CREATE TABLE`
        /// statements) and returns its manifest, digested from the rows as they are written: each value is
        /// bound to the export's INSERT as SQLite holds it (`sqlite3_bind_value` of the source column: same
        /// type, same bytes) and encoded for the digest from that same column, as ``digest(file:scheme:)``
        /// encodes it when it reads the file back (the tests check that the two agree). The export's tables
        /// have the source's declarations, so SQLite's type affinity leaves every value as it was.
        private func copyRows(of key: Key, into destination: String) throws -> (Manifest, ContentDigest) {
            let schema = try state.schema(of: db, source: source)
            let selects: [(String, String, StatementArguments)]
            switch key {
            case .conversation(let id):
                selects = [("conversations", "SELECT * FROM conversations WHERE id = ?", [id]),
                           ("messages", "SELECT * FROM messages WHERE conversation_id = ?", [id]),
                           ("reads", "SELECT * FROM reads WHERE conversation_id = ?", [id])]
            case .sender(let id):
                selects = [("conversations", "SELECT * FROM conversations WHERE id IN (SELECT conversation_id FROM messages WHERE sender = ?)", [id]),
                           ("messages", "SELECT * FROM messages WHERE sender = ?", [id]),
                           ("reads", "SELECT * FROM reads WHERE reader = ?", [id])]
            case .wholeStore:
                selects = []
            }
            let out = try ScratchDatabase(creating: destination)
            defer { out.close() }
            try out.execute("BEGIN")
            for t in tables { try out.execute(schema[t] ?? "") }
            // Tables by name, as digest(file:) reads them (`tables` is in that order).
            var digest = ContentDigest(.rowSet)
            var count = 0
            let chunk = ByteChunk(capacity: 4096)
            for (table, sql, args) in selects {
                digest.beginTable(table)
                let select = try db.cachedStatement(sql: sql)
                try select.setArguments(args)
                let s = select.sqliteStatement
                defer { sqlite3_reset(s) }
                let width = sqlite3_column_count(s)
                let insert = try out.prepare("INSERT INTO \(table) VALUES (" + Array(repeating: "?", count: Int(width)).joined(separator: ", ") + ")")
                defer { sqlite3_finalize(insert) }
                while true {
                    let rc = sqlite3_step(s)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql) }
                    chunk.reset()
                    for c in 0..<width {
                        Probe.appendColumn(s, c, to: chunk)
                        sqlite3_bind_value(insert, c + 1, sqlite3_column_value(s, c))
                    }
                    let done = sqlite3_step(insert)
                    sqlite3_reset(insert)
                    guard done == SQLITE_DONE else { throw out.error(done, sql: "INSERT INTO \(table)") }
                    digest.addRow(UnsafeRawBufferPointer(start: chunk.base, count: chunk.count))
                    count += 1
                }
            }
            let maxId = try out.integer("SELECT max(id) FROM messages")
            try out.execute("COMMIT")
            return (Manifest(rows: count, digest: digest.finalize(), maxMessageId: maxId, bytes: 0), digest)
        }
    }

    /// What an ``Exporter`` keeps across its exports: the source's table declarations (read once: the
    /// transaction sees one schema) and the row sums of the conversations exported, for the probe memo it may start.
    final class ExporterState {
        var sums: [String: RowSums] = [:]
        private var schema: [String: String]?

        /// The `CREATE TABLE` statement of each table of the source, by name.
        ///
        /// - Throws: ``InputError`` naming `source` when a message-store table is missing.
        func schema(of db: Database, source: String) throws -> [String: String] {
            if let schema { return schema }
            var found: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table'") {
                if let name: String = row["name"], let sql: String = row["sql"] { found[name] = sql }
            }
            for t in tables where found[t] == nil {
                throw InputError(file: source, column: t, "not a message store: no table '\(t)'")
            }
            schema = found
            return found
        }
    }

    /// Row count and content digest of the message-store tables in the SQLite file `file` (any tables of
    /// the three that exist; a whole store's other tables too), from one read transaction.
    ///
    /// The digest is ``ContentDigest``'s in `scheme` (the newest by default; a restore checks a backup under the
    /// scheme its manifest names, ``ContentDigest/Scheme/init(of:)``): for each table by name, its name and its
    /// rows, each row as each value's type tag, byte length and bytes — so the digest of an export and of its
    /// restore agree exactly when they hold the same rows.
    public static func digest(file: String, scheme: ContentDigest.Scheme = .rowSet) throws -> Manifest {
        try digestState(file: file, scheme: scheme).manifest
    }

    /// ``digest(file:scheme:)`` with the digest before it is finished (its row-set state, ``RowSums``).
    static func digestState(file: String, scheme: ContentDigest.Scheme = .rowSet) throws -> (manifest: Manifest, digest: ContentDigest) {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: file, configuration: config)
        defer { try? q.close() }
        return try q.read { db in
            var digest = ContentDigest(scheme)
            var count = 0
            var maxId: Int64?
            let chunk = ByteChunk(capacity: 4096)
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for name in names {
                let quoted = name.quotedDatabaseIdentifier
                let columns = try db.columns(in: name).count
                let order = scheme.needsOrder ? " ORDER BY " + (1...max(columns, 1)).map(String.init).joined(separator: ", ") : ""
                digest.beginTable(name)
                // Each value encoded as append(_:to:) encodes the DatabaseValue GRDB makes of it (Probe.appendColumn),
                // read straight off SQLite's statement.
                let sql = "SELECT * FROM \(quoted)\(order)"
                let statement = try db.makeStatement(sql: sql)
                let s = statement.sqliteStatement
                let width = sqlite3_column_count(s)
                while true {
                    let rc = sqlite3_step(s)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql) }
                    count += 1
                    chunk.reset()
                    for c in 0..<width { Probe.appendColumn(s, c, to: chunk) }
                    digest.addRow(UnsafeRawBufferPointer(start: chunk.base, count: chunk.count))
                }
                if name == "messages" {
                    maxId = try Int64.fetchOne(db, sql: "SELECT max(id) FROM messages")
                }
            }
            return (Manifest(rows: count, digest: digest.finalize(), maxMessageId: maxId, bytes: 0), digest)
        }
    }

    /// The bytes a content digest (``ContentDigest``) takes of one value — its type tag, its byte length (8 bytes,
    /// big-endian) and its bytes (integers and doubles' bit patterns big-endian, text as UTF-8) — appended to
    /// `out`, so a caller hashes a whole row at once.
    static func append(_ value: DatabaseValue, to out: inout [UInt8]) {
        switch value.storage {
        case .null: appendHeader(0, 0, to: &out)
        case .int64(let i): appendInteger(i, to: &out)
        case .double(let d): appendReal(d, to: &out)
        case .string(let s): appendHeader(3, s.utf8.count, to: &out); out.append(contentsOf: s.utf8)
        case .blob(let b): appendHeader(4, b.count, to: &out); out.append(contentsOf: b)
        }
    }

    /// A value's type tag (0 null, 1 integer, 2 real, 3 text, 4 blob) and its byte count, big-endian.
    static func appendHeader(_ tag: UInt8, _ count: Int, to out: inout [UInt8]) {
        out.append(tag)
        withUnsafeBytes(of: UInt64(count).bigEndian) { out.append(contentsOf: $0) }
    }

    static func appendInteger(_ i: Int64, to out: inout [UInt8]) {
        appendHeader(1, 8, to: &out)
        withUnsafeBytes(of: i.bigEndian) { out.append(contentsOf: $0) }
    }

    static func appendReal(_ d: Double, to out: inout [UInt8]) {
        appendHeader(2, 8, to: &out)
        withUnsafeBytes(of: d.bitPattern.bigEndian) { out.append(contentsOf: $0) }
    }

    /// `PRAGMA integrity_check` of the SQLite file `file`: `nil` when it answers `ok`, else its first answer.
    public static func integrityProblem(file: String) throws -> String? {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: file, configuration: config)
        defer { try? q.close() }
        let answer = try q.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        return answer == "ok" ? nil : (answer ?? "no answer")
    }

    /// The source's largest message id in dataset `key` now (one short read; `nil` when it has no messages):
    /// what skip-if-unchanged compares with the last backup's manifest.
    public static func source(_ source: String, maxMessageIdFor key: Key) throws -> Int64? {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: source, configuration: config)
        defer { try? q.close() }
        return try q.read { db in
            switch key {
            case .conversation(let id): try Int64.fetchOne(db, sql: "SELECT max(id) FROM messages WHERE conversation_id = ?", arguments: [id])
            case .sender(let id): try Int64.fetchOne(db, sql: "SELECT max(id) FROM messages WHERE sender = ?", arguments: [id])
            case .wholeStore: try Int64.fetchOne(db, sql: "SELECT max(id) FROM messages")
            }
        }
    }
}
