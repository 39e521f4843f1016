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
        let logLo = log(lo), logHi = log(hi)
        let x = logLo + golden * (logHi - logLo)
        let fx = f(exp(x))
        let found = brent(Search(a: logLo, b: logHi, x: x, fx: fx, w: x, fw: fx, v: x, fv: fx, d: 0, e: 0), tolerance: tolerance, f)
        return snap(found, lo, hi, tolerance: tolerance)
    }

    /// ``minimize(in:_:tolerance:_:)`` started from a grid: `points` ascending within [lo, hi], where
    /// `value(j)` is f(points[j]) (from a cache, or by calling `f`; asked at most once per point, and only for
    /// the points needed). For a unimodal `f` the first point x from which f stops falling (the last point
    /// when it never does) and its neighbours (the ends of the range where it has none) bracket the minimum,
    /// so Brent's search starts from that bracket, with a parabola through the three points as its first step,
    /// instead of from the whole range. When x is an end of the range, it gets the same two-evaluation check
    /// as `minimize(in:)` does at lo. Returns the argument, within [lo, hi], to the same relative width
    /// `tolerance` on log τ (for a unimodal `f` the minimum lies in the final bracket, which is at most that
    /// wide). With no point it is `minimize(in:)`.
    ///
    /// - Complexity: the points up to the bracket's, then about log(w/tolerance)/log(1.618) evaluations of
    ///   `f` at most, w the bracket's log-width (ln 3 to ln 7 on the planner's grid), and fewer on smooth costs.
    public static func minimize<Points: RandomAccessCollection>(in lo: Double, _ hi: Double, points: Points, value: (Int) -> Double,
                                                                tolerance: Double = 1e-9, _ f: (Double) -> Double) -> Double
        where Points.Element == Double, Points.Index == Int
    {
        precondition(lo > 0 && hi >= lo, "minimize: need 0 < lo ≤ hi, got \(lo), \(hi)")
        guard hi > lo, !points.isEmpty else { return minimize(in: lo, hi, tolerance: tolerance, f) }
        let first = points.startIndex, last = points.endIndex - 1
        precondition(points[first] >= lo && points[last] <= hi, "minimize: points must lie within [lo, hi]")
        // Walk up the points while f falls.
        var k = first
        var fx = value(k)
        var left: (Double, Double)?, right: (Double, Double)?
        while k < last {
            let next = value(k + 1)
            if next >= fx {
                right = (points[k + 1], next)
                break
            }
            left = (points[k], fx)
            k += 1
            fx = next
        }
        let x = points[k]
        precondition(left.map { $0.0 < x } ?? true && right.map { x < $0.0 } ?? true, "minimize: points must ascend")
        var s: Search
        if x == lo || x == hi {
            // At an end: look just inside it; if f does not fall there, the end is the minimum.
            let atLo = x == lo
            let u = atLo ? min(hi, lo * (1 + tolerance)) : max(lo, hi / (1 + tolerance))
            let fu = f(u)
            if fx <= fu { return x }
            let other = atLo ? right : left
            let far = other.map { log($0.0) } ?? (atLo ? log(hi) : log(lo))
            let (a, b) = atLo ? (log(lo), far) : (far, log(hi))
            let o = other.map { (log($0.0), $0.1) } ?? (log(x), fx)
            s = Search(a: a, b: b, x: log(u), fx: fu, w: log(x), fw: fx, v: o.0, fv: o.1, d: b - a, e: b - a)
        } else {
            let a = left.map { log($0.0) } ?? log(lo)
            let b = right.map { log($0.0) } ?? log(hi)
            let lx = log(x)
            // w: the better of the known neighbours, v: the other (each is x itself when missing).
            var w = left.map { (a, $0.1) } ?? (lx, fx)
            var v = right.map { (b, $0.1) } ?? w
            if left == nil { w = v }
            if v.1 < w.1 { swap(&w, &v) }
            s = Search(a: a, b: b, x: lx, fx: fx, w: w.0, fw: w.1, v: v.0, fv: v.1, d: b - a, e: b - a)
        }
        return snap(brent(s, tolerance: tolerance, f), lo, hi, tolerance: tolerance)
    }

    private static let golden = (3 - 5.0.squareRoot()) / 2

    /// The state of Brent's search on log τ: the bracket [a, b], the least point x and the next two w and v
    /// with their values, and the last two steps d and e.
    private struct Search {
        var a, b, x, fx, w, fw, v, fv, d, e: Double
    }

    /// Brent's iteration from `s` until the bracket is `tolerance` wide; returns x (log τ).
    private static func brent(_ s: Search, tolerance: Double, _ f: (Double) -> Double) -> Double {
        var (a, b, x, fx, w, fw, v, fv, d, e) = (s.a, s.b, s.x, s.fx, s.w, s.fw, s.v, s.fv, s.d, s.e)
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
        return x
    }

    /// The argument at log τ = `x`: a minimum at a bound is found only to within the tolerance of it, so
    /// report the bound itself.
    private static func snap(_ x: Double, _ lo: Double, _ hi: Double, tolerance: Double) -> Double {
        if x - log(lo) <= tolerance { return lo }
        if log(hi) - x <= tolerance { return hi }
        return min(max(exp(x), lo), hi)
    }
}
