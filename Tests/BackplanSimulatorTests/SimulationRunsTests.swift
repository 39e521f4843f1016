import BackplanCore
import Foundation
import Testing
@testable import BackplanSimulator

/// The per-run dollars, their bands, the cost series and each dataset's share (`simulate --json`).
@Suite("What-if simulation: dollars per run, bands, series, per-dataset shares")
struct SimulationRunsTests {
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 + 1e-9 * abs(b) }

    @Test("Percentiles interpolate linearly between closest ranks (hand-computed)")
    func percentiles() {
        let x: [Double] = [10, 1, 4, 2, 3]   // sorted: 1, 2, 3, 4, 10
        #expect(Self.close(Percentile.of(x, 0.95), 8.8), "h = 4 × 0.95 = 3.8: 4 + 0.8 × (10 − 4)")
        #expect(Self.close(Percentile.of(x, 0.05), 1.2), "h = 0.2: 1 + 0.2 × (2 − 1)")
        #expect(Percentile.of(x, 0.5) == 3 && Percentile.of(x, 0) == 1 && Percentile.of(x, 1) == 10)
        #expect(Self.close(Percentile.of([0, 0, 0, 100], 0.95), 85), "h = 2.85: 0 + 0.85 × 100")
        #expect(Percentile.of([7], 0.05) == 7 && Percentile.of([], 0.5) == 0)
        let b = PolicyResult.Band(x)
        #expect(b.mean == 4 && Self.close(b.p5, 1.2) && b.p50 == 3 && Self.close(b.p95, 8.8))
    }

    @Test("Each run's dollars are the billed dollars plus its failures'; their mean is the mean cost; loss likewise")
    func perRunDollars() throws {
        let sim = try SimulationTests.simulation(SimulationTests.randomWrites(seed: 3), failures: [SimulationTests.disk], runs: 40)
        let r = sim.run(.fixed(seconds: 86_400))
        #expect(r.costPerRun.count == 40 && r.lossPerRun.count == 40)
        #expect(Set(r.lossPerRun).count > 1, "failures differ between runs")
        let billed = r.cost.liveData + r.cost.backupStorage + r.cost.backupRequests
        #expect(r.costPerRun.allSatisfy { $0 >= billed - 1e-9 })
        #expect(Self.close(r.costPerRun.reduce(0, +) / 40, r.cost.total))
        #expect(Self.close(r.lossPerRun.reduce(0, +) / 40, r.cost.loss))
        #expect(r.costBand == PolicyResult.Band(r.costPerRun) && r.lossBand == PolicyResult.Band(r.lossPerRun))
        #expect(r.costBand.p5 <= r.costBand.p50 && r.costBand.p50 <= r.costBand.p95 && r.costBand.p5 < r.costBand.p95)
        // Runs whose losses differ differ in cost by at least as much (downtime and restores add, never subtract).
        let i = try #require(r.lossPerRun.indices.max { r.lossPerRun[$0] < r.lossPerRun[$1] })
        let j = try #require(r.lossPerRun.indices.min { r.lossPerRun[$0] < r.lossPerRun[$1] })
        #expect(r.costPerRun[i] - r.costPerRun[j] >= r.lossPerRun[i] - r.lossPerRun[j] - 1e-9)
    }

    @Test("The series is cumulative, one point a day, ends at the window's end with the window's dollars by component")
    func series() throws {
        let sim = try SimulationTests.simulation(SimulationTests.randomWrites(seed: 4), failures: [SimulationTests.disk], runs: 10)
        let r = sim.run(.cronDaily)
        let s = r.series
        let days = Int(((Double(sim.frontier.t1) - sim.frontier.cut) / 86_400).rounded(.up))
        #expect(s.stepSeconds == 86_400 && s.times.count == days)
        #expect(s.times.last == sim.frontier.t1)
        #expect(zip(s.times, s.times.dropFirst()).allSatisfy { $1 - $0 <= 86_400 && $1 > $0 })
        for a in [s.storage, s.operations, s.retrieval, s.loss, s.downtime, s.total] {
            #expect(zip(a, a.dropFirst()).allSatisfy { $0 <= $1 + 1e-12 }, "cumulative dollars never fall")
        }
        #expect(Self.close(s.storage.last ?? 0, r.cost.storage) && Self.close(s.operations.last ?? 0, r.cost.operations))
        #expect(Self.close(s.retrieval.last ?? 0, r.cost.retrieval) && Self.close(s.loss.last ?? 0, r.cost.loss))
        #expect(Self.close(s.downtime.last ?? 0, r.cost.downtime) && Self.close(s.total.last ?? 0, r.cost.total))
        #expect((s.storage.first ?? 0) < (s.storage.last ?? 0) / 2, "storage accrues over the window")
    }

    @Test("A window over 180 days is drawn in weeks")
    func weeklySteps() {
        let days = (0..<200).map { _ in var c = PolicyResult.Cost(); c.liveStorage = 1; return c }
        let s = PolicyResult.Series(days: days, start: 0, end: 200 * 86_400 - 3_600)
        #expect(s.stepSeconds == 604_800 && s.times.count == 29)
        #expect(s.storage[0] == 7 && s.storage.last == 200 && s.times.last == 200 * 86_400 - 3_600 && s.times[0] == 7 * 86_400)
    }

    @Test("Past 1,000 runs the per-dataset failure lists cover the first 1,000; every run's dollars are still written")
    func datasetRunsAreBounded() throws {
        let sim = try SimulationTests.simulation(SimulationTests.randomWrites(seed: 6), failures: [SimulationTests.disk], runs: 1_010)
        let r = sim.run(.fixed(seconds: 86_400))
        #expect(r.costPerRun.count == 1_010 && r.datasetRuns == Simulation.datasetRunsLimit && Simulation.datasetRunsLimit == 1_000)
        #expect(r.datasets.allSatisfy { $0.failureRuns.allSatisfy { $0 < 1_000 } })
        #expect(r.datasets.contains { $0.failureRuns.last == 999 }, "the lists do reach the limit")
        #expect(Self.close(r.datasets.reduce(0) { $0 + $1.loss }, r.cost.loss), "the means are over every run")
    }

    @Test("Each dataset's share: billed dollars and failures per run add up to the policy's figures")
    func datasetShares() throws {
        let sim = try SimulationTests.simulation(SimulationTests.randomWrites(seed: 5), failures: [SimulationTests.disk], runs: 12)
        let r = sim.run(.fixed(seconds: 3_600))
        #expect(r.datasets.map(\.name) == sim.frontier.log.names && r.datasetRuns == 12)
        let spend = r.datasets.reduce(0) { $0 + $1.spend }
        #expect(Self.close(spend, r.cost.storage + r.cost.operations + r.cost.liveRetrieval))
        #expect(Self.close(r.datasets.reduce(0) { $0 + $1.loss }, r.cost.loss))
        #expect(Self.close(r.datasets.reduce(0) { $0 + $1.restoreRetrieval }, r.cost.restoreRetrieval))
        var perRun = [Double](repeating: spend, count: 12), lossPerRun = [Double](repeating: 0, count: 12)
        for d in r.datasets {
            #expect(d.failureRuns == d.failureRuns.sorted() && Set(d.failureRuns).count == d.failureRuns.count)
            for (k, run) in d.failureRuns.enumerated() {
                perRun[run] += d.failureDollars[k]
                lossPerRun[run] += d.failureLoss[k]
            }
        }
        for k in 0..<12 {
            #expect(Self.close(perRun[k], r.costPerRun[k]) && Self.close(lossPerRun[k], r.lossPerRun[k]), "run \(k)")
        }
    }
}
