import BackplanCore
import Foundation
import GRDB
import GRDBSQLite

/// What the executor's last probe of each message store saw, so the next one need not read every row: the
/// store's table leaf pages (the SHA-256 of each, and the conversation keys of the rows on it) and the manifests
/// it computed, valid together for that set of pages (``MessageStoreExport/Probe/manifests(ofConversations:memo:prepared:)``).
///
/// A cache, in a SQLite file of its own beside the executor's state store (`state.sqlite` → `state.sqlite-probe`):
/// losing it, or finding it unreadable, costs one full probe. Each save is one transaction and replaces what it
/// supersedes only if nobody saved since the load it started from (a generation number), so two executors of one
/// state never interleave their updates and a killed one leaves the last complete memo.
///
/// ```swift
/// let memo = try ProbeMemo(path: "state.sqlite-probe")
/// let manifests = try MessageStoreExport.probing("chat.sqlite", pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
/// ```
public final class ProbeMemo: @unchecked Sendable {
    let queue: DatabaseQueue

    /// The memo file's `PRAGMA application_id` ("BPM1"): a file at the memo's path without it is not touched.
    static let applicationID: Int32 = 0x4250_4D31

    /// The memo at `path` opened read-only (a probe session reads it before the executor holds its lock):
    /// `nil` when there is no such file, or it is not a memo of this layout.
    public init?(readingAt path: String) {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(StatsStore.busyTimeoutSeconds)
        guard FileManager.default.fileExists(atPath: path), let q = try? DatabaseQueue(path: path, configuration: config),
              let header = Self.header(q), header.id == Self.applicationID, header.layout == Self.layout else { return nil }
        queue = q
    }

    /// The file's `PRAGMA application_id` and `user_version` (the memo's layout); `nil` when they cannot be read.
    private static func header(_ q: DatabaseQueue) -> (id: Int32?, layout: Int?)? {
        try? q.read { db in (try Int32.fetchOne(db, sql: "PRAGMA application_id"), try Int.fetchOne(db, sql: "PRAGMA user_version")) }
    }

    /// Opens (creating when missing) the memo file at `path`.
    ///
    /// - Throws: ``InputError`` when a file is there that is not a probe memo (another SQLite database, or not
    ///   SQLite at all): it is left as it is.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(StatsStore.busyTimeoutSeconds)
        var ready = false
        if ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0) > 0 {
            var readOnly = config
            readOnly.readonly = true
            let probe = try DatabaseQueue(path: path, configuration: readOnly)
            let found = Self.header(probe)
            try probe.close()
            guard found?.id == Self.applicationID else { throw InputError(file: path, "is not a Backplan probe memo; left as it is") }
            ready = found?.layout == Self.layout
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        // A memo of this layout is used as it is: no write (each is a journal and its syncs, on every round's path).
        guard !ready else { return }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)") }
        try queue.write { db in
            // A cache: a memo of another layout is dropped, not migrated (the next probe rebuilds it).
            if try Int.fetchOne(db, sql: "PRAGMA user_version") != Self.layout {
                try db.execute(sql: "DROP TABLE IF EXISTS stores; DROP TABLE IF EXISTS leaves; DROP TABLE IF EXISTS manifests")
            }
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS stores (store TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, generation INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS leaves (id INTEGER PRIMARY KEY, store TEXT NOT NULL, tbl TEXT NOT NULL, hash BLOB NOT NULL,
                                                   volatile INTEGER NOT NULL, plain INTEGER NOT NULL, keys BLOB NOT NULL, sums BLOB);
                CREATE INDEX IF NOT EXISTS leaves_by_store ON leaves(store);
                CREATE TABLE IF NOT EXISTS manifests (store TEXT NOT NULL, key TEXT NOT NULL, rows INTEGER NOT NULL, digest TEXT NOT NULL,
                                                      max_id INTEGER, sums BLOB NOT NULL, PRIMARY KEY (store, key));
                PRAGMA user_version = \(Self.layout);
                """)
        }
    }

    /// The memo file's layout (`PRAGMA user_version`).
    static let layout = 2

    /// The memo file of the state store at `statePath`.
    public static func path(forState statePath: String) -> String { statePath + "-probe" }

    /// A table leaf page as the memo holds it (`id`: its row in the memo, `nil` for a page not saved yet).
    struct Leaf {
        var id: Int64?
        var table: String
        var hash: Data
        /// Rows on it spill to overflow pages, which the page's hash does not cover: never taken as unchanged.
        var volatile: Bool
        /// Every key on it is its text as stored (no NUL, valid UTF-8): keys can be looked up through an index.
        var plain = true
        /// The memo holds its rows' sums per key (``LeafSum``), not only its keys.
        var summed = false
    }

    /// A leaf to save: its keys, and its rows' sums per key when they were read.
    struct NewLeaf {
        var leaf: Leaf
        var keys: Set<String>
        var sums: [String: LeafSum]?
    }

    /// What the memo holds for one store.
    struct Snapshot {
        var generation: Int64
        var leaves: [Leaf]
        var manifests: [String: MessageStoreExport.Manifest]
    }

    /// The memo of `store` when it was saved under the same `fingerprint` (schema and page format), else `nil`.
    func load(store: String, fingerprint: String) throws -> Snapshot? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT fingerprint, generation FROM stores WHERE store = ?", arguments: [store]),
                  row["fingerprint"] as String == fingerprint else { return nil }
            // Read straight off SQLite's statements (no GRDB Row per row: a round loads ~20,000 of them).
            var leaves: [Leaf] = []
            try Self.step(db, "SELECT id, tbl, hash, volatile, plain, sums IS NOT NULL FROM leaves WHERE store = ?", store) { s in
                let hash = sqlite3_column_blob(s, 2).map { Data(bytes: $0, count: Int(sqlite3_column_bytes(s, 2))) } ?? Data()
                leaves.append(Leaf(id: sqlite3_column_int64(s, 0), table: Self.text(s, 1), hash: hash, volatile: sqlite3_column_int(s, 3) != 0,
                                   plain: sqlite3_column_int(s, 4) != 0, summed: sqlite3_column_int(s, 5) != 0))
            }
            var manifests: [String: MessageStoreExport.Manifest] = [:]
            try Self.step(db, "SELECT key, rows, digest, max_id FROM manifests WHERE store = ?", store) { s in
                let maxID: Int64? = sqlite3_column_type(s, 3) == SQLITE_NULL ? nil : sqlite3_column_int64(s, 3)
                manifests[Self.text(s, 0)] = MessageStoreExport.Manifest(rows: Int(sqlite3_column_int64(s, 1)), digest: Self.text(s, 2),
                                                                         maxMessageId: maxID, bytes: 0)
            }
            return Snapshot(generation: row["generation"], leaves: leaves, manifests: manifests)
        }
    }

    /// Runs `sql` with the one argument `store`, calling `row` with SQLite's statement at each row.
    private static func step(_ db: Database, _ sql: String, _ store: String, _ row: (OpaquePointer) -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments([store])
        let s = statement.sqliteStatement
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql) }
            row(s)
        }
    }

    /// Column `i` as text (the memo's own text columns: keys, table names, digests; valid UTF-8 it wrote).
    private static func text(_ s: OpaquePointer, _ i: Int32) -> String {
        guard let p = sqlite3_column_text(s, i) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
    }

    /// The generation of the memo of `store` saved under `fingerprint`, or `nil` when there is none.
    func generation(store: String, fingerprint: String) throws -> Int64? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT generation FROM stores WHERE store = ? AND fingerprint = ?", arguments: [store, fingerprint])
        }
    }

    /// What the memo holds of some of its leaves: the keys on those without sums, and the sums of the others.
    struct Contents {
        var keys = Set<String>()
        var sums: [(table: String, sums: [String: LeafSum])] = []
    }

    /// The contents of the memo's leaves `ids`, or `nil` when the memo of `store` is no longer at `generation`
    /// (another probe saved since it was loaded: its leaf ids mean other pages now) or a leaf's sums are unreadable.
    func contents(ofLeaves ids: [Int64], store: String, generation: Int64) throws -> Contents? {
        try queue.read { db in
            guard try Int64.fetchOne(db, sql: "SELECT generation FROM stores WHERE store = ?", arguments: [store]) == generation else { return nil }
            var out = Contents()
            let select = try db.cachedStatement(sql: "SELECT tbl, keys, sums FROM leaves WHERE id = ?")
            for id in ids {
                guard let row = try Row.fetchOne(select, arguments: [id]) else { continue }
                if let blob = row[2] as Data? {
                    guard let sums = LeafSum.sums(blob: blob) else { return nil }
                    out.sums.append((row[0], sums))
                } else {
                    for k in Self.decodeKeys(row[1]) { out.keys.insert(k) }
                }
            }
            return out
        }
    }

    /// ``contents(ofLeaves:store:generation:)``'s keys: those on the leaves `ids`, with or without sums.
    func keys(ofLeaves ids: [Int64], store: String, generation: Int64) throws -> Set<String>? {
        try contents(ofLeaves: ids, store: store, generation: generation).map { c in c.keys.union(c.sums.flatMap(\.sums.keys)) }
    }

    /// The row sums the memo holds of the conversations `keys` of `store` (those it has).
    func sums(of keys: Set<String>, store: String) throws -> [String: RowSums] {
        try queue.read { db in
            var out: [String: RowSums] = [:]
            let select = try db.cachedStatement(sql: "SELECT sums FROM manifests WHERE store = ? AND key = ?")
            for key in keys {
                if let blob = try Data.fetchOne(select, arguments: [store, key]), let s = RowSums(blob: blob) { out[key] = s }
            }
            return out
        }
    }

    /// One save: the leaves that left (`removed`, memo ids) and came (`added`), sums read for leaves the memo
    /// holds without them (`summed`, by memo id), the conversations' row sums computed or updated (`sums`) and
    /// those no longer valid (`invalid`). With `replacing`, everything the memo held for `store` goes first.
    /// Returns `false`, saving nothing, when the memo of `store` changed since the load of generation
    /// `expected` (`nil`: it held nothing).
    func save(store: String, fingerprint: String, expected: Int64?, replacing: Bool, removed: [Int64], added: [NewLeaf],
              summed: [Int64: [String: LeafSum]] = [:], sums: [String: RowSums], invalid: Set<String>) throws -> Bool {
        var saved = false
        try queue.inTransaction(.immediate) { db in
            let now = try Int64.fetchOne(db, sql: "SELECT generation FROM stores WHERE store = ?", arguments: [store])
            guard replacing || now == expected else { return .rollback }
            if replacing {
                try db.execute(sql: "DELETE FROM leaves WHERE store = ?", arguments: [store])
                try db.execute(sql: "DELETE FROM manifests WHERE store = ?", arguments: [store])
            }
            let remove = try db.cachedStatement(sql: "DELETE FROM leaves WHERE id = ?")
            for id in removed { try remove.execute(arguments: [id]) }
            let insert = try db.cachedStatement(sql: "INSERT INTO leaves (store, tbl, hash, volatile, plain, keys, sums) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for a in added {
                try insert.execute(arguments: [store, a.leaf.table, a.leaf.hash, a.leaf.volatile, a.leaf.plain,
                                               a.sums == nil ? Self.encodeKeys(a.keys) : Data(), a.sums.map(LeafSum.blob)])
            }
            let update = try db.cachedStatement(sql: "UPDATE leaves SET sums = ?, keys = x'' WHERE id = ?")
            for (id, s) in summed { try update.execute(arguments: [LeafSum.blob(s), id]) }
            let forget = try db.cachedStatement(sql: "DELETE FROM manifests WHERE store = ? AND key = ?")
            for key in invalid where sums[key] == nil { try forget.execute(arguments: [store, key]) }
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO manifests (store, key, rows, digest, max_id, sums) VALUES (?, ?, ?, ?, ?, ?)")
            for (key, s) in sums {
                let m = s.manifest
                try upsert.execute(arguments: [store, key, m.rows, m.digest, m.maxMessageId, s.blob])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO stores (store, fingerprint, generation) VALUES (?, ?, ?)",
                           arguments: [store, fingerprint, (now ?? 0) + 1])
            saved = true
            return .commit
        }
        return saved
    }

    /// Forgets everything the memo holds of `store` (its pages could not be read through the tap).
    func drop(store: String) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM leaves WHERE store = ?", arguments: [store])
            try db.execute(sql: "DELETE FROM manifests WHERE store = ?", arguments: [store])
            try db.execute(sql: "DELETE FROM stores WHERE store = ?", arguments: [store])
        }
    }

    /// Keys each ended by a NUL (a key the probe matches never holds one: it is text up to its first NUL).
    static func encodeKeys(_ keys: Set<String>) -> Data {
        Data(keys.sorted().map { $0 + "\0" }.joined().utf8)
    }

    static func decodeKeys(_ blob: Data) -> [String] {
        blob.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }
}
