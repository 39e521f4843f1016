import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing

@Suite("Exporting a dataset of a message store")
struct ExportTests {
    static let sample = Checkout.root.appendingPathComponent("datasets/sample/chat-sample.sqlite").path

    static func count(_ path: String, _ sql: String, _ args: StatementArguments = []) throws -> Int {
        let q = try DatabaseQueue(path: path)
        defer { try? q.close() }
        return try q.read { try Int.fetchOne($0, sql: sql, arguments: args) ?? -1 }
    }

    @Test("A conversation exports its row, messages and reads; the digest is stable and the source unchanged")
    func conversation() throws {
        let dir = TempDir()
        let before = try #require(FileManager.default.contents(atPath: Self.sample))
        let m = try MessageStoreExport.export(source: Self.sample, key: .conversation("c000001"), to: dir.file("a.sqlite"))
        let messages = try Self.count(Self.sample, "SELECT count(*) FROM messages WHERE conversation_id = ?", ["c000001"])
        let reads = try Self.count(Self.sample, "SELECT count(*) FROM reads WHERE conversation_id = ?", ["c000001"])
        #expect(messages > 0)
        #expect(m.rows == 1 + messages + reads)
        #expect(try Self.count(dir.file("a.sqlite"), "SELECT count(*) FROM messages") == messages)
        let again = try MessageStoreExport.export(source: Self.sample, key: .conversation("c000001"), to: dir.file("b.sqlite"))
        #expect(again.digest == m.digest)
        #expect(try MessageStoreExport.digest(file: dir.file("b.sqlite")).digest == m.digest)
        let other = try MessageStoreExport.export(source: Self.sample, key: .conversation("c000002"), to: dir.file("c.sqlite"))
        #expect(other.digest != m.digest)
        #expect(try MessageStoreExport.integrityProblem(file: dir.file("a.sqlite")) == nil)
        #expect(FileManager.default.contents(atPath: Self.sample) == before)
    }

    @Test("Many exports from one transaction of the source equal one export each, whole store included")
    func manyFromOneTransaction() throws {
        let dir = TempDir()
        let keys: [MessageStoreExport.Key] = [.conversation("c000001"), .conversation("c000002"), .sender("u000001"), .wholeStore]
        let together = try MessageStoreExport.exporting(source: Self.sample) { e in
            try keys.enumerated().map { try e.export($1, to: dir.file("t\($0).sqlite")) }
        }
        for (i, key) in keys.enumerated() {
            let alone = try MessageStoreExport.export(source: Self.sample, key: key, to: dir.file("a\(i).sqlite"))
            #expect(together[i].digest == alone.digest && together[i].rows == alone.rows, "\(key)")
            #expect(try MessageStoreExport.integrityProblem(file: dir.file("t\(i).sqlite")) == nil)
        }
        #expect(together[3].rows > together[0].rows + together[1].rows)
    }

    @Test("The manifest digested as rows are written equals a read of the export back, for every kind of value")
    func digestWhileWriting() throws {
        let dir = TempDir()
        let q = try DatabaseQueue(path: dir.file("s.sqlite"))
        try q.write { db in
            try db.execute(sql: """
                CREATE TABLE conversations(id TEXT PRIMARY KEY, title TEXT, score REAL, n NUMERIC, b BLOB);
                CREATE TABLE messages(id INTEGER PRIMARY KEY, conversation_id TEXT, sender TEXT, sent_at INTEGER, size_bytes INTEGER,
                                      attachment_bytes INTEGER, extra);
                CREATE TABLE reads(conversation_id TEXT, reader TEXT, read_at INTEGER, x REAL);
                """)
            try db.execute(sql: "INSERT INTO conversations VALUES ('c1', 'héllo ✓', 5, '1.0', x'00ff00'), ('c2', NULL, 2.5, 'abc', NULL)")
            let values: [(any DatabaseValueConvertible)?] = [nil, Int64.max, Int64.min, -0.0, 1e308, "", "text\u{0}nul", Data([0, 1, 2]), "12", 7]
            for (i, v) in values.enumerated() {
                try db.execute(sql: "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [i + 1, i % 2 == 0 ? "c1" : "c2", "u\(i % 3)", i % 4 == 0 ? "not a time" : 1000 + i, v, -i, v])
                try db.execute(sql: "INSERT INTO reads VALUES (?, ?, ?, ?)", arguments: [i % 2 == 0 ? "c1" : "c2", "u\(i % 3)", v, i])
            }
        }
        try q.close()
        let keys: [MessageStoreExport.Key] = [.conversation("c1"), .conversation("c2"), .conversation("none"), .sender("u1"), .wholeStore]
        for (i, key) in keys.enumerated() {
            let m = try MessageStoreExport.export(source: dir.file("s.sqlite"), key: key, to: dir.file("e\(i).sqlite"))
            let read = try MessageStoreExport.digest(file: dir.file("e\(i).sqlite"))
            #expect(m.digest == read.digest && m.rows == read.rows && m.maxMessageId == read.maxMessageId, "\(key)")
            #expect(m.bytes == Int64((try FileManager.default.attributesOfItem(atPath: dir.file("e\(i).sqlite"))[.size] as? Int) ?? -1))
        }
    }

    @Test("An export never writes over a database already at its path")
    func existingDestination() throws {
        let dir = TempDir()
        _ = try MessageStoreExport.export(source: Self.sample, key: .conversation("c000001"), to: dir.file("a.sqlite"))
        let before = try #require(FileManager.default.contents(atPath: dir.file("a.sqlite")))
        #expect(throws: (any Error).self) {
            try MessageStoreExport.export(source: Self.sample, key: .conversation("c000002"), to: dir.file("a.sqlite"))
        }
        #expect(FileManager.default.contents(atPath: dir.file("a.sqlite")) == before)
    }

    @Test("A sender exports their messages, the conversations those are in, and their reads")
    func sender() throws {
        let dir = TempDir()
        let m = try MessageStoreExport.export(source: Self.sample, key: .sender("u000001"), to: dir.file("u.sqlite"))
        let messages = try Self.count(Self.sample, "SELECT count(*) FROM messages WHERE sender = ?", ["u000001"])
        let conversations = try Self.count(Self.sample, "SELECT count(DISTINCT conversation_id) FROM messages WHERE sender = ?", ["u000001"])
        let reads = try Self.count(Self.sample, "SELECT count(*) FROM reads WHERE reader = ?", ["u000001"])
        #expect(messages > 0 && conversations > 0)
        #expect(m.rows == conversations + messages + reads)
        #expect(try Self.count(dir.file("u.sqlite"), "SELECT count(*) FROM messages WHERE sender <> 'u000001'") == 0)
    }

    @Test("A whole store exports through the online backup API with the source's rows")
    func wholeStore() throws {
        let dir = TempDir()
        let m = try MessageStoreExport.export(source: Self.sample, key: .wholeStore, to: dir.file("w.sqlite"))
        let source = try MessageStoreExport.digest(file: Self.sample)
        #expect(m.digest == source.digest)
        #expect(m.rows == source.rows)
        #expect(m.maxMessageId == source.maxMessageId)
    }

    @Test("A changed row changes the digest")
    func changedRow() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: dir.file("s.sqlite"))
        let m = try MessageStoreExport.export(source: dir.file("s.sqlite"), key: .conversation("c000001"), to: dir.file("a.sqlite"))
        let q = try DatabaseQueue(path: dir.file("s.sqlite"))
        try q.write { try $0.execute(sql: "UPDATE messages SET size_bytes = size_bytes + 1 WHERE id = (SELECT min(id) FROM messages WHERE conversation_id = 'c000001')") }
        try q.close()
        let n = try MessageStoreExport.export(source: dir.file("s.sqlite"), key: .conversation("c000001"), to: dir.file("b.sqlite"))
        #expect(n.rows == m.rows)
        #expect(n.digest != m.digest)
    }

    @Test("A missing source is an input error naming it")
    func missing() {
        let dir = TempDir()
        #expect(throws: (any Error).self) { try MessageStoreExport.export(source: dir.file("nope.sqlite"), key: .wholeStore, to: dir.file("x.sqlite")) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("nope.sqlite")))
    }
}
