import BackplanCore
import BackplanStore

/// Every dataset's write times, sorted, in one flat array: the input of the policy frontier (with each
/// write's bytes when read from a store, so the simulator can replay sizes as they were).
///
/// Dataset `d`'s writes are `times[offsets[d]..<offsets[d + 1]]`. Read in one pass over the clustered
/// `events` table (``StatsStore/eventTimes(of:)``).
public struct WriteLog: Sendable {
    /// Dataset names (`datasets.name`), one per dataset with at least one write.
    public var names: [String]
    public var offsets: [Int]
    /// Unix seconds.
    public var times: [Int64]
    /// Bytes of each event, parallel to ``times``, or empty when unknown (logs built from times alone).
    public var bytes: [Int64]

    public init(names: [String], offsets: [Int], times: [Int64], bytes: [Int64] = []) {
        precondition(offsets.count == names.count + 1 && offsets.last == times.count)
        precondition(bytes.isEmpty || bytes.count == times.count)
        self.names = names
        self.offsets = offsets
        self.times = times
        self.bytes = bytes
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

    /// This log's times re-indexed to `names`: dataset `k` of the result is `names[k]`, with this log's times
    /// of that name, or none. Used to line the owner's sends up with the write log.
    ///
    /// - Complexity: O(names + times).
    public func aligned(to names: [String]) -> WriteLog {
        if names == self.names { return self }
        var index: [String: Int] = [:]
        for (k, n) in self.names.enumerated() { index[n] = k }
        var offsets = [0], times: [Int64] = []
        for n in names {
            if let k = index[n] { times.append(contentsOf: writes(k)) }
            offsets.append(times.count)
        }
        return WriteLog(names: names, offsets: offsets, times: times)
    }

    /// The owner's own sends of every dataset in a stats store (``StatsStore/sendTimes()``), by name.
    public static func loadSends(from store: StatsStore) throws -> WriteLog {
        let s = try store.sendTimes()
        return WriteLog(names: s.names, offsets: s.offsets, times: s.times)
    }

    /// The writes of dataset `d`.
    public func writes(_ d: Int) -> ArraySlice<Int64> { times[offsets[d]..<offsets[d + 1]] }

    /// Reads the events of one kind (default writes) of every dataset in a stats store.
    ///
    /// - Complexity: one scan of `events`; memory O(events kept).
    public static func load(from store: StatsStore, op: AccessOp = .write) throws -> WriteLog {
        let e = try store.eventTimes(of: op)
        return WriteLog(names: e.names, offsets: e.offsets, times: e.times, bytes: e.bytes)
    }
}
