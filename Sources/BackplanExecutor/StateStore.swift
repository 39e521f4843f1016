import BackplanCore
import BackplanPlan
import BackplanStore
import Crypto
import Foundation
import GRDB

/// The executor's own SQLite state (not the stats store): backups with their manifests and the snapshot each
/// copy got, drills, and a hash-chained audit log. All of the executor's SQL is in this file.
///
/// ```swift
/// let state = try StateStore(path: "state.sqlite")
/// try state.recordBackup(dataset: "c000042", time: t, filename: "c000042.sqlite", manifest: m, copies: copies)
/// state.lastBackup(of: "c000042")?.manifest.digest
/// try state.verifyAudit()    // nil when the chain is intact
/// ```
public final class StateStore {
    public let path: String
    let queue: DatabaseQueue
    /// This state store's random id (a UUID made when it was created; `nil` for a dry run's missing store).
    /// Every snapshot the executor makes carries it as the tag `backplan-state=<id>` (``stateTag``), so the
    /// sweep of unrecorded snapshots only ever forgets this store's own, never those of another executor
    /// sharing the repository.
    public private(set) var id: String?

    /// The tag `backplan-state=<id>`, or `nil` when the store has no id yet (a dry run on a missing store).
    public var stateTag: String? { id.map { "backplan-state=" + $0 } }

    /// One copy of a backup: the repository it went to and the snapshot restic made there.
    public struct Copy: Sendable, Equatable {
        public var region: String
        public var tier: String
        public var repository: String
        public var snapshot: String
        /// When `restic forget` removed it (Unix seconds), else `nil`.
        public var forgottenAt: Int64?

        public init(region: String, tier: String, repository: String, snapshot: String, forgottenAt: Int64?) {
            self.region = region
            self.tier = tier
            self.repository = repository
            self.snapshot = snapshot
            self.forgottenAt = forgottenAt
        }
    }

    /// A recorded (successful) backup.
    public struct Backup: Sendable, Equatable {
        public var id: Int64
        public var dataset: String
        /// The snapshot time (Unix seconds).
        public var time: Int64
        public var filename: String
        public var manifest: MessageStoreExport.Manifest
        public var copies: [Copy]
    }

    /// One audit entry.
    public struct AuditEntry: Sendable, Equatable {
        public var seq: Int64
        public var time: Int64
        public var action: String
        public var detail: String
        public var previous: String
        public var hash: String
    }

    /// Opens (creating when missing) the state store at `path`. With `readOnly` (dry runs, status) nothing is
    /// created or written: a missing store reads as empty.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        do {
            if readOnly && exists {
                var config = Configuration()
                config.readonly = true
                config.busyMode = .timeout(Self.busySeconds)
                queue = try DatabaseQueue(path: path, configuration: config)
                id = try queue.read { db in
                    try db.tableExists("meta") ? try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'id'") : nil
                }
                return
            }
            // Schedule groups run at once on one state store (`execute --schedule-group`): a writer that finds
            // the store busy waits for the other's transaction (GRDB's `write` is BEGIN IMMEDIATE on a writable
            // connection, so two audit appends never both read the same chain head).
            var config = Configuration()
            config.busyMode = .timeout(Self.busySeconds)
            queue = readOnly ? try DatabaseQueue() : try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw InputError(file: path, "cannot open the executor state: \(error)")
        }
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS backups(id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, time INTEGER NOT NULL,
                  filename TEXT NOT NULL, rows INTEGER NOT NULL, digest TEXT NOT NULL, max_message_id INTEGER, bytes INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS backups_dataset ON backups(dataset, time);
                CREATE TABLE IF NOT EXISTS copies(backup_id INTEGER NOT NULL REFERENCES backups(id), region TEXT NOT NULL,
                  tier TEXT NOT NULL, repository TEXT NOT NULL, snapshot TEXT NOT NULL, forgotten_at INTEGER);
                CREATE INDEX IF NOT EXISTS copies_backup ON copies(backup_id);
                CREATE INDEX IF NOT EXISTS copies_live ON copies(backup_id) WHERE forgotten_at IS NULL;
                CREATE INDEX IF NOT EXISTS copies_snapshot ON copies(repository, snapshot);
                CREATE TABLE IF NOT EXISTS drills(id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, backup_id INTEGER NOT NULL,
                  time INTEGER NOT NULL, ok INTEGER NOT NULL, seconds REAL NOT NULL, message TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, action TEXT NOT NULL,
                  detail TEXT NOT NULL, previous TEXT NOT NULL, hash TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS audit_head(one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
            try db.execute(sql: "INSERT OR IGNORE INTO meta(key, value) VALUES ('id', ?)", arguments: [UUID().uuidString.lowercased()])
        }
        id = readOnly ? nil : try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'id'") }
    }

    /// How long a write waits for another process's transaction on the store (seconds).
    static let busySeconds: TimeInterval = 120

    // MARK: - Backups

    /// A backup to record: the dataset, the snapshot time, the file's name at the root of every copy's
    /// snapshot (`restic dump SNAPSHOT /<filename>`), the manifest, and the snapshot each copy is in.
    public struct NewBackup: Sendable, Equatable {
        public var dataset: String
        public var time: Int64
        public var filename: String
        public var manifest: MessageStoreExport.Manifest
        public var copies: [Copy]

        public init(dataset: String, time: Int64, filename: String, manifest: MessageStoreExport.Manifest, copies: [Copy]) {
            self.dataset = dataset
            self.time = time
            self.filename = filename
            self.manifest = manifest
            self.copies = copies
        }
    }

    /// Records a backup whose every copy restic confirmed, and its audit entry, in one transaction.
    @discardableResult
    public func recordBackup(dataset: String, time: Int64, filename: String, manifest m: MessageStoreExport.Manifest,
                             copies: [Copy]) throws -> Int64 {
        try recordBackups([NewBackup(dataset: dataset, time: time, filename: filename, manifest: m, copies: copies)])[0]
    }

    /// Records a round's backups, each with its audit entry, in one transaction (all or none: a run killed
    /// before the commit leaves snapshots the next round's sweep forgets). Returns their backup ids.
    @discardableResult
    public func recordBackups(_ list: [NewBackup]) throws -> [Int64] {
        guard !list.isEmpty else { return [] }
        return try queue.write { db in
            var ids: [Int64] = []
            for b in list {
                let m = b.manifest
                try db.execute(sql: "INSERT INTO backups(dataset, time, filename, rows, digest, max_message_id, bytes) VALUES (?,?,?,?,?,?,?)",
                               arguments: [b.dataset, b.time, b.filename, m.rows, m.digest, m.maxMessageId, m.bytes])
                let id = db.lastInsertedRowID
                for c in b.copies {
                    try db.execute(sql: "INSERT INTO copies(backup_id, region, tier, repository, snapshot) VALUES (?,?,?,?,?)",
                                   arguments: [id, c.region, c.tier, c.repository, c.snapshot])
                }
                let snaps = b.copies.map { "\($0.region)/\($0.tier):\($0.snapshot)" }.joined(separator: " ")
                try Self.appendAudit(db, time: b.time, action: "backup",
                                     detail: "dataset=\(DatasetName.escaped(b.dataset)) rows=\(m.rows) digest=\(m.digest) file=/\(b.filename) snapshots=\(snaps)")
                ids.append(id)
            }
            return ids
        }
    }

    /// Every backup that still has a copy restic keeps (a copy not forgotten), with all its copies, by dataset,
    /// oldest first: what a round decides from (the newest live backup of each dataset, retention over the live
    /// snapshots), read with two queries rather than two per dataset. Backups whose copies were all forgotten
    /// stay in the store for the audit and `status` but are not read: a store of a year of hourly backups holds
    /// far more of them than live ones.
    public func liveBackups() throws -> [String: [Backup]] {
        try queue.read { db in
            let live = "SELECT backup_id FROM copies WHERE forgotten_at IS NULL"
            var copies: [Int64: [Copy]] = [:]
            let c = try Row.fetchCursor(db, sql: """
                SELECT backup_id, region, tier, repository, snapshot, forgotten_at FROM copies
                WHERE backup_id IN (\(live)) ORDER BY rowid
                """)
            while let r = try c.next() {
                copies[r[0], default: []].append(Copy(region: r[1], tier: r[2], repository: r[3], snapshot: r[4], forgottenAt: r[5]))
            }
            var out: [String: [Backup]] = [:]
            // Keyed by ``storedID(_:)``: what a bound id keeps (up to its first NUL).
            let b = try Row.fetchCursor(db, sql: """
                SELECT id, CAST(dataset AS BLOB), time, filename, rows, digest, max_message_id, bytes FROM backups
                WHERE id IN (\(live)) ORDER BY time, id
                """)
            while let r = try b.next() {
                let id: Int64 = r[0]
                let backup = Backup(id: id, dataset: Self.text(r[1]), time: r[2], filename: r[3],
                                    manifest: .init(rows: r[4], digest: r[5], maxMessageId: r[6], bytes: r[7]), copies: copies[id] ?? [])
                out[backup.dataset, default: []].append(backup)
            }
            return out
        }
    }

    /// A TEXT column read as bytes (`CAST(… AS BLOB)`), whole even when it holds a NUL.
    private static func text(_ bytes: Data?) -> String { String(decoding: bytes ?? Data(), as: UTF8.self) }

    /// A dataset id as the store keeps it: SQLite receives a bound Swift string up to its first NUL, so an id
    /// holding one (``DatasetName`` escapes it everywhere else) is stored, and found by `WHERE dataset = ?`,
    /// as its part before the NUL. ``liveBackups()`` and ``lastVerifiedBackups()`` are keyed by it.
    public static func storedID(_ id: String) -> String {
        guard let nul = id.utf8.firstIndex(of: 0) else { return id }
        return String(decoding: id.utf8[..<nul], as: UTF8.self)
    }

    /// Per dataset, the newest backup a drill restored and verified (``lastVerifiedBackup(of:)`` for all).
    public func lastVerifiedBackups() throws -> [String: Int64] {
        try queue.read { db in
            var out: [String: Int64] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT CAST(dataset AS BLOB) AS d, max(backup_id) AS b FROM drills WHERE ok = 1 GROUP BY dataset") {
                out[Self.text(r["d"])] = r["b"]
            }
            return out
        }
    }

    /// Every backup of `dataset` (oldest first) with its copies, forgotten ones included.
    public func backups(of dataset: String) throws -> [Backup] {
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM backups WHERE dataset = ? ORDER BY time, id", arguments: [dataset])
            return try rows.map { try Self.backup($0, db) }
        }
    }

    /// The newest backup of `dataset` at or before `time` (any time when `nil`) with a copy not forgotten.
    public func lastBackup(of dataset: String, atOrBefore time: Int64? = nil) throws -> Backup? {
        try backups(of: dataset).last { b in (time.map { b.time <= $0 } ?? true) && b.copies.contains { $0.forgottenAt == nil } }
    }

    /// The datasets with at least one backup.
    public func datasets() throws -> [String] {
        try queue.read { db in
            try Data.fetchAll(db, sql: "SELECT DISTINCT CAST(dataset AS BLOB) FROM backups ORDER BY dataset").map { Self.text($0) }
        }
    }

    private static func backup(_ r: Row, _ db: Database) throws -> Backup {
        let id: Int64 = r["id"]
        let copies = try Row.fetchAll(db, sql: "SELECT * FROM copies WHERE backup_id = ? ORDER BY rowid", arguments: [id]).map {
            Copy(region: $0["region"], tier: $0["tier"], repository: $0["repository"], snapshot: $0["snapshot"], forgottenAt: $0["forgotten_at"])
        }
        return Backup(id: id, dataset: r["dataset"], time: r["time"], filename: r["filename"],
                      manifest: .init(rows: r["rows"], digest: r["digest"], maxMessageId: r["max_message_id"], bytes: r["bytes"]),
                      copies: copies)
    }

    /// The snapshot ids recorded in `repository` and not forgotten (the ones retention still manages).
    public func liveSnapshots(in repository: String) throws -> [String] {
        try queue.read { db in
            try String.fetchAll(db, sql: "SELECT snapshot FROM copies WHERE repository = ? AND forgotten_at IS NULL", arguments: [repository])
        }
    }

    /// Marks snapshots `ids` of `repository` forgotten at `time` (every dataset's copy in them), with one audit
    /// entry (`forget` or `erase`).
    public func recordForget(dataset: String, repository: String, snapshots ids: [String], time: Int64, erasure: Bool) throws {
        try recordForgets([Forget(dataset: dataset, repository: repository, snapshots: ids, erasure: erasure)], time: time)
    }

    /// One dataset's snapshots of a repository that retention forgets (or erases), for ``recordForgets(_:time:)``.
    public struct Forget: Sendable, Equatable {
        public var dataset: String
        public var repository: String
        public var snapshots: [String]
        public var erasure: Bool

        public init(dataset: String, repository: String, snapshots: [String], erasure: Bool) {
            self.dataset = dataset
            self.repository = repository
            self.snapshots = snapshots
            self.erasure = erasure
        }
    }

    /// ``recordForget(dataset:repository:snapshots:time:erasure:)`` for a round's whole list, in one
    /// transaction: every copy in a forgotten snapshot is marked (a shared snapshot's every member), with one
    /// audit entry per dataset and kind.
    public func recordForgets(_ list: [Forget], time: Int64) throws {
        guard !list.isEmpty else { return }
        try queue.write { db in
            for f in list where !f.snapshots.isEmpty {
                for id in f.snapshots {
                    try db.execute(sql: "UPDATE copies SET forgotten_at = ? WHERE repository = ? AND snapshot = ? AND forgotten_at IS NULL",
                                   arguments: [time, f.repository, id])
                }
                try Self.appendAudit(db, time: time, action: f.erasure ? "erase" : "forget",
                                     detail: "dataset=\(DatasetName.escaped(f.dataset)) repository=\(f.repository) snapshots=\(f.snapshots.joined(separator: ","))")
            }
        }
    }

    /// Appends an audit entry on its own (prunes).
    public func audit(time: Int64, action: String, detail: String) throws {
        try queue.write { db in try Self.appendAudit(db, time: time, action: action, detail: detail) }
    }

    // MARK: - Rounds

    /// The rounds marked unfinished (``markRoundUnfinished(_:)``) and never finished: `all`, `group=<name>`.
    public func unfinishedRounds() throws -> Set<String> {
        try queue.read { db in
            Set(try String.fetchAll(db, sql: "SELECT substr(key, 7) FROM meta WHERE key LIKE 'round:%'"))
        }
    }

    /// Marks a round (`all`, or `group=<name>`) unfinished, before it sends anything.
    public func markRoundUnfinished(_ key: String) throws {
        try queue.write { db in try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, 'unfinished')", arguments: ["round:" + key]) }
    }

    /// Clears the mark of round `key` at its end (every round's when `nil`).
    public func markRoundFinished(_ key: String?) throws {
        try queue.write { db in
            if let key {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: ["round:" + key])
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key LIKE 'round:%'")
            }
        }
    }

    /// When run `key` (`all`, `group=<name>`) last swept its repositories (the round's time), if ever.
    public func lastSweep(_ key: String) throws -> Int64? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["swept:" + key]).flatMap { Int64($0) }
        }
    }

    /// Records that run `key` swept its repositories at `time`.
    public func recordSweep(_ key: String, time: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: ["swept:" + key, String(time)])
        }
    }

    // MARK: - Drills

    /// Records a restore drill (or a verified restore) and its audit entry.
    public func recordDrill(dataset: String, backupID: Int64, time: Int64, ok: Bool, seconds: Double, message: String) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT INTO drills(dataset, backup_id, time, ok, seconds, message) VALUES (?,?,?,?,?,?)",
                           arguments: [dataset, backupID, time, ok, seconds, message])
            try Self.appendAudit(db, time: time, action: "drill",
                                 detail: "dataset=\(DatasetName.escaped(dataset)) backup=\(backupID) ok=\(ok) seconds=\(seconds) \(message)")
        }
    }

    /// The newest backup of `dataset` a drill restored and verified, by backup id.
    public func lastVerifiedBackup(of dataset: String) throws -> Int64? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT backup_id FROM drills WHERE dataset = ? AND ok = 1 ORDER BY backup_id DESC LIMIT 1",
                               arguments: [dataset])
        }
    }

    /// The time of the newest successful drill of `dataset`.
    public func lastDrillTime(of dataset: String) throws -> Int64? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(time) FROM drills WHERE dataset = ? AND ok = 1", arguments: [dataset])
        }
    }

    // MARK: - Audit chain

    /// The hash of an entry: SHA-256 over the previous hash, sequence number, time, action and detail, each
    /// followed by a newline.
    static func entryHash(previous: String, seq: Int64, time: Int64, action: String, detail: String) -> String {
        let text = "\(previous)\n\(seq)\n\(time)\n\(action)\n\(detail)\n"
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static let genesis = String(repeating: "0", count: 64)

    private static func appendAudit(_ db: Database, time: Int64, action: String, detail: String) throws {
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE one = 1")
        let seq: Int64 = (head?["seq"] ?? 0) + 1
        let previous: String = head?["hash"] ?? genesis
        let hash = entryHash(previous: previous, seq: seq, time: time, action: action, detail: detail)
        try db.execute(sql: "INSERT INTO audit(seq, time, action, detail, previous, hash) VALUES (?,?,?,?,?,?)",
                       arguments: [seq, time, action, detail, previous, hash])
        try db.execute(sql: "INSERT INTO audit_head(one, seq, hash) VALUES (1, ?, ?) ON CONFLICT(one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                       arguments: [seq, hash])
    }

    /// Every audit entry, in sequence order.
    public func auditEntries() throws -> [AuditEntry] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq").map {
                AuditEntry(seq: $0["seq"], time: $0["time"], action: $0["action"], detail: $0["detail"], previous: $0["previous"], hash: $0["hash"])
            }
        }
    }

    /// Checks the audit chain: sequence numbers 1, 2, 3, … in order, each entry's `previous` equal to the hash
    /// before it, each hash recomputed from the entry, and the last entry equal to the recorded head.
    ///
    /// - Returns: `nil` when intact, else the first problem in words (naming the entry's sequence number).
    public func verifyAudit() throws -> String? {
        let entries = try auditEntries()
        let head = try queue.read { db in try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE one = 1") }
        var previous = Self.genesis
        for (i, e) in entries.enumerated() {
            if e.seq != Int64(i + 1) { return "entry \(i + 1) is missing (found \(e.seq) in its place): an entry was deleted or renumbered" }
            if e.previous != previous { return "entry \(e.seq) does not follow entry \(e.seq - 1) (chain broken: deleted or reordered entries)" }
            let h = Self.entryHash(previous: e.previous, seq: e.seq, time: e.time, action: e.action, detail: e.detail)
            if h != e.hash { return "entry \(e.seq) was edited (its hash does not match its content)" }
            previous = e.hash
        }
        let headSeq: Int64 = head?["seq"] ?? 0
        let headHash: String = head?["hash"] ?? Self.genesis
        if headSeq != Int64(entries.count) || headHash != previous {
            return "the log ends at entry \(entries.count) but its head says \(headSeq): entries were deleted from the end or the head was edited"
        }
        return nil
    }
}
