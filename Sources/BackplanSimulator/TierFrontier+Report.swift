import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanStore

extension TierFrontier {
    /// What `backplan tiers` prints: the window and one row per policy (dollars of live data over it).
    ///
    /// JSON: `{split, windowStart, windowEnd, datasets, prices, model, backplanTiering, policies: [{policy, total, storage,
    /// requests, retrieval, monitoring, transitions, earlyDeletion}]}`.
    public struct Report: Encodable, Sendable, Equatable {
        public var split: Double
        public var windowStart: Int64
        public var windowEnd: Int64
        public var datasets: Int
        public var prices: String
        /// Where the `backplan` row's forecasts came from: the model folder, or "trained at the cut".
        public var model: String
        /// Datasets of Backplan's plan per data tier, or per tier schedule (``TierSchedule/name``) where it has one.
        public var backplanTiering: [String: Int]
        public var policies: [Row]
    }

    /// Loads the store's write and read logs, splits them like the frontier, makes Backplan's plan from data
    /// before the cut (forecasts by `model`, or by a model trained here on data before the cut) and bills
    /// every policy over the window after it.
    ///
    ///     let r = try TierFrontier.report(store: store, split: 0.6, catalog: catalog, policy: policy, model: nil)
    ///     r.policies.map(\.policy)   // all-hot, intelligent-tiering, lifecycle-by-age, lifecycle-per-object, backplan,
    ///                                // backplan-actual-activity, best-single-tier, best-monthly
    ///
    /// `backplan-actual-activity` is a diagnostic: the same planner given the window's actual reads, writes
    /// and mean size instead of the forecasts (what remains between it and the hindsight rows is not
    /// forecast error).
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
        let (made, _) = try Forecasts.make(store: store, model: forecaster, at: cut)
        // Object ages and the reads' ages from the data before the cut (the profile ignores later events).
        let readIndex = Dictionary(uniqueKeysWithValues: reads.names.enumerated().map { ($1, $0) })
        let log = frontier.log
        let ages = AgeProfiles.make(
            names: log.names, writes: (0..<log.datasetCount).map { log.times[log.offsets[$0]..<log.offsets[$0 + 1]] },
            bytes: (0..<log.datasetCount).map { log.bytes.isEmpty ? [] : log.bytes[log.offsets[$0]..<log.offsets[$0 + 1]] },
            reads: log.names.map { readIndex[$0].map { reads.writes($0) } ?? [] }, at: cut)
        let forecasts = made.map { f -> DatasetForecast in
            var f = f
            f.ages = ages[f.name]
            return f
        }
        let inputs = Plan.Inputs(statsStore: .init(path: store.path, sha256: ""), model: .init(path: "", sha256: ""),
                                 policy: .init(path: policy.file, sha256: ""), prices: .init(path: catalog.file, sha256: ""))
        var planner = policy
        planner.budgetDollarsPerMonth = nil
        planner.budgetDollarsPerDatasetMonth = nil
        planner.backupWindowBytesPerDay = nil
        let plan = try Planner(policy: planner, catalog: catalog).plan(forecasts, generatedAt: cut, inputs: inputs)
        let tierIndex = Dictionary(uniqueKeysWithValues: catalog.tiers.enumerated().map { ($1.name, $0) })
        let planTiers = Dictionary(uniqueKeysWithValues: plan.datasets.map { ($0.id, tierIndex[$0.dataTier] ?? 0) })
        func schedules(_ p: Plan) -> [String: Schedule] {
            var out: [String: Schedule] = [:]
            for d in p.datasets { if let s = d.dataSchedule, let mapped = Schedule(s, catalog: catalog) { out[d.id] = mapped } }
            return out
        }
        // Diagnostic: the same planner given the window's actual activity and mean size instead of forecasts.
        // Its gap to `backplan` is forecast error; its gap to the hindsight rows is what the planner's
        // steady-state monthly model leaves out (growth, moves, per-month changes).
        let index = Dictionary(uniqueKeysWithValues: frontier.log.names.enumerated().map { ($1, $0) })
        let days = (Double(frontier.t1) - frontier.cut) / 86_400
        let actual = forecasts.map { f -> DatasetForecast in
            var a = f
            guard let d = index[f.name], days > 0 else { return a }
            let live = tf.days[d]
            a.writesPerDay = live.writes.reduce(0, +) / days
            a.readsPerDay = live.reads.reduce(0, +) / days
            if live.count > 0 { a.sizeBytes = zip(live.bytes, live.seconds).reduce(0) { $0 + $1.0 * $1.1 } / (days * 86_400) }
            return a
        }
        let perfect = try Planner(policy: planner, catalog: catalog).plan(actual, generatedAt: cut, inputs: inputs)
        let perfectTiers = Dictionary(uniqueKeysWithValues: perfect.datasets.map { ($0.id, tierIndex[$0.dataTier] ?? 0) })
        progress?("billing every policy over the window")
        var counts: [String: Int] = [:]
        for d in plan.datasets { counts[d.dataSchedule?.name ?? d.dataTier, default: 0] += 1 }
        var rows = tf.report(planTiers: planTiers, planSchedules: schedules(plan))
        if let at = rows.firstIndex(where: { $0.policy == "backplan" }) {
            let perfectSchedules = schedules(perfect)
            rows.insert(Row(policy: "backplan-actual-activity", bill: tf.sum { tf.planned($0, tiers: perfectTiers, schedules: perfectSchedules) }),
                        at: at + 1)
        }
        return Report(split: split, windowStart: cut, windowEnd: frontier.t1, datasets: frontier.log.datasetCount,
                      prices: catalog.file, model: model == nil ? "trained at the cut" : modelName, backplanTiering: counts, policies: rows)
    }
}
