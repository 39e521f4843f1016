import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing

@Suite("Probing a message store before a backup")
struct MessageStoreProbeTests {
    static let sample = ExportTests.sample

    @Test("The manifest computed from the source equals the export's, for conversations and senders, and follows a change")
    func manifestWithoutExport() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: dir.file("s.sqlite"))
        let source = dir.file("s.sqlite")
        for (i, key) in [MessageStoreExport.Key.conversation("c000001"), .conversation("c000007"), .sender("u000001"),
                         .conversation("no-such-conversation")].enumerated() {
            let exported = try MessageStoreExport.export(source: source, key: key, to: dir.file("e\(i).sqlite"))
            let probed = try #require(try MessageStoreExport.source(source, manifestOf: key))
            #expect(probed.digest == exported.digest && probed.rows == exported.rows && probed.maxMessageId == exported.maxMessageId, "\(key)")
        }
        let before = try #require(try MessageStoreExport.source(source, manifestOf: .conversation("c000001")))
        let q = try DatabaseQueue(path: source)
        try q.write { try $0.execute(sql: "UPDATE reads SET bytes = bytes + 1 WHERE rowid = (SELECT min(rowid) FROM reads WHERE conversation_id = 'c000001')") }
        try q.close()
        let after = try #require(try MessageStoreExport.source(source, manifestOf: .conversation("c000001")))
        let reads = try ExportTests.count(source, "SELECT count(*) FROM reads WHERE conversation_id = 'c000001'")
        #expect(reads == 0 || after.digest != before.digest, "an edited read changes the digest")
        #expect(try MessageStoreExport.source(source, manifestOf: .wholeStore) == nil)
    }

    @Test("The newest message time, and whether a store continues an import's position")
    func newestAndLineage() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: dir.file("s.sqlite"))
        let source = dir.file("s.sqlite")
        let newest = try MessageStoreExport.source(source, newestMessageTimeFor: .conversation("c000001"))
        #expect(newest == Int64(try ExportTests.count(source, "SELECT max(sent_at) FROM messages WHERE conversation_id = 'c000001'")))
        #expect(try MessageStoreExport.source(source, newestMessageTimeFor: .conversation("none")) == nil)
        var p = SourcePosition()
        p.messagesMaxID = Int64(try ExportTests.count(source, "SELECT max(id) FROM messages"))
        p.messagesRows = Int64(try ExportTests.count(source, "SELECT count(*) FROM messages"))
        p.readsMaxRowID = Int64(try ExportTests.count(source, "SELECT max(rowid) FROM reads"))
        p.readsRows = Int64(try ExportTests.count(source, "SELECT count(*) FROM reads"))
        #expect(try MessageStoreExport.source(source, continues: p) == nil)
        let q = try DatabaseQueue(path: source)
        try q.write { try $0.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES ('c000001', 'u', 1, 1, 0)") }
        #expect(try MessageStoreExport.source(source, continues: p) == nil, "grown")
        try q.write { try $0.execute(sql: "DELETE FROM messages WHERE id = (SELECT min(id) FROM messages)") }
        try q.close()
        let problem = try MessageStoreExport.source(source, continues: p)
        #expect(problem?.contains("messages at or below id") == true, "\(problem ?? "nil")")
    }
}
