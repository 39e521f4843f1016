import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

/// The online policy's `sends` variant (issue 14): the owner's own sends as decision points, chosen per log on
/// an inner split of the training window.
@Suite("The online policy with the owner's sends")
struct OnlineSendsTests {
    typealias Log = [(name: String, times: [Int64])]

    /// Sends for a synthetic log: most writes answer a send of the owner a few minutes before them, and some
    /// sends get no answer, so a send says a write is likely soon.
    static func sends(for log: Log, seed: UInt64) -> Log {
        var rng = SplitMix64(seed: seed &* 104_729)
        return log.map { entry in
            guard entry.name != "anchor" else { return (entry.name, []) }
            var s: [Int64] = []
            for w in entry.times where rng.nextUnitDouble() < 0.6 {
                s.append(w - 1 - Int64(rng.nextExponential(rate: 1 / 300)))
            }
            for _ in 0..<(entry.times.count / 5) {
                s.append(OnlinePolicyTests.start + Int64(rng.nextIndex(below: Int(OnlinePolicyTests.end - OnlinePolicyTests.start))))
            }
            return (entry.name, s.filter { $0 > OnlinePolicyTests.start && $0 < OnlinePolicyTests.end })
        }
    }

    /// Sends after `t` dropped, moved or added at random; those at or before `t` untouched.
    static func perturbedSends(_ sends: Log, after t: Int64, seed: UInt64) -> Log {
        var rng = SplitMix64(seed: seed &* 31)
        let span = Int(OnlinePolicyTests.end - t - 1)
        return sends.map { entry in
            var out: [Int64] = []
            for s in entry.times {
                if s <= t { out.append(s); continue }
                switch rng.nextIndex(below: 3) {
                case 0: break
                case 1: out.append(min(OnlinePolicyTests.end - 1, max(t + 1, s + Int64(rng.nextIndex(below: 3_600)) - 1_800)))
                default: out.append(s)
                }
            }
            for _ in 0..<rng.nextIndex(below: 3) { out.append(t + 1 + Int64(rng.nextIndex(below: span))) }
            return (entry.name, out)
        } + [("new", (0..<5).map { _ in t + 1 + Int64(rng.nextIndex(below: span)) })]
    }

    static var withSends: OnlineParameters {
        var p = OnlineParameters()
        p.useSends = true
        return p
    }

    static func namedBackups(_ f: Frontier, budget: Int) -> [(name: String, time: Double)] {
        f.onlineRun(budget: budget, parameters: withSends).backups.map { (f.log.names[$0.dataset], $0.time) }
    }

    @Test("No look-ahead: changing writes and sends after t changes no backup before t, nor the variant chosen",
          arguments: 1...4 as ClosedRange<UInt64>)
    func noLookAhead(seed: UInt64) throws {
        let log = OnlinePolicyTests.synthetic(seed: seed)
        let sends = Self.sends(for: log, seed: seed)
        let f = try Frontier(log: WriteLog(log), sends: WriteLog(sends), split: 0.5)
        let budget = f.cronDaily().ops
        let base = Self.namedBackups(f, budget: budget)
        let chosen = f.chooseOnlineVariantWithScores()
        #expect(chosen != nil, "the synthetic log has sends before the cut")
        var changedAfter = false
        for fraction in [0.1, 0.5, 0.9] {
            let t = Int64(f.cut + fraction * (Double(f.t1) - f.cut))
            let g = try Frontier(log: WriteLog(OnlinePolicyTests.perturbed(log, after: t, seed: seed)),
                                 sends: WriteLog(Self.perturbedSends(sends, after: t, seed: seed)), split: 0.5)
            #expect(g.t0 == f.t0 && g.t1 == f.t1 && g.cut == f.cut)
            let other = Self.namedBackups(g, budget: budget)
            let before = base.filter { $0.time < Double(t) }
            #expect(!before.isEmpty)
            #expect(before.map(\.name) == other.filter { $0.time < Double(t) }.map(\.name), "seed \(seed) t \(t)")
            #expect(before.map(\.time) == other.filter { $0.time < Double(t) }.map(\.time), "seed \(seed) t \(t)")
            changedAfter = changedAfter || base.map(\.time) != other.map(\.time)
            // The variant is chosen on the training window alone: nothing after the cut moves it.
            let again = g.chooseOnlineVariantWithScores()
            #expect(again?.chosen == chosen?.chosen && again?.inner == chosen?.inner, "seed \(seed) t \(t)")
        }
        #expect(changedAfter, "the perturbation should change later backups, else the test proves nothing")
    }

    /// The goal is ± 1% of cron-daily's count, counted causally (issue 14 items 4 and 7): on 10 generated logs × 2
    /// splits, for the writes-only, sends and personal-sends variants (seeds 1–5 were the logs of the first
    /// fix; 6–10 were added with the budget guard's room by time left and were not looked at before).
    @Test("Backups stay within ± 1% of cron-daily's count on generated logs", arguments: 1...10 as ClosedRange<UInt64>)
    func budgetHolds(seed: UInt64) throws {
        for split in [0.4, 0.6] {
            let log = OnlinePolicyTests.synthetic(seed: 200 + seed, datasets: 40 + 20 * Int(seed))
            let f = try Frontier(log: WriteLog(log), sends: WriteLog(Self.sends(for: log, seed: seed)), split: split)
            let cron = f.cronDaily()
            for variant in [OnlineVariant.writes, .sends, .personalSends] {
                let run = f.onlineRun(budget: cron.ops, parameters: variant.parameters())
                let ratio = Double(run.ops) / Double(cron.ops)
                print("budget seed \(seed) split \(split) \(variant.rawValue): cron \(cron.ops) online \(run.ops) (\(ratio))")
                #expect(ratio <= 1.01 && ratio >= 0.99, "seed \(seed) split \(split) \(variant.rawValue): \(run.ops) vs \(cron.ops)")
                #expect(run.backups.allSatisfy { $0.time >= f.cut && $0.time <= Double(f.t1) })
            }
            if seed <= 2 {
                let chosen = f.online(budget: cron.ops)
                #expect(abs(Double(chosen.ops) / Double(cron.ops) - 1) <= 0.01 && chosen.exposureHours.isFinite)
            }
        }
    }

    @Test("Without sends no sends variant is tried; sends of names that are no dataset are ignored")
    func withoutSendsNothingChanges() throws {
        let log = OnlinePolicyTests.synthetic(seed: 9)
        let plain = try Frontier(log: WriteLog(log), split: 0.6)
        let strangers = try Frontier(log: WriteLog(log), sends: WriteLog([(name: "nobody", times: [OnlinePolicyTests.start + 10])]),
                                     split: 0.6)
        let choice = try #require(plain.chooseOnlineVariantWithScores())
        #expect(Set(choice.inner.keys) == [.writes, .personal], "\(choice.inner.keys)")
        #expect(strangers.chooseOnlineVariantWithScores() == choice)
        let budget = plain.cronDaily().ops
        #expect(strangers.online(budget: budget) == plain.online(budget: budget))
        #expect(plain.online(budget: budget, variant: choice.chosen, shrinkage: choice.shrinkage) == plain.online(budget: budget))
        #expect(plain.online(budget: budget, variant: .sends) == plain.online(budget: budget, variant: .writes))
        #expect(!plain.report().onlineVariant.usesSends)
    }

    /// Issue 14's goal on CollegeMsg: ≤ 0.70 × cron-daily's exposure at its backup count (± 1%), the variant
    /// chosen causally. Prints what it reaches; asserts that it never loses to cron-daily and stays in budget.
    @Test("On CollegeMsg the policy with sends stays within cron-daily's budget and beats it", .realData("CollegeMsg.txt"))
    func collegeMsg() throws {
        let dir = TempDir()
        let store = try StatsStore.open(path: dir.file("s.sqlite"), create: true)
        _ = try Ingestor(store: store, options: IngestOptions(format: .snapTemporal)).ingest(path: RealData.file("CollegeMsg.txt"))
        let f = try Frontier(log: WriteLog.load(from: store), sends: WriteLog.loadSends(from: store), split: 0.6)
        let cron = f.cronDaily()
        let choice = try #require(f.chooseOnlineVariantWithScores())
        let writes = f.online(budget: cron.ops, variant: .writes), sends = f.online(budget: cron.ops, variant: .sends)
        print(String(format: "CollegeMsg 0.6: cron-daily %.2f h @ %d; writes %.2f h @ %d (%.3f×); sends %.2f h @ %d (%.3f×); chosen %@",
                     cron.exposureHours, cron.ops, writes.exposureHours, writes.ops, writes.exposureHours / cron.exposureHours,
                     sends.exposureHours, sends.ops, sends.exposureHours / cron.exposureHours, choice.chosen.rawValue))
        for o in [writes, sends] {
            #expect(Double(o.ops) <= Double(cron.ops) * 1.01, "\(o)")
            #expect(o.exposureHours < cron.exposureHours, "\(o)")
        }
        #expect(choice.chosen.usesSends, "the inner split of CollegeMsg's training window favours sends: \(choice.inner)")
        print("CollegeMsg 0.6 inner split: chosen \(choice.chosen.rawValue) κ \(choice.shrinkage); \(choice.inner); κ: \(choice.innerShrinkage)")
    }
}
