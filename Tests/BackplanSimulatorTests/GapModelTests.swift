import BackplanCore
import Foundation
import Testing
@testable import BackplanSimulator

/// The online policy's pure pieces: the gap model (F and M per key cell, with shrinkage) and the τ decision.
/// Property tests run over hundreds of seeds; each failure message names its seed.
@Suite("The gap model and the τ decision")
struct GapModelTests {
    static let seeds: ClosedRange<UInt64> = 1...300

    /// A model fed with `count` random observations: a few busy cells and a long tail, gaps from 0 s to past
    /// the 90-day grid, over about 60 days.
    static func randomModel(seed: UInt64, count: Int = 150, halfLife: Double = 14 * 86_400,
                            reference: Double = 0) -> (GapModel, [(cell: Int, t: Double, g: Double)]) {
        var rng = Xoshiro256StarStar(seed: seed)
        var model = GapModel(halfLife: halfLife, shrinkage: 20, reference: reference)
        var obs: [(cell: Int, t: Double, g: Double)] = []
        for _ in 0..<(1 + rng.nextIndex(below: count)) {
            let cell = rng.nextUnitDouble() < 0.7 ? rng.nextIndex(below: 4) * 13 : rng.nextIndex(below: GapModel.cells)
            let t = 60 * 86_400 * rng.nextUnitDouble()
            let g: Double
            switch rng.nextIndex(below: 6) {
            case 0: g = 0
            case 1: g = 100 * 86_400 * rng.nextUnitDouble()   // past the grid's 90 days
            default: g = rng.nextExponential(rate: 1 / (60 * pow(10, 4 * rng.nextUnitDouble())))
            }
            model.add(cell: cell, at: t, gap: g)
            obs.append((cell, t, g))
        }
        model.refit()
        return (model, obs)
    }

    /// The first grid index minimising k·M − λ·F, by brute force.
    static func argmin(_ model: GapModel, cell: Int, k: Int, lambda: Double) -> Double {
        let p = GapModel.points
        var best = 0
        for j in 1..<p where Double(k) * model.m[cell * p + j] - lambda * model.f[cell * p + j]
            < Double(k) * model.m[cell * p + best] - lambda * model.f[cell * p + best] { best = j }
        return GapModel.grid[best]
    }

    @Test("Every cell's F is a distribution function and M a 1-Lipschitz mean of min(G, τ)")
    func fAndMAreDistributionFunctions() {
        let grid = GapModel.grid, p = GapModel.points
        for seed in Self.seeds {
            let (model, _) = Self.randomModel(seed: seed)
            var bad: String?
            for cell in 0..<GapModel.cells where bad == nil {
                let m = model.m[(cell * p)..<((cell + 1) * p)], f = model.f[(cell * p)..<((cell + 1) * p)]
                let m0 = m.startIndex, f0 = f.startIndex
                if abs(m[m0]) > 1e-9 { bad = "cell \(cell): M(0) = \(m[m0])" }
                for j in 1..<p where bad == nil {
                    let dm = m[m0 + j] - m[m0 + j - 1], dt = grid[j] - grid[j - 1]
                    if !(f[f0 + j] >= f[f0 + j - 1] - 1e-12 && f[f0 + j] <= 1 + 1e-12 && f[f0 + j - 1] >= -1e-12) {
                        bad = "cell \(cell): F not a distribution function at \(j)"
                    } else if !(dm >= -1e-9 * max(1, m[m0 + j]) && dm <= dt * (1 + 1e-9) + 1e-9) {
                        bad = "cell \(cell): M(τ) step \(dm) outside [0, \(dt)] at \(j)"
                    } else if m[m0 + j] > grid[j] * (1 + 1e-9) + 1e-9 {
                        bad = "cell \(cell): M(τ) = \(m[m0 + j]) > τ = \(grid[j])"
                    }
                }
            }
            #expect(bad == nil, "seed \(seed): \(bad ?? "")")
        }
    }

    @Test("Moving the weights' reference time changes F and M by rounding only")
    func referenceIsScaleFree() {
        for seed in Self.seeds {
            let (a, _) = Self.randomModel(seed: seed, reference: 0)
            let (b, _) = Self.randomModel(seed: seed, reference: 40 * 86_400)
            let mDiff = zip(a.m, b.m).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
            let fDiff = zip(a.f, b.f).map { abs($0 - $1) }.max() ?? 0
            #expect(mDiff <= 1e-9 && fDiff <= 1e-9, "seed \(seed): M differs by \(mDiff), F by \(fDiff)")
        }
    }

    @Test("A write's key: the gap bucket grows with the previous gap, the slot is its 2-hour UTC slot")
    func cellKeys() {
        for seed in Self.seeds {
            var rng = Xoshiro256StarStar(seed: seed)
            let g1 = rng.nextUnitDouble() < 0.1 ? Double.infinity : 10 * 86_400 * pow(rng.nextUnitDouble(), 3)
            let g2 = g1 + 86_400 * rng.nextUnitDouble()
            let t = Int64(rng.nextIndex(below: 2_000_000_000))
            let c1 = GapModel.cell(previousGap: g1, at: t), c2 = GapModel.cell(previousGap: g2, at: t)
            #expect(c1 / GapModel.slots <= c2 / GapModel.slots, "seed \(seed): gaps \(g1) ≤ \(g2)")
            #expect(c1 % GapModel.slots == Int((t % 86_400) / 7_200), "seed \(seed): t \(t)")
            #expect(GapModel.cell(previousGap: g1, at: t + 86_400 * Int64(rng.nextIndex(below: 400))) == c1)
            #expect((0..<GapModel.cells).contains(c1) && (0..<GapModel.cells).contains(c2))
            if g1.isInfinite { #expect(c1 / GapModel.slots == GapModel.gapBuckets - 1) }
        }
    }

    @Test("τ is the first argmin of k·M − λ·F, never grows with the pending writes and never shrinks with λ")
    func tauIsMonotoneArgmin() {
        for seed in Self.seeds {
            let (model, _) = Self.randomModel(seed: seed)
            var rng = Xoshiro256StarStar(seed: seed &+ 1_000)
            var taus = TauTable()
            let cell = rng.nextIndex(below: GapModel.cells)
            let lambda = 60 * pow(10, 6 * rng.nextUnitDouble()), higher = lambda * (1 + 3 * rng.nextUnitDouble())
            taus.reset(lambda: lambda)
            let ks = [1, 2, 3, 5, 8, 13, 21, 34, 64, 100]
            let atLambda = ks.map { taus.tau(model, cell: cell, pending: $0) }
            #expect(atLambda == ks.map { Self.argmin(model, cell: cell, k: min($0, GapModel.kMax), lambda: lambda) },
                    "seed \(seed)")
            #expect(zip(atLambda, atLambda.dropFirst()).allSatisfy { $0 >= $1 }, "seed \(seed): \(atLambda)")
            taus.reset(lambda: higher)
            let atHigher = ks.map { taus.tau(model, cell: cell, pending: $0) }
            #expect(zip(atLambda, atHigher).allSatisfy { $0 <= $1 }, "seed \(seed): λ \(lambda) → \(higher)")
        }
    }

    /// Weighted F and M of one row, computed directly from the observations.
    static func direct(_ obs: [(cell: Int, t: Double, g: Double)], now: Double, halfLife: Double,
                       where keep: (Int) -> Bool) -> (m: [Double], f: [Double], neff: Double)? {
        let chosen = obs.filter { keep($0.cell) }
        guard !chosen.isEmpty else { return nil }
        let w = chosen.map { pow(0.5, (now - ($0.t + $0.g)) / halfLife) }
        let total = w.reduce(0, +)
        let m = GapModel.grid.map { tau in zip(chosen, w).reduce(0.0) { $0 + $1.1 * min($1.0.g, tau) } / total }
        let f = GapModel.grid.map { tau in zip(chosen, w).reduce(0.0) { $0 + ($1.0.g <= tau ? $1.1 : 0) } / total }
        return (m, f, total * total / w.reduce(0) { $0 + $1 * $1 })
    }

    @Test("F, M and the shrinkage match the direct formulas", arguments: [86_400.0 * 14, 2_000])
    func gapModelMatchesTheDirectFormulas(halfLife: Double) {
        // With a 2,000 s half-life the observations span > 256 half-lives and the weights get rebased.
        var rng = SplitMix64(seed: 5)
        var model = GapModel(halfLife: halfLife, shrinkage: 20, reference: 0)
        var obs: [(cell: Int, t: Double, g: Double)] = []
        for i in 0..<400 {
            let cell = rng.nextIndex(below: 3) * GapModel.slots + rng.nextIndex(below: 2)   // a few busy cells
            let t = Double(i) * 2_000 + 1_000 * rng.nextUnitDouble()
            let g = i % 50 == 0 ? 0 : rng.nextExponential(rate: 1 / 20_000)
            obs.append((cell, t, g))
            model.add(cell: cell, at: t, gap: g)
        }
        model.refit()
        let now = obs.map { $0.t + $0.g }.max()! + 1
        let root = Self.direct(obs, now: now, halfLife: halfLife) { _ in true }!
        let p = GapModel.points
        for cell in [0, 1, 13, GapModel.slots * 2, 5 * GapModel.slots + 3] {
            var m = root.m, f = root.f
            for level in [{ (c: Int) in c / GapModel.slots == cell / GapModel.slots }, { (c: Int) in c == cell }] {
                guard let e = Self.direct(obs, now: now, halfLife: halfLife, where: level) else { continue }
                let a = e.neff / (e.neff + 20)
                m = zip(e.m, m).map { a * $0 + (1 - a) * $1 }
                f = zip(e.f, f).map { a * $0 + (1 - a) * $1 }
            }
            for j in 0..<p {
                #expect(abs(model.m[cell * p + j] - m[j]) <= 1e-9 * max(1, m[j]), "cell \(cell) M[\(j)]")
                #expect(abs(model.f[cell * p + j] - f[j]) <= 1e-9, "cell \(cell) F[\(j)]")
            }
        }
    }

    @Test("The decision is the argmin of the trade-off")
    func decisionIsTheArgminOfTheTradeOff() {
        // Every next write comes after exactly 1,000 s: waiting past it saves the backup when λ > k·1,000.
        var model = GapModel(halfLife: 86_400 * 14, shrinkage: 20, reference: 0)
        for i in 0..<100 { model.add(cell: 0, at: Double(i) * 1_000, gap: 1_000) }
        model.refit()
        var taus = TauTable()
        taus.reset(lambda: 5_000)
        let firstAbove = GapModel.grid.first { $0 >= 1_000 }!
        #expect(taus.tau(model, cell: 0, pending: 1) == firstAbove)
        #expect(taus.tau(model, cell: 0, pending: 4) == firstAbove)
        #expect(taus.tau(model, cell: 0, pending: 6) == 0)
        #expect(taus.tau(model, cell: 0, pending: 500) == 0)   // k is capped at 64
    }
}
