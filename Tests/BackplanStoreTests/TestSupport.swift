import BackplanCore
import Foundation
import GRDB
@testable import BackplanStore

/// A fresh temporary folder per test, removed when the value is released.
final class TempDir {
    let url: URL
    var path: String { url.path }

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-store-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` inside the folder and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = url.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func write(_ name: String, bytes: [UInt8]) -> String {
        let p = url.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Where the real data samples live (../shared/data/real beside the checkout), if present.
enum RealData {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/real")
    }

    /// Path of `name`, or `nil` after printing why the test is skipped.
    static func path(_ name: String) -> String? {
        let p = directory.appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: p) { return p }
        print("skipped: \(p) is missing (real data lives in ../shared/data/real beside the checkout)")
        return nil
    }

    static var available: Bool { FileManager.default.fileExists(atPath: directory.path) }
}

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
