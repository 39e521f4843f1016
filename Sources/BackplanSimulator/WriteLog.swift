import BackplanCore
import BackplanStore
import GRDB

/// Every dataset's write times, sorted, in one flat array: the input of the policy frontier.
///
/// Dataset `d`'s writes are `times[offsets[d]..<offsets[d + 1]]`. Read in one pass over the clustered
/// `events` table, which already yields each dataset's events in time order.
public struct WriteLog: Sendable {
    /// Dataset names (`datasets.name`), one per dataset with at least one write.
    public var names: [String]
    public var offsets: [Int]
    /// Unix seconds.
    public var times: [Int64]

    public init(names: [String], offsets: [Int], times: [Int64]) {
        precondition(offsets.count == names.count + 1 && offsets.last == times.count)
        self.names = names
        self.offsets = offsets
        self.times = times
    }

    /// Builds a log from per-dataset write times (sorted here).
    public init(_ writes: [(name: String, times: [Int64])]) {
        var names: [String] = [], offsets = [0], times: [Int64] = []
        for (name, t) in writes where !t.isEmpty {
            names.append(name)
            times.append(contentsOf: t.sorted())
            offsets.append(times.count)
        }
        self.init(names: names, offsets: offsets, times: times)
    }

    public var datasetCount: Int { names.count }

    /// The writes of dataset `d`.
    public func writes(_ d: Int) -> ArraySlice<Int64> { times[offsets[d]..<offsets[d + 1]] }

    /// Reads the events of one kind (default `op = 1`, writes; `0` for reads) of every dataset in a stats store.
    ///
    /// - Complexity: one scan of `events`; memory O(events kept).
    public static func load(from store: StatsStore, op: Int = 1) throws -> WriteLog {
        try store.dbQueue.read { db in
            // Names are read once per dataset, not once per event: the scan decodes two integers per row.
            let nameOf = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, name FROM datasets").map {
                (row: Row) -> (Int64, String) in (row[0], row[1])
            })
            var names: [String] = [], offsets = [0], times: [Int64] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT dataset_id, at FROM events WHERE op = ? ORDER BY dataset_id, at
                """, arguments: [op])
            var current: Int64?
            while let row = try rows.next() {
                let id: Int64 = row[0]
                if id != current {
                    if current != nil { offsets.append(times.count) }
                    names.append(nameOf[id] ?? String(id))
                    current = id
                }
                times.append(row[1])
            }
            if current != nil { offsets.append(times.count) }
            return WriteLog(names: names, offsets: offsets, times: times)
        }
    }
}
