import BackplanCore
import Testing
@testable import BackplanPlan

@Suite("The retention rule")
struct RetentionTests {
    static let day: Int64 = 86_400

    /// For limits in whole days (as policies give them), over hundreds of seeds: the span reaches the legal
    /// minimum, stays within the maximum, is what the counts say, and the restic flags spell the counts.
    @Test("Span at least the legal minimum and at most the maximum, for any whole-day limits", arguments: 0..<400)
    func spanWithinLegalLimits(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed))
        let hiDays = Int64(1 + rng.nextIndex(below: 3_650))
        let loSeconds = Int64(rng.nextIndex(below: Int(hiDays * Self.day) + 1))
        let erase = rng.nextIndex(below: 2) == 0
        let r = DatasetPlan.Retention.rule(minimumSeconds: loSeconds, maximumSeconds: hiDays * Self.day, erase: erase)
        #expect(r.spanSeconds >= loSeconds)
        #expect(r.spanSeconds <= hiDays * Self.day)
        #expect(r.deleteAfterSeconds == (erase ? hiDays * Self.day : nil))
        // The span is the coarsest step's reach.
        let reach: Int64 = r.yearly > 0 ? Int64(r.yearly) * 365 * Self.day
            : r.monthly > 0 ? Int64(r.monthly) * 30 * Self.day
            : r.weekly > 0 ? Int64(r.weekly) * 7 * Self.day : Int64(r.daily) * Self.day
        #expect(r.spanSeconds == reach)
        var flags: [String] = []
        if r.daily > 0 { flags.append("--keep-daily \(r.daily)") }
        if r.weekly > 0 { flags.append("--keep-weekly \(r.weekly)") }
        if r.monthly > 0 { flags.append("--keep-monthly \(r.monthly)") }
        if r.yearly > 0 { flags.append("--keep-yearly \(r.yearly)") }
        #expect(r.restic == flags.joined(separator: " "))
    }

    @Test("A class's rule reaches back the longest discovery delay, within its legal limits", arguments: 0..<300)
    func classRuleCoversDiscovery(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed) &+ 7_000)
        let maxDays = Int64(1 + rng.nextIndex(below: 2_000))
        let minDays = Int64(rng.nextIndex(below: Int(maxDays) + 1))
        let discovery = Int64(rng.nextIndex(below: 400)) * Self.day
        let c = ClassPolicy(rpoMaxSeconds: 3_600, rtoMaxSeconds: 3_600, retentionMinSeconds: minDays * Self.day,
                            retentionMaxSeconds: maxDays * Self.day, erase: false, copies: 1, regions: 1, offlineCopies: 0,
                            encrypt: false, lossDollarsPerMessage: 0, lossDollarsPerGiB: 0, downtimeDollarsPerHour: 0, allowedTiers: nil)
        let policy = Policy(file: "p.yaml", classes: ["default": c],
                            failures: [FailureKind(name: "disk", mtbfSeconds: 1_000_000, discoverySeconds: 0),
                                       FailureKind(name: "corruption", mtbfSeconds: 9_000_000, discoverySeconds: discovery)],
                            budgetDollarsPerMonth: nil, backupWindowBytesPerDay: nil, executorMinIntervalSeconds: 60,
                            restoreBytesPerSecond: 1e8)
        let r = DatasetPlan.Retention.rule(for: c, in: policy)
        #expect(r.spanSeconds >= min(max(minDays * Self.day, discovery), maxDays * Self.day))
        #expect(r.spanSeconds <= maxDays * Self.day)
    }

    @Test("Known rules: weeks, months, years")
    func knownRules() {
        #expect(DatasetPlan.Retention.rule(minimumSeconds: 30 * Self.day, maximumSeconds: 365 * Self.day, erase: false).restic
                == "--keep-daily 7 --keep-weekly 5")
        #expect(DatasetPlan.Retention.rule(minimumSeconds: 400 * Self.day, maximumSeconds: 7 * 365 * Self.day, erase: false).restic
                == "--keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 2")
        #expect(DatasetPlan.Retention.rule(minimumSeconds: 3 * Self.day, maximumSeconds: 10 * Self.day, erase: false).restic
                == "--keep-daily 3")
    }
}

@Suite("A budget that grows with the store")
struct PolicyBudgetTests {
    @Test("The fixed and the per-dataset budget add up; neither means no budget")
    func budget() {
        var policy = Policy(file: "p.yaml", classes: [:], failures: [], budgetDollarsPerMonth: nil, backupWindowBytesPerDay: nil,
                            executorMinIntervalSeconds: 60, restoreBytesPerSecond: 1)
        #expect(policy.budget(datasets: 2_000) == nil)
        policy.budgetDollarsPerDatasetMonth = 0.0018
        #expect(abs((policy.budget(datasets: 2_000) ?? 0) - 3.6) < 1e-12)
        policy.budgetDollarsPerMonth = 1
        #expect(abs((policy.budget(datasets: 400) ?? 0) - 1.72) < 1e-12)
    }
}
