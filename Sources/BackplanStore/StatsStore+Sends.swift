import BackplanCore
import GRDB

extension StatsStore {
    /// Every dataset's own sends (the owner's sending activity: the SRC side of a SNAP log, the sender of a
    /// message in a store keyed by sender), sorted, in the shape of ``eventTimes(of:)``. Only senders that are
    /// datasets of the store are listed (joined by name), in the store's dataset order; a store imported before
    /// sends were kept, or from a source without senders, yields no rows.
    ///
    ///     let sends = try store.sendTimes()
    ///     sends.names.first                                // "2": a mailbox that also sent messages
    ///     sends.times[sends.offsets[0]..<sends.offsets[1]] // its sends, oldest first (Unix seconds)
    ///
    /// - Complexity: one scan of `sends` in key order; memory O(sends kept).
    public func sendTimes() throws -> DatasetEventTimes {
        try dbQueue.read { db in
            var names: [String] = [], offsets = [0], times: [Int64] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT d.name, s.at FROM datasets d
                JOIN senders n ON n.name = d.name
                JOIN sends s ON s.sender_id = n.id
                ORDER BY d.id, s.at
                """)
            var current: String?
            while let row = try rows.next() {
                let name: String = row[0]
                if name != current {
                    if current != nil { offsets.append(times.count) }
                    names.append(name)
                    current = name
                }
                times.append(row[1])
            }
            if current != nil { offsets.append(times.count) }
            // A send adds nothing to the sender's own dataset, so its bytes are zero.
            return DatasetEventTimes(names: names, offsets: offsets, times: times, bytes: Array(repeating: 0, count: times.count))
        }
    }

    /// Number of sends kept (all senders, datasets or not).
    public func sendCount() throws -> Int {
        try dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sends") ?? 0 }
    }
}
