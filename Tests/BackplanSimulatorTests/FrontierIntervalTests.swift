import BackplanCore
import Foundation
import Testing
@testable import BackplanSimulator

/// The paired bootstrap over datasets of the online policy's exposure over cron-daily's (issue 14 item 5).
@Suite("Exposure ratio intervals")
struct FrontierIntervalTests {
    @Test("The bootstrap: the point ratio of sums, an interval around it, seeded, degenerate when every dataset agrees")
    func bootstrap() {
        let i = ExposureRatioInterval(policy: [3, 1, 2, 8, 0], reference: [6, 2, 2, 9, 1], replicates: 500, seed: 3)
        #expect(abs(i.ratio - 14.0 / 20.0) < 1e-12)
        #expect(i.low <= i.ratio && i.ratio <= i.high && i.low < i.high)
        #expect(i == ExposureRatioInterval(policy: [3, 1, 2, 8, 0], reference: [6, 2, 2, 9, 1], replicates: 500, seed: 3))
        #expect(i != ExposureRatioInterval(policy: [3, 1, 2, 8, 0], reference: [6, 2, 2, 9, 1], replicates: 500, seed: 4))
        // Every dataset at half its reference: every draw gives 0.5.
        let half = ExposureRatioInterval(policy: [1, 2, 3], reference: [2, 4, 6])
        #expect(abs(half.low - 0.5) < 1e-12 && abs(half.high - 0.5) < 1e-12)
        // Paired: a policy equal to its reference is exactly 1 on every draw.
        let same = ExposureRatioInterval(policy: [5, 0, 7], reference: [5, 0, 7])
        #expect(same.low == 1 && same.high == 1 && same.ratio == 1)
    }

    @Test("frontier's online policy carries its ratio to cron-daily and the interval; per-dataset sums match the totals",
          arguments: [3, 11] as [UInt64])
    func reportCarriesTheInterval(seed: UInt64) throws {
        let f = try Frontier(log: WriteLog(OnlinePolicyTests.synthetic(seed: seed)), split: 0.6)
        let report = f.report()
        let cron = try #require(report.policies.first { $0.name == "cron-daily" })
        let online = try #require(report.policies.first { $0.name == "online" })
        let ratio = try #require(online.exposureRatio), low = try #require(online.exposureRatioLow)
        let high = try #require(online.exposureRatioHigh)
        #expect(abs(ratio - online.exposureHours / cron.exposureHours) < 1e-9 * ratio)
        #expect(low <= ratio && ratio <= high && high - low > 0, "\(low) \(ratio) \(high)")
        #expect(report.policies.filter { $0.name != "online" }.allSatisfy { $0.exposureRatio == nil && $0.exposureRatioLow == nil })
        // The per-dataset exposures the bootstrap resamples add up to the reported means.
        let periodic = f.periodicRun(anchor: Double(f.bestDailyPhase()), periodSeconds: 86_400)
        #expect(periodic.ops == cron.ops)
        #expect(abs(periodic.exposureSeconds.reduce(0, +) / Double(f.testWriteCount) / 3_600 - cron.exposureHours) < 1e-9 * cron.exposureHours)
        let run = f.onlineRun(budget: cron.ops, parameters: report.onlineVariant.parameters(shrinkage: report.onlineShrinkage ?? 20))
        #expect(abs(run.exposureByDataset.reduce(0, +) - run.exposureSeconds) < 1e-6 * run.exposureSeconds)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let policies = try #require(json?["policies"] as? [[String: Any]])
        #expect(policies[2]["exposureRatioLow"] is NSNumber && policies[1]["exposureRatioLow"] == nil)
    }
}
