import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

@Suite("The online policy")
struct OnlinePolicyTests {
    static let start: Int64 = 1_600_000_000
    static let days = 45
    static var end: Int64 { start + Int64(days) * 86_400 }

    /// A synthetic write log over 45 days: Poisson writers, daily sessions near a preferred hour and bursty
    /// writers, plus an "anchor" dataset written at the first and last second, which fixes t0 and t1.
    static func synthetic(seed: UInt64, datasets: Int = 80) -> [(name: String, times: [Int64])] {
        var rng = SplitMix64(seed: seed)
        let day = 86_400.0
        var out: [(name: String, times: [Int64])] = [("anchor", [start, end])]
        for d in 0..<datasets {
            var times: [Double] = []
            switch rng.nextIndex(below: 3) {
            case 0:
                let rate = (0.3 + 8 * rng.nextUnitDouble()) / day
                var t = Double(start)
                while t < Double(end) { t += rng.nextExponential(rate: rate); times.append(t) }
            case 1:
                let hour = Double(rng.nextIndex(below: 24)) * 3_600
                let p = 0.2 + 0.8 * rng.nextUnitDouble()
                for k in 0..<days where rng.nextUnitDouble() < p {
                    var t = Double(start) + Double(k) * day + hour + rng.nextNormal(standardDeviation: 3_600)
                    for _ in 0...rng.nextIndex(below: 8) { t += rng.nextExponential(rate: 1 / 300); times.append(t) }
                }
            default:
                let sessions = (0.2 + 2 * rng.nextUnitDouble()) / day
                let gap = 60 + 1_800 * rng.nextUnitDouble()
                var s = Double(start)
                while s < Double(end) {
                    s += rng.nextExponential(rate: sessions)
                    var t = s
                    for _ in 0...rng.nextIndex(below: 12) { t += rng.nextExponential(rate: 1 / gap); times.append(t) }
                }
            }
            out.append(("d\(d)", times.map { Int64($0) }.filter { $0 > start && $0 < end }))
        }
        return out
    }

    /// The same log with every write after `t` dropped, moved or kept at random, new writes after `t` and
    /// a new dataset written only after `t`; writes at or before `t` and the anchor are untouched.
    static func perturbed(_ log: [(name: String, times: [Int64])], after t: Int64, seed: UInt64)
        -> [(name: String, times: [Int64])] {
        var rng = SplitMix64(seed: seed &* 7_919)
        let span = end - t - 1
        func later() -> Int64 { t + 1 + Int64(rng.nextIndex(below: Int(span))) }
        var out = log.map { entry -> (name: String, times: [Int64]) in
            guard entry.name != "anchor" else { return entry }
            var times: [Int64] = []
            for w in entry.times {
                if w <= t { times.append(w); continue }
                switch rng.nextIndex(below: 3) {
                case 0: break
                case 1: times.append(min(end - 1, max(t + 1, w + Int64(rng.nextIndex(below: 7_200)) - 3_600)))
                default: times.append(w)
                }
            }
            for _ in 0..<rng.nextIndex(below: 4) { times.append(later()) }
            return (entry.name, times)
        }
        out.append(("new", (0..<20).map { _ in later() }))
        return out
    }

    static func namedBackups(_ f: Frontier, budget: Int) -> [(name: String, time: Double)] {
        f.onlineRun(budget: budget).backups.map { (f.log.names[$0.dataset], $0.time) }
    }

    static func cap(_ budget: Int) -> Int { Int((Double(budget) * 1.01).rounded(.down)) }

    @Test("A backup never depends on writes after it (no look-ahead)", arguments: 1...5 as ClosedRange<UInt64>)
    func noLookAhead(seed: UInt64) throws {
        let log = Self.synthetic(seed: seed)
        let f = try Frontier(log: WriteLog(log), split: 0.5)
        let budget = f.cronDaily().ops
        let base = Self.namedBackups(f, budget: budget)
        var changedAfter = false
        for fraction in [0.1, 0.4, 0.8] {
            let t = Int64(f.cut + fraction * (Double(f.t1) - f.cut))
            let g = try Frontier(log: WriteLog(Self.perturbed(log, after: t, seed: seed)), split: 0.5)
            #expect(g.t0 == f.t0 && g.t1 == f.t1 && g.cut == f.cut)
            let other = Self.namedBackups(g, budget: budget)
            let before = base.filter { $0.time < Double(t) }
            #expect(!before.isEmpty)
            #expect(before.map(\.name) == other.filter { $0.time < Double(t) }.map(\.name), "seed \(seed) t \(t)")
            #expect(before.map(\.time) == other.filter { $0.time < Double(t) }.map(\.time), "seed \(seed) t \(t)")
            changedAfter = changedAfter || base.map(\.time) != other.map(\.time)
        }
        #expect(changedAfter, "the perturbation should change later backups, else the test proves nothing")
    }

    @Test("Backups stay within cron-daily's count + 1%", arguments: 1...5 as ClosedRange<UInt64>)
    func opsStayWithinTheCap(seed: UInt64) throws {
        for split in [0.3, 0.5, 0.7] {
            let f = try Frontier(log: WriteLog(Self.synthetic(seed: 100 + seed, datasets: 40 + 20 * Int(seed))),
                                 split: split)
            let cron = f.cronDaily()
            let run = f.onlineRun(budget: cron.ops)
            let outcome = f.online(budget: cron.ops, variant: .writes)
            #expect(outcome.ops <= Self.cap(cron.ops), "seed \(seed) split \(split): \(outcome) vs \(cron)")
            #expect(outcome.ops == run.backups.count && outcome.name == "online")
            // The variant chosen on the inner split (issue 14: per-dataset cells) paces the same way but is not held
            // to +1% on every log: seed 2 at split 0.7 ends at 767 against cron-daily's 758 (+1.19%), measured
            // 2026-12-02 and reported in issue 14. It must stay within +2%.
            let chosen = f.online(budget: cron.ops)
            #expect(Double(chosen.ops) <= Double(cron.ops) * 1.02, "seed \(seed) split \(split): \(chosen) vs \(cron)")
            // Every test write is covered: the exposure is finite and the final backups fall at t1.
            #expect(outcome.exposureHours.isFinite && outcome.exposureHours >= 0)
            #expect(run.backups.allSatisfy { $0.time >= f.cut && $0.time <= Double(f.t1) })
            // Each backup covers at least one write: never more backups than test writes.
            #expect(outcome.ops <= f.testWriteCount)
        }
    }

    @Test("Identical inputs give identical results") func identicalInputsGiveIdenticalResults() throws {
        let log = Self.synthetic(seed: 77)
        let f = try Frontier(log: WriteLog(log), split: 0.6)
        let budget = f.cronDaily().ops
        let a = f.onlineRun(budget: budget), b = f.onlineRun(budget: budget)
        #expect(a.backups == b.backups && a.ops == b.ops && a.exposureSeconds == b.exposureSeconds)
        #expect(try Frontier(log: WriteLog(log), split: 0.6).online(budget: budget) == f.online(budget: budget))
        // The order in which the datasets were stored does not matter either.
        let g = try Frontier(log: WriteLog(log.reversed()), split: 0.6)
        #expect(g.online(budget: budget) == f.online(budget: budget))
        let named = Self.namedBackups(g, budget: budget), original = Self.namedBackups(f, budget: budget)
        #expect(named.map(\.name) == original.map(\.name) && named.map(\.time) == original.map(\.time))
    }

    @Test("Empty training windows and tiny logs work") func emptyTrainingAndTinyLogsWork() throws {
        // No gap observed before the cut: the model is empty, the policy still covers every write.
        let f = try Frontier(log: WriteLog([(name: "a", times: [0, 50_000, 50_100, 90_000, 100_000])]), split: 0.4)
        let o = f.online(budget: f.cronDaily().ops)
        #expect(o.ops >= 1 && o.ops <= f.testWriteCount && o.exposureHours.isFinite)
    }

    /// DESIGN §5 on CollegeMsg: the online policy beats cron-daily within its budget (+1%). The Python
    /// prototype gave 7.67 h @ 3,668 (split 0.5), 7.45 h @ 2,716 (0.6) and 7.03 h @ 1,749 (0.7) with the whole
    /// reserve in the pacing debt; with half of it (issue 14, ``OnlineParameters/reserveInDebt``) the policy
    /// spends more of its budget: 7.57 h @ 3,674, 7.36 h @ 2,724 and 6.88 h @ 1,757; with the budget guard's
    /// room bounded by the time left (issue 14, second round) 7.56 h @ 3,675, 7.35 h @ 2,725 and 6.88 h @ 1,757.
    @Test("On CollegeMsg the writes-only online policy beats cron-daily within its budget, at its reference figures",
          .realData("CollegeMsg.txt"))
    func collegeMsgBeatsCronDailyWithinTheCap() throws {
        let path = RealData.file("CollegeMsg.txt")
        let dir = TempDir()
        let store = try StatsStore.open(path: dir.file("s.sqlite"), create: true)
        _ = try Ingestor(store: store, options: IngestOptions(format: .snapTemporal)).ingest(path: path)
        let log = try WriteLog.load(from: store)
        // Backup counts as measured after issue 14's pacing and guard changes (deterministic on one machine).
        let before: [Double: Int] = [0.5: 3_675, 0.6: 2_725, 0.7: 1_757]
        for (split, reference) in [(0.5, 7.57), (0.6, 7.36), (0.7, 6.88)] {
            let f = try Frontier(log: log, split: split)
            let cron = f.cronDaily()
            let clock = ContinuousClock()
            let began = clock.now
            let online = f.online(budget: cron.ops, variant: .writes)
            let elapsed = clock.now - began
            print(String(format: "CollegeMsg split %.1f: cron-daily %.2f h @ %d, online %.2f h @ %d (cap %d)",
                         split, cron.exposureHours, cron.ops, online.exposureHours, online.ops,
                         Self.cap(cron.ops)) + " in \(elapsed)")
            #expect(online.ops <= Self.cap(cron.ops), "split \(split): \(online)")
            #expect(online.exposureHours < 0.9 * cron.exposureHours, "split \(split): \(online) vs \(cron)")
            #expect(abs(online.exposureHours / reference - 1) <= 0.02, "split \(split): \(online)")
            #expect(online.ops == before[split], "split \(split): \(online)")
        }
    }
}
