import BackplanCore
import BackplanPlanner
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

/// `simulate` bills by the planner's rules (``Billing``), at the sizes datasets had at each moment.
@Suite("What-if simulation: billing")
struct SimulationBillingTests {
    static let day = 86_400.0
    static let mib = 1_048_576.0
    static let gib = 1_073_741_824.0

    /// One class ("group") of the example policy, the S3 catalog, a write log with bytes and a read log.
    static func simulation(_ writes: [(String, [(Int64, Int64)])], reads: [(String, [Int64])] = []) throws -> Simulation {
        let policy = try Policy.load(SimulationTests.policyFile)
        let catalog = try PriceCatalog.load(SimulationTests.pricesFile)
        var names: [String] = [], offsets = [0], times: [Int64] = [], bytes: [Int64] = []
        for (name, w) in writes {
            names.append(name)
            for (t, b) in w.sorted(by: { $0.0 < $1.0 }) { times.append(t); bytes.append(b) }
            offsets.append(times.count)
        }
        let log = WriteLog(names: names, offsets: offsets, times: times, bytes: bytes)
        let frontier = try Frontier(log: log, split: 0.5)
        let c = try #require(policy.policy(forClass: "group")?.policy)
        let datasets = log.names.enumerated().map { d, name in
            let w = log.offsets[d]..<log.offsets[d + 1]
            return SimulatedDataset(name: name, classPolicy: c, sizeBytes: 0,
                                    bytesPerWrite: Double(log.bytes[w].reduce(0, +)) / Double(w.count), bytesPerRead: 4_096,
                                    retentionSeconds: 30 * day)
        }
        let scenario = Scenario(file: "test.yaml", split: 0.5, failures: [], accessShift: nil, priceChange: nil)
        return Simulation(frontier: frontier, datasets: datasets, reads: WriteLog(reads), model: CostModel(policy: policy, catalog: catalog),
                          scenario: scenario, runs: 1, seed: 1)
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 + 1e-9 * abs(b) }

    @Test("Live data is billed at the size it had each day (the bytes written so far), not at the store's end size")
    func sizesReplayAsTheyWere() throws {
        // Writes of 1 GiB every 10 days and 3 h, days 0 … 100; the window is the second half.
        let writes = (0...10).map { k in (Int64(Double(k) * 10 * Self.day + (k == 10 ? 0 : 10_800)), Int64(Self.gib)) }
        let sim = try Self.simulation([("a", writes)])
        let r = sim.run(.allHot)
        var expected = 0.0
        var t = sim.frontier.cut
        while t < Double(sim.frontier.t1) {
            let size = writes.filter { Double($0.0) <= t }.reduce(0.0) { $0 + Double($1.1) }
            expected += size / Self.gib * 0.023 * min(Self.day, Double(sim.frontier.t1) - t) / (730 * 3_600)
            t += Self.day
        }
        #expect(Self.close(r.cost.liveStorage, expected), "\(r.cost.liveStorage) vs \(expected)")
        // The end size (11 GiB) over the whole window would be more.
        #expect(r.cost.liveStorage < 11 * 0.023 * (Double(sim.frontier.t1) - sim.frontier.cut) / (730 * 3_600) * 0.9)
    }

    @Test("S3 request pricing: each read of live data is a GET and each write a PUT, the window's and no others")
    func liveRequestsAreBilled() throws {
        let writes: [(Int64, Int64)] = (0...100).map { (Int64($0) * 86_400, 1_000) }
        let reads: [Int64] = (0..<200).map { Int64($0) * 43_200 + 7 }
        let sim = try Self.simulation([("a", writes)], reads: [("a", reads)])
        let r = sim.run(.allHot)
        let cut = sim.frontier.cut, end = Double(sim.frontier.t1)
        let w = writes.filter { Double($0.0) >= cut && Double($0.0) <= end }.count
        let n = reads.filter { Double($0) >= cut && Double($0) <= end }.count
        #expect(w == 51 && n > 0)
        let requests: Double = (Double(w) * 0.005 + Double(n) * 0.0004) / 1_000
        #expect(Self.close(r.cost.liveRequests, requests), "\(r.cost.liveRequests)")
        #expect(r.cost.liveRetrieval == 0, "Standard has no retrieval fee")
    }

    @Test("S3 lifecycle: a move to Standard-IA costs a transition request per object; back to Standard after 10 days, the 20 days left, Standard's requests and retrieval")
    func tierMovesAreCharged() throws {
        // Ten 1 MiB writes long before the window, then quiet; a second dataset ends the log at day 100.
        let a: [(Int64, Int64)] = (0..<10).map { (Int64($0) * 3_600, Int64(Self.mib)) }
        let sim = try Self.simulation([("a", a), ("z", [(0, 1), (Int64(100 * Self.day), 1)])])
        let cut = sim.frontier.cut
        // Standard-IA from the cut, back to Standard 10 days later.
        let schedule = ReplanSchedule(starts: [cut, cut + 10 * Self.day], intervals: [[86_400, 86_400], [86_400, 86_400]],
                                      backupTiers: [[0, 0], [0, 0]], dataTiers: [[1, 0], [0, 0]])
        let r = sim.run(.replanned(cadenceSeconds: 864_000), schedule: schedule)
        let hot = sim.run(.allHot)
        let gib: Double = 10 * Self.mib / Self.gib
        let transitions: Double = 10 * 0.01 / 1_000 + 10 * 0.005 / 1_000
        let early: Double = gib * 0.0125 * 20 * Self.day / (730 * 3_600)
        let retrieval: Double = gib * 0.01
        #expect(Self.close(r.cost.transitions, transitions), "\(r.cost.transitions)")
        #expect(Self.close(r.cost.earlyDeletion, early), "\(r.cost.earlyDeletion)")
        #expect(Self.close(r.cost.liveRetrieval, retrieval), "\(r.cost.liveRetrieval)")
        #expect(hot.cost.transitions == 0 && hot.cost.earlyDeletion == 0)
    }

    @Test("S3 Intelligent-Tiering: objects under 128 KB stay at the Frequent Access rate without a fee; larger idle ones move and pay $0.0025 per 1,000")
    func intelligentTieringObjectsAndFee() throws {
        let end: (String, [(Int64, Int64)]) = ("z", [(0, 1), (Int64(200 * Self.day), 1)])
        func dataset(_ bytes: Double) -> (String, [(Int64, Int64)]) { ("a", (0..<1_000).map { (Int64($0) * 60, Int64(bytes)) }) }
        let small = try Self.simulation([dataset(4_096), end])
        let it = small.run(.intelligentTiering), hot = small.run(.allHot)
        #expect(it.cost.monitoring == 0 && Self.close(it.cost.liveStorage, hot.cost.liveStorage))
        let large = try Self.simulation([dataset(Self.mib), end])
        let itLarge = large.run(.intelligentTiering), hotLarge = large.run(.allHot)
        // The window is days 100 … 200: idle past 90 days all the way, Archive Instant Access (Glacier IR's rate).
        let months: Double = 100 * Self.day / (730 * 3_600)
        let fee: Double = 1_000 * 0.0025 / 1_000 * months
        // 1,000 MiB at Glacier IR's rate, and the end dataset's byte at Standard's (too small to tier).
        let storage: Double = (1_000 * Self.mib * 0.004 + 1 * 0.023) / Self.gib * months
        #expect(hotLarge.cost.liveStorage > storage * 5)
        #expect(Self.close(itLarge.cost.monitoring, fee), "\(itLarge.cost.monitoring)")
        #expect(Self.close(itLarge.cost.liveStorage, storage), "\(itLarge.cost.liveStorage)")
    }

    @Test("The cost table names every component with what it bills and leaves out, and the components add up to the total")
    func componentsAddUp() throws {
        let sim = try Self.simulation([("a", (0...100).map { (Int64($0) * 86_400, 2_000) })], reads: [("a", (0..<50).map { Int64($0) * 170_000 })])
        let r = sim.run(.cronDaily)
        let names = PolicyResult.Cost.components.map(\.name)
        #expect(Set(names).count == names.count && names.count == 11)
        #expect(PolicyResult.Cost.components.allSatisfy { !$0.bills.isEmpty && !$0.leavesOut.isEmpty })
        let sum = names.reduce(0.0) { $0 + r.cost.value(of: $1) }
        #expect(Self.close(sum, r.cost.total) && r.cost.total > 0)
        #expect(Self.close(r.cost.storage + r.cost.operations + r.cost.retrieval + r.cost.loss + r.cost.downtime, r.cost.total))
        let data = try JSONEncoder().encode(r.cost)
        #expect(try JSONDecoder().decode(PolicyResult.Cost.self, from: data) == r.cost)
    }
}
