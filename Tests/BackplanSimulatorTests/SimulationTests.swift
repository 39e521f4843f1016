import BackplanCore
import BackplanPlanner
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

@Suite("What-if simulation")
struct SimulationTests {
    static let policyFile = Checkout.root.appendingPathComponent("datasets/policies/messaging.yaml").path
    static let pricesFile = Checkout.root.appendingPathComponent("datasets/pricing/aws-s3.yaml").path

    /// A simulation over synthetic write logs with the example policy and the S3 catalog.
    static func simulation(_ writes: [(String, [Int64])], failures: [Scenario.Failure], runs: Int = 30, seed: UInt64 = 1,
                           retentionSeconds: Double = 30 * 86_400) throws -> Simulation {
        let policy = try Policy.load(policyFile)
        let catalog = try PriceCatalog.load(pricesFile)
        let log = WriteLog(writes.map { (name: $0.0, times: $0.1) })
        let frontier = try Frontier(log: log, split: 0.5)
        let c = try #require(policy.policy(forClass: "group")?.policy)
        let datasets = log.names.map {
            SimulatedDataset(name: $0, classPolicy: c, sizeBytes: 1_073_741_824, bytesPerWrite: 1_000, bytesPerRead: 1_000,
                             retentionSeconds: retentionSeconds)
        }
        let scenario = Scenario(file: "test.yaml", split: 0.5, failures: failures, accessShift: nil, priceChange: nil)
        return Simulation(frontier: frontier, datasets: datasets, reads: WriteLog([]), model: CostModel(policy: policy, catalog: catalog),
                          scenario: scenario, runs: runs, seed: seed)
    }

    /// 20 datasets writing at random over 200 days.
    static func randomWrites(seed: UInt64) -> [(String, [Int64])] {
        var rng = SplitMix64(seed: seed)
        return (0..<20).map { d in ("d\(d)", (0..<300).map { _ in Int64(rng.next() % (200 * 86_400)) }) }
    }

    static let disk = Scenario.Failure(name: "disk", scope: .dataset, mtbfSeconds: 5 * 86_400, discoverySeconds: 0, regions: 1)

    @Test("Fixed policy exposure matches the frontier") func fixedPolicyExposureMatchesTheFrontier() throws {
        let sim = try Self.simulation(Self.randomWrites(seed: 3), failures: [Self.disk])
        for seconds: Int64 in [3_600, 86_400] {
            let r = sim.run(.fixed(seconds: seconds))
            let f = sim.frontier.fixed(periodSeconds: seconds)
            #expect(r.backups == f.ops && abs(r.exposureHours - f.exposureHours) < 1e-9, "\(seconds) s")
        }
        let cron = sim.run(.cronDaily), frontierCron = sim.frontier.cronDaily()
        #expect(cron.backups == frontierCron.ops && abs(cron.exposureHours - frontierCron.exposureHours) < 1e-9)
        let (oracle, lambda) = sim.frontier.oracleWithPrice(budget: frontierCron.ops)
        let r = sim.run(.oracle, oracleLambda: lambda)
        #expect(r.backups == oracle.ops && abs(r.exposureHours - oracle.exposureHours) < 1e-9)
    }

    @Test("The same seed gives the same results, another seed other failures") func sameSeedSameResultsOtherSeedOtherFailures() throws {
        let writes = Self.randomWrites(seed: 4)
        let a = try Self.simulation(writes, failures: [Self.disk], seed: 7).run(.fixed(seconds: 86_400))
        let b = try Self.simulation(writes, failures: [Self.disk], seed: 7).run(.fixed(seconds: 86_400))
        #expect(a == b)
        let c = try Self.simulation(writes, failures: [Self.disk], seed: 8).run(.fixed(seconds: 86_400))
        #expect(a.messagesLost != c.messagesLost)
        #expect(a.messagesLost.p5 <= a.messagesLost.mean && a.messagesLost.mean <= a.messagesLost.p95)
    }

    @Test("Every policy meets the same failures, so more backups lose less") func everyPolicyMeetsTheSameFailuresSoMoreBackupsLoseLess() throws {
        let sim = try Self.simulation(Self.randomWrites(seed: 5), failures: [Self.disk], runs: 50)
        let hourly = sim.run(.fixed(seconds: 3_600)), daily = sim.run(.fixed(seconds: 86_400)), weekly = sim.run(.fixed(seconds: 604_800))
        #expect(hourly.restores == daily.restores && daily.restores == weekly.restores && hourly.restores > 0)
        #expect(hourly.messagesLost.mean <= daily.messagesLost.mean && daily.messagesLost.mean <= weekly.messagesLost.mean)
        #expect(hourly.cost.operations > daily.cost.operations)
    }

    @Test("Losses match a hand count") func lossesByHand() {
        // Backups at 10 and 20; writes at 5, 12, 15, 25.
        let writes: [Int64] = [5, 12, 15, 25]
        #expect(Simulation.lastBefore([10, 20], 15, strictly: false) == 10)
        #expect(Simulation.lastBefore([10, 20], 20, strictly: false) == 20)
        #expect(Simulation.lastBefore([10, 20], 20, strictly: true) == 10)
        #expect(Simulation.lastBefore([10, 20], 5, strictly: false) == nil)
        // A disk failure at 18 loses the writes after the backup at 10: 12 and 15.
        #expect(Simulation.count(writes[...], after: 10, upTo: 18) == 2)
        #expect(Simulation.count(writes[...], after: -.infinity, upTo: 100) == 4)
    }

    @Test("Corruption needs retention that reaches back") func corruptionNeedsRetentionThatReachesBack() throws {
        let corruption = Scenario.Failure(name: "corruption", scope: .dataset, mtbfSeconds: 10 * 86_400, discoverySeconds: 20 * 86_400, regions: 1)
        let writes = Self.randomWrites(seed: 6)
        let long = try Self.simulation(writes, failures: [corruption], retentionSeconds: 60 * 86_400).run(.fixed(seconds: 86_400))
        let short = try Self.simulation(writes, failures: [corruption], retentionSeconds: 7 * 86_400).run(.fixed(seconds: 86_400))
        #expect(long.restores == short.restores && long.restores > 0)
        #expect(short.messagesLost.mean > long.messagesLost.mean, "retention shorter than discovery loses whole histories")
    }

    @Test("Region failures strike every dataset together") func regionFailuresStrikeTogether() throws {
        let region = Scenario.Failure(name: "region", scope: .region, mtbfSeconds: 20 * 86_400, discoverySeconds: 0, regions: 2)
        let r = try Self.simulation(Self.randomWrites(seed: 7), failures: [region], runs: 40).run(.fixed(seconds: 86_400))
        // 20 datasets over 2 regions: restores come in region-sized groups, so never fewer than one region's worth.
        #expect(r.restores > 0)
    }

    @Test("The scenario files load and bad ones name the key") func scenarioFilesLoadAndBadOnesNameTheKey() throws {
        let dir = Checkout.root.appendingPathComponent("datasets/scenarios").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 4)
        for n in names { _ = try Scenario.load(dir + "/" + n) }
        let tmp = TempDir()
        let cases: [(String, String)] = [
            ("failures:\n  disk: { mtbf: soon }\n", "mtbf"),
            ("failures:\n  disk: { mtbf: 3y, mtbff: 2y }\n", "mtbff"),
            ("split: 1.5\nfailures:\n  disk: { mtbf: 3y }\n", "split"),
            ("failures:\n  region: { mtbf: 3y }\n", "regions"),
            ("failures:\n  disk: { mtbf: 3y }\naccessShift: { datasets: 2, writesFactor: 3, at: 0.5 }\n", "datasets"),
            ("nothing: here\n", "failures"),
        ]
        for (i, (text, key)) in cases.enumerated() {
            let file = tmp.write("s\(i).yaml", text)
            #expect {
                _ = try Scenario.load(file)
            } throws: { error in
                let e = error as? InputError
                return e?.file == file && "\(error)".contains(key)
            }
        }
    }
}
