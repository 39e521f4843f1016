import BackplanCore
import Crypto
import Foundation
import GRDB

/// Every dataset's event times of one kind, sorted, in one flat array: dataset `k`'s times are
/// `times[offsets[k]..<offsets[k + 1]]`.
///
///     let writes = try store.eventTimes(of: .write)
///     let first = writes.times[writes.offsets[0]..<writes.offsets[1]]   // names[0]'s writes, oldest first
public struct DatasetEventTimes: Sendable, Equatable {
    /// Dataset names (`datasets.name`) with at least one event of the kind, in the store's dataset order.
    public var names: [String]
    /// `names.count + 1` offsets into ``times``.
    public var offsets: [Int]
    /// Unix seconds.
    public var times: [Int64]
    /// Bytes of each event, parallel to ``times`` (for writes: what each adds to the dataset's size, so the
    /// size at t is the sum over writes at or before t).
    public var bytes: [Int64]
}

/// What the simulator needs to know of a dataset besides its events.
public struct DatasetProfile: Sendable, Equatable {
    /// `datasets.class`.
    public var dataClass: String
    /// `datasets.size_bytes`.
    public var sizeBytes: Int64
    /// Mean bytes of a write over the hourly roll-up (0 without writes).
    public var bytesPerWrite: Double
    /// Mean bytes of a read over the hourly roll-up (0 without reads).
    public var bytesPerRead: Double

    public init(dataClass: String, sizeBytes: Int64, bytesPerWrite: Double, bytesPerRead: Double) {
        self.dataClass = dataClass
        self.sizeBytes = sizeBytes
        self.bytesPerWrite = bytesPerWrite
        self.bytesPerRead = bytesPerRead
    }
}

/// One event to append to a stats store (``StatsStore/appendEvents(_:source:)``).
public struct AppendedEvent: Sendable, Equatable {
    /// `datasets.name` of an existing dataset.
    public var dataset: String
    /// Unix seconds.
    public var at: Int64
    public var op: AccessOp
    public var bytes: Int64

    public init(dataset: String, at: Int64, op: AccessOp, bytes: Int64) {
        self.dataset = dataset
        self.at = at
        self.op = op
        self.bytes = bytes
    }
}

/// A write of one dataset as read back for a what-if change: its time and size.
public struct StoredWrite: Sendable, Equatable {
    public var at: Int64
    public var bytes: Int64
}

extension StatsStore {
    /// Every dataset's event times (and bytes) of kind `op`, in one pass over the clustered `events` table,
    /// which yields each dataset's events in time order.
    ///
    /// - Complexity: one scan of `events`; memory O(events of the kind).
    public func eventTimes(of op: AccessOp) throws -> DatasetEventTimes {
        try dbQueue.read { db in
            // Names are read once per dataset, not once per event: the scan decodes two integers per row.
            let nameOf = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, name FROM datasets").map {
                (row: Row) -> (Int64, String) in (row[0], row[1])
            })
            var names: [String] = [], offsets = [0], times: [Int64] = [], bytes: [Int64] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT dataset_id, at, bytes FROM events WHERE op = ? ORDER BY dataset_id, at
                """, arguments: [op.rawValue])
            var current: Int64?
            while let row = try rows.next() {
                let id: Int64 = row[0]
                if id != current {
                    if current != nil { offsets.append(times.count) }
                    names.append(nameOf[id] ?? String(id))
                    current = id
                }
                times.append(row[1])
                bytes.append(row[2])
            }
            if current != nil { offsets.append(times.count) }
            return DatasetEventTimes(names: names, offsets: offsets, times: times, bytes: bytes)
        }
    }

    /// The first and last time of an event of kind `op`, or nil when there is none.
    public func eventSpan(of op: AccessOp) throws -> ClosedRange<Int64>? {
        try dbQueue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(at), max(at) FROM events WHERE op = ?", arguments: [op.rawValue]),
                  let first: Int64 = row[0], let last: Int64 = row[1] else { return nil }
            return first...last
        }
    }

    /// Names of the datasets with at least one event of kind `op`, in the store's dataset order (`datasets.id`).
    public func datasetNames(withEventsOf op: AccessOp) throws -> [String] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: """
                SELECT d.name FROM datasets d
                WHERE EXISTS (SELECT 1 FROM events e WHERE e.dataset_id = d.id AND e.op = ?)
                ORDER BY d.id
                """, arguments: [op.rawValue])
        }
    }

    /// The writes of dataset `name` at or after `from`, oldest first (events at the same second in `seq` order).
    public func writes(of name: String, from: Int64) throws -> [StoredWrite] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.at, e.bytes FROM events e JOIN datasets d ON d.id = e.dataset_id
                WHERE d.name = ? AND e.op = ? AND e.at >= ? ORDER BY e.at, e.seq
                """, arguments: [name, AccessOp.write.rawValue, from]).map { StoredWrite(at: $0[0], bytes: $0[1]) }
        }
    }

    /// Class, size and mean bytes per read and per write of every dataset, by name.
    ///
    /// - Complexity: one pass over `buckets`.
    public func datasetProfiles() throws -> [String: DatasetProfile] {
        try dbQueue.read { db in
            var out: [String: DatasetProfile] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT d.name, d.class, d.size_bytes,
                       coalesce(sum(b.bytes_written) * 1.0 / nullif(sum(b.writes), 0), 0),
                       coalesce(sum(b.bytes_read) * 1.0 / nullif(sum(b.reads), 0), 0)
                FROM datasets d LEFT JOIN buckets b ON b.dataset_id = d.id GROUP BY d.id
                """)
            while let r = try rows.next() {
                out[r[0]] = DatasetProfile(dataClass: r[1], sizeBytes: r[2], bytesPerWrite: r[3], bytesPerRead: r[4])
            }
            return out
        }
    }

    /// Copies the whole store to a new file at `path` (replacing any file there) with SQLite's online backup
    /// API, and opens the copy. See <https://www.sqlite.org/backup.html>.
    public func copy(to path: String) throws -> StatsStore {
        if FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw InputError(file: path, "cannot replace the file for the store's copy (\(error.localizedDescription))")
            }
        }
        let target: DatabaseQueue
        do {
            target = try DatabaseQueue(path: path)
        } catch {
            throw StatsStore.inputError(error, path: path)
        }
        try dbQueue.backup(to: target)
        return try StatsStore.open(path: path, create: false)
    }

    /// Appends events to existing datasets the way an import does, as one new source in one transaction.
    ///
    /// The events get a `sources` row (`path` = `source`, format `appended`, `sha256` over the events), `seq`
    /// numbers `sources.id << 36 | n` (n = the event's position in `events`), as every import's; the hourly
    /// `buckets` roll-up, `datasets.size_bytes` and `datasets.created_at` are updated exactly as an import of
    /// the same events would. Appending the same events a second time is a no-op, as re-importing the same
    /// bytes is (returns 0).
    ///
    ///     let added = try store.appendEvents([AppendedEvent(dataset: "42", at: 1_700_000_000, op: .write, bytes: 512)],
    ///                                        source: "scenario access shift, seed 7")
    ///
    /// - Returns: the number of events appended.
    /// - Throws: ``InputError`` naming the dataset when it is not in the store, or a negative byte count;
    ///   nothing is written then.
    @discardableResult
    public func appendEvents(_ events: [AppendedEvent], source: String) throws -> Int {
        guard !events.isEmpty else { return 0 }
        guard events.count < 1 << 36 else { throw InputError("at most 2^36 events can be appended at once") }
        let digest = Self.digest(of: events)
        return try dbQueue.write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM sources WHERE sha256 = ?", arguments: [digest]) != nil { return 0 }
            var ids: [String: Int64] = [:]
            for e in events where ids[e.dataset] == nil {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM datasets WHERE name = ?", arguments: [e.dataset]) else {
                    throw InputError(file: path, "cannot append events to dataset '\(e.dataset)': no such dataset in the store")
                }
                ids[e.dataset] = id
            }
            if let bad = events.first(where: { $0.bytes < 0 }) {
                throw InputError(file: path, "cannot append an event of \(bad.bytes) bytes to dataset '\(bad.dataset)'")
            }
            try db.execute(sql: """
                INSERT INTO sources(path, format, options, sha256, bytes, imported_at, events, rejected)
                VALUES (?, 'appended', '', ?, 0, ?, ?, 0)
                """, arguments: [source, digest, Int64(Date().timeIntervalSince1970), events.count])
            let seqBase = db.lastInsertedRowID << 36
            let insert = try db.makeStatement(sql: "INSERT INTO events(dataset_id, at, seq, op, bytes) VALUES (?, ?, ?, ?, ?)")
            let upsert = try db.makeStatement(sql: """
                INSERT INTO buckets(dataset_id, start, reads, writes, bytes_read, bytes_written) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(dataset_id, start) DO UPDATE SET
                  reads = reads + excluded.reads, writes = writes + excluded.writes,
                  bytes_read = bytes_read + excluded.bytes_read, bytes_written = bytes_written + excluded.bytes_written
                """)
            var written: [Int64: (bytes: Int64, first: Int64)] = [:]
            for (n, e) in events.enumerated() {
                let id = ids[e.dataset] ?? 0
                try insert.execute(arguments: [id, e.at, seqBase | Int64(n), e.op.rawValue, e.bytes])
                let isWrite = e.op == .write
                try upsert.execute(arguments: [id, Units.hourStart(e.at), isWrite ? 0 : 1, isWrite ? 1 : 0,
                                               isWrite ? 0 : e.bytes, isWrite ? e.bytes : 0])
                let previous = written[id] ?? (0, .max)
                written[id] = (previous.bytes &+ (isWrite ? e.bytes : 0), min(previous.first, e.at))
            }
            let update = try db.makeStatement(sql: """
                UPDATE datasets SET size_bytes = min(size_bytes + ?, 9223372036854775807),
                                    created_at = CASE WHEN created_at IS NULL OR created_at > ? THEN ? ELSE created_at END
                WHERE id = ?
                """)
            for (id, w) in written.sorted(by: { $0.key < $1.key }) {
                try update.execute(arguments: [max(0, w.bytes), w.first, w.first, id])
            }
            return events.count
        }
    }

    /// SHA-256 of the events' fields in order, the appended source's identity.
    static func digest(of events: [AppendedEvent]) -> String {
        var hash = SHA256()
        for e in events {
            // The name's length first, so that no two lists of events hash the same bytes.
            withUnsafeBytes(of: Int64(e.dataset.utf8.count).littleEndian) { hash.update(bufferPointer: $0) }
            hash.update(data: Data(e.dataset.utf8))
            withUnsafeBytes(of: (e.at.littleEndian, Int64(e.op.rawValue).littleEndian, e.bytes.littleEndian)) {
                hash.update(bufferPointer: $0)
            }
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
