import BackplanCore
import BackplanStore

extension Frontier {
    /// The policy frontier `backplan frontier` prints: `fixed-24h`, `cron-daily`, `online` and `oracle` on one
    /// held-out window, the last two at cron-daily's backup count (its `budgetOps`).
    ///
    /// JSON: `{split, testWrites, datasets, budgetOps, policies: [{name, ops, exposureHours}], onlineVariant,
    /// onlineShrinkage?, onlineInner?: {variant: {name, ops, exposureHours}}}`; the
    /// `online` policy also carries `exposureRatio` (its exposure over cron-daily's) and `exposureRatioLow` /
    /// `exposureRatioHigh`, the 95% paired bootstrap interval over datasets (1,000 draws, seed 1;
    /// ``ExposureRatioInterval``).
    public struct Report: Encodable, Sendable, Equatable {
        public var split: Double
        /// Writes in the held-out window.
        public var testWrites: Int
        /// Datasets with at least one test write.
        public var datasets: Int
        /// cron-daily's backups in the window: the budget of `online` and `oracle`.
        public var budgetOps: Int
        public var policies: [Outcome]
        /// The online policy's variant (``OnlineVariant``), chosen on an inner split of the training window.
        public var onlineVariant: OnlineVariant
        /// κ of the personal variants when one is chosen (``PersonalGapModel``); absent otherwise.
        public var onlineShrinkage: Double?
        /// The inner split's figures behind the choice, per variant (``OnlineChoice``); absent when the training
        /// window is too short to split.
        public var onlineInner: [String: Outcome]?
    }

    /// The frontier's policies in the order they are reported, the online one and the oracle at cron-daily's
    /// backup count.
    ///
    ///     let report = try Frontier(log: WriteLog.load(from: store), split: 0.6).report()
    ///     report.policies.map(\.name)   // ["fixed-24h", "cron-daily", "online", "oracle"]
    ///
    /// - Complexity: that of ``online(budget:)`` and ``oracle(budget:)``, which dominate.
    public func report() -> Report {
        let fixed = fixed(periodSeconds: Units.secondsPerDay)
        let cron = cronDaily()
        let choice = chooseOnlineVariantWithScores()
        let variant = choice?.chosen ?? .writes
        let shrinkage = choice?.shrinkage ?? OnlineVariant.defaultShrinkage
        let online = onlineWithInterval(budget: cron.ops, variant: variant, shrinkage: shrinkage)
        let oracle = oracle(budget: cron.ops)
        return Report(split: split, testWrites: testWriteCount, datasets: testDatasetCount, budgetOps: cron.ops,
                      policies: [fixed, cron, online, oracle], onlineVariant: variant,
                      onlineShrinkage: variant.isPersonal ? shrinkage : nil,
                      onlineInner: choice.map { c in Dictionary(uniqueKeysWithValues: c.inner.map { ($0.key.rawValue, $0.value) }) })
    }

    /// Loads the write log of the store and measures its frontier at `split` (``report()``).
    ///
    /// - Throws: ``InputError`` naming the store when it has no writes over a time span or none after the cut.
    public static func report(store: StatsStore, split: Double) throws -> Report {
        let frontier: Frontier
        do {
            frontier = try Frontier(log: WriteLog.load(from: store), sends: WriteLog.loadSends(from: store), split: split)
        } catch let error as InputError where error.file == nil && error.column == nil {
            throw InputError(file: store.path, error.message)
        }
        guard frontier.testWriteCount > 0 else {
            throw InputError(file: store.path, "no writes after the cut at split \(split): choose a smaller --split")
        }
        return frontier.report()
    }
}
