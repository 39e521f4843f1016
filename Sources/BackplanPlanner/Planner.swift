import BackplanCore
import Dispatch
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

    /// One priced option, reduced to what the optimisation needs.
    struct Candidate {
        var interval: Double
        var tier: Int
        var spend: Double
        var risk: Double
        var bytes: Double
        /// spend + risk: the objective with no multiplier (the same value as `objective(self, 0, 0)`).
        var value: Double

        init(interval: Double, tier: Int, spend: Double, risk: Double, bytes: Double) {
            self.interval = interval
            self.tier = tier
            self.spend = spend
            self.risk = risk
            self.bytes = bytes
            value = spend + risk
        }
    }

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

    /// One dataset's fixed parts, and how many options it keeps. Its options are in its chunk's
    /// ``OptionBlock``, right after the previous dataset's.
    struct Prepared {
        var dataSpend = 0.0
        /// Bit i set: tier i was excluded because it cannot restore within the class RTO.
        var rtoExcluded: UInt64 = 0
        /// Index in the class list; −1 when the dataset has no option (see the chunk's failures).
        var classIndex: Int32 = -1
        /// Options kept: the first `contenders` can be chosen for some multipliers μ, ν ≥ 0; the rest are kept
        /// only because they can be the runner-up (see ``keep(_:limits:into:hull:)``).
        var options: Int32 = 0
        var contenders: Int32 = 0
        var dataTier: Int16 = 0
        var rpoCapped = false
    }

    /// The kept options of a chunk of consecutive datasets, flat, dataset after dataset. `bytes` is filled only
    /// when a backup window is set (without one its multiplier is 0 and no pass reads it).
    struct OptionBlock {
        var spend: [Double] = [], risk: [Double] = [], bytes: [Double] = [], interval: [Double] = []
        var tier: [UInt16] = []
        /// Datasets of the chunk without any option, and why.
        var failures: [(Int, InputError)] = []
    }

    /// A dataset's fixed parts, and how many options it has (the first `options` of the scratch's candidates,
    /// before ``keep(_:limits:into:hull:)``).
    struct Priced {
        var classIndex: Int
        var dataTier: Int
        var dataSpend: Double
        var rpoCapped: Bool
        var rtoExcluded: UInt64
        var options: Int
    }

    /// Buffers one thread reuses from dataset to dataset while pricing.
    struct Scratch {
        /// For ``keep(_:limits:into:hull:)``.
        var hull: [Int32] = []
        /// The priced options (the first ``Priced/options`` of them).
        var candidates: [Candidate] = []
        /// Class names seen, and their index in the class list (`nil`: no such class and no default).
        var classIndex: [String: Int?] = [:]
        var tiers: [Int] = []
        var pricers: [BackupPricer] = []
        /// Tier-major: the grid's (spend, risk, bytes, spend + risk) on tier k at interval j is at k·(intervals) + j.
        var grid: [(spend: Double, risk: Double, bytes: Double, value: Double)] = []
        var kept: [Int] = []
    }

    /// The retention rules the plan gives a class: point-in-time restores after corruption must reach back
    /// the policy's longest discovery delay, within the class's legal minimum and maximum.
    public static func retention(for c: ClassPolicy, in policy: Policy) -> DatasetPlan.Retention {
        let discovery = policy.failures.map(\.discoverySeconds).max() ?? 0
        return retention(minimumSeconds: min(max(c.retentionMinSeconds, discovery), c.retentionMaxSeconds),
                         maximumSeconds: c.retentionMaxSeconds, erase: c.erase)
    }

    func classInfos() -> [ClassInfo] {
        let policy = model.policy
        let catalog = model.catalog
        let lo = Double(policy.executorMinIntervalSeconds)
        let longest = max(lo, Self.longestIntervalSeconds)
        let tolerance = Self.intervalTolerance
        return policy.classes.keys.sorted().map { name in
            let c = policy.classes[name]!
            let keep = Self.retention(for: c, in: policy)
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
            for c in 0..<chunks {
                var offset = 0
                for i in Self.chunk(c, of: chunks, datasetCount) where prepared[i].options > 0 {
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
        infeasible.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
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
            limits: limits, infeasible: infeasible, datasets: entries)
    }

    /// The forecasts in name order, without moving them: element i is `base[order[i]]` (`base[i]` when
    /// `order` is `nil`: already in order).
    struct NameOrdered: Sendable {
        let base: [DatasetForecast]
        let order: [Int32]?

        var count: Int { base.count }

        subscript(i: Int) -> DatasetForecast {
            if let order { return base[Int(order[i])] }
            return base[i]
        }
    }

    /// Positions of `forecasts` in byte order of their UTF-8 names, or `nil` when they are in that order
    /// already. Compares 8-byte keys, each name's first 8 bytes big-endian and zero-padded: unequal keys order
    /// their names as the bytes do (a zero pad sorts a shorter name first, as its being a prefix does), and
    /// equal keys fall back to the whole names.
    ///
    /// - Throws: ``InputError`` when a name appears twice.
    static func nameOrder(_ forecasts: [DatasetForecast]) throws -> [Int32]? {
        precondition(forecasts.count <= Int(Int32.max), "more datasets than the planner indexes")
        var keyed = [(key: UInt64, index: Int32)]()
        keyed.reserveCapacity(forecasts.count)
        for (i, f) in forecasts.enumerated() {
            var key: UInt64 = 0
            var bytes = 0
            for b in f.name.utf8 {
                if bytes == 8 { break }
                key = key << 8 | UInt64(b)
                bytes += 1
            }
            keyed.append((bytes == 0 ? 0 : key << (8 * (8 - bytes)), Int32(i)))
        }
        func precedes(_ a: (key: UInt64, index: Int32), _ b: (key: UInt64, index: Int32)) -> Bool {
            if a.key != b.key { return a.key < b.key }
            let x = forecasts[Int(a.index)].name.utf8, y = forecasts[Int(b.index)].name.utf8
            if x.elementsEqual(y) { return a.index < b.index }
            return x.lexicographicallyPrecedes(y)
        }
        let inOrder = keyed.indices.dropFirst().allSatisfy { !precedes(keyed[$0], keyed[$0 - 1]) }
        if !inOrder { keyed.sort(by: precedes) }
        // Equal names are neighbours now, with equal keys.
        for i in keyed.indices.dropFirst() where keyed[i].key == keyed[i - 1].key {
            let name = forecasts[Int(keyed[i].index)].name
            if name.utf8.elementsEqual(forecasts[Int(keyed[i - 1].index)].name.utf8) {
                throw InputError("dataset id '\(name)' appears twice in the planner's input")
            }
        }
        return inOrder ? nil : keyed.map(\.index)
    }

    /// `0.2193`, `1.5e+09`: four significant digits without Foundation's formatter.
    static func short(_ x: Double) -> String {
        guard x != 0, x.isFinite else { return "\(x)" }
        let scale = pow(10, 3 - floor(log10(abs(x))))
        return "\((x * scale).rounded() / scale)"
    }

    /// The datasets of chunk `c` of `chunks`.
    static func chunk(_ c: Int, of chunks: Int, _ n: Int) -> Range<Int> {
        (n * c / chunks)..<(n * (c + 1) / chunks)
    }

    /// Chunks the datasets are prepared, passed over and built in: a number that depends only on how many
    /// there are (so every sum runs in the same order on any machine), enough to keep 64 cores busy.
    static func chunkCount(_ n: Int) -> Int { n < 4_096 ? 1 : 64 }

    /// Prices every dataset and keeps its options that matter (``keep(_:limits:into:hull:)``), on all cores, one
    /// ``OptionBlock`` per chunk of consecutive datasets.
    func prepareAll(_ forecasts: NameOrdered, classes: [ClassInfo]) -> ([Prepared], [OptionBlock]) {
        let n = forecasts.count
        let limits = (model.policy.budgetDollarsPerMonth != nil, model.policy.backupWindowBytesPerDay != nil)
        let chunks = Self.chunkCount(n)
        let tierCount = model.catalog.tiers.count
        var prepared = [Prepared](repeating: Prepared(), count: n)
        var blocks = [OptionBlock](repeating: OptionBlock(), count: chunks)
        prepared.withUnsafeMutableBufferPointer { prepared in
            blocks.withUnsafeMutableBufferPointer { blocks in
                let out = UncheckedSendable((prepared, blocks))
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let (prepared, blocks) = out.value
                    let range = Self.chunk(chunk, of: chunks, n)
                    var scratch = Scratch()
                    var block = OptionBlock()
                    // A guess at the options kept (a few per tier at most); the arrays grow past it if need be.
                    let guess = range.count * (tierCount + 4)
                    block.spend.reserveCapacity(guess)
                    block.risk.reserveCapacity(guess)
                    block.interval.reserveCapacity(guess)
                    block.tier.reserveCapacity(guess)
                    if limits.1 { block.bytes.reserveCapacity(guess) }
                    for i in range {
                        switch price(forecasts[i], classes: classes, into: &scratch) {
                        case .failure(let reason):
                            block.failures.append((i, reason))
                        case .success(let p):
                            let contenders = scratch.candidates.withUnsafeBufferPointer {
                                Self.keep(UnsafeBufferPointer(rebasing: $0[..<p.options]), limits: limits, into: &scratch.kept, hull: &scratch.hull)
                            }
                            for k in scratch.kept {
                                let c = scratch.candidates[k]
                                block.spend.append(c.spend)
                                block.risk.append(c.risk)
                                if limits.1 { block.bytes.append(c.bytes) }
                                block.interval.append(c.interval)
                                block.tier.append(UInt16(c.tier))
                            }
                            prepared[i] = Prepared(dataSpend: p.dataSpend, rtoExcluded: p.rtoExcluded, classIndex: Int32(p.classIndex),
                                                   options: Int32(scratch.kept.count), contenders: Int32(contenders),
                                                   dataTier: Int16(p.dataTier), rpoCapped: p.rpoCapped)
                        }
                    }
                    blocks[chunk] = block
                }
            }
        }
        return (prepared, blocks)
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

    /// Prices every option of `d` into `scratch.candidates`, tier after tier in the catalog's order, each tier's
    /// intervals ascending and then its continuous optimum (unless a grid interval is within 1% of it); returns
    /// the dataset's fixed parts, or why it has no option.
    ///
    /// Every tier's options at the grid intervals share the parts of the cost that do not depend on the tier
    /// (``IntervalTerms``). Per tier, the continuous optimum is Brent's search on log T over [executor minimum,
    /// 30 d], started from the bracket the grid gives (``Checkpointing/minimize(in:_:points:value:tolerance:_:)``,
    /// reusing the grid's prices), then capped by the class RPO. When the cost still falls just past the RPO
    /// (two prices, see ``ClassInfo/beyondRPO``) the search would end past it: capped without searching.
    func price(_ d: DatasetForecast, classes: [ClassInfo], into s: inout Scratch) -> Result<Priced, InputError> {
        let policy = model.policy
        let found: Int?
        if let known = s.classIndex[d.dataClass] {
            found = known
        } else {
            found = classes.firstIndex { $0.name == d.dataClass } ?? classes.firstIndex { $0.name == "default" }
            s.classIndex[d.dataClass] = found
        }
        guard let index = found else {
            return .failure(InputError("class '\(d.dataClass)' is not in the policy and it has no 'default' class"))
        }
        let info = classes[index]
        let c = info.policy
        let rto = Double(c.rtoMaxSeconds)
        let transfer = d.sizeBytes / policy.restoreBytesPerSecond
        s.tiers.removeAll(keepingCapacity: true)
        var excluded: UInt64 = 0
        for (i, t) in model.rates.enumerated() where info.allowed[i] {
            if t.firstByte + transfer <= rto { s.tiers.append(i) } else { excluded |= 1 << UInt64(i) }
        }
        guard !s.tiers.isEmpty else {
            return .failure(InputError("no allowed tier restores \(Int(d.sizeBytes)) bytes within the class RTO \(DurationText.format(c.rtoMaxSeconds))"))
        }
        // Live data: the cheapest online tier whose first byte meets the RTO (a cold tier cannot serve it).
        var dataTier = -1
        var dataCost = CostBreakdown()
        for t in info.dataTiers {
            let cost = model.dataCost(d, tier: t)
            if dataTier < 0 || cost.total < dataCost.total { dataTier = t; dataCost = cost }
        }
        guard dataTier >= 0 else {
            return .failure(InputError("no online tier serves the first byte within the class RTO \(DurationText.format(c.rtoMaxSeconds))"))
        }
        let lo = Double(policy.executorMinIntervalSeconds), hi = Double(c.rpoMaxSeconds)
        let intervals = info.intervals
        let g = intervals.count
        let tierCount = s.tiers.count
        s.pricers.removeAll(keepingCapacity: true)
        for t in s.tiers { s.pricers.append(BackupPricer(model, d, policy: c, tier: t, retentionDays: info.retentionDays)) }
        // Room for every option: each tier's intervals and its continuous optimum.
        if s.grid.count < tierCount * g { s.grid.append(contentsOf: repeatElement((spend: 0.0, risk: 0.0, bytes: 0.0, value: 0.0), count: tierCount * g - s.grid.count)) }
        let room = tierCount * (g + 1)
        if s.candidates.count < room {
            s.candidates.append(contentsOf: repeatElement(Candidate(interval: 0, tier: 0, spend: 0, risk: 0, bytes: 0), count: room - s.candidates.count))
        }
        var count = 0
        var rpoCapped = false
        let tiers = s.tiers, pricers = s.pricers
        s.grid.withUnsafeMutableBufferPointer { grid in
            // The grid: each interval's tier-independent terms once, then every tier's price from them.
            for (j, interval) in intervals.enumerated() {
                let terms = pricers[0].terms(interval)
                for k in 0..<tierCount {
                    let q = pricers[k].quick(terms)
                    grid[k * g + j] = (q.spend, q.risk, q.bytes, q.spend + q.risk)
                }
            }
            s.candidates.withUnsafeMutableBufferPointer { candidates in
                for (k, t) in tiers.enumerated() {
                    let pricer = pricers[k]
                    func cost(_ interval: Double) -> Double {
                        let q = pricer.quick(interval)
                        return q.spend + q.risk
                    }
                    let free = continuousOptimum(info, grid: { grid[k * g + $0].value }, cost: cost)
                    if free > hi { rpoCapped = true }
                    let best = min(max(free.rounded(), lo), hi)
                    // The continuous optimum joins the grid unless a grid interval is within 1% of it already.
                    var nearGrid = abs(best / hi - 1) < 0.01
                    for j in 0..<g {
                        let q = grid[k * g + j]
                        candidates[count] = Candidate(interval: intervals[j], tier: t, spend: q.spend, risk: q.risk, bytes: q.bytes)
                        count += 1
                        if j < g - 1 { nearGrid = nearGrid || abs(best / intervals[j] - 1) < 0.01 }
                    }
                    if !nearGrid {
                        let q = pricer.quick(best)
                        candidates[count] = Candidate(interval: best, tier: t, spend: q.spend, risk: q.risk, bytes: q.bytes)
                        count += 1
                    }
                }
            }
        }
        return .success(Priced(classIndex: index, dataTier: dataTier, dataSpend: dataCost.spend, rpoCapped: rpoCapped,
                               rtoExcluded: excluded, options: count))
    }

    /// One tier's continuous optimum for a dataset of class `info`: the interval of least `cost` (spend + risk,
    /// dollars per month, of an interval in seconds) on [executor minimum, 30 d] by Brent's search from the
    /// grid (``Checkpointing/minimize(in:_:points:value:tolerance:_:)``), where `grid(j)` is the cost already
    /// priced at `info.intervals[j]`. Range and grid do not depend on the class RPO, so a tighter RPO can
    /// never lengthen the capped result (with a unimodal cost that is the constrained optimum).
    ///
    /// With `shortcut`, when the cost still falls at the RPO and also past it, from T₁ to T₂
    /// (``ClassInfo/beyondRPO``), the minimum lies beyond T₁ = RPO·e^{tolerance}; the search's result is within
    /// its tolerance of the minimum on log T, so it would be past the RPO: T₂ is returned without searching
    /// (any result past the RPO is capped to it).
    func continuousOptimum(_ info: ClassInfo, grid: (Int) -> Double, cost: (Double) -> Double, shortcut: Bool = true) -> Double {
        let lo = Double(model.policy.executorMinIntervalSeconds), hi = Double(info.policy.rpoMaxSeconds)
        let longest = max(lo, Self.longestIntervalSeconds)
        let g = info.intervals.count
        if shortcut, let (past, further) = info.beyondRPO, g == 1 || grid(g - 1) < grid(g - 2), cost(further) < cost(past) {
            return further
        }
        // The grid intervals below the RPO, and the RPO itself if on the grid, are priced; further ones are
        // priced if the walk up the grid reaches them.
        return Checkpointing.minimize(in: lo, longest, points: info.searchGrid, value: { j in
            if j < g - 1 { return grid(j) }
            return info.searchGrid[j] == hi ? grid(g - 1) : cost(info.searchGrid[j])
        }, tolerance: Self.intervalTolerance, cost)
    }

    /// The candidates that can win for some multipliers, plus the runner-up at no multiplier, as indices into
    /// `all` (written to `kept`). With no global limit: the best and the runner-up. With one: the lower-left
    /// convex chain in (limited quantity, rest of the objective), from the least of the limited quantity to the
    /// least of the rest (gift wrapping, O(options × chain)). With two: every option no other beats on risk,
    /// spend and bytes at once.
    ///
    /// Returns how many of the kept options, from the first, can be chosen for some multipliers μ, ν ≥ 0 (the
    /// contenders): with at most one limit, those up to the unconstrained best b. With a budget the chain runs
    /// in increasing spend, so the options after b spend more; for μ ≥ 0, risk + (1 + μ)·spend =
    /// (risk + spend) + μ·spend, and b has the least risk + spend, so none of them beats b (a tie goes to the
    /// earlier option, b). With a window the chain ends at b (the least risk + spend). The runner-up at no
    /// multiplier, appended last unless on the chain, lies on or above the chain, so it never beats every chain
    /// option. The passes and the entries choose among the contenders only, with the same results up to
    /// rounding ties; the runner-up is still looked for among every kept option.
    static func keep(_ all: UnsafeBufferPointer<Candidate>, limits: (budget: Bool, window: Bool), into kept: inout [Int], hull: inout [Int32]) -> Int {
        kept.removeAll(keepingCapacity: true)
        let n = all.count
        // The best and the runner-up at no multiplier (ties to the earlier).
        var first = 0, firstValue = Double.infinity
        for (i, c) in all.enumerated() where c.value < firstValue { first = i; firstValue = c.value }
        var second = -1, secondValue = 0.0
        for (i, c) in all.enumerated() where i != first && (second < 0 || c.value < secondValue) { second = i; secondValue = c.value }
        let contenders: Int
        switch limits {
        case (false, false):
            kept.append(first)
            contenders = 1
        case (true, true):
            for i in all.indices {
                let a = all[i]
                let dominated = all.contains { b in
                    b.risk <= a.risk && b.spend <= a.spend && b.bytes <= a.bytes && (b.risk < a.risk || b.spend < a.spend || b.bytes < a.bytes)
                }
                if !dominated { kept.append(i) }
            }
            contenders = kept.count
        case (true, false):
            chain(n, { all[$0].spend }, { all[$0].risk }, open: &hull, into: &kept)
            if !kept.contains(first) { kept.append(first) }
            contenders = kept.firstIndex(of: first)! + 1
        case (false, true):
            chain(n, { all[$0].bytes }, { all[$0].value }, open: &hull, into: &kept)
            if !kept.contains(first) { kept.append(first) }
            contenders = kept.firstIndex(of: first)! + 1
        }
        if second >= 0 && !kept.contains(second) { kept.append(second) }
        return contenders
    }

    /// The lower-left convex chain of the points (x(i), y(i)), i < n, appended to `kept` (gift wrapping):
    /// start at the least x (ties: least y) and walk to the point of steepest descent until y stops falling.
    /// A point left of or above one vertex is so of every later one (they lie right of and below it), so each
    /// step scans only the points the previous one could take (kept, in their order, in two halves of `open`,
    /// a buffer reused across calls, read from one and written to the other in turn).
    @inline(__always)
    private static func chain(_ n: Int, _ x: (Int) -> Double, _ y: (Int) -> Double, open: inout [Int32], into kept: inout [Int]) {
        if open.count < 2 * n { open.append(contentsOf: repeatElement(0, count: 2 * n - open.count)) }
        var current = 0
        for i in 1..<max(1, n) where x(i) < x(current) || (x(i) == x(current) && y(i) < y(current)) { current = i }
        kept.append(current)
        open.withUnsafeMutableBufferPointer { open in
            var from = open.baseAddress!, to = open.baseAddress! + n
            var openCount = -1  // every point, before the first step
            while true {
                let (x0, y0) = (x(current), y(current))
                // The points right of and below the vertex, in their order (without branches).
                var count = 0
                if openCount < 0 {
                    for i in 0..<n {
                        to[count] = Int32(i)
                        count += (x(i) > x0 ? 1 : 0) & (y(i) < y0 ? 1 : 0)
                    }
                } else {
                    for k in 0..<openCount {
                        let i = Int(from[k])
                        to[count] = Int32(i)
                        count += (x(i) > x0 ? 1 : 0) & (y(i) < y0 ? 1 : 0)
                    }
                }
                swap(&from, &to)
                openCount = count
                var next = -1
                var slope = 0.0
                for k in 0..<count {
                    let i = Int(from[k])
                    let dx = x(i) - x0, dy = y(i) - y0
                    // dy/dx is negative. When it is above the best slope by far more than rounding, its quotient
                    // cannot be below or equal to it: skip the division.
                    if next >= 0 && dy > slope * dx * (1 - 1e-12) { continue }
                    let s = dy / dx
                    if next < 0 || s < slope || (s == slope && x(i) > x(next)) { next = i; slope = s }
                }
                guard next >= 0 else { break }
                kept.append(next)
                current = next
            }
        }
    }
}
