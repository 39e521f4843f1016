import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
@testable import BackplanStore

/// Imports `path` into a new store in `dir` and returns the store and report.
func ingest(_ path: String, _ options: IngestOptions, into dir: TempDir, store name: String = "stats.sqlite")
    throws -> (StatsStore, IngestReport)
{
    let store = try StatsStore.open(path: dir.file(name), create: true)
    let report = try Ingestor(store: store, options: options).ingest(path: path)
    return (store, report)
}

func options(_ format: SourceFormat, _ configure: (inout IngestOptions) -> Void = { _ in }) -> IngestOptions {
    var o = IngestOptions(format: format)
    configure(&o)
    return o
}

/// (dataset name, at, op, bytes) of every event, in store order.
func allEvents(_ store: StatsStore) throws -> [(String, Int64, Int, Int64)] {
    try store.dbQueue.read { db in
        try Row.fetchAll(db, sql: """
            SELECT d.name, e.at, e.op, e.bytes FROM events e JOIN datasets d ON d.id = e.dataset_id
            ORDER BY d.name, e.at, e.seq
            """).map { ($0[0], $0[1], $0[2], $0[3]) }
    }
}

/// Checks the roll-up: per dataset, bucket sums equal event counts and bytes.
func bucketsMatchEvents(_ store: StatsStore) throws -> Bool {
    try store.dbQueue.read { db in
        let mismatches = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (
              SELECT dataset_id, (at / 3600) * 3600 AS start, sum(op = 0) r, sum(op = 1) w,
                     sum(CASE op WHEN 0 THEN bytes ELSE 0 END) br, sum(CASE op WHEN 1 THEN bytes ELSE 0 END) bw
              FROM events GROUP BY 1, 2
            ) e FULL OUTER JOIN buckets b ON b.dataset_id = e.dataset_id AND b.start = e.start
            WHERE b.reads IS NOT e.r OR b.writes IS NOT e.w OR b.bytes_read IS NOT e.br OR b.bytes_written IS NOT e.bw
            """)
        return mismatches == 0
    }
}

/// Creates a message store (DESIGN §2.1) at `path` with the given rows.
func makeMessageStore(
    _ path: String,
    conversations: [(String, String, Int64, String)],
    messages: [(Int64, String, String, Int64, Int64, Int64?)],
    reads: [(String, String, Int64, Int64)]
) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
        try db.execute(sql: """
            CREATE TABLE conversations(id TEXT PRIMARY KEY, kind TEXT, created_at INTEGER, class TEXT);
            CREATE TABLE messages(id INTEGER PRIMARY KEY, conversation_id TEXT, sender TEXT, sent_at INTEGER,
                                  size_bytes INTEGER, attachment_bytes INTEGER);
            CREATE TABLE reads(conversation_id TEXT, reader TEXT, read_at INTEGER, bytes INTEGER);
            """)
        for c in conversations {
            try db.execute(sql: "INSERT INTO conversations VALUES (?, ?, ?, ?)", arguments: [c.0, c.1, c.2, c.3])
        }
        for m in messages {
            try db.execute(sql: "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", arguments: [m.0, m.1, m.2, m.3, m.4, m.5])
        }
        for r in reads {
            try db.execute(sql: "INSERT INTO reads VALUES (?, ?, ?, ?)", arguments: [r.0, r.1, r.2, r.3])
        }
    }
    try queue.close()
}

func sha256(ofFile path: String) throws -> String {
    try SourceFile.digest(path).sha256
}
