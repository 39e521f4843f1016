import BackplanCore
import Foundation
import GRDB

/// One import recorded in `sources`: a whole source, or what a grown source added since its previous import.
public struct SourceRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var path: String
    public var format: String
    public var options: String
    public var sha256: String
    /// Size of the file when it was imported.
    public var bytes: Int64
    /// Unix seconds.
    public var importedAt: Int64
    public var events: Int64
    public var rejected: Int64
    /// The earlier import of the same source this one continues (`nil` for a first import).
    public var previous: Int64?
    /// How far the source was read (see ``SourcePosition``).
    public var position: SourcePosition
}

/// What ``StatsStore/removeSources(_:)`` took out of the store.
public struct SourceRemoval: Codable, Sendable, Equatable {
    /// The imports removed: those asked for and every later import of the same sources.
    public var sources: [Int64]
    public var events: Int64
    /// Datasets whose events or roll-up changed.
    public var datasetsChanged: Int
    /// Datasets first created by a removed import that have no events left, removed with it.
    public var datasetsRemoved: Int
}

extension StatsStore {
    /// Every import in the store, oldest first.
    ///
    /// ```swift
    /// for s in try store.sourceList() { print(s.id, s.path, s.events) }
    /// ```
    public func sourceList() throws -> [SourceRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, path, format, options, sha256, bytes, imported_at, events, rejected, previous, position
                FROM sources ORDER BY id
                """).map { row in
                SourceRecord(id: row[0], path: row[1], format: row[2], options: row[3], sha256: row[4], bytes: row[5],
                             importedAt: row[6], events: row[7], rejected: row[8], previous: row[9],
                             position: SourcePosition.decode(row[10]))
            }
        }
    }

    /// Removes imports and everything they brought, in one transaction: their events, the hourly roll-up
    /// of the datasets they touched (recomputed from the events left), the write bytes they added to dataset
    /// sizes, datasets they created that have no events left, and their rejected-line records.
    ///
    /// A later import of the same source continues from the removed one's position, so it is removed too
    /// (the next `ingest` of that source then reads it again from where the imports left standing end).
    ///
    /// - Throws: ``InputError`` naming the id when no import has it; nothing is changed then.
    /// - Complexity: O(events) (a removed import's events are found by their `seq`, `id << 36 | n`).
    public func removeSources(_ ids: [Int64]) throws -> SourceRemoval {
        try dbQueue.write { db in try Self.removeSources(db, ids: ids) }
    }

    static func removeSources(_ db: Database, ids: [Int64]) throws -> SourceRemoval {
        var all = Set<Int64>()
        for id in ids {
            guard let identity = try Row.fetchOne(db, sql: "SELECT identity FROM sources WHERE id = ?", arguments: [id]) else {
                throw InputError(column: "source \(id)", "no import with id \(id) in this store ('backplan sources list' shows them)")
            }
            all.insert(id)
            if let identity: String = identity[0] {
                let later = try Int64.fetchAll(db, sql: "SELECT id FROM sources WHERE identity = ? AND id > ?",
                                               arguments: [identity, id])
                all.formUnion(later)
            }
        }
        let sorted = all.sorted()
        let list = "[" + sorted.map(String.init).joined(separator: ",") + "]"
        try db.execute(sql: "CREATE TEMP TABLE removed_datasets(dataset_id INTEGER PRIMARY KEY, write_bytes INTEGER NOT NULL)")
        defer { try? db.execute(sql: "DROP TABLE temp.removed_datasets") }
        try db.execute(sql: """
            INSERT INTO removed_datasets
            SELECT dataset_id, sum(CASE WHEN op = 1 THEN bytes ELSE 0 END) FROM events
            WHERE (seq >> 36) IN (SELECT value FROM json_each(?)) GROUP BY dataset_id
            """, arguments: [list])
        try db.execute(sql: "DELETE FROM events WHERE (seq >> 36) IN (SELECT value FROM json_each(?))", arguments: [list])
        let events = Int64(db.changesCount)
        try db.execute(sql: "DELETE FROM buckets WHERE dataset_id IN (SELECT dataset_id FROM removed_datasets)")
        // Units.hourStart: the hour that holds `at`, also for times before 1970.
        try db.execute(sql: """
            INSERT INTO buckets(dataset_id, start, reads, writes, bytes_read, bytes_written)
            SELECT e.dataset_id, e.at - (((e.at % 3600) + 3600) % 3600) AS hour,
                   sum(e.op = 0), sum(e.op = 1),
                   sum(CASE WHEN e.op = 0 THEN e.bytes ELSE 0 END), sum(CASE WHEN e.op = 1 THEN e.bytes ELSE 0 END)
            FROM events e JOIN removed_datasets r ON r.dataset_id = e.dataset_id
            GROUP BY e.dataset_id, hour
            """)
        try db.execute(sql: """
            UPDATE datasets SET size_bytes = max(0, size_bytes - (SELECT write_bytes FROM removed_datasets r WHERE r.dataset_id = datasets.id))
            WHERE id IN (SELECT dataset_id FROM removed_datasets)
            """)
        let changed = try Int.fetchOne(db, sql: "SELECT count(*) FROM removed_datasets") ?? 0
        try db.execute(sql: """
            DELETE FROM datasets WHERE created_by IN (SELECT value FROM json_each(?))
              AND NOT EXISTS (SELECT 1 FROM events e WHERE e.dataset_id = datasets.id)
            """, arguments: [list])
        let datasetsRemoved = db.changesCount
        try db.execute(sql: "DELETE FROM sends WHERE (seq >> 36) IN (SELECT value FROM json_each(?))", arguments: [list])
        try db.execute(sql: "DELETE FROM senders WHERE NOT EXISTS (SELECT 1 FROM sends s WHERE s.sender_id = senders.id)")
        try db.execute(sql: "DELETE FROM rejects WHERE source_id IN (SELECT value FROM json_each(?))", arguments: [list])
        try db.execute(sql: "DELETE FROM sources WHERE id IN (SELECT value FROM json_each(?))", arguments: [list])
        return SourceRemoval(sources: sorted, events: events, datasetsChanged: changed, datasetsRemoved: datasetsRemoved)
    }
}
