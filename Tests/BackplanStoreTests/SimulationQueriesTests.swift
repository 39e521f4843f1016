import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanStore

/// The queries the simulator runs on a stats store, and appending events the way an import does.
@Suite("Stats store queries for the simulator")
struct SimulationQueriesTests {
    static let map = ColumnMap(time: "t", dataset: "d", op: "op", bytes: "b")

    /// Random events of datasets d0…d(n−1) over about a week, in CSV, and as the events themselves.
    static func randomEvents(seed: UInt64, count: Int, datasets: Int = 6) -> (csv: String, events: [AppendedEvent]) {
        var rng = Xoshiro256StarStar(seed: seed)
        var csv = "t,d,op,b\n"
        var events: [AppendedEvent] = []
        for _ in 0..<count {
            let e = AppendedEvent(dataset: "d\(rng.nextIndex(below: datasets))", at: 1_700_000_000 + Int64(rng.nextIndex(below: 7 * 86_400)),
                                  op: rng.nextUnitDouble() < 0.5 ? .read : .write, bytes: Int64(rng.nextIndex(below: 10_000)))
            csv += "\(e.at),\(e.dataset),\(e.op == .read ? "read" : "write"),\(e.bytes)\n"
            events.append(e)
        }
        return (csv, events)
    }

    /// A store holding the events of `seed`'s first CSV, every dataset present.
    static func seededStore(_ dir: TempDir, seed: UInt64, name: String = "stats.sqlite") throws -> StatsStore {
        let (csv, _) = randomEvents(seed: seed, count: 300)
        let (store, _) = try ingest(dir.write("first-\(seed).csv", csv), options(.csv) { $0.map = map }, into: dir, store: name)
        return store
    }

    /// (name, class, size, created) of every dataset, and the roll-up keyed by names.
    static func contents(_ store: StatsStore) throws -> [[String]] {
        try store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT name, class, size_bytes, created_at FROM datasets ORDER BY name").map {
                ["\($0[0] as String)", "\($0[1] as String)", "\($0[2] as Int64)", "\($0[3] as Int64?)"]
            } + Row.fetchAll(db, sql: """
                SELECT d.name, b.start, b.reads, b.writes, b.bytes_read, b.bytes_written
                FROM buckets b JOIN datasets d ON d.id = b.dataset_id ORDER BY d.name, b.start
                """).map { r in (0..<6).map { "\(r[$0] as DatabaseValue)" } }
        }
    }

    @Test("Appended events leave buckets equal to a fresh roll-up and seq = source id << 36 | n", arguments: 1...40 as ClosedRange<UInt64>)
    func appendKeepsBucketsAndSeq(seed: UInt64) throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: seed)
        let (_, extra) = Self.randomEvents(seed: seed &+ 10_000, count: 1 + Int(seed) * 7)
        #expect(try store.appendEvents(extra, source: "test append \(seed)") == extra.count)
        #expect(try bucketsMatchEvents(store), "seed \(seed)")
        let (sourceID, seqs) = try store.dbQueue.read { db in
            (try Int64.fetchOne(db, sql: "SELECT id FROM sources WHERE format = 'appended'") ?? -1,
             try Int64.fetchAll(db, sql: "SELECT seq FROM events WHERE seq >> 36 = (SELECT id FROM sources WHERE format = 'appended')"))
        }
        #expect(sourceID == 2)
        #expect(Set(seqs).count == extra.count && Set(seqs) == Set((0..<Int64(extra.count)).map { sourceID << 36 | $0 }), "seed \(seed)")
        let recorded = try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT events FROM sources WHERE id = ?", arguments: [sourceID]) }
        #expect(recorded == extra.count)
    }

    @Test("Appending events changes the store exactly as importing them would", arguments: [3, 17, 256] as [UInt64])
    func appendEqualsImport(seed: UInt64) throws {
        let dir = TempDir()
        let appended = try Self.seededStore(dir, seed: seed, name: "a.sqlite")
        let imported = try Self.seededStore(dir, seed: seed, name: "b.sqlite")
        let (csv, extra) = Self.randomEvents(seed: seed &+ 99, count: 200)
        try appended.appendEvents(extra, source: "extra")
        _ = try Ingestor(store: imported, options: options(.csv) { $0.map = Self.map }).ingest(path: dir.write("extra.csv", csv))
        #expect(try Self.contents(appended) == Self.contents(imported))
        #expect(try allEvents(appended).map { "\($0)" } == allEvents(imported).map { "\($0)" })
    }

    @Test("The same events appended twice are appended once")
    func appendIsIdempotent() throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: 5)
        let (_, extra) = Self.randomEvents(seed: 6, count: 50)
        #expect(try store.appendEvents(extra, source: "x") == 50)
        let before = try allEvents(store).count
        #expect(try store.appendEvents(extra, source: "x again") == 0)
        #expect(try allEvents(store).count == before)
        #expect(try store.appendEvents([], source: "nothing") == 0)
    }

    @Test("Appending to an unknown dataset names it and writes nothing")
    func appendToUnknownDataset() throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: 8)
        let before = try Self.contents(store)
        let events = [AppendedEvent(dataset: "d0", at: 1_700_000_000, op: .write, bytes: 1),
                      AppendedEvent(dataset: "nope", at: 1_700_000_000, op: .write, bytes: 1)]
        let error = #expect(throws: InputError.self) { try store.appendEvents(events, source: "bad") }
        #expect(error?.message.contains("'nope'") == true, "\(String(describing: error))")
        let negative = [AppendedEvent(dataset: "d0", at: 1_700_000_000, op: .write, bytes: -1)]
        #expect(throws: InputError.self) { try store.appendEvents(negative, source: "bad bytes") }
        #expect(try Self.contents(store) == before)
        #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sources") } == 1)
    }

    @Test("Event times by op are every dataset's sorted times, and the span and names agree", arguments: [2, 9] as [UInt64])
    func eventTimesMatchTheEvents(seed: UInt64) throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: seed)
        let all = try allEvents(store)
        for op in AccessOp.allCases {
            let times = try store.eventTimes(of: op)
            #expect(times.offsets.count == times.names.count + 1 && times.offsets.last == times.times.count)
            for (k, name) in times.names.enumerated() {
                let expected = all.filter { $0.0 == name && $0.2 == op.rawValue }.map(\.1)
                #expect(Array(times.times[times.offsets[k]..<times.offsets[k + 1]]) == expected, "\(op) \(name)")
                let bytes = all.filter { $0.0 == name && $0.2 == op.rawValue }.map(\.3)
                #expect(Array(times.bytes[times.offsets[k]..<times.offsets[k + 1]]) == bytes, "\(op) \(name) bytes")
            }
            #expect(Set(times.names) == Set(all.filter { $0.2 == op.rawValue }.map(\.0)))
            #expect(try store.datasetNames(withEventsOf: op) == times.names)
            let ofOp = all.filter { $0.2 == op.rawValue }.map(\.1)
            #expect(try store.eventSpan(of: op) == ofOp.min().map { $0...(ofOp.max() ?? $0) })
        }
        let name = all[all.count / 2].0, from = all[all.count / 2].1
        let writes = try store.writes(of: name, from: from)
        #expect(writes == all.filter { $0.0 == name && $0.2 == 1 && $0.1 >= from }.map { StoredWrite(at: $0.1, bytes: $0.3) })
    }

    @Test("A dataset's size at a cutoff is the bytes it wrote before it, whatever comes later (no end-of-store size)", arguments: [2, 9] as [UInt64])
    func sizeAtACutoff(seed: UInt64) throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: seed)
        let all = try allEvents(store)
        let times = all.map(\.1).sorted()
        for cutoff in [times[times.count / 3], times[times.count / 2] + 1_800, times[times.count - 1] + 1] {
            let activity = try store.datasetActivity(before: cutoff)
            for name in Set(all.map(\.0)) {
                let written = all.filter { $0.0 == name && $0.2 == 1 && $0.1 < cutoff }.reduce(0.0) { $0 + Double($1.3) }
                #expect(activity[name]?.sizeBytes == written, "\(name) before \(cutoff)")
            }
        }
    }

    @Test("Dataset profiles are class, size and mean bytes per read and write")
    func datasetProfiles() throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: 4)
        let all = try allEvents(store)
        for (name, p) in try store.datasetProfiles() {
            let w = all.filter { $0.0 == name && $0.2 == 1 }, r = all.filter { $0.0 == name && $0.2 == 0 }
            #expect(p.dataClass == "default")
            #expect(p.sizeBytes == w.reduce(0) { $0 + $1.3 })
            #expect(abs(p.bytesPerWrite - (w.isEmpty ? 0 : Double(w.reduce(0) { $0 + $1.3 }) / Double(w.count))) < 1e-9)
            #expect(abs(p.bytesPerRead - (r.isEmpty ? 0 : Double(r.reduce(0) { $0 + $1.3 }) / Double(r.count))) < 1e-9)
        }
    }

    @Test("A copy of the store holds the same events and leaves the original alone when changed")
    func copyIsIndependent() throws {
        let dir = TempDir()
        let store = try Self.seededStore(dir, seed: 12)
        let copy = try store.copy(to: dir.file("copy.sqlite"))
        #expect(try allEvents(copy).map { "\($0)" } == allEvents(store).map { "\($0)" })
        try copy.appendEvents([AppendedEvent(dataset: "d1", at: 1_700_000_001, op: .write, bytes: 3)], source: "only the copy")
        #expect(try allEvents(copy).count == allEvents(store).count + 1)
        // Copying again over an existing file replaces it.
        let again = try store.copy(to: dir.file("copy.sqlite"))
        #expect(try allEvents(again).count == allEvents(store).count)
    }
}
