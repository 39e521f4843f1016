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

    /// The minimum of a unimodal `f` on [lo, hi] (lo > 0) by golden-section search on log τ, to a relative
    /// width of `tolerance` (Kiefer 1953). Returns the argument.
    ///
    /// - Complexity: about log(ln(hi/lo)/tolerance)/log(1.618) evaluations of `f`.
    public static func minimize(in lo: Double, _ hi: Double, tolerance: Double = 1e-9, _ f: (Double) -> Double) -> Double {
        precondition(lo > 0 && hi >= lo, "minimize: need 0 < lo ≤ hi, got \(lo), \(hi)")
        if hi == lo { return lo }
        let g = (5.0.squareRoot() - 1) / 2
        var a = log(lo), b = log(hi)
        var c = b - g * (b - a), d = a + g * (b - a)
        var fc = f(exp(c)), fd = f(exp(d))
        while b - a > tolerance {
            if fc <= fd {
                b = d; d = c; fd = fc
                c = b - g * (b - a); fc = f(exp(c))
            } else {
                a = c; c = d; fc = fd
                d = a + g * (b - a); fd = f(exp(d))
            }
        }
        return min(max(exp((a + b) / 2), lo), hi)
    }
}
