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

    @Test("Whether a store continues an import, counted the same for every kind of messages key", arguments: [
        "id INTEGER PRIMARY KEY", "id INT PRIMARY KEY", "id INTEGER PRIMARY KEY DESC", "id INTEGER, PRIMARY KEY (id, sender)", "id INTEGER",
        "id INTEGER PRIMARY KEY) WITHOUT ROWID --",
    ])
    func lineageKeys(_ key: String) throws {
        let dir = TempDir()
        let source = dir.file("s.sqlite")
        let q = try DatabaseQueue(path: source)
        // The messages key decides how rows at or below the import's id are counted (from the rowid, or row by row).
        let table = key.contains("WITHOUT ROWID") ? "CREATE TABLE messages(sender TEXT NOT NULL, \(key.replacingOccurrences(of: "--", with: ""))"
            : "CREATE TABLE messages(sender TEXT NOT NULL, \(key))"
        try q.write { db in
            try db.execute(sql: table)
            try db.execute(sql: "CREATE TABLE reads(conversation_id TEXT, reader TEXT)")
            for i in 1...50 { try db.execute(sql: "INSERT INTO messages(id, sender) VALUES (?, 'u')", arguments: [i * 2]) }
            for _ in 1...30 { try db.execute(sql: "INSERT INTO reads VALUES ('c', 'r')") }
        }
        var p = SourcePosition()
        (p.messagesMaxID, p.messagesRows, p.readsMaxRowID, p.readsRows) = (100, 50, 30, 30)
        #expect(try MessageStoreExport.source(source, continues: p) == nil)
        try q.write { db in
            try db.execute(sql: "INSERT INTO messages(id, sender) VALUES (101, 'u'), (150, 'u')")
            try db.execute(sql: "INSERT INTO reads VALUES ('c', 'r')")
        }
        #expect(try MessageStoreExport.source(source, continues: p) == nil, "grown above the position")
        try q.write { try $0.execute(sql: "INSERT INTO messages(id, sender) VALUES (51, 'u')") }
        #expect(try MessageStoreExport.source(source, continues: p)?.contains("51 messages at or below id 100") == true, "a row added below")
        try q.write { db in
            try db.execute(sql: "DELETE FROM messages WHERE id = 51")
            try db.execute(sql: "DELETE FROM reads WHERE rowid = 7")
        }
        #expect(try MessageStoreExport.source(source, continues: p)?.contains("29 reads at or below rowid 30") == true, "a read gone")
        try q.close()
    }
}

@Suite("Probing many conversations in one pass")
struct BatchProbeTests {
    @Test("The one-pass manifests equal each conversation's own probe (and export), also after a change and for a missing id")
    func equalsPerConversation() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: ExportTests.sample, toPath: dir.file("s.sqlite"))
        let source = dir.file("s.sqlite")
        let q = try DatabaseQueue(path: source)
        let all = try q.read { try String.fetchAll($0, sql: "SELECT id FROM conversations ORDER BY id") }
        try q.write { db in
            try db.execute(sql: "UPDATE reads SET bytes = bytes + 1 WHERE rowid = (SELECT min(rowid) FROM reads)")
            // Values of every storage class, text with a NUL, non-ASCII and invalid UTF-8: the one-pass probe
            // reads them off the statement and must encode them as GRDB's values are encoded.
            try db.execute(sql: """
                INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES
                  (?, CAST(x'61006200' AS TEXT), 1700000000, 1.5, x'00ff10'),
                  (?, 'élan 😀', 1700000001, 7, x''),
                  (?, CAST(x'ff61' AS TEXT), 1700000002, -3, NULL)
                """, arguments: [all[3], all[3], all[4]])
        }
        try q.close()
        #expect(all.count > 10)
        let ids = Set(all + ["no-such-conversation"])
        let batch = try MessageStoreExport.probing(source) { try $0.manifests(ofConversations: ids) }
        #expect(batch.count == ids.count)
        for id in ids {
            let one = try #require(try MessageStoreExport.source(source, manifestOf: .conversation(id)))
            #expect(batch[id] == one, "\(id)")
        }
        let exported = try MessageStoreExport.export(source: source, key: .conversation(all[3]), to: dir.file("e.sqlite"))
        #expect(batch[all[3]]?.digest == exported.digest && batch[all[3]]?.rows == exported.rows)
        // Read through the indexes for the asked keys only (three statements of 500 keys): the same manifests.
        let many = ids.union((0..<800).map { "absent-\($0)" })
        let indexed = try MessageStoreExport.probing(source) { try $0.manifests(ofConversations: many, indexed: true) }
        for id in many { #expect(indexed[id] == (batch[id] ?? batch["no-such-conversation"]), "\(id)") }
        // A subset probes only what it is asked.
        let some = try MessageStoreExport.probing(source) { try $0.manifests(ofConversations: [all[0], all[5]]) }
        #expect(some.keys.sorted() == [all[0], all[5]].sorted() && some[all[5]] == batch[all[5]])
    }

    @Test("Keys of 16 and 17 bytes, non-ASCII keys and keys with control characters: the one-pass manifests still equal each conversation's own")
    func keyShapes() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: ExportTests.sample, toPath: dir.file("s.sqlite"))
        let source = dir.file("s.sqlite")
        let keys = [String(repeating: "k", count: 16), String(repeating: "k", count: 17), "élan", "日本語の会話", "a", "tab\tand\nnewline"]
        let q = try DatabaseQueue(path: source)
        try q.write { db in
            for (i, k) in keys.enumerated() {
                try db.execute(sql: "INSERT INTO conversations VALUES (?, 'group', 0, 'group')", arguments: [k])
                try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u1', ?, ?, 0)",
                               arguments: [k, 1_700_000_000 + i, 100 + i])
            }
        }
        try q.close()
        let ids = Set(keys + ["c000001"])
        for scheme in [ContentDigest.Scheme.rowSet, .ordered] {
            let batch = try MessageStoreExport.probing(source) { try $0.manifests(ofConversations: ids, scheme: scheme) }
            for id in ids {
                let one = try #require(try MessageStoreExport.source(source, manifestOf: .conversation(id), scheme: scheme))
                #expect(batch[id] == one, "\(id.debugDescription) \(scheme)")
                #expect(one.rows >= 1, "\(id.debugDescription)")
            }
        }
    }
}
