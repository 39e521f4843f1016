import GRDB

extension StatsStore {
    /// Reads and writes per dataset (by external name) in each time window `[start, end)` (Unix seconds):
    /// one scan of the events between the earliest start and the latest end. Windows may overlap.
    ///
    /// ```swift
    /// let counts = try store.accessCounts(windows: [(t, t + 604_800)])
    /// counts[0]["alice"]?.writes   // alice's writes in the week after t
    /// ```
    ///
    /// - Returns: one dictionary per window, in the order given; datasets without events there are absent.
    public func accessCounts(windows: [(start: Int64, end: Int64)]) throws -> [[String: (reads: Int, writes: Int)]] {
        var out = [[String: (reads: Int, writes: Int)]](repeating: [:], count: windows.count)
        guard let from = windows.map(\.start).min(), let to = windows.map(\.end).max(), from < to else { return out }
        try dbQueue.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT d.name, e.at, e.op FROM events e JOIN datasets d ON d.id = e.dataset_id
                WHERE e.at >= ? AND e.at < ?
                """, arguments: [from, to])
            while let row = try rows.next() {
                let name: String = row[0]
                let at: Int64 = row[1]
                let op: Int = row[2]
                for (k, w) in windows.enumerated() where at >= w.start && at < w.end {
                    var c = out[k][name] ?? (0, 0)
                    if op == 0 { c.reads += 1 } else { c.writes += 1 }
                    out[k][name] = c
                }
            }
        }
        return out
    }
}
