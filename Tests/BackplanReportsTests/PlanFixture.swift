import BackplanCore
import BackplanPlan

/// Small hand-made plans for the report tests: every figure chosen so sums and roundings are known.
enum PlanFixture {
    /// One dataset's entry with the given tiers, class, region and monthly dollars.
    static func entry(_ id: String, tier: String, class cls: String = "private", region: String = "region-1", dataTier: String = "standard",
                      storage: Double, operations: Double = 0, retrieval: Double = 0, loss: Double = 0, downtime: Double = 0,
                      sizeBytes: Double = 1_073_741_824, copies: Int = 2, exposed: Double = 1) -> DatasetPlan {
        var cost = CostBreakdown()
        cost.storage = storage
        cost.operations = operations
        cost.retrieval = retrieval
        cost.expectedLoss = loss
        cost.downtime = downtime
        let chosen = DatasetPlan.Option(intervalSeconds: 3_600, backupTier: tier, dataTier: dataTier, monthlyDollars: .init(cost),
                                        exposedWrites: exposed, restoreSeconds: 60)
        let copyList = (0..<copies).map { DatasetPlan.Copy(tier: tier, region: $0 == 0 ? region : "region-\($0 + 2)", offline: false) }
        return DatasetPlan(
            id: id, class: cls, location: id,
            schedule: .init(intervalSeconds: 3_600, timeOfDaySeconds: nil, quietSeconds: nil, maxDirtyWrites: nil, rpoSeconds: 3_600,
                            fullEverySeconds: nil),
            backupTier: tier, dataTier: dataTier, copies: copyList,
            retention: .rule(minimumSeconds: 30 * 86_400, maximumSeconds: 365 * 86_400, erase: false), encrypt: true,
            why: .init(forecast: .init(sizeBytes: sizeBytes, writesPerDay: 10, readsPerDay: 10, meanSessionSeconds: nil, meanQuietGapSeconds: nil),
                       chosen: chosen, runnerUp: nil, decidedBy: "price"))
    }

    /// A plan of `datasets`, its totals summed from them.
    static func plan(_ datasets: [DatasetPlan]) -> Plan {
        var sum = CostBreakdown()
        for d in datasets {
            var c = CostBreakdown()
            let m = d.why.chosen.monthlyDollars
            c.storage = m.storage; c.operations = m.operations; c.retrieval = m.retrieval; c.expectedLoss = m.expectedLoss; c.downtime = m.downtime
            sum = sum + c
        }
        let digest = Plan.Digest(path: "x", sha256: String(repeating: "0", count: 64))
        return Plan(schemaVersion: Plan.currentSchemaVersion, generatedAt: 1_082_040_961,
                    inputs: .init(statsStore: digest, model: digest, policy: digest, prices: digest),
                    totals: .init(datasets: datasets.count, monthlyDollars: .init(sum), expectedExposedWrites: 0, backupsPerDay: 0,
                                  backupBytesPerDay: 0, datasetsPerBackupTier: [:], datasetsPerDataTier: [:]),
                    limits: [], infeasible: [], datasets: datasets)
    }

    /// Three datasets: two on standard-ia (private, region-1 and region-2), one on glacier-ir (public).
    /// Storage 0.005 each on the standard-ia pair, so the group rounds once (0.01), not twice (0.02).
    static let current = plan([
        entry("a", tier: "standard-ia", storage: 0.005, operations: 1.25, loss: 0.5),
        entry("b", tier: "standard-ia", region: "region-2", storage: 0.005, operations: 0.75, downtime: 2),
        entry("c", tier: "glacier-ir", class: "public", storage: 10, retrieval: 0.333, sizeBytes: 536_870_912, copies: 3, exposed: 4),
    ])

    /// The baseline of ``current``: "a" was on glacier-ir and cheaper, "c" is the same, "d" has gone, "b" is new.
    static let baseline = plan([
        entry("a", tier: "glacier-ir", storage: 0.5),
        entry("c", tier: "glacier-ir", class: "public", storage: 10, retrieval: 0.333, sizeBytes: 536_870_912, copies: 3, exposed: 4),
        entry("d", tier: "standard", storage: 3),
    ])
}
