import BackplanCore
import Foundation
import Testing
@testable import BackplanSimulator

/// The `personal` variants of the online policy (issue 14 item 4): each dataset's own time-of-day × weekday curves
/// shrunk toward the pooled cells, κ chosen on the inner split.
@Suite("The online policy with per-dataset cells")
struct PersonalVariantTests {
    static func personal(_ kappa: Double, sends: Bool = false) -> OnlineParameters {
        (sends ? OnlineVariant.personalSends : .personal).parameters(shrinkage: kappa)
    }

    @Test("Personal cells: 6-hour slot of the UTC day × weekday/weekend")
    func cells() {
        #expect(PersonalGapModel.cell(at: 0) == 0)                              // Thursday 1970-01-01 00:00
        #expect(PersonalGapModel.cell(at: 2 * 86_400 + 7 * 3_600) == 3)         // Saturday 07:00: slot 1, weekend
        #expect(PersonalGapModel.cell(at: 3 * 86_400 + 23 * 3_600) == 7)        // Sunday 23:00
        #expect(PersonalGapModel.cell(at: 4 * 86_400 + 12 * 3_600) == 4)        // Monday 12:00
        #expect(PersonalGapModel.cell(at: 1 * 86_400 + 18 * 3_600) == 6)        // Friday 18:00: a weekday
        #expect(PersonalGapModel.cell(at: -86_400 + 3_600) == 0)                // Wednesday 1969-12-31 01:00
    }

    @Test("κ = ∞ is the pooled policy exactly; a huge κ is too; a small κ changes the decisions", arguments: [2, 7] as [UInt64])
    func shrinkageToPooled(seed: UInt64) throws {
        let f = try Frontier(log: WriteLog(OnlinePolicyTests.synthetic(seed: seed)), split: 0.5)
        let budget = f.cronDaily().ops
        let pooled = f.onlineRun(budget: budget)
        let infinite = f.onlineRun(budget: budget, parameters: Self.personal(.infinity))
        #expect(infinite.backups == pooled.backups && infinite.exposureSeconds == pooled.exposureSeconds)
        let huge = f.onlineRun(budget: budget, parameters: Self.personal(1e15))
        #expect(huge.backups == pooled.backups)
        let small = f.onlineRun(budget: budget, parameters: Self.personal(1))
        #expect(small.backups != pooled.backups, "with κ = 1 a dataset's own gaps must move some deadline")
        // κ = 1 is far outside the candidates (5, 20, 80): its pacing is looser (seed 7 made 1,384 backups for a
        // budget of 1,369, +1.1%, on a CI machine); the ±1% of the chosen variants is checked in OnlineSendsTests.
        #expect(Double(small.ops) <= Double(budget) * 1.02)
    }

    @Test("No look-ahead: changing writes after t changes no backup of the personal variants before t",
          arguments: [1, 4] as [UInt64])
    func noLookAhead(seed: UInt64) throws {
        let log = OnlinePolicyTests.synthetic(seed: seed)
        let sends = OnlineSendsTests.sends(for: log, seed: seed)
        let f = try Frontier(log: WriteLog(log), sends: WriteLog(sends), split: 0.5)
        let budget = f.cronDaily().ops
        for withSends in [false, true] {
            let p = Self.personal(5, sends: withSends)
            let base = f.onlineRun(budget: budget, parameters: p).backups.map { (f.log.names[$0.dataset], $0.time) }
            var changedAfter = false
            for fraction in [0.2, 0.6] {
                let t = Int64(f.cut + fraction * (Double(f.t1) - f.cut))
                let g = try Frontier(log: WriteLog(OnlinePolicyTests.perturbed(log, after: t, seed: seed)),
                                     sends: WriteLog(OnlineSendsTests.perturbedSends(sends, after: t, seed: seed)), split: 0.5)
                let other = g.onlineRun(budget: budget, parameters: p).backups.map { (g.log.names[$0.dataset], $0.time) }
                let before = base.filter { $0.1 < Double(t) }
                #expect(!before.isEmpty)
                #expect(before.map(\.0) == other.filter { $0.1 < Double(t) }.map(\.0), "seed \(seed) t \(t) sends \(withSends)")
                #expect(before.map(\.1) == other.filter { $0.1 < Double(t) }.map(\.1), "seed \(seed) t \(t) sends \(withSends)")
                changedAfter = changedAfter || base.map(\.1) != other.map(\.1)
            }
            #expect(changedAfter, "the perturbation should change later backups, else the test proves nothing")
        }
    }

    @Test("The choice tries every variant and κ on the inner split and takes the least exposure within the budget")
    func choice() throws {
        let log = OnlinePolicyTests.synthetic(seed: 5)
        let f = try Frontier(log: WriteLog(log), sends: WriteLog(OnlineSendsTests.sends(for: log, seed: 5)), split: 0.6)
        let c = try #require(f.chooseOnlineVariantWithScores())
        #expect(Set(c.inner.keys) == Set(OnlineVariant.allCases))
        #expect(Set(c.innerShrinkage.keys) == Set(OnlineVariant.shrinkageCandidates))
        let writes = try #require(c.inner[.writes])
        let allowed = Double(writes.ops) + 0.01 * Double(c.innerBudget)
        let chosen = try #require(c.inner[c.chosen])
        #expect(Double(chosen.ops) <= allowed)
        for (v, o) in c.inner where Double(o.ops) <= allowed {
            #expect(chosen.exposureHours <= o.exposureHours, "\(c.chosen) chosen over \(v): \(c.inner)")
        }
        #expect(c.inner[.personal] == c.innerShrinkage[c.shrinkage])
        let report = f.report()
        #expect(report.onlineVariant == c.chosen && (report.onlineShrinkage != nil) == c.chosen.isPersonal)
        #expect(report.onlineInner?[c.chosen.rawValue] == chosen)
    }
}
