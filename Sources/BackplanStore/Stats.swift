import BackplanCore
import GRDB

/// What a stats store holds: the summary `backplan stats` prints.
public struct StoreSummary: Codable, Sendable {
    public struct ClassSummary: Codable, Sendable {
        public var dataClass: String
        public var datasets: Int64
        public var reads: Int64
        public var writes: Int64
    }

    public struct DatasetSummary: Codable, Sendable {
        public var name: String
        public var dataClass: String
        public var reads: Int64
        public var writes: Int64
        public var bytesRead: Int64
        public var bytesWritten: Int64
    }

    public struct SourceSummary: Codable, Sendable {
        public var id: Int64
        public var path: String
        public var format: String
        public var options: String
        public var bytes: Int64
        public var importedAt: Int64
        public var events: Int64
        public var rejected: Int64
        /// The first rejected lines kept for this source.
        public var rejects: [RejectedLine]
    }

    public var path: String
    public var datasets: Int64
    public var events: Int64
    public var reads: Int64
    public var writes: Int64
    public var bytesRead: Int64
    public var bytesWritten: Int64
    /// Unix seconds of the first and last events, `nil` for an empty store.
    public var firstEventAt: Int64?
    public var lastEventAt: Int64?
    public var classes: [ClassSummary]
    /// The datasets with the most events, busiest first.
    public var busiest: [DatasetSummary]
    public var sources: [SourceSummary]
}

extension StatsStore {
    /// Summarises the store. Counts come from the hourly `buckets`; first and last event times from one
    /// index probe per dataset at each end of its range in `events`.
    ///
    /// - Complexity: O(buckets + datasets · log events).
    public func summary(top: Int = 10) throws -> StoreSummary {
        try dbQueue.read { db in
            let totals = try Row.fetchOne(db, sql: """
                SELECT coalesce(sum(reads), 0), coalesce(sum(writes), 0),
                       coalesce(sum(bytes_read), 0), coalesce(sum(bytes_written), 0) FROM buckets
                """)!
            let datasets = try Int64.fetchOne(db, sql: "SELECT count(*) FROM datasets") ?? 0
            let span = try Row.fetchOne(db, sql: """
                SELECT min((SELECT at FROM events e WHERE e.dataset_id = d.id ORDER BY at ASC LIMIT 1)),
                       max((SELECT at FROM events e WHERE e.dataset_id = d.id ORDER BY at DESC LIMIT 1))
                FROM datasets d
                """)!
            let classes = try Row.fetchAll(db, sql: """
                SELECT d.class, count(*), coalesce(sum(t.r), 0), coalesce(sum(t.w), 0)
                FROM datasets d
                LEFT JOIN (SELECT dataset_id, sum(reads) r, sum(writes) w FROM buckets GROUP BY dataset_id) t
                  ON t.dataset_id = d.id
                GROUP BY d.class ORDER BY d.class
                """).map { StoreSummary.ClassSummary(dataClass: $0[0], datasets: $0[1], reads: $0[2], writes: $0[3]) }
            let busiest = try Row.fetchAll(db, sql: """
                SELECT d.name, d.class, t.r, t.w, t.br, t.bw
                FROM (SELECT dataset_id, sum(reads) r, sum(writes) w, sum(bytes_read) br, sum(bytes_written) bw
                      FROM buckets GROUP BY dataset_id ORDER BY r + w DESC, dataset_id LIMIT ?) t
                JOIN datasets d ON d.id = t.dataset_id
                ORDER BY t.r + t.w DESC, d.name
                """, arguments: [top]).map {
                StoreSummary.DatasetSummary(name: $0[0], dataClass: $0[1], reads: $0[2], writes: $0[3],
                                            bytesRead: $0[4], bytesWritten: $0[5])
            }
            let sources = try Row.fetchAll(db, sql: """
                SELECT id, path, format, options, bytes, imported_at, events, rejected FROM sources ORDER BY id
                """).map { row in
                let id: Int64 = row[0]
                let path: String = row[1]
                let rejects = try Row.fetchAll(db, sql: """
                    SELECT line, "column", message FROM rejects WHERE source_id = ? ORDER BY rowid
                    """, arguments: [id]).map {
                    RejectedLine(file: path, line: $0[0] ?? 0, column: $0[1], message: $0[2])
                }
                return StoreSummary.SourceSummary(
                    id: id, path: path, format: row[2], options: row[3], bytes: row[4], importedAt: row[5],
                    events: row[6], rejected: row[7], rejects: rejects)
            }
            let reads: Int64 = totals[0], writes: Int64 = totals[1]
            return StoreSummary(
                path: path, datasets: datasets, events: reads + writes, reads: reads, writes: writes,
                bytesRead: totals[2], bytesWritten: totals[3], firstEventAt: span[0], lastEventAt: span[1],
                classes: classes, busiest: busiest, sources: sources)
        }
    }
}
