import BackplanCore
import BackplanPlan
import Foundation

/// Pricing one dataset's options: the grid intervals on every allowed tier, and per tier the continuous optimum.
extension Planner {
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
        guard let (dataTier, dataCost, _) = model.dataChoice(d, tiers: info.dataTiers) else {
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
}
