import BackplanCore
import Dispatch
import Foundation

/// Chooses, per dataset, the backup interval and tier and the data tier of least expected monthly cost that
/// keeps every class limit, then meets the global limits by Lagrangian relaxation (DESIGN §4).
///
/// Each dataset's options are the candidate intervals (a fixed grid within [executor minimum, class RPO], the
/// RPO itself, and per tier the continuous optimum found by Brent's search on log T, which reproduces Young's
/// √(2·C_b/(λ·r·c)) where that formula applies) × the tiers whose restore time (first byte + size at the
/// restore throughput) meets the class RTO; archive tiers qualify for classes with long RTOs. Live data goes
/// on the cheapest online tier whose first byte meets the RTO.
///
/// With a budget B on spend, each dataset picks the option minimising risk + (1 + μ)·spend; bisection on
/// μ ≥ 0 finds the least μ whose total spend fits B (Everett, "Generalized Lagrange multiplier method",
/// Operations Research 11(3), 1963). Only options on the lower convex hull of (spend, risk) can win for some
/// μ, so each dataset keeps just those. The backup window works the same way on bytes per day; with both
/// limits the window's multiplier is bisected outside the budget's, over the options no other beats on all
/// three of risk, spend and bytes.
///
/// - Complexity: O(N·T·(G + log(range/tolerance))) to price N datasets on T tiers and G grid intervals, then
///   O(N·h) per bisection step with h the options kept per dataset (a handful).
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

    /// One priced option, reduced to what the optimisation needs.
    struct Candidate {
        var interval: Double
        var tier: Int
        var spend: Double
        var risk: Double
        var bytes: Double

        init(interval: Double, tier: Int, spend: Double, risk: Double, bytes: Double) {
            self.interval = interval
            self.tier = tier
            self.spend = spend
            self.risk = risk
            self.bytes = bytes
        }
    }

    /// What every dataset of one class shares.
    struct ClassInfo {
        var name: String
        var policy: ClassPolicy
        var retention: DatasetPlan.Retention
        var retentionDays: Double
        var allowed: Set<String>?
    }

    /// A dataset's fixed parts and its options that can win for some multipliers.
    struct Prepared {
        var classIndex: Int
        var dataTier: Int
        var dataSpend: Double
        var candidates: [Candidate]
        var rpoCapped: Bool
        /// Bit i set: tier i was excluded because it cannot restore within the class RTO.
        var rtoExcluded: UInt64
    }

    /// The retention rules the plan gives a class: point-in-time restores after corruption must reach back
    /// the policy's longest discovery delay, within the class's legal minimum and maximum.
    public static func retention(for c: ClassPolicy, in policy: Policy) -> DatasetPlan.Retention {
        let discovery = policy.failures.map(\.discoverySeconds).max() ?? 0
        return retention(minimumSeconds: min(max(c.retentionMinSeconds, discovery), c.retentionMaxSeconds),
                         maximumSeconds: c.retentionMaxSeconds, erase: c.erase)
    }

    private func classInfos() -> [ClassInfo] {
        let policy = model.policy
        return policy.classes.keys.sorted().map { name in
            let c = policy.classes[name]!
            let keep = Self.retention(for: c, in: policy)
            return ClassInfo(name: name, policy: c, retention: keep, retentionDays: Double(keep.spanSeconds) / 86_400,
                             allowed: c.allowedTiers.map(Set.init))
        }
    }

    /// The least spend and bytes per day any choice reaches, and those of the unconstrained plan (no global
    /// limits), summed over `forecasts`: the range a budget or backup window can be set in.
    public func bounds(_ forecasts: [DatasetForecast]) -> (leastSpend: Double, freeSpend: Double, leastBytes: Double, freeBytes: Double) {
        let classes = classInfos()
        var r = (0.0, 0.0, 0.0, 0.0)
        var scratch: [Candidate] = []
        for d in forecasts {
            guard case .success(let p) = prepare(d, classes: classes, keepAll: true, limits: (false, false), scratch: &scratch)
            else { continue }
            let free = p.candidates[Self.best(p.candidates, 0, 0)]
            r.0 += (p.candidates.map(\.spend).min() ?? 0) + p.dataSpend
            r.1 += free.spend + p.dataSpend
            r.2 += p.candidates.map(\.bytes).min() ?? 0
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
        // Indices are sorted rather than the forecasts themselves (far less memory moved), and an input that
        // is already in order is not sorted at all.
        let clock = ContinuousClock()
        let tSort = clock.now
        let inOrder = unordered.indices.dropFirst().allSatisfy {
            !unordered[$0].name.utf8.lexicographicallyPrecedes(unordered[$0 - 1].name.utf8)
        }
        let forecasts: [DatasetForecast]
        if inOrder {
            forecasts = unordered
        } else {
            let order = unordered.indices.sorted { unordered[$0].name.utf8.lexicographicallyPrecedes(unordered[$1].name.utf8) }
            forecasts = order.map { unordered[$0] }
        }
        for i in forecasts.indices.dropFirst() where forecasts[i].name == forecasts[i - 1].name {
            throw InputError("dataset id '\(forecasts[i].name)' appears twice in the planner's input")
        }
        let policy = model.policy
        let catalog = model.catalog
        try policy.requireTiers(in: catalog)
        if model.offlineTier == nil, let name = policy.classes.keys.sorted().first(where: { (policy.classes[$0]?.offlineCopies ?? 0) > 0 }) {
            throw InputError(file: policy.file, "key 'classes.\(name).copies.offline': \(catalog.file) has no tier marked offline to hold offline copies")
        }
        let classes = classInfos()
        let t0 = clock.now
        let prepared = prepareAll(forecasts, classes: classes)
        let t1 = clock.now
        var infeasible: [Plan.Infeasible] = []
        for (i, p) in prepared.enumerated() {
            if case .failure(let reason) = p { infeasible.append(.init(id: forecasts[i].name, reason: reason.message)) }
        }

        // The options in flat arrays: dataset i's are start[i] ..< start[i + 1].
        var start = [Int](repeating: 0, count: prepared.count + 1)
        var spendA: [Double] = [], riskA: [Double] = [], bytesA: [Double] = []
        let optionCount = prepared.reduce(0) { n, p in if case .success(let x) = p { n + x.candidates.count } else { n } }
        spendA.reserveCapacity(optionCount)
        riskA.reserveCapacity(optionCount)
        bytesA.reserveCapacity(optionCount)
        var dataSpend = 0.0
        for (i, p) in prepared.enumerated() {
            if case .success(let p) = p {
                for c in p.candidates { spendA.append(c.spend); riskA.append(c.risk); bytesA.append(c.bytes) }
                dataSpend += p.dataSpend
            }
            start[i + 1] = spendA.count
        }
        // Each pass picks every dataset's best option at (μ, ν): chunks in parallel, sums merged in chunk order.
        // The chunking does not depend on the machine's cores, so the sums (and the plan's bytes) do not either.
        let datasetCount = start.count - 1
        let passChunks = datasetCount < 65_536 ? 1 : 16
        func totals(_ mu: Double, _ nu: Double) -> (spend: Double, bytes: Double) {
            var partial = [(spend: Double, bytes: Double)](repeating: (0, 0), count: passChunks)
            spendA.withUnsafeBufferPointer { s in
                riskA.withUnsafeBufferPointer { r in
                    bytesA.withUnsafeBufferPointer { b in
                        start.withUnsafeBufferPointer { first in
                            partial.withUnsafeMutableBufferPointer { out in
                                let views = UncheckedSendable((s, r, b, first, out))
                                DispatchQueue.concurrentPerform(iterations: passChunks) { chunk in
                                    let (s, r, b, first, out) = views.value
                                    let a = 1 + mu
                                    var spend = 0.0, bytes = 0.0
                                    for i in (datasetCount * chunk / passChunks)..<(datasetCount * (chunk + 1) / passChunks)
                                    where first[i] < first[i + 1] {
                                        var k = first[i]
                                        var v = r[k] + a * s[k] + nu * b[k]
                                        for j in (first[i] + 1)..<first[i + 1] {
                                            let o = r[j] + a * s[j] + nu * b[j]
                                            if o < v { v = o; k = j }
                                        }
                                        spend += s[k]
                                        bytes += b[k]
                                    }
                                    out[chunk] = (spend, bytes)
                                }
                            }
                        }
                    }
                }
            }
            var spend = dataSpend, bytes = 0.0
            for p in partial { spend += p.spend; bytes += p.bytes }
            return (spend, bytes)
        }
        let huge = 1e12
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
        let budget = policy.budgetDollarsPerMonth
        let window = policy.backupWindowBytesPerDay
        var feasible = true
        if let window {
            let muFor: (Double) -> Double = { nu in
                guard let budget else { return 0 }
                return bisect { totals($0, nu).spend <= budget } ?? huge
            }
            if let v = bisect({ nu in totals(muFor(nu), nu).bytes <= window }) { nu = v } else { nu = huge; feasible = false }
            mu = muFor(nu)
        } else if let budget {
            if let m = bisect({ totals($0, 0).spend <= budget }) { mu = m } else { mu = huge; feasible = false }
        }
        let used = totals(mu, nu)
        if !feasible || (budget.map { used.spend > $0 } ?? false) {
            feasible = false
        }
        var limits: [Plan.Limit] = []
        if let budget {
            limits.append(.init(name: "budget", limit: budget, used: used.spend, binding: mu > 0, shadowPrice: mu, unit: "dollars per month"))
        }
        if let window {
            limits.append(.init(name: "backupWindow", limit: window, used: used.bytes, binding: nu > 0, shadowPrice: nu, unit: "bytes per day"))
        }
        if !feasible {
            // Even the least-spend (or least-bytes) options do not fit: name the datasets that need the most.
            let overBudget = budget.map { used.spend > $0 } ?? false
            var need: [(String, Double)] = []
            for (i, p) in prepared.enumerated() {
                guard case .success(let p) = p else { continue }
                let least = overBudget ? (p.candidates.map(\.spend).min() ?? 0) + p.dataSpend : p.candidates.map(\.bytes).min() ?? 0
                need.append((forecasts[i].name, least))
            }
            need.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            let unit = overBudget ? " dollars per month" : " bytes per day"
            for (name, amount) in need.prefix(10) {
                infeasible.append(.init(id: name, reason: "global limits cannot all hold; this dataset alone needs at least \(Self.short(amount))\(unit)"))
            }
        }
        infeasible.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        let t2 = clock.now
        var perBackup: [EntryFigures] = []
        let entries = buildEntries(forecasts, prepared, classes: classes, mu: mu, nu: nu, totals: &perBackup)
        if let phases { phases([("sort", t0 - tSort), ("prepare", t1 - t0), ("limits", t2 - t1), ("entries", clock.now - t2)]) }
        var sum = CostBreakdown()
        var backupsPerDay = 0.0
        var backupTierCounts = [Int](repeating: 0, count: catalog.tiers.count)
        var dataTierCounts = backupTierCounts
        for (e, extra) in zip(entries, perBackup) {
            let m = e.why.chosen.monthlyDollars
            sum.storage += m.storage
            sum.operations += m.operations
            sum.retrieval += m.retrieval
            sum.expectedLoss += m.expectedLoss
            sum.downtime += m.downtime
            sum.exposedWrites += e.why.chosen.exposedWrites
            sum.backupBytesPerDay += extra.bytesPerDay
            backupsPerDay += extra.backupsPerDay
            backupTierCounts[extra.backupTier] += 1
            dataTierCounts[extra.dataTier] += 1
        }
        var perBackupTier: [String: Int] = [:], perDataTier: [String: Int] = [:]
        for (t, tier) in catalog.tiers.enumerated() {
            if backupTierCounts[t] > 0 { perBackupTier[tier.name] = backupTierCounts[t] }
            if dataTierCounts[t] > 0 { perDataTier[tier.name] = dataTierCounts[t] }
        }
        return Plan(
            schemaVersion: Plan.currentSchemaVersion, generatedAt: generatedAt, inputs: inputs,
            totals: .init(datasets: entries.count, monthlyDollars: .init(sum), expectedExposedWrites: sum.exposedWrites,
                          backupsPerDay: backupsPerDay, backupBytesPerDay: sum.backupBytesPerDay,
                          datasetsPerBackupTier: perBackupTier, datasetsPerDataTier: perDataTier),
            limits: limits, infeasible: infeasible, datasets: entries)
    }

    /// `0.2193`, `1.5e+09`: four significant digits without Foundation's formatter.
    static func short(_ x: Double) -> String {
        guard x != 0, x.isFinite else { return "\(x)" }
        let scale = pow(10, 3 - floor(log10(abs(x))))
        return "\((x * scale).rounded() / scale)"
    }

    /// Runs `prepare` over every dataset on all cores, in chunks, results in input order.
    private func prepareAll(_ forecasts: [DatasetForecast], classes: [ClassInfo]) -> [Result<Prepared, InputError>] {
        let n = forecasts.count
        let placeholder: Result<Prepared, InputError> = .failure(InputError("not prepared"))
        var out = [Result<Prepared, InputError>](repeating: placeholder, count: n)
        let limits = (model.policy.budgetDollarsPerMonth != nil, model.policy.backupWindowBytesPerDay != nil)
        let chunks = n < 4_096 ? 1 : min(64, ProcessInfo.processInfo.activeProcessorCount * 4)
        out.withUnsafeMutableBufferPointer { buffer in
            let results = UncheckedSendable(buffer)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lo = n * chunk / chunks, hi = n * (chunk + 1) / chunks
                var scratch: [Candidate] = []
                scratch.reserveCapacity((Self.intervalGrid.count + 2) * model.catalog.tiers.count)
                for i in lo..<hi {
                    results.value[i] = prepare(forecasts[i], classes: classes, keepAll: false, limits: limits, scratch: &scratch)
                }
            }
        }
        return out
    }

    /// What the totals need of one entry, beside it.
    struct EntryFigures: Sendable {
        var backupsPerDay: Double
        var bytesPerDay: Double
        var backupTier: Int
        var dataTier: Int
    }

    /// The plan entries, and per entry the backups per day and bytes per day the totals need. Built on all
    /// cores into one array (each chunk initialises its own slots); every shared string and copies list is
    /// made once beforehand, so entries share their storage.
    private func buildEntries(_ forecasts: [DatasetForecast], _ prepared: [Result<Prepared, InputError>], classes: [ClassInfo],
                              mu: Double, nu: Double, totals: inout [EntryFigures]) -> [DatasetPlan] {
        let catalog = model.catalog
        let tierNames = catalog.tiers.map(\.name)
        let byBudget = "the budget: its shadow price \(Self.short(mu)) moved this dataset off its cheapest option"
        let byWindow = "the backup window: its shadow price \(Self.short(nu)) $/(byte/day) moved this dataset off its cheapest option"
        let byPrice = "price: the lowest expected monthly cost (storage and operations against expected loss and downtime)"
        let byRPO = classes.map { "the class RPO (\(DurationText.format($0.policy.rpoMaxSeconds))): a longer interval would cost less" }
        var byRTO: [Int: [UInt64: String]] = [:]
        var planned: [Int] = []
        planned.reserveCapacity(prepared.count)
        for (i, result) in prepared.enumerated() {
            guard case .success(let p) = result else { continue }
            planned.append(i)
            if p.rtoExcluded != 0 && byRTO[p.classIndex]?[p.rtoExcluded] == nil {
                let names = catalog.tiers.indices.filter { p.rtoExcluded & (1 << UInt64($0)) != 0 }.map { tierNames[$0] }
                byRTO[p.classIndex, default: [:]][p.rtoExcluded] = "price, among the tiers that meet the class RTO "
                    + "(\(DurationText.format(classes[p.classIndex].policy.rtoMaxSeconds)); excluded: \(names.joined(separator: ", ")))"
            }
        }
        let rtoReasons = byRTO
        let plannedIndices = planned
        let copiesByClassAndTier: [[[DatasetPlan.Copy]]] = classes.map { info in
            let c = info.policy
            return tierNames.indices.map { tier in
                (0..<c.copies).map { n in
                    let offline = n >= c.copies - c.offlineCopies
                    return DatasetPlan.Copy(tier: offline ? model.offlineTier.map { tierNames[$0] } ?? tierNames[tier] : tierNames[tier],
                                            region: "region-\(min(n, c.regions - 1) + 1)", offline: offline)
                }
            }
        }

        @Sendable func entry(_ i: Int) -> (DatasetPlan, EntryFigures) {
            guard case .success(let p) = prepared[i] else { preconditionFailure("entry for an unplanned dataset") }
            let d = forecasts[i]
            let info = classes[p.classIndex]
            let c = info.policy
            let k = Self.best(p.candidates, mu, nu)
            let chosen = p.candidates[k]
            let unconstrained = Self.best(p.candidates, 0, 0)
            var runnerUp: Candidate?
            for (j, o) in p.candidates.enumerated() where j != k {
                if runnerUp == nil || Self.objective(o, mu, nu) < Self.objective(runnerUp!, mu, nu) { runnerUp = o }
            }
            let decided: String
            if k != unconstrained {
                decided = nu > 0 && p.candidates[unconstrained].bytes > chosen.bytes ? byWindow : byBudget
            } else if p.rpoCapped && chosen.interval >= Double(c.rpoMaxSeconds) {
                decided = byRPO[p.classIndex]
            } else if p.rtoExcluded != 0, let s = rtoReasons[p.classIndex]?[p.rtoExcluded] {
                decided = s
            } else {
                decided = byPrice
            }
            let dataCost = model.dataCost(d, tier: p.dataTier)
            func option(_ o: Candidate) -> (DatasetPlan.Option, CostBreakdown) {
                let cost = model.backupCost(d, policy: c, intervalSeconds: o.interval, tier: o.tier, retentionDays: info.retentionDays)
                return (DatasetPlan.Option(
                    intervalSeconds: Int64(o.interval.rounded()), backupTier: tierNames[o.tier], dataTier: tierNames[p.dataTier],
                    monthlyDollars: .init(cost + dataCost), exposedWrites: cost.exposedWrites, restoreSeconds: cost.restoreSeconds), cost)
            }
            let (chosenOption, chosenCost) = option(chosen)
            let interval = Int64(chosen.interval.rounded())
            let plan = DatasetPlan(
                id: d.name, class: info.name, location: d.name,
                schedule: .init(
                    intervalSeconds: interval,
                    timeOfDaySeconds: interval >= 86_400 ? d.busiestBlockEndSeconds : nil,
                    quietSeconds: interval > Self.quietTriggerSeconds && (d.meanSessionSeconds ?? .infinity) < Double(interval) ? Self.quietTriggerSeconds : nil,
                    maxDirtyWrites: nil, rpoSeconds: c.rpoMaxSeconds, fullEverySeconds: nil),
                backupTier: tierNames[chosen.tier], dataTier: tierNames[p.dataTier],
                copies: copiesByClassAndTier[p.classIndex][chosen.tier], retention: info.retention, encrypt: c.encrypt,
                why: .init(
                    forecast: .init(sizeBytes: d.sizeBytes, writesPerDay: d.writesPerDay, readsPerDay: d.readsPerDay,
                                    meanSessionSeconds: d.meanSessionSeconds, meanQuietGapSeconds: d.meanQuietGapSeconds),
                    chosen: chosenOption, runnerUp: runnerUp.map { option($0).0 }, decidedBy: decided))
            let backups = 86_400 / chosen.interval * -expm1(-max(0, d.writesPerDay) / 86_400 * chosen.interval)
            return (plan, EntryFigures(backupsPerDay: backups, bytesPerDay: chosenCost.backupBytesPerDay,
                                       backupTier: chosen.tier, dataTier: p.dataTier))
        }

        let m = planned.count
        let chunks = m < 4_096 ? 1 : 16
        var perEntry = [EntryFigures](repeating: EntryFigures(backupsPerDay: 0, bytesPerDay: 0, backupTier: 0, dataTier: 0), count: m)
        let entries = [DatasetPlan](unsafeUninitializedCapacity: m) { buffer, initialized in
            perEntry.withUnsafeMutableBufferPointer { figures in
                let out = UncheckedSendable((buffer, figures))
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let (buffer, figures) = out.value
                    for j in (m * chunk / chunks)..<(m * (chunk + 1) / chunks) {
                        let (plan, figures_) = entry(plannedIndices[j])
                        (buffer.baseAddress! + j).initialize(to: plan)
                        figures[j] = figures_
                    }
                }
            }
            initialized = m
        }
        totals = perEntry
        return entries
    }

    static func objective(_ c: Candidate, _ mu: Double, _ nu: Double) -> Double {
        c.risk + (1 + mu) * c.spend + nu * c.bytes
    }

    /// Index of the candidate minimising risk + (1 + μ)·spend + ν·bytes; ties go to the earlier candidate.
    static func best(_ candidates: [Candidate], _ mu: Double, _ nu: Double) -> Int {
        var k = 0
        var v = Double.infinity
        for (i, c) in candidates.enumerated() {
            let o = objective(c, mu, nu)
            if o < v { v = o; k = i }
        }
        return k
    }

    /// Retention rules: the coarsest of daily, weekly, monthly, yearly steps whose span covers `minimum`
    /// without passing `maximum`, with 7 dailies (and 4 weeklies, 12 monthlies) before the coarser steps.
    public static func retention(minimumSeconds lo: Int64, maximumSeconds hi: Int64, erase: Bool) -> DatasetPlan.Retention {
        let day: Int64 = 86_400
        let days = max(1, Int((lo + day - 1) / day))
        func make(_ d: Int, _ w: Int, _ m: Int, _ y: Int, _ span: Int64) -> DatasetPlan.Retention {
            var flags: [String] = []
            if d > 0 { flags.append("--keep-daily \(d)") }
            if w > 0 { flags.append("--keep-weekly \(w)") }
            if m > 0 { flags.append("--keep-monthly \(m)") }
            if y > 0 { flags.append("--keep-yearly \(y)") }
            return .init(daily: d, weekly: w, monthly: m, yearly: y, spanSeconds: span,
                         deleteAfterSeconds: erase ? hi : nil, restic: flags.joined(separator: " "))
        }
        let steps: [(unit: Int64, build: (Int) -> (Int, Int, Int, Int))] = [
            (365 * day, { (7, 4, 12, $0) }),
            (30 * day, { (7, 4, $0, 0) }),
            (7 * day, { (7, $0, 0, 0) }),
        ]
        for (unit, build) in steps {
            let count = Int((Int64(days) * day + unit - 1) / unit)
            let span = Int64(count) * unit
            let minimumOfStep: Int64 = unit == 365 * day ? 365 * day : unit == 30 * day ? 35 * day : 8 * day
            if span >= lo && span <= hi && Int64(days) * day > minimumOfStep {
                let (d, w, m, y) = build(count)
                return make(d, w, m, y, span)
            }
        }
        return make(days, 0, 0, 0, Int64(days) * day)
    }

    /// The dataset's options, or why it has none. `keepAll` keeps every option (for ``bounds(_:)``).
    func prepare(_ d: DatasetForecast, classes: [ClassInfo], keepAll: Bool, limits: (budget: Bool, window: Bool) = (false, false))
        -> Result<Prepared, InputError>
    {
        var scratch: [Candidate] = []
        return prepare(d, classes: classes, keepAll: keepAll, limits: limits, scratch: &scratch)
    }

    /// ``prepare(_:classes:keepAll:limits:)`` pricing into `scratch`, a buffer reused across datasets.
    func prepare(_ d: DatasetForecast, classes: [ClassInfo], keepAll: Bool, limits: (budget: Bool, window: Bool),
                 scratch candidates: inout [Candidate]) -> Result<Prepared, InputError>
    {
        let policy = model.policy
        let catalog = model.catalog
        let index = classes.firstIndex { $0.name == d.dataClass } ?? classes.firstIndex { $0.name == "default" }
        guard let index else {
            return .failure(InputError("class '\(d.dataClass)' is not in the policy and it has no 'default' class"))
        }
        let info = classes[index]
        let c = info.policy
        var tiers: [Int] = []
        var excluded: UInt64 = 0
        for (i, t) in catalog.tiers.enumerated() where info.allowed?.contains(t.name) ?? true {
            if t.firstByteSeconds + d.sizeBytes / policy.restoreBytesPerSecond <= Double(c.rtoMaxSeconds) { tiers.append(i) } else { excluded |= 1 << UInt64(i) }
        }
        guard !tiers.isEmpty else {
            return .failure(InputError("no allowed tier restores \(Int(d.sizeBytes)) bytes within the class RTO \(DurationText.format(c.rtoMaxSeconds))"))
        }
        // Live data: the cheapest online tier whose first byte meets the RTO (a cold tier cannot serve it).
        var dataTier = -1
        var dataCost = CostBreakdown()
        for t in catalog.tiers.indices where !catalog.tiers[t].offline && catalog.tiers[t].firstByteSeconds <= Double(c.rtoMaxSeconds) {
            let cost = model.dataCost(d, tier: t)
            if dataTier < 0 || cost.total < dataCost.total { dataTier = t; dataCost = cost }
        }
        guard dataTier >= 0 else {
            return .failure(InputError("no online tier serves the first byte within the class RTO \(DurationText.format(c.rtoMaxSeconds))"))
        }
        let lo = Double(policy.executorMinIntervalSeconds), hi = Double(c.rpoMaxSeconds)
        candidates.removeAll(keepingCapacity: true)
        var rpoCapped = false
        for t in tiers {
            let pricer = BackupPricer(model, d, policy: c, tier: t, retentionDays: info.retentionDays)
            func candidate(_ interval: Double) -> Candidate {
                let q = pricer.quick(interval)
                return Candidate(interval: interval, tier: t, spend: q.spend, risk: q.risk, bytes: q.bytes)
            }
            // Searched on a range that does not depend on the class RPO, then capped by it: with a unimodal cost
            // that is the constrained optimum, and a tighter RPO can never lengthen it.
            let free = Checkpointing.minimize(in: lo, max(lo, Self.longestIntervalSeconds), tolerance: Self.intervalTolerance) {
                let q = pricer.quick($0)
                return q.spend + q.risk
            }
            if free > hi { rpoCapped = true }
            let best = min(max(free.rounded(), lo), hi)
            // The continuous optimum joins the grid unless a grid interval is within 1% of it already.
            var nearGrid = abs(best / hi - 1) < 0.01
            for interval in Self.intervalGrid where interval >= lo && interval < hi {
                candidates.append(candidate(interval))
                nearGrid = nearGrid || abs(best / interval - 1) < 0.01
            }
            candidates.append(candidate(hi))
            if !nearGrid { candidates.append(candidate(best)) }
        }
        return .success(Prepared(classIndex: index, dataTier: dataTier, dataSpend: dataCost.spend,
                                 candidates: keepAll ? candidates : Self.keep(candidates, limits: limits),
                                 rpoCapped: rpoCapped, rtoExcluded: excluded))
    }

    /// The candidates that can win for some multipliers, plus the runner-up at no multiplier. With no global
    /// limit: the best and the runner-up. With one: the lower-left convex chain in (limited quantity, rest of
    /// the objective), from the least of the limited quantity to the least of the rest (gift wrapping,
    /// O(options × chain)). With two: every option no other beats on risk, spend and bytes at once.
    static func keep(_ all: [Candidate], limits: (budget: Bool, window: Bool)) -> [Candidate] {
        let first = best(all, 0, 0)
        var second = -1
        for (i, c) in all.enumerated() where i != first {
            if second < 0 || objective(c, 0, 0) < objective(all[second], 0, 0) { second = i }
        }
        var kept: [Int]
        switch limits {
        case (false, false):
            kept = [first]
        case (true, true):
            kept = all.indices.filter { i in
                let a = all[i]
                return !all.contains { b in
                    b.risk <= a.risk && b.spend <= a.spend && b.bytes <= a.bytes && (b.risk < a.risk || b.spend < a.spend || b.bytes < a.bytes)
                }
            }
        case (let budget, _):
            @inline(__always) func x(_ i: Int) -> Double { budget ? all[i].spend : all[i].bytes }
            @inline(__always) func y(_ i: Int) -> Double { budget ? all[i].risk : all[i].risk + all[i].spend }
            // Start at the least x (ties: least y); walk to the point of steepest descent until y stops falling.
            var current = 0
            for i in all.indices where x(i) < x(current) || (x(i) == x(current) && y(i) < y(current)) { current = i }
            kept = [current]
            while true {
                var next = -1
                var slope = 0.0
                let (x0, y0) = (x(current), y(current))
                for i in all.indices where x(i) > x0 && y(i) < y0 {
                    let s = (y(i) - y0) / (x(i) - x0)
                    if next < 0 || s < slope || (s == slope && x(i) > x(next)) { next = i; slope = s }
                }
                guard next >= 0 else { break }
                kept.append(next)
                current = next
            }
            if !kept.contains(first) { kept.append(first) }
        }
        if second >= 0 && !kept.contains(second) { kept.append(second) }
        return kept.map { all[$0] }
    }
}
