import BackplanCore
import BackplanPlan
import Foundation

/// What the planner derives once per data class: retention, allowed tiers, candidate intervals.
extension Planner {
    /// What every dataset of one class shares (a class, so handing it to each dataset is one reference count).
    final class ClassInfo: Sendable {
        let name: String
        let policy: ClassPolicy
        let retention: DatasetPlan.Retention
        let retentionDays: Double
        /// Per catalog tier: may the class's backups use it (`allowedTiers`).
        let allowed: [Bool]
        /// The online tiers whose first byte meets the class RTO: where its live data may go.
        let dataTiers: [Int]
        /// The grid intervals within [executor minimum, class RPO), then the RPO: the options' intervals
        /// besides each tier's continuous optimum.
        let intervals: [Double]
        /// The grid intervals within [executor minimum, 30 d]: where the continuous search starts from, the same
        /// whatever the RPO.
        let searchGrid: [Double]
        /// Two intervals past the RPO, T₁ = RPO·e^{tolerance} and T₂ = T₁·(1 + tolerance), when they are within
        /// the search range (and the RPO at least e^{tolerance} above its start): a cost lower at T₂ than at T₁
        /// puts the minimum beyond T₁, so the search would end past the RPO.
        let beyondRPO: (Double, Double)?

        init(name: String, policy: ClassPolicy, retention: DatasetPlan.Retention, retentionDays: Double, allowed: [Bool],
             dataTiers: [Int], intervals: [Double], searchGrid: [Double], beyondRPO: (Double, Double)?) {
            self.name = name
            self.policy = policy
            self.retention = retention
            self.retentionDays = retentionDays
            self.allowed = allowed
            self.dataTiers = dataTiers
            self.intervals = intervals
            self.searchGrid = searchGrid
            self.beyondRPO = beyondRPO
        }
    }

    func classInfos() -> [ClassInfo] {
        let policy = model.policy
        let catalog = model.catalog
        let lo = Double(policy.executorMinIntervalSeconds)
        let longest = max(lo, Self.longestIntervalSeconds)
        let tolerance = Self.intervalTolerance
        return policy.classes.keys.sorted().map { name in
            let c = policy.classes[name]!
            let keep = DatasetPlan.Retention.rule(for: c, in: policy)
            let allowed = c.allowedTiers.map(Set.init)
            let hi = Double(c.rpoMaxSeconds)
            let past = hi * exp(tolerance), further = hi * exp(tolerance) * (1 + tolerance)
            return ClassInfo(name: name, policy: c, retention: keep, retentionDays: Double(keep.spanSeconds) / 86_400,
                             allowed: catalog.tiers.map { allowed?.contains($0.name) ?? true },
                             dataTiers: catalog.tiers.indices.filter {
                                 !catalog.tiers[$0].offline && catalog.tiers[$0].firstByteSeconds <= Double(c.rtoMaxSeconds)
                             },
                             intervals: Self.intervalGrid.filter { $0 >= lo && $0 < hi } + [hi],
                             searchGrid: Self.intervalGrid.filter { $0 >= lo && $0 <= longest },
                             beyondRPO: further <= longest && hi >= lo * exp(tolerance) ? (past, further) : nil)
        }
    }
}
