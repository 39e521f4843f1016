import BackplanCore
import BackplanPlanner
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

@Suite("Tier frontier on held-out time")
struct TierFrontierTests {
    static let day = 86_400.0
    static let mib = 1_048_576.0
    static let gib = 1_073_741_824.0
    static let month = 730 * 3_600.0

    static func log(_ writes: [(String, [(Int64, Int64)])]) -> WriteLog {
        var names: [String] = [], offsets = [0], times: [Int64] = [], bytes: [Int64] = []
        for (name, w) in writes {
            names.append(name)
            for (t, b) in w.sorted(by: { $0.0 < $1.0 }) { times.append(t); bytes.append(b) }
            offsets.append(times.count)
        }
        return WriteLog(names: names, offsets: offsets, times: times, bytes: bytes)
    }

    static func catalog() throws -> PriceCatalog { try PriceCatalog.load(SimulationTests.pricesFile) }

    /// A dataset with random bursts of 1 MiB writes and reads over `days` from 2024-01-01 (so the window
    /// crosses calendar months), and a second dataset that only sets the log's end.
    static func random(seed: UInt64, days: Int = 240) -> (WriteLog, WriteLog) {
        var rng = SplitMix64(seed: seed)
        let t0: Int64 = 1_704_067_200
        var w: [(Int64, Int64)] = [], r: [Int64] = []
        for d in 0..<days where rng.next() % 4 == 0 {
            for _ in 0..<(1 + Int(rng.next() % 20)) { w.append((t0 + Int64(d) * 86_400 + Int64(rng.next() % 86_400), Int64(Self.mib) * Int64(1 + rng.next() % 4))) }
            if rng.next() % 3 == 0 { for _ in 0..<Int(rng.next() % 200) { r.append(t0 + Int64(d) * 86_400 + Int64(rng.next() % 86_400)) } }
        }
        return (log([("a", w), ("z", [(t0, 1), (t0 + Int64(days) * 86_400, 1)])]), WriteLog([(name: "a", times: r)]))
    }

    @Test("The per-month hindsight oracle equals brute force over every tier sequence", arguments: 1...6 as ClosedRange<UInt64>)
    func bestMonthlyIsBruteForce(seed: UInt64) throws {
        let (writes, reads) = Self.random(seed: seed)
        let tf = TierFrontier(frontier: try Frontier(log: writes, split: 0.6), reads: reads, bytesPerRead: ["a": 3 * Self.mib],
                              catalog: try Self.catalog())
        let months = tf.segments().count
        #expect(months >= 4 && tf.onlineTiers.count == 3)
        var best = Double.infinity
        var sequence = [Int](repeating: 0, count: months)
        func enumerate(_ m: Int) {
            if m == months { best = min(best, tf.sequence(0, tiers: sequence).total); return }
            for t in tf.onlineTiers { sequence[m] = t; enumerate(m + 1) }
        }
        enumerate(0)
        let (bill, tiers) = tf.bestMonthly(0)
        #expect(abs(bill.total - best) <= 1e-12 * best, "seed \(seed): DP \(bill.total), brute force \(best)")
        #expect(abs(tf.sequence(0, tiers: tiers).total - bill.total) <= 1e-12 * best, "the chosen path bills as the DP says")
        // It is never above the best single tier nor all-hot.
        let single = tf.onlineTiers.map { tf.fixed(0, tier: $0).total }.min() ?? 0
        #expect(bill.total <= single * (1 + 1e-12))
    }

    @Test("Every policy's bill on a hand-computed case: 100 objects of 1 MiB written long before the window, never read")
    func policiesByHand() throws {
        let t0: Int64 = 1_704_067_200
        let a: [(Int64, Int64)] = (0..<100).map { (t0 + Int64($0) * 60, Int64(Self.mib)) }
        let writes = Self.log([("a", a), ("z", [(t0, 1), (t0 + 250 * 86_400, 1)])])
        let tf = TierFrontier(frontier: try Frontier(log: writes, split: 0.6), reads: WriteLog([]), bytesPerRead: [:], catalog: try Self.catalog())
        let months = (tf.end - tf.start) / Self.month
        let gib = 100 * Self.mib / Self.gib
        let rows = Dictionary(uniqueKeysWithValues: tf.report(planTiers: ["a": 1]).map { ($0.policy, $0) })
        // The dataset "z" holds 1-byte objects: billed at Standard in every policy but where noted; its share is tiny.
        // z's one byte on Standard, and the PUT of its write at the window's end.
        let z: Double = 1 / Self.gib * 0.023 * months + 0.005 / 1_000
        func total(_ policy: String) -> Double { rows[policy]?.total ?? -1 }
        let hot: Double = gib * 0.023 * months + z
        #expect(abs(total("all-hot") - hot) < 1e-9)
        // Standard-IA for the window: its storage and 100 transition requests at $0.01 per 1,000.
        let ia: Double = gib * 0.0125 * months + 100 * 0.01 / 1_000 + z
        #expect(abs(total("backplan") - ia) < 1e-9)
        // Glacier IR is cheapest for idle data: its storage and 100 transitions at $0.02 per 1,000.
        let gir: Double = gib * 0.004 * months + 100 * 0.02 / 1_000 + z
        #expect(abs(total("best-single-tier") - gir) < 1e-9)
        #expect(abs(total("best-monthly") - gir) < 1e-9)
        // Intelligent-Tiering: idle past 90 days all window, Archive Instant Access (Glacier IR's rate) and the fee.
        let it: Double = gib * 0.004 * months + 100 * 0.0025 / 1_000 * months + z
        #expect(abs(total("intelligent-tiering") - it) < 1e-9)
        // Lifecycle by age: every object older than 90 days at the cut, already on Glacier IR, no move in the window.
        let lifecycle: Double = gib * 0.004 * months + z
        #expect(abs(total("lifecycle-by-age") - lifecycle) < 1e-9)
    }

    @Test("simulate's live-data bill matches tiers' on the same window (all-hot and intelligent-tiering)", arguments: [UInt64(7), 8])
    func simulateMatchesTiers(seed: UInt64) throws {
        let (writes, reads) = Self.random(seed: seed)
        let catalog = try Self.catalog()
        let policy = try Policy.load(SimulationTests.policyFile)
        let frontier = try Frontier(log: writes, split: 0.6)
        let c = try #require(policy.policy(forClass: "group")?.policy)
        let datasets = writes.names.map { SimulatedDataset(name: $0, classPolicy: c, sizeBytes: 0, bytesPerWrite: Self.mib, bytesPerRead: 3 * Self.mib,
                                                           retentionSeconds: 30 * Self.day) }
        let scenario = Scenario(file: "t.yaml", split: 0.6, failures: [], accessShift: nil, priceChange: nil)
        let sim = Simulation(frontier: frontier, datasets: datasets, reads: reads, model: CostModel(policy: policy, catalog: catalog),
                             scenario: scenario, runs: 1, seed: 1)
        let tf = TierFrontier(frontier: frontier, reads: reads, bytesPerRead: ["a": 3 * Self.mib, "z": 3 * Self.mib], catalog: catalog)
        let rows = Dictionary(uniqueKeysWithValues: tf.report(planTiers: nil).map { ($0.policy, $0.total) })
        for (policy, name) in [(SimulatedPolicy.allHot, "all-hot"), (.intelligentTiering, "intelligent-tiering")] {
            let live = sim.run(policy).cost.liveData
            let expected = try #require(rows[name])
            #expect(abs(live - expected) <= 1e-12 * max(1, expected), "\(name): simulate \(live), tiers \(expected)")
        }
    }
}
