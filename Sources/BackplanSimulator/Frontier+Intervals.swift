import BackplanCore

/// The 95% interval of one policy's exposure relative to another's on the same held-out window (issue 14 item 5):
/// a percentile bootstrap over datasets (Efron & Tibshirani, An Introduction to the Bootstrap, 1993, §13),
/// paired — every replicate draws datasets with replacement and sums both policies' exposure over the same draw:
///
///     ratio* = Σ_{d ∈ draw} E_policy(d) / Σ_{d ∈ draw} E_reference(d)
///
/// (the mean exposures' common divisor, the draw's write count, cancels). The runs themselves are fixed: the
/// interval says how much the ratio depends on which datasets the log happened to hold, not how a policy paced
/// on another set of datasets would fare. Seeded, so the same inputs give the same interval on every machine.
///
///     let i = ExposureRatioInterval(policy: [3, 1, 2], reference: [6, 2, 2], replicates: 1_000, seed: 1)
///     i.ratio     // 0.6
///     i.low ... i.high
public struct ExposureRatioInterval: Sendable, Equatable {
    /// Σ policy / Σ reference over all datasets.
    public var ratio: Double
    /// 2.5% and 97.5% percentiles (nearest rank) of the replicates.
    public var low: Double
    public var high: Double

    /// - Parameters:
    ///   - policy, reference: exposure per dataset (any unit, the same for both), in the same dataset order.
    ///   - replicates: bootstrap draws (default 1,000); seed: their generator's seed.
    /// - Precondition: equal lengths.
    public init(policy: [Double], reference: [Double], replicates: Int = 1_000, seed: UInt64 = 1) {
        precondition(policy.count == reference.count, "paired: one exposure per dataset on both sides")
        let n = policy.count
        let total = reference.reduce(0, +)
        ratio = total > 0 ? policy.reduce(0, +) / total : .nan
        guard n > 0, replicates > 0 else { low = ratio; high = ratio; return }
        var rng = Xoshiro256StarStar(seed: seed)
        var draws: [Double] = []
        draws.reserveCapacity(replicates)
        for _ in 0..<replicates {
            var p = 0.0, r = 0.0
            for _ in 0..<n {
                let d = rng.nextIndex(below: n)
                p += policy[d]
                r += reference[d]
            }
            if r > 0 { draws.append(p / r) }
        }
        draws.sort()
        guard !draws.isEmpty else { low = ratio; high = ratio; return }
        let rank = { (q: Double) in draws[min(draws.count - 1, max(0, Int((q * Double(draws.count)).rounded(.up)) - 1))] }
        low = rank(0.025)
        high = rank(0.975)
    }
}

extension Frontier {
    /// Replicates and seed of the exposure-ratio bootstrap in ``report()``.
    public static let bootstrapReplicates = 1_000
    public static let bootstrapSeed: UInt64 = 1

    /// The online policy's outcome at `budget` with its exposure ratio to cron-daily's and that ratio's paired
    /// bootstrap interval over the datasets with test writes (``ExposureRatioInterval``).
    ///
    ///     let o = f.onlineWithInterval(budget: f.cronDaily().ops, variant: f.chooseOnlineVariant())
    ///     o.exposureRatio, o.exposureRatioLow, o.exposureRatioHigh   // e.g. 0.680, 0.64, 0.72
    public func onlineWithInterval(budget: Int, variant: OnlineVariant,
                                   shrinkage: Double = OnlineVariant.defaultShrinkage) -> Outcome {
        let run = onlineRun(budget: budget, parameters: variant.parameters(shrinkage: shrinkage))
        var outcome = Outcome(name: "online", ops: run.ops,
                              exposureHours: run.exposureSeconds / Double(max(1, testWriteCount)) / 3_600)
        let cron = periodicRun(anchor: Double(bestDailyPhase()), periodSeconds: Double(Units.secondsPerDay))
        let withWrites = (0..<log.datasetCount).filter { !testWrites($0).isEmpty }
        let interval = ExposureRatioInterval(
            policy: withWrites.map { run.exposureByDataset[$0] }, reference: withWrites.map { cron.exposureSeconds[$0] },
            replicates: Self.bootstrapReplicates, seed: Self.bootstrapSeed)
        outcome.exposureRatio = interval.ratio
        outcome.exposureRatioLow = interval.low
        outcome.exposureRatioHigh = interval.high
        return outcome
    }
}
