import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanStore

/// The owner's own sends (issue 14): a SNAP line `SRC DST T` is a write to DST and a send by SRC; a message
/// store keyed by sender records each message as its sender's send. Senders that are no dataset create none.
@Suite("The owner's sends in the stats store")
struct SendsIngestTests {
    func count(_ store: StatsStore, _ sql: String) throws -> Int {
        try store.dbQueue.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    func sends(_ store: StatsStore) throws -> [String: [Int64]] {
        let s = try store.sendTimes()
        var out: [String: [Int64]] = [:]
        for (k, name) in s.names.enumerated() { out[name] = Array(s.times[s.offsets[k]..<s.offsets[k + 1]]) }
        return out
    }

    func append(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test("A SNAP log records every SRC as a send; only senders that are datasets are listed, and no dataset is added")
    func snapSends() throws {
        let dir = TempDir()
        // 1 and 3 only send: they are no datasets. 2 sends at 300 and 400 and receives at 100, 200 and 500.
        let path = dir.write("msgs.txt", "1 2 100\n3 2 200\n2 4 300\n2 1 400\n4 2 500\n")
        let (store, report) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(report.events == 5 && report.datasets == 3)
        #expect(try count(store, "SELECT count(*) FROM datasets") == 3)
        #expect(try store.sendCount() == 5)
        #expect(try count(store, "SELECT count(*) FROM senders") == 4)
        let s = try sends(store)
        #expect(s == ["2": [300, 400], "1": [100], "4": [500]])
        // Listed in the store's dataset order, each sorted.
        #expect(try store.sendTimes().names == ["2", "4", "1"])
        // The events are exactly what they were before sends were kept.
        #expect(try allEvents(store).map(\.0) == ["1", "2", "2", "2", "4"])
        #expect(try bucketsMatchEvents(store))
    }

    @Test("Re-ingesting a grown log adds exactly the new sends; removing the source removes its sends")
    func grownLogAddsOnlyNewSends() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n2 1 200\n")
        let (store, first) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(try sends(store) == ["1": [100], "2": [200]])
        try append(path, "2 1 300\n5 2 400\n")
        let second = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path)
        #expect(second.continues == first.sourceID && second.events == 2)
        #expect(try store.sendCount() == 4)
        #expect(try sends(store) == ["1": [100], "2": [200, 300]])
        // A third ingest of the same bytes adds nothing.
        let third = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path)
        #expect(third.alreadyImported)
        #expect(try store.sendCount() == 4)
        // Each send's seq names its source, so removing the second import removes its two sends only.
        _ = try store.removeSources([second.sourceID])
        #expect(try store.sendCount() == 2)
        #expect(try sends(store) == ["1": [100], "2": [200]])
        #expect(try count(store, "SELECT count(*) FROM senders") == 2)
    }

    @Test("--replace swaps a rewritten log's sends with the file's current ones")
    func replaceSwapsSends() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n2 1 200\n")
        let (store, _) = try ingest(path, options(.snapTemporal), into: dir)
        _ = dir.write("msgs.txt", "1 2 100\n2 1 150\n2 1 170\n")
        _ = try Ingestor(store: store, options: options(.snapTemporal) { $0.replace = true }).ingest(path: path)
        #expect(try store.sendCount() == 3)
        #expect(try sends(store) == ["1": [100], "2": [150, 170]])
    }

    @Test("A message store keyed by sender records each message as its sender's send; keyed by conversation none")
    func messageStoreSends() throws {
        let dir = TempDir()
        let path = dir.file("shard-001.sqlite")
        try makeMessageStore(
            path,
            conversations: [("g1", "group", 1_000, "group"), ("m1", "mailbox", 500, "mailbox")],
            messages: [(1, "g1", "alice", 2_000, 100, 0), (2, "g1", "bob", 2_100, 50, 1_000), (3, "m1", "alice", 9_000, 10, nil)],
            reads: [("g1", "bob", 2_050, 100)])
        let bySender = try ingest(path, options(.messageStore) { $0.keyBy = .sender }, into: dir, store: "s.sqlite").0
        #expect(try sends(bySender) == ["alice": [2_000, 9_000], "bob": [2_100]])
        let byConversation = try ingest(path, options(.messageStore), into: dir, store: "c.sqlite").0
        #expect(try byConversation.sendCount() == 0)
        #expect(try byConversation.sendTimes().names.isEmpty)
    }

    @Test("A store written before sends were kept opens, reads as before and takes sends from then on")
    func oldStoreStillReads() throws {
        let dir = TempDir()
        let path = dir.file("old.sqlite")
        // A v2 store, as the previous release wrote it, with one dataset and one event.
        let queue = try DatabaseQueue(path: path)
        try StatsStore.migrator.migrate(queue, upTo: "v2-source-positions")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO datasets(id, name) VALUES (1, 'x')")
            try db.execute(sql: "INSERT INTO events(dataset_id, at, seq, op, bytes) VALUES (1, 50, 1, 1, 0)")
            try db.execute(sql: "INSERT INTO buckets(dataset_id, start, writes) VALUES (1, 0, 1)")
        }
        #expect(try queue.read { try $0.tableExists("sends") } == false)
        try queue.close()
        let store = try StatsStore.open(path: path, create: false)
        #expect(try allEvents(store).map(\.1) == [50])
        #expect(try store.sendCount() == 0 && store.sendTimes().names.isEmpty)
        let log = dir.write("msgs.txt", "x 2 100\n")
        _ = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: log)
        #expect(try sends(store) == ["x": [100]])
    }

    @Test("A line whose SRC is no valid dataset key is rejected whole: neither its write nor its send is kept")
    func badSenderRejectsTheLine() throws {
        let dir = TempDir()
        let path = dir.file("msgs.txt")
        // 0xFF is never valid UTF-8.
        let good = (0..<200).map { "1 2 \(100 + $0)\n" }.joined()
        try Data(good.utf8 + [0xFF] + " 2 999\n".utf8).write(to: URL(fileURLWithPath: path))
        let (store, report) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(report.rejected == 1 && report.events == 200)
        #expect(try store.sendCount() == 200)
        #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT max(at) FROM sends") } == 299)
    }
}
