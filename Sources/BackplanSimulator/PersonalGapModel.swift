import BackplanCore
import Foundation

/// The `personal` variants of the online policy (issue 14 item 4): each dataset's own time-to-next-write curves in
/// coarse cells of its own — the 6-hour slot of the day (UTC) × weekday or weekend, 8 cells a dataset — shrunk
/// toward the pooled cell the write falls in (``GapModel``, gap bucket × 2-hour slot):
///
///     F = a·F_own + (1 − a)·F_pooled,   M = a·M_own + (1 − a)·M_pooled,   a = n_eff / (n_eff + κ)
///
/// with n_eff = (Σw)² / Σw² of the dataset cell's recency weights w = 0.5^(age / half-life), the credibility
/// weight of empirical-Bayes shrinkage (Bühlmann 1967; Efron & Morris 1975). κ = ∞ gives a = 0, the pooled
/// curves exactly; κ → 0 trusts a dataset's own few gaps alone. κ is chosen on the inner split of the training
/// window (``Frontier/chooseOnlineVariantWithScores()``), like the variant itself.
///
/// Causal like the pooled model: an observation (a write and the gap to the dataset's next write) is staged when
/// the next write arrives and takes effect at the next refit; each refit forgets the cached curves. Only the last
/// ``maxObservations`` gaps of a dataset cell are kept (at a 14-day half-life older ones weigh little).
///
///     var p = PersonalGapModel(halfLife: 14 * 86_400, shrinkage: 20)
///     p.add(dataset: 3, at: t, gap: 3_600)
///     p.refit()
///     let τ = p.tau(pooled: model, pooledTaus: &taus, dataset: 3, at: t2, cell: c, pending: 1, lambda: λ)
///
/// Units: seconds.
struct PersonalGapModel {
    static let cellsPerDataset = 8
    static let maxObservations = 64

    /// The personal cell of a write at `t` (Unix seconds): 6-hour slot × 2 + 1 on Saturdays and Sundays (UTC).
    static func cell(at t: Int64) -> Int {
        let day = Units.secondsPerDay
        let days = t >= 0 ? t / day : -((-t + day - 1) / day)
        let second = t - days * day
        let weekday = Int((((days + 3) % 7) + 7) % 7)   // 0 = Monday: 1970-01-01 was a Thursday
        return Int(second / 21_600) * 2 + (weekday >= 5 ? 1 : 0)
    }

    let halfLife: Double
    /// κ, in effective observations; `.infinity` for the pooled curves.
    let shrinkage: Double
    /// Per key (dataset × 8 + cell): (t + g, g) of the observations learned by the last refit, oldest first.
    private var observations: [Int: [(end: Double, gap: Double)]] = [:]
    private var staged: [(key: Int, end: Double, gap: Double)] = []
    /// Per key: the own F and M on the grid and the shrinkage weight a, for the current refit.
    private var curves: [Int: (f: [Double], m: [Double], weight: Double)] = [:]
    /// τ per (key, pooled cell, k) at `tauLambda`, for the current refit.
    private var taus: [Int: Double] = [:]
    private var tauLambda = Double.nan

    init(halfLife: Double, shrinkage: Double) {
        self.halfLife = halfLife
        self.shrinkage = shrinkage
    }

    /// Learns that dataset `d` wrote at `t` and next `gap` seconds later (effective from the next ``refit()``).
    mutating func add(dataset d: Int, at t: Double, gap: Double) {
        staged.append((d * Self.cellsPerDataset + Self.cell(at: Int64(t)), t + gap, gap))
    }

    /// Takes in the staged observations and forgets every cached curve and τ.
    mutating func refit() {
        guard !staged.isEmpty else { return }
        for s in staged {
            var list = observations[s.key, default: []]
            list.append((s.end, s.gap))
            if list.count > Self.maxObservations { list.removeFirst(list.count - Self.maxObservations) }
            observations[s.key] = list
        }
        staged.removeAll(keepingCapacity: true)
        curves.removeAll(keepingCapacity: true)
        taus.removeAll(keepingCapacity: true)
    }

    /// τ for a write of dataset `d` at `t` with pooled key `cell` and `k` writes pending: argmin over the grid of
    /// k·M(τ) − λ·F(τ) on the shrunk curves (first grid point on ties, as ``TauTable``); the pooled τ when the
    /// dataset cell has no observation yet.
    mutating func tau(pooled: GapModel, pooledTaus: inout TauTable, dataset d: Int, at t: Int64, cell: Int,
                      pending k: Int, lambda: Double) -> Double {
        let key = d * Self.cellsPerDataset + Self.cell(at: t)
        guard let own = curve(key) else { return pooledTaus.tau(pooled, cell: cell, pending: k) }
        if tauLambda != lambda {
            taus.removeAll(keepingCapacity: true)
            tauLambda = lambda
        }
        let kk = min(k, GapModel.kMax)
        let index = (key * GapModel.cells + cell) * GapModel.kMax + kk - 1
        if let cached = taus[index] { return cached }
        let p = GapModel.points
        let a = own.weight, b = 1 - own.weight, kd = Double(kk)
        var best = 0
        var bestValue = Double.infinity
        for j in 0..<p {
            let m = a * own.m[j] + b * pooled.m[cell * p + j]
            let f = a * own.f[j] + b * pooled.f[cell * p + j]
            let v = kd * m - lambda * f
            if v < bestValue { bestValue = v; best = j }
        }
        taus[index] = GapModel.grid[best]
        return GapModel.grid[best]
    }

    /// The dataset cell's weighted empirical F and M and its weight a; nil without observations.
    private mutating func curve(_ key: Int) -> (f: [Double], m: [Double], weight: Double)? {
        if let c = curves[key] { return c }
        guard let list = observations[key], let newest = list.map(\.end).max() else { return nil }
        let weighted = list.map { (gap: $0.gap, w: exp2(($0.end - newest) / halfLife)) }.sorted { $0.gap < $1.gap }
        let total = weighted.reduce(0) { $0 + $1.w }
        let squares = weighted.reduce(0) { $0 + $1.w * $1.w }
        let p = GapModel.points
        var f = [Double](repeating: 0, count: p), m = f
        var i = 0, cumW = 0.0, cumWG = 0.0
        for j in 0..<p {
            let x = GapModel.grid[j]
            while i < weighted.count, weighted[i].gap <= x {
                cumW += weighted[i].w
                cumWG += weighted[i].w * weighted[i].gap
                i += 1
            }
            f[j] = cumW / total
            m[j] = (cumWG + (total - cumW) * x) / total
        }
        let effective = total * total / squares
        let c = (f: f, m: m, weight: effective / (effective + shrinkage))
        curves[key] = c
        return c
    }
}
