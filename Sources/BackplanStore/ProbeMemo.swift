import BackplanCore
import Foundation
import GRDB

/// What the executor's last probe of each message store saw, so the next one need not read every row: the
/// store's table leaf pages (the SHA-256 of each, and the conversation keys of the rows on it) and the manifests
/// it computed, valid together for that set of pages (``MessageStoreExport/Probe/manifests(ofConversations:memo:)``).
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

    /// Opens (creating when missing) the memo file at `path`.
    ///
    /// - Throws: ``InputError`` when a file is there that is not a probe memo (another SQLite database, or not
    ///   SQLite at all): it is left as it is.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(StatsStore.busyTimeoutSeconds)
        if ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0) > 0 {
            var readOnly = config
            readOnly.readonly = true
            let probe = try DatabaseQueue(path: path, configuration: readOnly)
            let id = try? probe.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") }
            try probe.close()
            guard id == Self.applicationID else { throw InputError(file: path, "is not a Backplan probe memo; left as it is") }
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)") }
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS stores (store TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, generation INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS leaves (id INTEGER PRIMARY KEY, store TEXT NOT NULL, tbl TEXT NOT NULL, hash BLOB NOT NULL,
                                                   volatile INTEGER NOT NULL, keys BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS leaves_by_store ON leaves(store);
                CREATE TABLE IF NOT EXISTS manifests (store TEXT NOT NULL, key TEXT NOT NULL, rows INTEGER NOT NULL, digest TEXT NOT NULL,
                                                      max_id INTEGER, PRIMARY KEY (store, key));
                """)
        }
    }

    /// The memo file of the state store at `statePath`.
    public static func path(forState statePath: String) -> String { statePath + "-probe" }

    /// A table leaf page as the memo holds it (`id`: its row in the memo, `nil` for a page not saved yet).
    struct Leaf {
        var id: Int64?
        var table: String
        var hash: Data
        /// Rows on it spill to overflow pages, which the page's hash does not cover: never taken as unchanged.
        var volatile: Bool
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
            let leaves = try Row.fetchAll(db, sql: "SELECT id, tbl, hash, volatile FROM leaves WHERE store = ?", arguments: [store]).map {
                Leaf(id: $0[0], table: $0[1], hash: $0[2], volatile: $0[3])
            }
            var manifests: [String: MessageStoreExport.Manifest] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT key, rows, digest, max_id FROM manifests WHERE store = ?", arguments: [store])
            while let r = try rows.next() {
                manifests[r[0]] = MessageStoreExport.Manifest(rows: r[1], digest: r[2], maxMessageId: r[3], bytes: 0)
            }
            return Snapshot(generation: row["generation"], leaves: leaves, manifests: manifests)
        }
    }

    /// The generation of the memo of `store` saved under `fingerprint`, or `nil` when there is none.
    func generation(store: String, fingerprint: String) throws -> Int64? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT generation FROM stores WHERE store = ? AND fingerprint = ?", arguments: [store, fingerprint])
        }
    }

    /// The conversation keys of the rows on the memo's leaves `ids`, or `nil` when the memo of `store` is no
    /// longer at `generation` (another probe saved since it was loaded: its leaf ids mean other pages now).
    func keys(ofLeaves ids: [Int64], store: String, generation: Int64) throws -> Set<String>? {
        try queue.read { db in
            guard try Int64.fetchOne(db, sql: "SELECT generation FROM stores WHERE store = ?", arguments: [store]) == generation else { return nil }
            var keys = Set<String>()
            let select = try db.cachedStatement(sql: "SELECT keys FROM leaves WHERE id = ?")
            for id in ids {
                guard let blob = try Data.fetchOne(select, arguments: [id]) else { continue }
                for k in Self.decodeKeys(blob) { keys.insert(k) }
            }
            return keys
        }
    }

    /// One save: the leaves that left (`removed`, memo ids) and came (`added`, with their rows' keys), the
    /// manifests computed (`computed`) and those no longer valid (`invalid`). With `replacing`, everything the
    /// memo held for `store` goes first. Returns `false`, saving nothing, when the memo of `store` changed since
    /// the load of generation `expected` (`nil`: it held nothing).
    func save(store: String, fingerprint: String, expected: Int64?, replacing: Bool, removed: [Int64],
              added: [(leaf: Leaf, keys: Set<String>)], computed: [String: MessageStoreExport.Manifest], invalid: Set<String>) throws -> Bool {
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
            let insert = try db.cachedStatement(sql: "INSERT INTO leaves (store, tbl, hash, volatile, keys) VALUES (?, ?, ?, ?, ?)")
            for (leaf, keys) in added {
                try insert.execute(arguments: [store, leaf.table, leaf.hash, leaf.volatile, Self.encodeKeys(keys)])
            }
            let forget = try db.cachedStatement(sql: "DELETE FROM manifests WHERE store = ? AND key = ?")
            for key in invalid where computed[key] == nil { try forget.execute(arguments: [store, key]) }
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO manifests (store, key, rows, digest, max_id) VALUES (?, ?, ?, ?, ?)")
            for (key, m) in computed { try upsert.execute(arguments: [store, key, m.rows, m.digest, m.maxMessageId]) }
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
