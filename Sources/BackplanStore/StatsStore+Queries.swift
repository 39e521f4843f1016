import BackplanCore
import Foundation
import GRDB

/// The reads the model, the planner's inputs and the reports make of a stats store, so that no module outside
/// BackplanStore writes SQL. Times are Unix seconds; a cutoff `t` means "events with `at < t`".
///
/// ```swift
/// let store = try StatsStore.open(path: "stats.sqlite", create: false)
/// if let span = try store.eventSpan() { print(span.first, span.last) }
/// let activity = try store.datasetActivity(before: span.last + 1)   // [name: DatasetActivity]
/// ```
extension StatsStore {
    /// A row of `datasets`.
    public struct StoredDataset: Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var dataClass: String
        /// When the dataset was created, if the source said (Unix seconds).
        public var createdAt: Int64?
    }

    /// A row of `events`: `op` 0 is a read, 1 a write.
    public struct StoredEvent: Sendable, Equatable {
        public var datasetID: Int64
        public var at: Int64
        public var op: Int
        public var bytes: Int64
    }

    /// Events in `(dataset_id, at, seq)` order, read one at a time from an open read transaction.
    public struct EventStream {
        let cursor: RowCursor

        /// The next event, or `nil` after the last.
        public func next() throws -> StoredEvent? {
            guard let row = try cursor.next() else { return nil }
            return StoredEvent(datasetID: row[0], at: row[1], op: row[2], bytes: row[3])
        }
    }

    /// Calls `body` inside one read transaction with every dataset (by id) and a stream of the events before
    /// `end`, in dataset, time and sequence order; returns what `body` returns. The stream is valid only
    /// inside `body`.
    public func withDatasetsAndEvents<T>(before end: Int64, _ body: ([StoredDataset], EventStream) throws -> T) throws -> T {
        try dbQueue.read { db in
            let datasets = try Row.fetchAll(db, sql: "SELECT id, name, class, created_at FROM datasets ORDER BY id").map { row in
                StoredDataset(id: row[0], name: row[1], dataClass: row[2], createdAt: row[3])
            }
            let events = try Row.fetchCursor(db, sql: """
                SELECT dataset_id, at, op, bytes FROM events WHERE at < ? ORDER BY dataset_id, at, seq
                """, arguments: [end])
            return try body(datasets, EventStream(cursor: events))
        }
    }

    /// Classes of the datasets that exist before `t` (an event or a creation time before it), sorted.
    public func classes(before t: Int64) throws -> [String] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT class FROM datasets d
                WHERE d.created_at < ?1
                   OR EXISTS (SELECT 1 FROM events e WHERE e.dataset_id = d.id AND e.at < ?1)
                ORDER BY class
                """, arguments: [t])
        }
    }

    /// First and last event times of the store, `nil` when it has no events (one index probe per dataset).
    public func eventSpan() throws -> (first: Int64, last: Int64)? {
        try dbQueue.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT min((SELECT at FROM events e WHERE e.dataset_id = d.id ORDER BY at ASC LIMIT 1)),
                       max((SELECT at FROM events e WHERE e.dataset_id = d.id ORDER BY at DESC LIMIT 1))
                FROM datasets d
                """)
            guard let row, let first: Int64 = row[0], let last: Int64 = row[1] else { return nil }
            return (first, last)
        }
    }

    /// A dataset's class, its size at a cutoff (the bytes written before it) and its reads and writes (counts
    /// and bytes) in the whole hours of the hourly roll-up before the cutoff.
    public struct DatasetActivity: Sendable, Equatable {
        public var dataClass: String
        public var sizeBytes: Double
        public var bytesRead: Double
        public var reads: Double
        public var bytesWritten: Double
        public var writes: Double

        public init(dataClass: String, sizeBytes: Double, bytesRead: Double, reads: Double, bytesWritten: Double, writes: Double) {
            self.dataClass = dataClass
            self.sizeBytes = sizeBytes
            self.bytesRead = bytesRead
            self.reads = reads
            self.bytesWritten = bytesWritten
            self.writes = writes
        }
    }

    /// Every dataset's ``DatasetActivity`` from the hours of `buckets` that end by `cutoff`, by name.
    public func datasetActivity(before cutoff: Int64) throws -> [String: DatasetActivity] {
        try dbQueue.read { db in
            var out: [String: DatasetActivity] = [:]
            // Size: the write bytes before the cutoff (whole hours from the roll-up, then the events of the
            // cutoff's own hour through the clustered key), not `size_bytes`, the size at the store's end.
            let hour = Units.hourStart(cutoff)
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT d.name, d.class,
                       coalesce(sum(b.bytes_written), 0)
                         + (SELECT coalesce(sum(e.bytes), 0) FROM events e
                            WHERE e.dataset_id = d.id AND e.at >= ? AND e.at < ? AND e.op = ?),
                       coalesce(sum(b.bytes_read), 0), coalesce(sum(b.reads), 0),
                       coalesce(sum(b.bytes_written), 0), coalesce(sum(b.writes), 0)
                FROM datasets d LEFT JOIN buckets b ON b.dataset_id = d.id AND b.start + 3600 <= ?
                GROUP BY d.id
                """, arguments: [hour, cutoff, AccessOp.write.rawValue, cutoff])
            while let r = try cursor.next() {
                out[r[0]] = DatasetActivity(dataClass: r[1], sizeBytes: r[2], bytesRead: r[3], reads: r[4], bytesWritten: r[5], writes: r[6])
            }
            return out
        }
    }

    /// One imported source, as `sources` records it.
    public struct ImportedSource: Sendable, Equatable {
        /// SHA-256 of the source's bytes, hex.
        public var sha256: String
        public var format: String
        /// The import options, as recorded (text).
        public var options: String
        public var events: Int64
    }

    /// The sources imported into the store, in import order, and the store's event count: what identifies its
    /// content whatever its path or import times.
    public func contentSummary() throws -> (sources: [ImportedSource], events: Int64) {
        try dbQueue.read { db in
            let sources = try Row.fetchAll(db, sql: "SELECT sha256, format, options, events FROM sources ORDER BY id").map { row in
                ImportedSource(sha256: row[0], format: row[1], options: row[2], events: row[3])
            }
            let events = try Int64.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
            return (sources, events)
        }
    }
}
