import BackplanCore
import Crypto
import Foundation
import GRDB

/// Short read-only probes of a message store the executor makes before it backs a dataset up: when the
/// dataset was last written (the quiet trigger) and whether the store is the one a stats store imported,
/// grown since, rather than another or a rewritten one (the plan-input check).
extension MessageStoreExport {
    /// The newest `messages.sent_at` of dataset `key` in `source` (the store's time unit, seconds for the
    /// built-in schema), or `nil` when the dataset has no messages.
    ///
    /// ```swift
    /// let last = try MessageStoreExport.source("chat.sqlite", newestMessageTimeFor: .conversation("c000042"))
    /// ```
    public static func source(_ source: String, newestMessageTimeFor key: Key) throws -> Int64? {
        try probing(source) { try $0.newestMessageTime(of: key) }
    }

    /// Whether `source` continues an import that read it up to `position` (``SourcePosition``'s message-store
    /// fields): the same number of `messages` rows at or below the recorded highest id, and of `reads` rows
    /// at or below the recorded rowid. A grown store passes (new rows are above them); a store that lost or
    /// gained rows in the past, or a different store, does not. The same test `ingest` makes before it adds
    /// a grown store's new rows.
    ///
    /// - Returns: `nil` when it continues the import, else what differs, in words.
    public static func source(_ source: String, continues position: SourcePosition) throws -> String? {
        try read(source) { db in
            if let maxID = position.messagesMaxID, let rows = position.messagesRows {
                let now = try rowidAlias(db, table: "messages", column: "id")
                    ? try rowCount(db, table: "messages", atOrBelowRowid: maxID)
                    : try Int64.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE id <= ?", arguments: [maxID]) ?? 0
                if now != rows { return "\(now) messages at or below id \(maxID), where the import read \(rows)" }
            }
            if let maxRowID = position.readsMaxRowID, let rows = position.readsRows {
                let now = try rowCount(db, table: "reads", atOrBelowRowid: maxRowID)
                if now != rows { return "\(now) reads at or below rowid \(maxRowID), where the import read \(rows)" }
            }
            return nil
        }
    }

    /// The rows of `table` whose rowid is at most `rowid`, counted as all rows less those above it: SQLite
    /// counts a whole table from its smallest b-tree without decoding a row (its `OP_Count`), and the rows
    /// above an import's position are the few written since, so this reads a grown store's new rows only,
    /// where `count(*) … WHERE rowid <= ?` decodes every older row (0.05 s for 670,000 reads). Both counts
    /// are in the caller's one read transaction, so their difference is exact.
    private static func rowCount(_ db: Database, table: String, atOrBelowRowid rowid: Int64) throws -> Int64 {
        let all = try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        let above = try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE rowid > ?", arguments: [rowid]) ?? 0
        return all - above
    }

    /// Whether `column` of `table` is its rowid: the table's one primary-key column, declared `INTEGER`, in a
    /// rowid table (a `WITHOUT ROWID` table's primary key is an index of origin `pk`).
    private static func rowidAlias(_ db: Database, table: String, column: String) throws -> Bool {
        let keys = try Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_info(?) WHERE pk > 0", arguments: [table])
        guard keys.count == 1, keys[0]["name"] as String == column, (keys[0]["type"] as String).uppercased() == "INTEGER" else { return false }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM pragma_index_list(?) WHERE origin = 'pk'", arguments: [table]) == 0
    }

    /// The manifest (rows, digest in `scheme`, max message id; `bytes` 0) that exporting dataset `key` of
    /// `source` would give, computed from the source in one read transaction without writing the export: the
    /// same tables in name order, the same rows, the same values (an export copies them as stored, under the
    /// same table definitions), so it equals ``digest(file:scheme:)`` of the export. Skip-if-unchanged uses it
    /// to leave an unchanged dataset without writing a file, in the scheme of the last backup's digest. `nil`
    /// for the whole store, whose export (SQLite's backup API) holds every table.
    public static func source(_ source: String, manifestOf key: Key, scheme: ContentDigest.Scheme = .rowSet) throws -> Manifest? {
        try probing(source) { try $0.manifest(of: key, scheme: scheme) }
    }

    /// Many probes of one message store in one read transaction (one open of the file, one consistent view):
    /// the executor probes every due dataset of a store this way.
    ///
    /// ```swift
    /// let manifests = try MessageStoreExport.probing("chat.sqlite") { p in try keys.map { try p.manifest(of: $0) } }
    /// ```
    ///
    /// With `pages`, the store is read through the page tap (``PageSink``), which keeps the pages SQLite reads
    /// for ``Probe/manifests(ofConversations:memo:prepared:)``; when the tap cannot be set up the probe reads as without it.
    public static func probing<T>(_ source: String, pages: PageSink? = nil, _ body: (Probe) throws -> T) throws -> T {
        let uri = pages.flatMap { PageSink.uri(path: source, sink: $0) }
        return try read(source, uri: uri) { db in try body(Probe(db: db, pages: uri == nil ? nil : pages, source: source)) }
    }

    /// A message store open for reading inside ``probing(_:pages:_:)``.
    public struct Probe {
        let db: Database
        /// The sink of the pages SQLite reads, when the store was opened through the tap.
        let pages: PageSink?
        /// The store's path as given.
        let source: String

        /// ``MessageStoreExport/source(_:newestMessageTimeFor:)`` inside the probe's transaction.
        public func newestMessageTime(of key: Key) throws -> Int64? {
            switch key {
            case .conversation(let id): try Int64.fetchOne(db, sql: "SELECT max(sent_at) FROM messages WHERE conversation_id = ?", arguments: [id])
            case .sender(let id): try Int64.fetchOne(db, sql: "SELECT max(sent_at) FROM messages WHERE sender = ?", arguments: [id])
            case .wholeStore: try Int64.fetchOne(db, sql: "SELECT max(sent_at) FROM messages")
            }
        }

        /// ``MessageStoreExport/source(_:manifestOf:scheme:)`` inside the probe's transaction.
        public func manifest(of key: Key, scheme: ContentDigest.Scheme = .rowSet) throws -> Manifest? {
            let selects: [(String, String, String)]
            switch key {
            case .conversation(let id):
                selects = [("conversations", "id = ?", id), ("messages", "conversation_id = ?", id), ("reads", "conversation_id = ?", id)]
            case .sender(let id):
                selects = [("conversations", "id IN (SELECT conversation_id FROM messages WHERE sender = ?)", id),
                           ("messages", "sender = ?", id), ("reads", "reader = ?", id)]
            case .wholeStore:
                return nil
            }
            var digest = ContentDigest(scheme)
            var count = 0
            var bytes: [UInt8] = []
            for (table, filter, argument) in selects {
                let columns = try db.columns(in: table).count
                let order = scheme.needsOrder ? " ORDER BY " + (1...max(columns, 1)).map(String.init).joined(separator: ", ") : ""
                digest.beginTable(table)
                // Cached statements: a round probes thousands of datasets with the same few queries.
                let select = try db.cachedStatement(sql: "SELECT * FROM \(table) WHERE \(filter)\(order)")
                let rows = try Row.fetchCursor(select, arguments: [argument])
                while let row = try rows.next() {
                    count += 1
                    bytes.removeAll(keepingCapacity: true)
                    for value in row.databaseValues { append(value, to: &bytes) }
                    digest.addRow(bytes)
                }
            }
            let maxID: Int64? = switch key {
            case .conversation(let id): try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM messages WHERE conversation_id = ?"), arguments: [id])
            case .sender(let id): try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM messages WHERE sender = ?"), arguments: [id])
            case .wholeStore: nil
            }
            return Manifest(rows: count, digest: digest.finalize(), maxMessageId: maxID, bytes: 0)
        }
    }

    private static func read<T>(_ source: String, uri: String? = nil, _ body: (Database) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: source) else { throw InputError(file: source, "no such message store") }
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: uri ?? source, configuration: config)
        defer { try? q.close() }
        return try q.read(body)
    }
}
