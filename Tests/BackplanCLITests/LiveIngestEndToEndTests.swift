import Foundation
import GRDB
import BackplanTestSupport
import Testing

/// The operator's walkthrough of issue #10: ingest a live store, let it grow, ingest again, undo an import.
@Suite("Live stores: incremental ingest and sources, end to end")
struct LiveIngestEndToEndTests {
    func events(_ db: String) throws -> Int {
        let stats = try Backplan.run(["stats", "--db", db, "--json"])
        try #require(stats.status == 0, "\(stats.stderr)")
        return try #require((try stats.stdout.json() as? [String: Any])?["events"] as? Int)
    }

    @Test("A grown message store adds exactly its 100 new messages; 'sources remove' undoes the increment")
    func grownStore() throws {
        let dir = TempDir()
        let sample = Backplan.packageRoot.appendingPathComponent("datasets/sample/chat-sample.sqlite").path
        try FileManager.default.copyItem(atPath: sample, toPath: dir.file("chat.sqlite"))
        let first = try Backplan.run(["ingest", dir.file("chat.sqlite"), "--format", "message-store", "--db", dir.file("s.sqlite")])
        try #require(first.status == 0, "\(first.stderr)")
        let before = try events(dir.file("s.sqlite"))
        let queue = try DatabaseQueue(path: dir.file("chat.sqlite"))
        try queue.write { db in
            let next = try Int64.fetchOne(db, sql: "SELECT max(id) + 1 FROM messages") ?? 1
            let conversation = try String.fetchOne(db, sql: "SELECT id FROM conversations LIMIT 1") ?? "c"
            for k in 0..<100 {
                try db.execute(sql: "INSERT INTO messages VALUES (?, ?, 'u1', ?, 120, 0)",
                               arguments: [next + Int64(k), conversation, 1_775_000_000 + k])
            }
        }
        try queue.close()
        let second = try Backplan.run(["ingest", dir.file("chat.sqlite"), "--format", "message-store", "--db", dir.file("s.sqlite")])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("100 new events since source 1"), "\(second.stdout)")
        #expect(try events(dir.file("s.sqlite")) == before + 100)
        let third = try Backplan.run(["ingest", dir.file("chat.sqlite"), "--format", "message-store", "--db", dir.file("s.sqlite")])
        #expect(third.status == 0 && third.stdout.contains("nothing new"), "\(third.stdout)")
        #expect(try events(dir.file("s.sqlite")) == before + 100)

        let list = try Backplan.run(["sources", "list", "--db", dir.file("s.sqlite"), "--json"])
        let sources = try #require(try list.stdout.json() as? [[String: Any]])
        #expect(sources.map { $0["id"] as? Int } == [1, 2] && sources.last?["previous"] as? Int == 1)
        let removed = try Backplan.run(["sources", "remove", "2", "--db", dir.file("s.sqlite")])
        #expect(removed.status == 0 && removed.stdout.contains("100 events"), "\(removed.stdout)\(removed.stderr)")
        #expect(try events(dir.file("s.sqlite")) == before)
        let unknown = try Backplan.run(["sources", "remove", "7", "--db", dir.file("s.sqlite")])
        #expect(unknown.status == 2 && unknown.stderr.contains("no import with id 7"), "\(unknown.stderr)")
    }

    @Test("A log changed in place exits 2 and says what to do; --replace swaps it")
    func rewrittenLog() throws {
        let dir = TempDir()
        let log = dir.write("m.txt", "1 2 100\n3 2 200\n")
        #expect(try Backplan.run(["ingest", log, "--format", "snap-temporal", "--db", dir.file("s.sqlite")]).status == 0)
        _ = dir.write("m.txt", "1 5 100\n3 2 200\n")
        let store = try #require(dir.bytes("s.sqlite"))
        let refused = try Backplan.run(["ingest", log, "--format", "snap-temporal", "--db", dir.file("s.sqlite")])
        #expect(refused.status == 2 && refused.stderr.contains("--replace") && refused.stderr.contains("m.txt"), "\(refused.stderr)")
        #expect(dir.bytes("s.sqlite") == store, "a refused import changes nothing")
        let replaced = try Backplan.run(["ingest", log, "--format", "snap-temporal", "--db", dir.file("s.sqlite"), "--replace"])
        #expect(replaced.status == 0 && replaced.stderr.contains("replaced source(s) 1"), "\(replaced.stderr)")
        #expect(try events(dir.file("s.sqlite")) == 2)
    }

    @Test("A FIFO is refused at once, and a failed first import leaves an empty --db file empty")
    func fifoAndEmptyStore() throws {
        let dir = TempDir()
        #expect(mkfifo(dir.file("pipe"), 0o600) == 0)
        _ = dir.write("empty.sqlite", "")
        let r = try Backplan.run(["ingest", dir.file("pipe"), "--format", "snap-temporal", "--db", dir.file("empty.sqlite")])
        #expect(r.status == 2 && r.stderr.contains("not a regular file"), "\(r.stderr)")
        let bad = dir.write("bad.txt", "not a log at all\nreally not\n")
        let failed = try Backplan.run(["ingest", bad, "--format", "snap-temporal", "--db", dir.file("empty.sqlite")])
        #expect(failed.status == 2)
        #expect(dir.bytes("empty.sqlite") == Data(), "the empty file must stay empty")
    }

    @Test("A Signal-like store ingests through --schema; --map on a message store exits 2 and names --schema")
    func foreignSchema() throws {
        let dir = TempDir()
        let sql = try String(contentsOf: Backplan.packageRoot.appendingPathComponent("datasets/schemas/signal-like.sql"), encoding: .utf8)
        let queue = try DatabaseQueue(path: dir.file("signal.sqlite"))
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        let schema = Backplan.packageRoot.appendingPathComponent("datasets/schemas/signal-like.yaml").path
        let r = try Backplan.run(["ingest", dir.file("signal.sqlite"), "--format", "message-store", "--schema", schema,
                                  "--db", dir.file("s.sqlite"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require((try r.stdout.json() as? [[String: Any]])?.first)
        #expect(report["writes"] as? Int == 90 && report["reads"] as? Int == 23)
        let plain = try Backplan.run(["ingest", dir.file("signal.sqlite"), "--format", "message-store", "--db", dir.file("t.sqlite")])
        #expect(plain.status == 2 && plain.stderr.contains("missing table 'conversations'") && plain.stderr.contains("--schema"), "\(plain.stderr)")
        let mapped = try Backplan.run(["ingest", dir.file("signal.sqlite"), "--format", "message-store", "--map", "time=a,dataset=b",
                                       "--db", dir.file("t.sqlite")])
        #expect(mapped.status == 2 && mapped.stderr.contains("--schema"), "\(mapped.stderr)")
    }
}

@Suite("Errors about binary files")
struct BinaryInputMessageTests {
    @Test("A SQLite file given as csv or as a log is refused without writing its bytes to the terminal")
    func binaryNotEchoed() throws {
        let dir = TempDir()
        let sample = Backplan.packageRoot.appendingPathComponent("datasets/sample/chat-sample.sqlite").path
        for args in [["--format", "csv", "--map", "time=a,dataset=b"], ["--format", "snap-temporal"]] {
            let r = try Backplan.run(["ingest", sample] + args + ["--db", dir.file("s.sqlite")])
            #expect(r.status == 2)
            #expect(!r.stderr.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F }, "\(args)")
            #expect(r.stderr.count < 2_500, "\(r.stderr.count) characters of error")
        }
    }
}
