import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanStore

/// The reads other modules make of a store, through `StatsStore+Queries.swift`, on a store small enough to
/// check by hand.
@Suite("Stats store queries other modules use")
struct QueryTests {
    static func store(_ dir: TempDir) throws -> StatsStore {
        let path = dir.write("msgs.txt", """
            1 2 1082040961
            3 4 1082155839
            5 2 1082414391

            """)
        return try ingest(path, options(.snapTemporal), into: dir).0
    }

    @Test("Event span, classes before a cutoff, and the content summary")
    func spanClassesAndContent() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let span = try #require(try store.eventSpan())
        #expect(span.first == 1_082_040_961 && span.last == 1_082_414_391)
        #expect(try store.classes(before: 1_082_040_961).isEmpty)
        #expect(try store.classes(before: 1_082_040_962) == ["mailbox"])
        let content = try store.contentSummary()
        #expect(content.events == 3)
        #expect(content.sources.count == 1 && content.sources[0].format == "snap-temporal" && content.sources[0].events == 3)
        #expect(content.sources[0].sha256 == (try sha256(ofFile: dir.file("msgs.txt"))))
        let empty = try StatsStore.open(path: dir.file("empty.sqlite"), create: true)
        #expect(try empty.eventSpan() == nil)
    }

    @Test("Datasets and their events before a cutoff, in key order")
    func datasetsAndEvents() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let (names, events) = try store.withDatasetsAndEvents(before: 1_082_414_391) { datasets, stream in
            var events: [StatsStore.StoredEvent] = []
            while let e = try stream.next() { events.append(e) }
            return (datasets.map(\.name), events)
        }
        #expect(names == ["2", "4"])
        #expect(events.map(\.at) == [1_082_040_961, 1_082_155_839], "the cutoff itself is excluded")
        #expect(events.allSatisfy { $0.op == 1 })
    }

    @Test("Per-dataset activity from the whole hours before a cutoff")
    func activity() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let all = try store.datasetActivity(before: 1_082_414_391 + 3_600)
        #expect(all["2"]?.writes == 2 && all["4"]?.writes == 1)
        #expect(all["2"]?.dataClass == "mailbox")
        let early = try store.datasetActivity(before: 1_082_040_961)
        #expect(early["2"]?.writes == 0, "no whole hour has ended yet")
    }
}
