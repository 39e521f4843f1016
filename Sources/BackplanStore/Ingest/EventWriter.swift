import BackplanCore
import GRDB
import GRDBSQLite

/// Writes one source's events into the stats store inside the caller's transaction: resolves dataset
/// names to ids, inserts `events`, and keeps the hourly `buckets` roll-up current.
///
/// The roll-up keeps one open bucket per dataset and upserts it when that dataset's next event falls in
/// another hour, so memory is O(datasets), not O(events) or O(hours); time-sorted input (every log and
/// trace we know) writes each bucket once, unsorted input merges through the upsert.
/// The hot path binds integers straight to prepared SQLite statements
/// (<https://www.sqlite.org/c3ref/bind_blob.html>), keeping per-event cost near SQLite's own.
final class EventWriter {
    /// Class given to datasets first seen in this source when the source does not name one.
    let defaultClass: String
    private let db: Database
    private let seqBase: Int64
    private var seq: Int64 = 0

    private var names = ByteInterner()
    private var storeID: [Int64] = []
    private var firstAt: [Int64] = []
    private var bytesWritten: [Int64] = []
    private var openHour: [Int64] = []
    private var openCounts: [BucketCounts] = []

    private let insertEvent: Statement
    private let upsertBucket: Statement
    private let findDataset: Statement
    private let insertDataset: Statement

    /// Totals of what was written, for the import report.
    private(set) var events: Int64 = 0
    private(set) var reads: Int64 = 0
    private(set) var writes: Int64 = 0
    private(set) var firstEventAt: Int64 = .max
    private(set) var lastEventAt: Int64 = .min
    private(set) var newDatasets = 0

    var datasetCount: Int { names.count }

    struct BucketCounts {
        var reads: Int64 = 0, writes: Int64 = 0, bytesRead: Int64 = 0, bytesWritten: Int64 = 0
    }

    /// - Parameter sourceID: the `sources.id` of this import; event `seq` numbers are `sourceID << 36 | n`,
    ///   so they are unique across sources and say which source each event came from.
    init(db: Database, sourceID: Int64, defaultClass: String) throws {
        self.db = db
        self.defaultClass = defaultClass
        self.seqBase = sourceID << 36
        insertEvent = try db.makeStatement(sql: "INSERT INTO events(dataset_id, at, seq, op, bytes) VALUES (?, ?, ?, ?, ?)")
        upsertBucket = try db.makeStatement(sql: """
            INSERT INTO buckets(dataset_id, start, reads, writes, bytes_read, bytes_written) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(dataset_id, start) DO UPDATE SET
              reads = reads + excluded.reads, writes = writes + excluded.writes,
              bytes_read = bytes_read + excluded.bytes_read, bytes_written = bytes_written + excluded.bytes_written
            """)
        findDataset = try db.makeStatement(sql: "SELECT id FROM datasets WHERE name = ?")
        insertDataset = try db.makeStatement(sql: "INSERT INTO datasets(name, class, attributes) VALUES (?, ?, ?)")
    }

    /// Declares a dataset with what the source knows of it (class, creation time, attributes) before its
    /// events arrive. A dataset already in the store keeps its class and attributes.
    @discardableResult
    func declare(name: String, dataClass: String?, createdAt: Int64?, attributesJSON: String = "{}") throws -> Int {
        var name = name
        let index = try name.withUTF8 { utf8 in
            try resolve(UnsafeRawBufferPointer(utf8), dataClass: dataClass, attributesJSON: attributesJSON)
        }
        if let createdAt { firstAt[index] = min(firstAt[index], createdAt) }
        return index
    }

    /// Index of the dataset named by `key`, creating its row on first sight.
    @inline(__always)
    func index(of key: UnsafeRawBufferPointer, dataClass: UnsafeRawBufferPointer? = nil) throws -> Int {
        let (index, isNew) = names.intern(key)
        if isNew {
            let cls = dataClass.map { String(decoding: $0, as: UTF8.self) }
            try register(index: index, key: key, dataClass: cls, attributesJSON: "{}")
        }
        return index
    }

    private func resolve(_ key: UnsafeRawBufferPointer, dataClass: String?, attributesJSON: String) throws -> Int {
        let (index, isNew) = names.intern(key)
        if isNew { try register(index: index, key: key, dataClass: dataClass, attributesJSON: attributesJSON) }
        return index
    }

    private func register(index: Int, key: UnsafeRawBufferPointer, dataClass: String?, attributesJSON: String) throws {
        let found = findDataset.sqliteStatement
        sqlite3_reset(found)
        try check(bindKey(found, key))
        var id: Int64
        switch sqlite3_step(found) {
        case SQLITE_ROW:
            id = sqlite3_column_int64(found, 0)
        case SQLITE_DONE:
            let ins = insertDataset.sqliteStatement
            sqlite3_reset(ins)
            try check(bindKey(ins, key))
            try check((dataClass ?? defaultClass).withCString { sqlite3_bind_text(ins, 2, $0, -1, sqliteTransient) })
            try check(attributesJSON.withCString { sqlite3_bind_text(ins, 3, $0, -1, sqliteTransient) })
            try check(sqlite3_step(ins), expect: SQLITE_DONE)
            id = sqlite3_last_insert_rowid(db.sqliteConnection)
            newDatasets += 1
        case let rc:
            try check(rc, expect: SQLITE_ROW)
            id = 0
        }
        sqlite3_reset(found)
        storeID.append(id)
        firstAt.append(.max)
        bytesWritten.append(0)
        openHour.append(.min)
        openCounts.append(BucketCounts())
    }

    /// Writes one event of dataset `index` (from ``index(of:dataClass:)``).
    @inline(__always)
    func write(index: Int, at: Int64, op: AccessOp, bytes: Int64) throws {
        let stmt = insertEvent.sqliteStatement
        sqlite3_bind_int64(stmt, 1, storeID[index])
        sqlite3_bind_int64(stmt, 2, at)
        sqlite3_bind_int64(stmt, 3, seqBase | seq)
        sqlite3_bind_int64(stmt, 4, Int64(op.rawValue))
        sqlite3_bind_int64(stmt, 5, bytes)
        let rc = sqlite3_step(stmt)
        sqlite3_reset(stmt)
        if rc != SQLITE_DONE { try check(rc, expect: SQLITE_DONE) }
        seq += 1
        events += 1
        if at < firstAt[index] { firstAt[index] = at }
        if at < firstEventAt { firstEventAt = at }
        if at > lastEventAt { lastEventAt = at }

        let hour = Units.hourStart(at)
        if openHour[index] != hour {
            if openHour[index] != .min { try flushBucket(index) }
            openHour[index] = hour
        }
        switch op {
        case .read:
            reads += 1
            openCounts[index].reads += 1
            openCounts[index].bytesRead &+= bytes
        case .write:
            writes += 1
            openCounts[index].writes += 1
            openCounts[index].bytesWritten &+= bytes
            bytesWritten[index] &+= bytes
        }
    }

    private func flushBucket(_ index: Int) throws {
        let c = openCounts[index]
        let stmt = upsertBucket.sqliteStatement
        sqlite3_bind_int64(stmt, 1, storeID[index])
        sqlite3_bind_int64(stmt, 2, openHour[index])
        sqlite3_bind_int64(stmt, 3, c.reads)
        sqlite3_bind_int64(stmt, 4, c.writes)
        sqlite3_bind_int64(stmt, 5, c.bytesRead)
        sqlite3_bind_int64(stmt, 6, c.bytesWritten)
        let rc = sqlite3_step(stmt)
        sqlite3_reset(stmt)
        if rc != SQLITE_DONE { try check(rc, expect: SQLITE_DONE) }
        openCounts[index] = BucketCounts()
    }

    /// Flushes every open bucket and folds sizes and creation times into `datasets`.
    func finish() throws {
        let update = try db.makeStatement(sql: """
            UPDATE datasets SET size_bytes = min(size_bytes + ?, 9223372036854775807),
                                created_at = CASE WHEN created_at IS NULL OR created_at > ? THEN ? ELSE created_at END
            WHERE id = ?
            """)
        for index in 0..<names.count {
            if openHour[index] != .min {
                try flushBucket(index)
                openHour[index] = .min
            }
            let created = firstAt[index] == .max ? nil : firstAt[index]
            try update.execute(arguments: [max(0, bytesWritten[index]), created, created, storeID[index]])
        }
    }

    /// Binds a dataset name (possibly empty) as parameter 1.
    private func bindKey(_ stmt: OpaquePointer?, _ key: UnsafeRawBufferPointer) -> Int32 {
        guard let base = key.baseAddress, key.count > 0 else { return sqlite3_bind_text(stmt, 1, "", 0, sqliteTransient) }
        return sqlite3_bind_text(stmt, 1, base.assumingMemoryBound(to: CChar.self), Int32(key.count), sqliteTransient)
    }

    private func check(_ rc: Int32, expect: Int32 = SQLITE_OK) throws {
        guard rc != expect else { return }
        throw DatabaseError(
            resultCode: ResultCode(rawValue: rc),
            message: db.lastErrorMessage)
    }
}

/// SQLite's SQLITE_TRANSIENT destructor: SQLite copies the bound bytes before the call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
