import Foundation

/// Checkpoint-interval formulas from the HPC literature, which the backup planner generalises (DESIGN §4).
///
/// A backup is a checkpoint: it costs δ each time, and a failure (rate 1/M) loses the work since the last one.
public enum Checkpointing {
    /// Young's first-order optimum T* = √(2·δ·M) (J. W. Young, "A first order approximation to the optimum
    /// checkpoint interval", CACM 17(9), 1974). Same units as the inputs.
    ///
    /// In the planner's terms (backup cost C_b dollars, failure rate λ per second, writes r per second, loss c
    /// dollars per write) the same balance gives T* = √(2·C_b / (λ·r·c)): δ = C_b, 1/M = λ·r·c.
    public static func young(checkpointCost delta: Double, mtbf m: Double) -> Double {
        (2 * delta * m).squareRoot()
    }

    /// Daly's higher-order optimum (J. T. Daly, "A higher order estimate of the optimum checkpoint interval
    /// for restart dumps", FGCS 22(3), 2006, eq. 37):
    ///
    ///     T* = √(2δM)·[1 + ⅓·√(δ/2M) + ⅑·(δ/2M)] − δ   for δ < 2M,   else M.
    ///
    /// With δ = 5 min: 116.7, 56.7 and 9.1 min for M = 24 h, 6 h and 15 min.
    public static func daly(checkpointCost delta: Double, mtbf m: Double) -> Double {
        guard delta < 2 * m else { return m }
        let x = delta / (2 * m)
        return (2 * delta * m).squareRoot() * (1 + x.squareRoot() / 3 + x / 9) - delta
    }

    /// Daly's exact expected wall time per unit of useful work with checkpoints every τ of work, each costing
    /// δ, restarts costing R, and exponential failures with mean M (Daly 2006, eq. 20, divided by the solve
    /// time): M·e^{R/M}·(e^{(τ+δ)/M} − 1) / τ. Its minimum over τ is the exact optimum Daly's formula
    /// approximates.
    public static func dalyWallTimePerWork(interval tau: Double, checkpointCost delta: Double, restart r: Double, mtbf m: Double) -> Double {
        m * exp(r / m) * expm1((tau + delta) / m) / tau
    }

    /// The minimum of a unimodal `f` on [lo, hi] (lo > 0), searched on log τ to a relative width of
    /// `tolerance`, by Brent's method: parabolic interpolation through the three best points when it
    /// behaves, golden-section steps when it does not (R. P. Brent, "Algorithms for Minimization without
    /// Derivatives", 1973, ch. 5). Returns the argument, within [lo, hi].
    ///
    /// - Complexity: at most about log(ln(hi/lo)/tolerance)/log(1.618) evaluations of `f` (the golden-section
    ///   bound), and far fewer on smooth costs.
    public static func minimize(in lo: Double, _ hi: Double, tolerance: Double = 1e-9, _ f: (Double) -> Double) -> Double {
        precondition(lo > 0 && hi >= lo, "minimize: need 0 < lo ≤ hi, got \(lo), \(hi)")
        if hi == lo { return lo }
        // A unimodal f that does not fall just above lo has its minimum at lo (costs whose optimum is the
        // shortest interval are common: rarely written datasets). Two evaluations instead of a search.
        if f(lo) <= f(min(hi, lo * (1 + tolerance))) { return lo }
        let golden = (3 - 5.0.squareRoot()) / 2
        let logLo = log(lo), logHi = log(hi)
        var a = logLo, b = logHi
        var x = a + golden * (b - a), w = x, v = x
        var fx = f(exp(x)), fw = fx, fv = fx
        var d = 0.0, e = 0.0
        for _ in 0..<200 {
            let m = (a + b) / 2
            let tol = tolerance / 4
            if abs(x - m) <= 2 * tol - (b - a) / 2 { break }
            var useGolden = true
            if abs(e) > tol {
                // Parabola through (v, fv), (w, fw), (x, fx).
                var r = (x - w) * (fx - fv)
                var q = (x - v) * (fx - fw)
                var p = (x - v) * q - (x - w) * r
                q = 2 * (q - r)
                if q > 0 { p = -p } else { q = -q }
                r = e
                e = d
                if abs(p) < abs(q * r / 2) && p > q * (a - x) && p < q * (b - x) {
                    d = p / q
                    let u = x + d
                    if u - a < 2 * tol || b - u < 2 * tol { d = x < m ? tol : -tol }
                    useGolden = false
                }
            }
            if useGolden {
                e = (x < m ? b : a) - x
                d = golden * e
            }
            let u = abs(d) >= tol ? x + d : x + (d > 0 ? tol : -tol)
            let fu = f(exp(u))
            if fu <= fx {
                if u < x { b = x } else { a = x }
                v = w; fv = fw
                w = x; fw = fx
                x = u; fx = fu
            } else {
                if u < x { a = u } else { b = u }
                if fu <= fw || w == x {
                    v = w; fv = fw
                    w = u; fw = fu
                } else if fu <= fv || v == x || v == w {
                    v = u; fv = fu
                }
            }
        }
        // A minimum at a bound is found only to within the tolerance of it: report the bound itself.
        if x - logLo <= tolerance { return lo }
        if logHi - x <= tolerance { return hi }
        return min(max(exp(x), lo), hi)
    }
}
