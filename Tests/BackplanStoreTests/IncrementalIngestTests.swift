import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanStore

/// Live sources grow: a second ingest must add exactly what is new, never count an event twice, and refuse a
/// source that changed in place.
@Suite("Incremental ingest of grown sources")
struct IncrementalIngestTests {
    func count(_ store: StatsStore, _ sql: String) throws -> Int {
        try store.dbQueue.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    func append(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test("A grown log adds only its new lines, and a third ingest finds nothing new")
    func grownLog() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n3 2 200\n")
        let (store, first) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(first.events == 2 && first.continues == nil)
        try append(path, "4 5 300\n\n6 2 7300\n")
        let second = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path)
        #expect(!second.alreadyImported && second.continues == first.sourceID)
        #expect(second.events == 2 && second.records == 2 && second.newDatasets == 1)
        #expect(try allEvents(store).map(\.1) == [100, 200, 7300, 300])
        #expect(try bucketsMatchEvents(store))
        let third = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path)
        #expect(third.alreadyImported && third.sourceID == second.sourceID)
        #expect(try count(store, "SELECT count(*) FROM events") == 4)
        let listed = try store.sourceList()
        #expect(listed.map(\.previous) == [nil, first.sourceID])
        #expect(listed.last?.position.offset == Int64(try Data(contentsOf: URL(fileURLWithPath: path)).count))
        #expect(listed.last?.position.lines == 5)
    }

    @Test("A CSV log with a header grows: the header is still read, its lines are not counted again")
    func grownCSVWithHeader() throws {
        let dir = TempDir()
        let path = dir.write("log.csv", "ts,chat,kind,len\n100,a,write,10\n200,b,read,5\n")
        let o = options(.csv) { $0.map = try? ColumnMap(argument: "time=ts,dataset=chat,op=kind,bytes=len") }
        let (store, first) = try ingest(path, o, into: dir)
        #expect(first.events == 2)
        try append(path, "300,a,write,7\n")
        let second = try Ingestor(store: store, options: o).ingest(path: path)
        #expect(second.events == 1 && second.writes == 1 && second.rejected == 0)
        #expect(try store.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT size_bytes FROM datasets WHERE name = 'a'") } == 17)
    }

    @Test("A log changed in place is refused and the store keeps its events; --replace swaps them")
    func rewrittenLog() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n3 2 200\n")
        let (store, first) = try ingest(path, options(.snapTemporal), into: dir)
        _ = dir.write("msgs.txt", "1 9 100\n3 2 200\n5 2 300\n")
        #expect {
            try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path)
        } throws: { error in
            let e = error as? InputError
            return e?.file == path && e?.message.contains("changed since it was imported as source \(first.sourceID)") == true
                && e?.message.contains("--replace") == true
        }
        #expect(try allEvents(store).map(\.0) == ["2", "2"])
        _ = dir.write("msgs.txt", "1 2 100\n")
        #expect(throws: InputError.self) { try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path) }
        _ = dir.write("msgs.txt", "1 9 100\n3 2 200\n5 2 300\n")
        let replaced = try Ingestor(store: store, options: options(.snapTemporal) { $0.replace = true }).ingest(path: path)
        #expect(replaced.replaced == [first.sourceID] && replaced.events == 3)
        #expect(try allEvents(store).map(\.0) == ["2", "2", "9"])
        #expect(try bucketsMatchEvents(store))
        #expect(try count(store, "SELECT count(*) FROM sources") == 1)
    }

    @Test("A log whose last line had no newline and then grew is refused (the line may have been cut)")
    func unterminatedLastLine() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n3 2 20")
        let (store, _) = try ingest(path, options(.snapTemporal), into: dir)
        try append(path, "0\n")
        #expect(throws: InputError.self) { try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: path) }
    }

    @Test("A message store that took 100 messages and 10 reads adds exactly those 110 events")
    func grownMessageStore() throws {
        let dir = TempDir()
        let path = dir.file("chat.sqlite")
        try makeMessageStore(path, conversations: [("c1", "group", 0, "group"), ("c2", "private", 0, "private")],
                             messages: (1...50).map { ($0, $0 % 2 == 0 ? "c1" : "c2", "u\($0 % 3)", 1_000 * $0, 100, nil) },
                             reads: [("c1", "u1", 5_000, 10)])
        let (store, first) = try ingest(path, options(.messageStore), into: dir)
        #expect(first.events == 51)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for id in 51...150 {
                try db.execute(sql: "INSERT INTO messages VALUES (?, 'c3', 'u9', ?, 40, 2)", arguments: [id, 100_000 + id])
            }
            try db.execute(sql: "INSERT INTO conversations VALUES ('c3', 'group', 100000, 'group')")
            for i in 0..<10 { try db.execute(sql: "INSERT INTO reads VALUES ('c1', 'u2', ?, 3)", arguments: [200_000 + i]) }
        }
        try queue.close()
        let second = try Ingestor(store: store, options: options(.messageStore)).ingest(path: path)
        #expect(second.events == 110 && second.writes == 100 && second.reads == 10 && second.continues == first.sourceID)
        #expect(try count(store, "SELECT count(*) FROM events") == 161)
        #expect(try store.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT size_bytes FROM datasets WHERE name = 'c3'") } == 4_200)
        #expect(try bucketsMatchEvents(store))
        let third = try Ingestor(store: store, options: options(.messageStore)).ingest(path: path)
        #expect(third.alreadyImported && third.events == 0)
        #expect(try count(store, "SELECT count(*) FROM events") == 161)
    }

    @Test("A message store with a deleted message is refused; --replace reimports it whole")
    func rewrittenMessageStore() throws {
        let dir = TempDir()
        let path = dir.file("chat.sqlite")
        try makeMessageStore(path, conversations: [("c1", "group", 0, "group")],
                             messages: (1...5).map { ($0, "c1", "u", 1_000 * $0, 10, nil) }, reads: [])
        let (store, _) = try ingest(path, options(.messageStore), into: dir)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "DELETE FROM messages WHERE id = 2; INSERT INTO messages VALUES (9, 'c1', 'u', 9000, 10, 0)") }
        try queue.close()
        #expect {
            try Ingestor(store: store, options: options(.messageStore)).ingest(path: path)
        } throws: { ($0 as? InputError)?.message.contains("5 messages had ids up to 5 then, 4 have now") == true }
        #expect(try count(store, "SELECT count(*) FROM events") == 5)
        let replaced = try Ingestor(store: store, options: options(.messageStore) { $0.replace = true }).ingest(path: path)
        #expect(replaced.events == 5 && replaced.replaced.count == 1)
        #expect(try allEvents(store).map(\.1) == [1_000, 3_000, 4_000, 5_000, 9_000])
        #expect(try store.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT size_bytes FROM datasets WHERE name = 'c1'") } == 50)
    }

    @Test("Removing an import takes out its events, later imports of its source, and datasets only it created")
    func removeSources() throws {
        let dir = TempDir()
        let a = dir.write("a.txt", "1 2 100\n")
        let b = dir.write("b.txt", "1 3 200\n1 2 300\n")
        let (store, first) = try ingest(a, options(.snapTemporal), into: dir)
        try append(a, "1 4 400\n")
        let grown = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: a)
        let other = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: b)
        #expect(throws: InputError.self) { try store.removeSources([99]) }
        let removal = try store.removeSources([first.sourceID])
        #expect(removal.sources == [first.sourceID, grown.sourceID] && removal.events == 2 && removal.datasetsRemoved == 1)
        #expect(try allEvents(store).map(\.0) == ["2", "3"])
        #expect(try store.sourceList().map(\.id) == [other.sourceID])
        #expect(try bucketsMatchEvents(store))
        #expect(try store.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT size_bytes FROM datasets WHERE name = '2'") } == 0)
        // The source imports again from its start.
        let again = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: a)
        #expect(again.events == 2 && again.continues == nil)
    }

    @Test("A FIFO or a directory is refused before anything reads it")
    func notARegularFile() throws {
        let dir = TempDir()
        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let store = try StatsStore.open(path: dir.file("s.sqlite"), create: true)
        #expect {
            try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: fifo)
        } throws: { ($0 as? InputError)?.message.contains("not a regular file") == true }
        #expect(throws: InputError.self) { try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: dir.path) }
    }

    @Test("Two ingests into one store at once both land, each event once")
    func concurrentIngests() throws {
        let dir = TempDir()
        let paths = (0..<2).map { k in dir.write("log\(k).txt", (0..<2_000).map { "\($0) \(k * 10_000 + $0 % 50) \(1_000 + $0)" }.joined(separator: "\n")) }
        _ = try StatsStore.open(path: dir.file("s.sqlite"), create: true)
        let results = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 2)
        defer { results.deallocate() }
        results.initialize(repeating: -1)
        let box = UncheckedSendable(results)
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let store = try? StatsStore.open(path: dir.file("s.sqlite"), create: false)
            box.value[k] = (try? store.map { try Ingestor(store: $0, options: options(.snapTemporal)).ingest(path: paths[k]) })??.events ?? -2
        }
        #expect(Array(results) == [2_000, 2_000])
        let store = try StatsStore.open(path: dir.file("s.sqlite"), create: false)
        #expect(try count(store, "SELECT count(*) FROM events") == 4_000)
        #expect(try bucketsMatchEvents(store))
    }
}
