import BackplanCore
import GRDB
import GRDBSQLite

/// Writes one source's events into the stats store inside the caller's transaction: gives new dataset
/// names their ids, inserts `events`, and maintains the hourly `buckets` roll-up. It consumes the chunks
/// an ``EventBatcher`` fills on the reading thread (see ``runPipeline(produce:consume:)``).
///
/// Each chunk is written in key order
/// `(dataset_id, at, seq)`: a stable counting sort by dataset (O(n); time-sorted input stays sorted inside
/// each dataset, and any dataset whose slice is not gets sorted on its own). Writing in key order turns the
/// clustered table's random inserts into short forward runs over cached pages, and lets the roll-up be
/// computed in the same pass with one upsert per (dataset, hour) per chunk. Rows go to SQLite through
/// prepared multi-row INSERTs (``rowsPerStatement`` rows a step), which saves most of SQLite's per-statement
/// work (<https://www.sqlite.org/c3ref/bind_blob.html>).
///
/// Memory: O(chunk capacity + datasets), whatever the size of the source.
final class EventWriter {
    static let rowsPerStatement = 64

    /// Class given to datasets first seen in this source when the source does not name one.
    let defaultClass: String
    private let db: Database
    private let seqBase: Int64
    private var flushedEvents: Int64 = 0
    private var flushedSends: Int64 = 0

    // Per dataset (batcher index).
    @exclusivity(unchecked) private var storeID: [Int64] = []
    @exclusivity(unchecked) private var firstAt: [Int64] = []
    @exclusivity(unchecked) private var bytesWritten: [Int64] = []

    private let insertEvents: BatchStatement
    private let upsertBuckets: BatchStatement
    private let findDataset: Statement
    private let insertDataset: Statement
    /// `senders.id` per sender index of the batcher.
    private var senderID: [Int64] = []
    private let insertSends: BatchStatement
    private let findSender: Statement
    private let insertSender: Statement

    /// Totals of what was written, for the import report.
    @exclusivity(unchecked) private(set) var reads: Int64 = 0
    @exclusivity(unchecked) private(set) var writes: Int64 = 0
    @exclusivity(unchecked) private(set) var firstEventAt: Int64 = .max
    @exclusivity(unchecked) private(set) var lastEventAt: Int64 = .min
    private(set) var newDatasets = 0
    /// Sends written (the owner's own sending activity, table `sends`).
    private(set) var sends: Int64 = 0

    var events: Int64 { reads + writes }
    var datasetCount: Int { storeID.count }

    /// - Parameter sourceID: the `sources.id` of this import; event `seq` numbers are `sourceID << 36 | n`,
    ///   so they are unique across sources and say which source each event came from.
    init(db: Database, sourceID: Int64, defaultClass: String) throws {
        self.db = db
        self.defaultClass = defaultClass
        self.seqBase = sourceID << 36
        insertEvents = try BatchStatement(
            db: db, prefix: "INSERT INTO events(dataset_id, at, seq, op, bytes) VALUES ", columns: 5, suffix: "",
            rows: Self.rowsPerStatement)
        upsertBuckets = try BatchStatement(
            db: db, prefix: "INSERT INTO buckets(dataset_id, start, reads, writes, bytes_read, bytes_written) VALUES ",
            columns: 6,
            suffix: """
                 ON CONFLICT(dataset_id, start) DO UPDATE SET
                  reads = reads + excluded.reads, writes = writes + excluded.writes,
                  bytes_read = bytes_read + excluded.bytes_read, bytes_written = bytes_written + excluded.bytes_written
                """,
            rows: Self.rowsPerStatement)
        findDataset = try db.makeStatement(sql: "SELECT id FROM datasets WHERE name = ?")
        insertDataset = try db.makeStatement(sql: "INSERT INTO datasets(name, class, attributes, created_by) VALUES (?, ?, ?, ?)")
        insertSends = try BatchStatement(
            db: db, prefix: "INSERT INTO sends(sender_id, at, seq) VALUES ", columns: 3, suffix: "", rows: Self.rowsPerStatement)
        findSender = try db.makeStatement(sql: "SELECT id FROM senders WHERE name = ?")
        insertSender = try db.makeStatement(sql: "INSERT INTO senders(name) VALUES (?)")
    }

    /// Registers the chunk's new datasets, then writes its events.
    func consume(_ chunk: EventChunk) throws {
        for d in chunk.newNames {
            try d.name.withUnsafeBytes { try register(key: $0, dataClass: d.dataClass, attributesJSON: d.attributesJSON) }
            if let created = d.createdAt { firstAt[firstAt.count - 1] = created }
        }
        try flush(chunk)
        for name in chunk.newSenders { try name.withUnsafeBytes { senderID.append(try registerSender(key: $0)) } }
        try flushSends(chunk)
    }

    /// The `senders.id` of a sender name, inserted when new.
    private func registerSender(key: UnsafeRawBufferPointer) throws -> Int64 {
        let found = findSender.sqliteStatement
        sqlite3_reset(found)
        defer { sqlite3_reset(found) }
        try check(bindText(found, 1, key))
        switch sqlite3_step(found) {
        case SQLITE_ROW:
            return sqlite3_column_int64(found, 0)
        case SQLITE_DONE:
            let ins = insertSender.sqliteStatement
            sqlite3_reset(ins)
            try check(bindText(ins, 1, key))
            try check(sqlite3_step(ins), expect: SQLITE_DONE)
            return sqlite3_last_insert_rowid(db.sqliteConnection)
        case let rc:
            try check(rc, expect: SQLITE_ROW)
            return 0
        }
    }

    /// Writes a chunk's sends; `seq` continues this source's own count, as events' does.
    private func flushSends(_ chunk: EventChunk) throws {
        let n = chunk.sendAt.count
        guard n > 0 else { return }
        guard flushedSends + Int64(n) < 1 << 36 else {
            throw InputError("a single source may hold at most 2^36 sends; split it into several files")
        }
        let seqStart = seqBase | flushedSends
        for i in 0..<n {
            insertSends.set(0, senderID[Int(chunk.sendSender[i])])
            insertSends.set(1, chunk.sendAt[i])
            insertSends.set(2, seqStart + Int64(i))
            try insertSends.endRow()
        }
        try insertSends.flush()
        flushedSends += Int64(n)
        sends += Int64(n)
    }

    private func register(key: UnsafeRawBufferPointer, dataClass: String?, attributesJSON: String) throws {
        let found = findDataset.sqliteStatement
        sqlite3_reset(found)
        try check(bindText(found, 1, key))
        var id: Int64
        switch sqlite3_step(found) {
        case SQLITE_ROW:
            id = sqlite3_column_int64(found, 0)
        case SQLITE_DONE:
            let ins = insertDataset.sqliteStatement
            sqlite3_reset(ins)
            try check(bindText(ins, 1, key))
            try check((dataClass ?? defaultClass).withCString { sqlite3_bind_text(ins, 2, $0, -1, sqliteTransient) })
            try check(attributesJSON.withCString { sqlite3_bind_text(ins, 3, $0, -1, sqliteTransient) })
            try check(sqlite3_bind_int64(ins, 4, seqBase >> 36))
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
    }

    /// Writes a chunk in key order, with its bucket upserts, and folds it into the totals.
    private func flush(_ chunk: EventChunk) throws {
        let n = chunk.count
        guard n > 0 else { return }
        guard flushedEvents + Int64(n) < 1 << 36 else {
            throw InputError("a single source may hold at most 2^36 events; split it into several files")
        }
        let datasets = chunk.dataset, times = chunk.at, sizes = chunk.bytes, ops = chunk.op
        let order = keyOrder(datasets: datasets, times: times)
        let storeID = self.storeID
        let seqStart = seqBase | flushedEvents
        var bucketDataset: Int64 = -1, bucketStart: Int64 = .min
        var counts = (reads: Int64(0), writes: Int64(0), bytesRead: Int64(0), bytesWritten: Int64(0))
        for position in 0..<n {
            let i = Int(order[position])
            let d = Int(datasets[i])
            let dataset = storeID[d]
            let at = times[i], bytes = sizes[i], op = Int64(ops[i])
            if at < firstAt[d] { firstAt[d] = at }
            if at < firstEventAt { firstEventAt = at }
            if at > lastEventAt { lastEventAt = at }
            insertEvents.set(0, dataset)
            insertEvents.set(1, at)
            insertEvents.set(2, seqStart + Int64(i))
            insertEvents.set(3, op)
            insertEvents.set(4, bytes)
            try insertEvents.endRow()
            let hour = Units.hourStart(at)
            if dataset != bucketDataset || hour != bucketStart {
                if bucketDataset >= 0 { try upsertBucket(bucketDataset, bucketStart, counts) }
                bucketDataset = dataset
                bucketStart = hour
                counts = (0, 0, 0, 0)
            }
            if op == 0 {
                reads += 1
                counts.reads += 1
                counts.bytesRead &+= bytes
            } else {
                writes += 1
                counts.writes += 1
                counts.bytesWritten &+= bytes
                bytesWritten[d] &+= bytes
            }
        }
        try upsertBucket(bucketDataset, bucketStart, counts)
        try insertEvents.flush()
        try upsertBuckets.flush()
        flushedEvents += Int64(n)
    }

    @inline(__always)
    private func upsertBucket(_ dataset: Int64, _ start: Int64,
                              _ c: (reads: Int64, writes: Int64, bytesRead: Int64, bytesWritten: Int64)) throws {
        upsertBuckets.set(0, dataset)
        upsertBuckets.set(1, start)
        upsertBuckets.set(2, c.reads)
        upsertBuckets.set(3, c.writes)
        upsertBuckets.set(4, c.bytesRead)
        upsertBuckets.set(5, c.bytesWritten)
        try upsertBuckets.endRow()
    }

    /// Positions of the pending events sorted by (store id, at, arrival): a stable counting sort by
    /// dataset, then a sort of any dataset's slice whose times are out of order.
    private func keyOrder(datasets pendingDataset: [Int32], times pendingAt: [Int64]) -> [Int32] {
        let datasets = storeID.count
        // Rank datasets by store id so the chunk is written in the table's own key order.
        let byStoreID = (0..<datasets).sorted { storeID[$0] < storeID[$1] }
        var rank = [Int32](repeating: 0, count: datasets)
        for (r, d) in byStoreID.enumerated() { rank[d] = Int32(r) }
        var start = [Int](repeating: 0, count: datasets + 1)
        for d in pendingDataset { start[Int(rank[Int(d)]) + 1] += 1 }
        for r in 0..<datasets { start[r + 1] += start[r] }
        var next = start
        var order = [Int32](repeating: 0, count: pendingAt.count)
        for (i, d) in pendingDataset.enumerated() {
            let r = Int(rank[Int(d)])
            order[next[r]] = Int32(i)
            next[r] += 1
        }
        for r in 0..<datasets where start[r + 1] - start[r] > 1 {
            var sorted = true
            for p in (start[r] + 1)..<start[r + 1] where pendingAt[Int(order[p])] < pendingAt[Int(order[p - 1])] {
                sorted = false
                break
            }
            if !sorted {
                order[start[r]..<start[r + 1]].sort { a, b in
                    let ta = pendingAt[Int(a)], tb = pendingAt[Int(b)]
                    return ta != tb ? ta < tb : a < b
                }
            }
        }
        return order
    }

    /// Folds sizes and creation times into `datasets`.
    func finish() throws {
        let update = try db.makeStatement(sql: """
            UPDATE datasets SET size_bytes = min(size_bytes + ?, 9223372036854775807),
                                created_at = CASE WHEN created_at IS NULL OR created_at > ? THEN ? ELSE created_at END
            WHERE id = ?
            """)
        for index in 0..<storeID.count {
            let created = firstAt[index] == .max ? nil : firstAt[index]
            try update.execute(arguments: [max(0, bytesWritten[index]), created, created, storeID[index]])
        }
    }

    /// Binds a possibly empty byte string as text parameter `i`.
    private func bindText(_ stmt: OpaquePointer?, _ i: Int32, _ key: UnsafeRawBufferPointer) -> Int32 {
        guard let base = key.baseAddress, key.count > 0 else { return sqlite3_bind_text(stmt, i, "", 0, sqliteTransient) }
        return sqlite3_bind_text(stmt, i, base.assumingMemoryBound(to: CChar.self), Int32(key.count), sqliteTransient)
    }

    private func check(_ rc: Int32, expect: Int32 = SQLITE_OK) throws {
        guard rc != expect else { return }
        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage)
    }
}

/// An INSERT of many rows of integers per step: `prefix (?,…),(?,…)… suffix`, with a one-row twin for
/// the remainder. A row is bound column by column with ``set(_:_:)`` and closed with ``endRow()``; a full
/// statement is stepped at once.
final class BatchStatement {
    private let db: Database
    private let columns: Int
    private let rows: Int
    private let many: Statement
    private let one: Statement
    @exclusivity(unchecked) private var pending = 0
    /// The values of the rows bound since the last step, for ``flush()``.
    @exclusivity(unchecked) private var tail: UnsafeMutableBufferPointer<Int64>
    @exclusivity(unchecked) private var tailCount = 0

    init(db: Database, prefix: String, columns: Int, suffix: String, rows: Int) throws {
        self.db = db
        self.columns = columns
        self.rows = rows
        let tuple = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        many = try db.makeStatement(sql: prefix + Array(repeating: tuple, count: rows).joined(separator: ",") + suffix)
        one = try db.makeStatement(sql: prefix + tuple + suffix)
        tail = .allocate(capacity: rows * columns)
    }

    deinit { tail.deallocate() }

    /// Binds column `column` (0-based) of the current row.
    @inline(__always)
    func set(_ column: Int, _ value: Int64) {
        sqlite3_bind_int64(many.sqliteStatement, Int32(pending * columns + column + 1), value)
        tail[tailCount] = value
        tailCount += 1
    }

    @inline(__always)
    func endRow() throws {
        pending += 1
        if pending == rows {
            try step(many.sqliteStatement)
            pending = 0
            tailCount = 0
        }
    }

    /// Writes the rows bound since the last full statement, one by one.
    func flush() throws {
        let s = one.sqliteStatement
        var i = 0
        while i < tailCount {
            for c in 0..<columns { sqlite3_bind_int64(s, Int32(c + 1), tail[i + c]) }
            try step(s)
            i += columns
        }
        pending = 0
        tailCount = 0
    }

    private func step(_ s: OpaquePointer?) throws {
        let rc = sqlite3_step(s)
        sqlite3_reset(s)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage)
        }
    }
}

/// SQLite's SQLITE_TRANSIENT destructor: SQLite copies the bound bytes before the call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
