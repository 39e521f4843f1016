import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanStore

extension TierFrontier {
    /// What `backplan tiers` prints: the window and one row per policy (dollars of live data over it).
    ///
    /// JSON: `{split, windowStart, windowEnd, datasets, prices, model, policies: [{policy, total, storage,
    /// requests, retrieval, monitoring, transitions, earlyDeletion}]}`.
    public struct Report: Encodable, Sendable, Equatable {
        public var split: Double
        public var windowStart: Int64
        public var windowEnd: Int64
        public var datasets: Int
        public var prices: String
        /// Where the `backplan` row's forecasts came from: the model folder, or "trained at the cut".
        public var model: String
        public var policies: [Row]
    }

    /// Loads the store's write and read logs, splits them like the frontier, makes Backplan's plan from data
    /// before the cut (forecasts by `model`, or by a model trained here on data before the cut) and bills
    /// every policy over the window after it.
    ///
    ///     let r = try TierFrontier.report(store: store, split: 0.6, catalog: catalog, policy: policy, model: nil)
    ///     r.policies.map(\.policy)   // all-hot, intelligent-tiering, lifecycle-by-age, backplan, best-single-tier, best-monthly
    ///
    /// - Throws: ``InputError`` naming the store when it has no writes after the cut, or a model/store mismatch.
    public static func report(store: StatsStore, split: Double, catalog: PriceCatalog, policy: Policy, model: ForecastModel?,
                              modelName: String = "trained at the cut", progress: (@Sendable (String) -> Void)? = nil) throws -> Report {
        let frontier: Frontier
        do {
            frontier = try Frontier(log: WriteLog.load(from: store), split: split)
        } catch let error as InputError where error.file == nil && error.column == nil {
            throw InputError(file: store.path, error.message)
        }
        guard frontier.testWriteCount > 0 else {
            throw InputError(file: store.path, "no writes after the cut at split \(split): choose a smaller --split")
        }
        let reads = try WriteLog.load(from: store, op: .read)
        let profiles = try store.datasetProfiles()
        let tf = TierFrontier(frontier: frontier, reads: reads, bytesPerRead: profiles.mapValues(\.bytesPerRead), catalog: catalog)
        let cut = Int64(frontier.cut.rounded(.up))
        let forecaster: ForecastModel
        if let model {
            forecaster = model
        } else {
            progress?("training a model on the data before the cut")
            var options = TrainingOptions()
            options.split = .at(cut)
            options.evaluateHeldOut = false
            forecaster = try Trainer.train(store: store, options: options)
        }
        progress?("planning from the data before the cut")
        let (forecasts, _) = try Forecasts.make(store: store, model: forecaster, at: cut)
        let inputs = Plan.Inputs(statsStore: .init(path: store.path, sha256: ""), model: .init(path: "", sha256: ""),
                                 policy: .init(path: policy.file, sha256: ""), prices: .init(path: catalog.file, sha256: ""))
        var planner = policy
        planner.budgetDollarsPerMonth = nil
        planner.budgetDollarsPerDatasetMonth = nil
        planner.backupWindowBytesPerDay = nil
        let plan = try Planner(policy: planner, catalog: catalog).plan(forecasts, generatedAt: cut, inputs: inputs)
        let tierIndex = Dictionary(uniqueKeysWithValues: catalog.tiers.enumerated().map { ($1.name, $0) })
        let planTiers = Dictionary(uniqueKeysWithValues: plan.datasets.map { ($0.id, tierIndex[$0.dataTier] ?? 0) })
        progress?("billing every policy over the window")
        return Report(split: split, windowStart: cut, windowEnd: frontier.t1, datasets: frontier.log.datasetCount,
                      prices: catalog.file, model: model == nil ? "trained at the cut" : modelName, policies: tf.report(planTiers: planTiers))
    }
}
