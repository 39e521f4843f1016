import Foundation
import GRDB
import BackplanTestSupport
import Testing

/// Bad input through the binary: exit code 2, a message naming the file (and line), and the store unchanged.
@Suite("Bad input, end to end")
struct BadInputEndToEndTests {
    /// A scratch folder with a store that already holds one good import.
    static func seeded() throws -> (TempDir, Data) {
        let dir = TempDir()
        let good = dir.write("good.txt", "1 2 100\n3 4 200\n")
        let r = try Backplan.run(["ingest", good, "--format", "snap-temporal", "--db", dir.file("s.sqlite")])
        #expect(r.status == 0)
        return (dir, try #require(dir.bytes("s.sqlite")))
    }

    static let goodLines = (0..<30).map { "\($0) \($0 + 1) \(1_000 + $0)" }

    static func lines(with bad: String, at index: Int = 9) -> String {
        var l = goodLines
        l.insert(bad, at: index)
        return l.joined(separator: "\n") + "\n"
    }

    /// (name, file contents, format and extra arguments, text the message must contain)
    static let cases: [(String, String, [String], String)] = [
        ("truncated.txt", lines(with: "7 8"), ["--format", "snap-temporal"], "truncated.txt:10: expected 3 fields"),
        ("nontime.txt", lines(with: "7 8 tomorrow"), ["--format", "snap-temporal"], "nontime.txt:10: column 'UNIXTS'"),
        ("negative.csv", "t,d,b\n1,a,5\n2,a,-5\n", ["--format", "csv", "--map", "time=t,dataset=d,bytes=b"],
         "negative.csv:3: column 'b': negative byte count -5"),
        ("op.csv", "t,d,o\n1,a,read\n2,a,erase\n", ["--format", "csv", "--map", "time=t,dataset=d,op=o"],
         "op.csv:3: column 'o': unknown op 'erase'"),
        ("missing.csv", "t,d\n1,a\n", ["--format", "csv", "--map", "time=t,dataset=chat"],
         "missing.csv:1: column 'chat'"),
        ("empty.txt", "", ["--format", "snap-temporal"], "empty.txt: no events"),
        ("nan.jsonl", "{\"t\": 1, \"d\": \"a\", \"b\": 1}\n{\"t\": 2, \"d\": \"a\", \"b\": NaN}\n",
         ["--format", "jsonl", "--map", "time=t,dataset=d,bytes=b"], "nan.jsonl:2: not valid JSON"),
        ("huge.txt", "20160201164604 a 5 m 100 1 PHONE 1\n20160201164605 b 5 m 99999999999999999999 1 PHONE 1\n",
         ["--format", "tencent-photo"], "huge.txt:2: column 'bytes'"),
    ]

    @Test("A bad file exits with code 2 and leaves the store as it was", arguments: 0..<cases.count)
    func badFileExitsTwoAndLeavesStore(_ i: Int) throws {
        let (name, text, args, message) = Self.cases[i]
        let (dir, before) = try Self.seeded()
        let path = dir.write(name, text)
        let r = try Backplan.run(["ingest", path, "--db", dir.file("s.sqlite")] + args)
        #expect(r.status == 2, "\(name): exit \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.contains(message.replacingOccurrences(of: name, with: path)), "\(name): \(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(dir.bytes("s.sqlite") == before, "\(name): the store changed")
    }

    @Test("Random bytes exit with code 2, never a crash") func randomBytes() throws {
        let (dir, before) = try Self.seeded()
        var state: UInt64 = 99
        let noise = (0..<100_000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        _ = FileManager.default.createFile(atPath: dir.file("noise.bin"), contents: Data(noise))
        for format in ["snap-temporal", "cloudphysics", "msr", "systor", "tencent-cbs", "tencent-photo", "message-store"] {
            let r = try Backplan.run(["ingest", dir.file("noise.bin"), "--format", format, "--db", dir.file("s.sqlite")])
            #expect(r.status == 2, "\(format): \(r.stderr)")
            #expect(r.stderr.contains(dir.file("noise.bin")), "\(format): \(r.stderr)")
            #expect(dir.bytes("s.sqlite") == before)
        }
    }

    @Test("A SQLite file with the wrong schema and a corrupt one are refused") func sqliteWithWrongSchemaAndCorruptSQLite() throws {
        let (dir, before) = try Self.seeded()
        let wrong = dir.file("wrong.sqlite")
        let q = try DatabaseQueue(path: wrong)
        try q.write { try $0.execute(sql: "CREATE TABLE chats(id TEXT)") }
        try q.close()
        let r = try Backplan.run(["ingest", wrong, "--format", "message-store", "--db", dir.file("s.sqlite")])
        #expect(r.status == 2 && r.stderr.contains("\(wrong): column 'conversations': missing table 'conversations'"), "\(r.stderr)")

        // A real store with its pages overwritten after the header.
        var data = try #require(dir.bytes("s.sqlite"))
        for i in 1_024..<data.count { data[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let corrupt = dir.file("corrupt.sqlite")
        _ = FileManager.default.createFile(atPath: corrupt, contents: data)
        let c = try Backplan.run(["ingest", corrupt, "--format", "message-store", "--db", dir.file("s.sqlite")])
        #expect(c.status == 2 && c.stderr.contains(corrupt), "\(c.stderr)")
        #expect(dir.bytes("s.sqlite") == before)
    }

    @Test("A missing path and a directory are refused") func missingPathAndDirectory() throws {
        let (dir, before) = try Self.seeded()
        let r = try Backplan.run(["ingest", dir.file("nope.txt"), "--format", "snap-temporal", "--db", dir.file("s.sqlite")])
        #expect(r.status == 2 && r.stderr.contains("\(dir.file("nope.txt")): no such file"))
        let d = try Backplan.run(["ingest", dir.path, "--format", "snap-temporal", "--db", dir.file("s.sqlite")])
        #expect(d.status == 2 && d.stderr.contains("is a directory"))
        #expect(dir.bytes("s.sqlite") == before)
    }

    @Test("A failed first import leaves no store behind") func failedFirstImportCreatesNoStore() throws {
        let dir = TempDir()
        let bad = dir.write("bad.txt", "not a log\n")
        let r = try Backplan.run(["ingest", bad, "--format", "snap-temporal", "--db", dir.file("new.sqlite")])
        #expect(r.status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.file("new.sqlite")))
    }

    @Test("Bad usage exits with code 2") func badUsageExitsTwo() throws {
        let dir = TempDir()
        let f = dir.write("a.txt", "1 2 3\n")
        for args in [["ingest", f, "--format", "parquet", "--db", dir.file("s")],
                     ["ingest", f, "--format", "csv", "--db", dir.file("s")],
                     ["ingest", f, "--format", "snap-temporal", "--db", dir.file("s"), "--max-reject", "150%"],
                     ["ingest", f, "--format", "cloudphysics", "--key-by", "region:lots", "--db", dir.file("s")],
                     ["frobnicate"]] {
            let r = try Backplan.run(args)
            #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
            #expect(!r.stderr.isEmpty)
        }
        let stats = try Backplan.run(["stats", "--db", dir.file("absent.sqlite")])
        #expect(stats.status == 2 && stats.stderr.contains("absent.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("absent.sqlite")))
    }

    @Test("A message store given as --db is never written") func refusesToWriteIntoAMessageStore() throws {
        let dir = TempDir()
        let chat = dir.file("chat.sqlite")
        let q = try DatabaseQueue(path: chat)
        try q.write { try $0.execute(sql: "CREATE TABLE conversations(id TEXT PRIMARY KEY)") }
        try q.close()
        let before = try #require(dir.bytes("chat.sqlite"))
        let f = dir.write("a.txt", "1 2 3\n")
        let r = try Backplan.run(["ingest", f, "--format", "snap-temporal", "--db", chat])
        #expect(r.status == 2 && r.stderr.contains("not a Backplan stats store"))
        #expect(dir.bytes("chat.sqlite") == before)
    }
}
