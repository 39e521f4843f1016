import BackplanCore
import Foundation

extension ForecastModel {
    /// The accepted range of every number in `model.json`, checked by ``load(directory:)`` and listed in
    /// docs/INPUTS.md. A model file is input like any other: a NaN or huge coefficient, a zero scale or a
    /// zero or negative horizon once gave `evaluate` nonsense and `plan` a NaN it could not write.
    public enum Limits {
        /// `horizonSeconds` (and `train --horizon`): 1 h … 1 y.
        public static let horizon: ClosedRange<Int64> = 3_600...31_536_000
        /// Every coefficient, intercept included (on the standardised scale): |c| ≤ 10⁴. A trained model's are
        /// below 10 (`models/default`: 1.6); exp(10⁴·x) overflows for any standardised x above 0.07.
        public static let coefficient = 1e4
        /// Every scaler mean: |m| ≤ 10¹²; every scaler standard deviation: 10⁻¹² … 10¹² (never 0: features are
        /// divided by it).
        public static let scalerMean = 1e12
        public static let scalerStd: ClosedRange<Double> = 1e-12...1e12
        /// `lambda` (and `train --lambda`): 0 … 10⁶.
        public static let lambda: ClosedRange<Double> = 0...1e6
        /// Baseline parameters: EWMA half-life 1 s … 100 y; recency means 0 … 10¹².
        public static let halfLife: ClosedRange<Double> = 1...Double(TimeSpan.maximumSeconds)
        public static let recencyMean: ClosedRange<Double> = 0...1e12
    }

    /// Checks every number of a loaded model against ``Limits``.
    ///
    /// - Throws: ``ModelError/badModelFile(path:detail:)`` naming the key (`targets[0].coefficients[3]`).
    func validate(path: String) throws(ModelError) {
        func bad(_ key: String, _ detail: String) -> ModelError {
            .badModelFile(path: path, detail: "key '\(key)': \(detail)")
        }
        guard Limits.horizon.contains(horizonSeconds) else {
            throw bad("horizonSeconds", "\(horizonSeconds) s is outside 1h … 1y")
        }
        guard lambda.isFinite, Limits.lambda.contains(lambda) else { throw bad("lambda", "\(lambda) is outside 0 … 1000000") }
        for (t, fit) in targets.enumerated() {
            guard ForecastTarget(rawValue: fit.target) != nil else {
                throw bad("targets[\(t)].target", "unknown target '\(fit.target)' (expected reads or writes)")
            }
            for (j, c) in fit.coefficients.enumerated() where !(c.isFinite && abs(c) <= Limits.coefficient) {
                throw bad("targets[\(t)].coefficients[\(j)]", "\(c) is not a finite number within ±\(Int(Limits.coefficient))")
            }
        }
        for (j, m) in scaler.means.enumerated() where !(m.isFinite && abs(m) <= Limits.scalerMean) {
            throw bad("scaler.means[\(j)]", "\(m) is not a finite number within ±1e12")
        }
        for (j, s) in scaler.stds.enumerated() where !(s.isFinite && Limits.scalerStd.contains(s)) {
            throw bad("scaler.stds[\(j)]", "\(s) is outside 1e-12 … 1e12 (features are divided by it)")
        }
        for (name, p) in baselines.parameters.sorted(by: { $0.key < $1.key }) {
            guard p.ewmaHalfLifeSeconds.isFinite, Limits.halfLife.contains(p.ewmaHalfLifeSeconds) else {
                throw bad("baselines.parameters.\(name).ewmaHalfLifeSeconds", "\(p.ewmaHalfLifeSeconds) is outside 1 s … 100 y")
            }
            for (key, v) in [("recencyHotMean", p.recencyHotMean), ("recencyColdMean", p.recencyColdMean)]
            where !(v.isFinite && Limits.recencyMean.contains(v)) {
                throw bad("baselines.parameters.\(name).\(key)", "\(v) is outside 0 … 1e12")
            }
        }
    }
}
