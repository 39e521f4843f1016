import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanStore

/// Every bad input ends in an ``InputError`` naming the file (and line, when there is one), and the
/// stats store stays byte-for-byte what it was.
@Suite("Bad input leaves the store unchanged")
struct BadInputTests {
    /// A store with one good import in it, and its digest.
    static func seededStore(_ dir: TempDir) throws -> (StatsStore, String) {
        let good = dir.write("good.txt", "1 2 100\n3 4 200\n")
        let store = try StatsStore.open(path: dir.file("stats.sqlite"), create: true)
        _ = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: good)
        return (store, try sha256(ofFile: store.path))
    }

    /// Runs `ingest` and returns its error, checking the store did not change.
    static func failure(_ path: String, _ opts: IngestOptions, _ dir: TempDir) throws -> InputError {
        let (store, before) = try seededStore(dir)
        var caught: InputError?
        do {
            _ = try Ingestor(store: store, options: opts).ingest(path: path)
        } catch let e as InputError {
            caught = e
        }
        #expect(try sha256(ofFile: store.path) == before, "store changed after a failed import")
        #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sources") } == 1)
        return try #require(caught, "expected an InputError")
    }

    static let snapLines = (0..<20).map { "\($0) \($0 + 1) \(1_000 + $0)" }

    static func snapWith(badLine: String, at index: Int = 5) -> String {
        var lines = snapLines
        lines.insert(badLine, at: index)
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("A truncated line is a bad line") func truncatedLine() throws {
        let dir = TempDir()
        let path = dir.write("t.txt", Self.snapWith(badLine: "7 8"))
        let e = try Self.failure(path, options(.snapTemporal), dir)
        #expect(e.file == path && e.line == 6)
        #expect(e.message.contains("expected 3 fields"))
        #expect(e.message.contains("1 of 21 lines are bad"))
    }

    @Test("A non-numeric time is a bad line") func nonNumericTime() throws {
        let dir = TempDir()
        let path = dir.write("t.txt", Self.snapWith(badLine: "7 8 noon"))
        let e = try Self.failure(path, options(.snapTemporal), dir)
        #expect(e.line == 6 && e.column == "UNIXTS" && e.message.contains("'noon'"))
    }

    @Test("Bad time values are bad lines", arguments: ["NaN", "inf", "-5", "99999999999999999999", "1e9"])
    func badTimeValues(_ value: String) throws {
        let dir = TempDir()
        let path = dir.write("t.txt", Self.snapWith(badLine: "7 8 \(value)"))
        let e = try Self.failure(path, options(.snapTemporal), dir)
        #expect(e.line == 6 && e.column == "UNIXTS")
    }

    @Test("Negative byte counts are bad lines") func negativeBytes() throws {
        let dir = TempDir()
        let path = dir.write("p.txt", "20160201164604 a 5 m 100 1 PHONE 1\n20160201164605 b 5 m -5 1 PHONE 1\n")
        let e = try Self.failure(path, options(.tencentPhoto), dir)
        #expect(e.line == 2 && e.column == "bytes" && e.message.contains("negative byte count -5"))
    }

    @Test("Bad byte counts are bad lines", arguments: ["NaN", "1e400", "18446744073709551616", "12.5"])
    func badByteCounts(_ value: String) throws {
        let dir = TempDir()
        let path = dir.write("p.txt", "20160201164604 a 5 m 100 1 PHONE 1\n20160201164605 b 5 m \(value) 1 PHONE 1\n")
        let e = try Self.failure(path, options(.tencentPhoto), dir)
        #expect(e.line == 2 && e.column == "bytes")
    }

    @Test("An unknown op is a bad line") func unknownOp() throws {
        let dir = TempDir()
        let path = dir.write("v.csv", "version,time,op,size,lbn\n1,100,28,512,0\n1,101,ff,512,0\n")
        let e = try Self.failure(path, options(.cloudphysics), dir)
        #expect(e.line == 3 && e.column == "op" && e.message.contains("unknown SCSI opcode 'ff'"))
        let csv = dir.write("l.csv", "t,d,o\n1,a,read\n2,a,delete\n")
        let e2 = try Self.failure(csv, options(.csv) { $0.map = ColumnMap(time: "t", dataset: "d", op: "o") }, TempDir())
        #expect(e2.line == 3 && e2.column == "o" && e2.message.contains("unknown op 'delete'"))
    }

    @Test("A missing mapped column fails the source") func missingColumn() throws {
        let dir = TempDir()
        let path = dir.write("l.csv", "time,chat\n1,a\n")
        let e = try Self.failure(path, options(.csv) { $0.map = ColumnMap(time: "time", dataset: "conversation") }, dir)
        #expect(e.line == 1 && e.column == "conversation" && e.message.contains("columns: time, chat"))
        let short = dir.write("s.csv", "version,time,op,size,lbn\n1,100,28,512\n")
        let e2 = try Self.failure(short, options(.cloudphysics), TempDir())
        #expect(e2.line == 2 && e2.message.contains("expected 5 fields"))
    }

    @Test("An empty file and a header-only file fail") func emptyFileAndHeaderOnly() throws {
        let dir = TempDir()
        let empty = dir.write("empty.txt", "")
        #expect(try Self.failure(empty, options(.snapTemporal), dir).message.contains("no events"))
        let header = dir.write("h.csv", "version,time,op,size,lbn\n")
        #expect(try Self.failure(header, options(.cloudphysics), TempDir()).message.contains("no events"))
    }

    @Test("Random bytes never crash an importer", arguments: [1, 2, 3])
    func randomBytes(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let bytes = (0..<65_536).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let dir = TempDir()
        let path = dir.write("noise.bin", bytes: bytes)
        for format in [SourceFormat.snapTemporal, .cloudphysics, .msr, .tencentPhoto] {
            let e = try Self.failure(path, options(format), dir)
            #expect(e.file == path && e.line != nil, "\(format): \(e)")
        }
    }

    @Test("A SQLite file with the wrong schema is refused") func sqliteWithWrongSchema() throws {
        let dir = TempDir()
        let path = dir.file("wrong.sqlite")
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: "CREATE TABLE conversations(id TEXT); CREATE TABLE messages(id INTEGER, body TEXT)") }
        try q.close()
        let e = try Self.failure(path, options(.messageStore), dir)
        #expect(e.file == path && e.column == "conversations.kind" && e.message.contains("missing column 'kind'"))
    }

    @Test("A SQLite file missing a table is refused") func sqliteMissingTable() throws {
        let dir = TempDir()
        let path = dir.file("noreads.sqlite")
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: """
            CREATE TABLE conversations(id TEXT PRIMARY KEY, kind TEXT, created_at INTEGER, class TEXT);
            CREATE TABLE messages(id INTEGER PRIMARY KEY, conversation_id TEXT, sender TEXT, sent_at INTEGER, size_bytes INTEGER, attachment_bytes INTEGER);
            """) }
        try q.close()
        let e = try Self.failure(path, options(.messageStore), dir)
        #expect(e.column == "reads" && e.message.contains("missing table 'reads'"))
    }

    @Test("A corrupt SQLite file is refused") func corruptSQLite() throws {
        let dir = TempDir()
        let path = dir.file("corrupt.sqlite")
        try makeMessageStore(path, conversations: [("a", "private", 0, "private")],
                             messages: (1...2_000).map { ($0, "a", "u", 1_000 + $0, 10, 0) }, reads: [])
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Wreck every page after the first: the header still says SQLite, the b-trees are garbage.
        var rng = SplitMix64(seed: 7)
        for i in 4_096..<data.count { data[i] = UInt8(truncatingIfNeeded: rng.next()) }
        try data.write(to: URL(fileURLWithPath: path))
        let e = try Self.failure(path, options(.messageStore), dir)
        #expect(e.file == path && (e.message.contains("corrupt") || e.message.contains("malformed") || e.message.contains("not a")))

        let headerless = dir.write("nothead.sqlite", bytes: Array(repeating: 0x41, count: 8_192))
        let e2 = try Self.failure(headerless, options(.messageStore), TempDir())
        #expect(e2.file == headerless && e2.message.contains("not a SQLite database"))
    }

    @Test("Bad rows in message store name the row") func badRowsInMessageStoreNameTheRow() throws {
        let dir = TempDir()
        let path = dir.file("rows.sqlite")
        try makeMessageStore(path, conversations: [("a", "private", 0, "private")],
                             messages: [(1, "a", "u", 100, 10, 0), (2, "a", "u", 101, -3, 0), (3, "a", "u", 102, 10, 0)],
                             reads: [])
        let e = try Self.failure(path, options(.messageStore), dir)
        #expect(e.line == 2 && e.column == "messages.size_bytes" && e.message.contains("negative"))
    }

    @Test("A missing path and a directory are refused") func missingPathAndDirectory() throws {
        let dir = TempDir()
        let e = try Self.failure(dir.file("nope.txt"), options(.snapTemporal), dir)
        #expect(e.message == "no such file")
        let sub = dir.file("sub")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let e2 = try Self.failure(sub, options(.snapTemporal), TempDir())
        #expect(e2.message.contains("is a directory"))
    }

    @Test("Strict mode fails on the first bad line") func strictFailsOnFirstBadLine() throws {
        let dir = TempDir()
        var lines = (0..<500).map { "\($0) \($0) \($0)" }
        lines[300] = "x"
        let path = dir.write("s.txt", lines.joined(separator: "\n"))
        // Non-strict: 1 bad line in 500 (0.2%) is allowed.
        let ok = try ingest(path, options(.snapTemporal), into: TempDir()).1
        #expect(ok.rejected == 1 && ok.events == 499)
        let e = try Self.failure(path, options(.snapTemporal) { $0.strict = true }, dir)
        #expect(e.line == 301 && !e.message.contains("of 500"))
    }

    @Test("A SQLite file that is not a Backplan store is never written") func storeThatIsNotABackplanStore() throws {
        let dir = TempDir()
        let path = dir.file("chat.sqlite")
        try makeMessageStore(path, conversations: [], messages: [], reads: [])
        #expect(throws: InputError.self) { _ = try StatsStore.open(path: path, create: true) }
        let junk = dir.write("junk.db", String(repeating: "not sqlite ", count: 1_000))
        let before = try sha256(ofFile: junk)
        #expect(throws: InputError.self) { _ = try StatsStore.open(path: junk, create: true) }
        #expect(try sha256(ofFile: junk) == before)
        #expect(throws: InputError.self) { _ = try StatsStore.open(path: dir.file("missing.sqlite"), create: false) }
    }
}

