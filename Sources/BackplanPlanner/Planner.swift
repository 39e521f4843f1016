import BackplanCore
import BackplanPlan
import Foundation

/// Chooses, per dataset, the backup interval and tier and the data tier of least expected monthly cost that
/// keeps every class limit, then meets the global limits by Lagrangian relaxation (DESIGN §4).
///
/// Each dataset's options are the candidate intervals (a fixed grid within [executor minimum, class RPO], the
/// RPO itself, and per tier the continuous optimum found by Brent's search on log T started from the bracket
/// the grid gives, which reproduces Young's √(2·C_b/(λ·r·c)) where that formula applies) × the tiers whose
/// restore time (first byte + size at the restore throughput) meets the class RTO; archive tiers qualify for
/// classes with long RTOs. Live data goes on the cheapest online tier whose first byte meets the RTO. The
/// tiers of a dataset share the parts of the cost at a grid interval that do not depend on the tier.
///
/// With a budget B on spend, each dataset picks the option minimising risk + (1 + μ)·spend; bisection on
/// μ ≥ 0 finds the least μ whose total spend fits B (Everett, "Generalized Lagrange multiplier method",
/// Operations Research 11(3), 1963). Only options on the lower convex hull of (spend, risk) can win for some
/// μ, so each dataset keeps just those, and the passes look only at those up to the unconstrained best (the
/// rest cannot win for μ ≥ 0; they stay as runners-up). The backup window works the same way on bytes per
/// day; with both limits the window's multiplier is bisected outside the budget's, over the options no other
/// beats on all three of risk, spend and bytes.
///
/// - Complexity: O(N·(G·(1 + T) + T·log(w/tolerance))) to price N datasets on T tiers and G grid intervals
///   (G interval terms shared by the tiers, a search per tier from a bracket of log-width w; none when the
///   optimum is past the RPO), then O(N·h) per bisection step with h the options a dataset can choose
///   (a handful).
public struct Planner: Sendable {
    /// Candidate intervals (seconds) before the class RPO caps them: 5 min … 7 d.
    public static let intervalGrid: [Double] = [300, 900, 1_800, 3_600, 7_200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800]
    /// A gap this long ends a session (the model's definition): the quiet trigger.
    public static let quietTriggerSeconds: Int64 = 1_800
    /// Width of the final bracket of the continuous interval optimum on log T (Brent's search): the interval
    /// is within about half of it, 1%.
    public static let intervalTolerance = 0.02
    /// The longest interval the continuous search considers (30 d); class RPOs cap it further.
    public static let longestIntervalSeconds = 2_592_000.0

    public let model: CostModel
    public var bisectionSteps = 24
    /// Called once per plan with the time each phase took (for benchmarks; nothing here prints).
    public var phases: (@Sendable ([(String, Duration)]) -> Void)?

    public init(policy: Policy, catalog: PriceCatalog) {
        model = CostModel(policy: policy, catalog: catalog)
    }

    /// The least spend and bytes per day any choice reaches, and those of the unconstrained plan (no global
    /// limits), summed over `forecasts`: the range a budget or backup window can be set in.
    public func bounds(_ forecasts: [DatasetForecast]) -> (leastSpend: Double, freeSpend: Double, leastBytes: Double, freeBytes: Double) {
        let classes = classInfos()
        var r = (0.0, 0.0, 0.0, 0.0)
        var scratch = Scratch()
        for d in forecasts {
            guard case .success(let p) = price(d, classes: classes, into: &scratch) else { continue }
            let all = Array(scratch.candidates[..<p.options])
            let free = all[Self.best(all, 0, 0)]
            r.0 += (all.map(\.spend).min() ?? 0) + p.dataSpend
            r.1 += free.spend + p.dataSpend
            r.2 += all.map(\.bytes).min() ?? 0
            r.3 += free.bytes
        }
        return r
    }

    /// Plans the datasets. Deterministic: the same datasets, in any order, give the same plan.
    ///
    /// - Throws: ``InputError`` when the policy names a tier the catalog lacks, needs offline copies the
    ///   catalog cannot hold, or a dataset id appears twice.
    public func plan(_ unordered: [DatasetForecast], generatedAt: Int64, inputs: Plan.Inputs) throws -> Plan {
        // Sorted by id so every sum runs in the same order whatever order the datasets came in.
        // Byte order of the UTF-8 names (code-point order): fast, and the same on every platform.
        // Indices are sorted rather than the forecasts themselves (no memory moved), and an input that is
        // already in order is not sorted at all.
        let clock = ContinuousClock()
        let tSort = clock.now
        let forecasts = NameOrdered(base: unordered, order: try Self.nameOrder(unordered))
        let policy = model.policy
        let catalog = model.catalog
        try policy.requireTiers(in: catalog)
        if model.offlineTier == nil, let name = policy.classes.keys.sorted().first(where: { (policy.classes[$0]?.offlineCopies ?? 0) > 0 }) {
            throw InputError(file: policy.file, "key 'classes.\(name).copies.offline': \(catalog.file) has no tier marked offline to hold offline copies")
        }
        let classes = classInfos()
        let t0 = clock.now
        let (prepared, blocks) = prepareAll(forecasts, classes: classes)
        let t1 = clock.now
        var infeasible: [Plan.Infeasible] = []
        for block in blocks {
            for (i, reason) in block.failures { infeasible.append(.init(id: forecasts[i].name, reason: reason.message)) }
        }
        var dataSpend = 0.0
        for p in prepared where p.options > 0 { dataSpend += p.dataSpend }

        let chunks = blocks.count
        let datasetCount = prepared.count
        let passes = Multipliers(prepared: prepared, blocks: blocks, dataSpend: dataSpend)
        let huge = Self.unholdableMultiplier
        func bisect(_ fits: (Double) -> Bool) -> Double? {
            if fits(0) { return 0 }
            guard fits(huge) else { return nil }
            var lo = 0.0, hi = 1.0
            while !fits(hi) { lo = hi; hi *= 16 }
            for _ in 0..<bisectionSteps { let mid = (lo + hi) / 2; if fits(mid) { hi = mid } else { lo = mid } }
            return hi
        }
        // Multipliers: μ on spend (budget), ν on bytes per day (backup window).
        var mu = 0.0, nu = 0.0
        let budget = policy.budget(datasets: forecasts.count)
        let window = policy.backupWindowBytesPerDay
        var feasible = true
        func muFor(_ nu: Double) -> Double? {
            guard let budget else { return 0 }
            return passes.leastMultiplier(limit: budget, onSpend: true, other: nu, steps: bisectionSteps, huge: huge)
        }
        if let window, budget != nil {
            if let v = bisect({ nu in passes.totals(muFor(nu) ?? huge, nu).bytes <= window }) { nu = v } else { nu = huge; feasible = false }
            mu = muFor(nu) ?? huge
        } else if let window {
            if let v = passes.leastMultiplier(limit: window, onSpend: false, other: 0, steps: bisectionSteps, huge: huge) {
                nu = v
            } else {
                nu = huge
                feasible = false
            }
        } else if budget != nil {
            if let m = muFor(0) { mu = m } else { mu = huge; feasible = false }
        }
        let used = passes.totals(mu, nu)
        if !feasible || (budget.map { used.spend > $0 } ?? false) {
            feasible = false
        }
        var limits: [Plan.Limit] = []
        // A multiplier at `huge` is not a price: the limit cannot hold at any price, so the plan records 0 and the
        // summary and explain say it cannot hold (an earlier plan printed 999999999999.9999 as if it were real).
        if let budget {
            limits.append(.init(name: "budget", limit: budget, used: used.spend, binding: mu > 0, shadowPrice: mu >= huge ? 0 : mu,
                                unit: "dollars per month"))
        }
        if let window {
            limits.append(.init(name: "backupWindow", limit: window, used: used.bytes, binding: nu > 0, shadowPrice: nu >= huge ? 0 : nu,
                                unit: "bytes per day"))
        }
        if !feasible {
            // Even the least-spend (or least-bytes) options do not fit: name the datasets that need the most.
            let overBudget = budget.map { used.spend > $0 } ?? false
            var need: [(String, Double)] = []
            for c in 0..<chunks {
                var offset = 0
                for i in Parallel.chunk(c, of: chunks, datasetCount) where prepared[i].options > 0 {
                    let p = prepared[i]
                    let options = offset..<(offset + Int(p.options))
                    let least = overBudget ? blocks[c].spend[options].min()! + p.dataSpend : blocks[c].bytes[options].min()!
                    need.append((forecasts[i].name, least))
                    offset = options.upperBound
                }
            }
            need.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            let unit = overBudget ? " dollars per month" : " bytes per day"
            for (name, amount) in need.prefix(10) {
                infeasible.append(.init(id: name, reason: "global limits cannot all hold; this dataset alone needs at least \(Self.short(amount))\(unit)"))
            }
        }
        infeasible.sort { NameOrder.precedes($0.id, $1.id) }
        let t2 = clock.now
        let (entries, sums) = buildEntries(forecasts, prepared, blocks, classes: classes, mu: mu, nu: nu)
        if let phases { phases([("sort", t0 - tSort), ("prepare", t1 - t0), ("limits", t2 - t1), ("entries", clock.now - t2)]) }
        let sum = sums.cost
        var perBackupTier: [String: Int] = [:], perDataTier: [String: Int] = [:]
        for (t, tier) in catalog.tiers.enumerated() {
            if sums.backupTiers[t] > 0 { perBackupTier[tier.name] = sums.backupTiers[t] }
            if sums.dataTiers[t] > 0 { perDataTier[tier.name] = sums.dataTiers[t] }
        }
        return Plan(
            schemaVersion: Plan.currentSchemaVersion, generatedAt: generatedAt, inputs: inputs,
            totals: .init(datasets: entries.count, monthlyDollars: .init(sum), expectedExposedWrites: sum.exposedWrites,
                          backupsPerDay: sums.backupsPerDay, backupBytesPerDay: sum.backupBytesPerDay,
                          datasetsPerBackupTier: perBackupTier, datasetsPerDataTier: perDataTier),
            limits: limits, infeasible: infeasible, datasets: entries.map { $0.taggedForS3() })
    }
}
