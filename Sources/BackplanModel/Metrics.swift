import Foundation

/// How well one predictor forecast one target on a set of rows (DESIGN §3).
public struct PredictorMetrics: Codable, Sendable, Equatable {
    /// `model`, `ewma`, `last-window` or `recency-30d`.
    public var name: String
    public var poissonDeviance: Double
    public var mae: Double
    public var spearman: Double
    public var f1: Double

    public init(name: String, poissonDeviance: Double, mae: Double, spearman: Double, f1: Double) {
        self.name = name
        self.poissonDeviance = poissonDeviance
        self.mae = mae
        self.spearman = spearman
        self.f1 = f1
    }
}

/// The metrics of every predictor for one target.
public struct TargetMetrics: Codable, Sendable, Equatable {
    public var target: String
    /// Rows evaluated and the sum of the target over them.
    public var rows: Int
    public var total: Double
    public var predictors: [PredictorMetrics]
}

/// Metric formulas. All take observed counts `y` and predicted means `mu` of the same length.
public enum Metrics {
    /// Smallest mean used in the deviance, so a prediction of 0 for an observed count is finite.
    public static let muFloor = 1e-9

    /// Mean Poisson deviance 2·Σ[y·log(y/μ) − (y − μ)]/n, with y·log(y/μ) = 0 at y = 0 and μ floored at 1e-9
    /// (McCullagh & Nelder, Generalized Linear Models, 2nd ed., Table 2.1). 0 for no rows.
    public static func meanPoissonDeviance(y: [Double], mu: [Double]) -> Double {
        precondition(y.count == mu.count, "meanPoissonDeviance: \(y.count) observations, \(mu.count) predictions")
        guard !y.isEmpty else { return 0 }
        var sum = 0.0
        for i in y.indices {
            let m = max(mu[i], muFloor)
            let term = y[i] > 0 ? y[i] * log(y[i] / m) : 0
            sum += term - (y[i] - m)
        }
        return 2 * sum / Double(y.count)
    }

    /// Mean absolute error Σ|y − μ|/n; 0 for no rows.
    public static func meanAbsoluteError(y: [Double], mu: [Double]) -> Double {
        precondition(y.count == mu.count, "meanAbsoluteError: \(y.count) observations, \(mu.count) predictions")
        guard !y.isEmpty else { return 0 }
        var sum = 0.0
        for i in y.indices { sum += abs(y[i] - mu[i]) }
        return sum / Double(y.count)
    }

    /// Ranks 1…n with ties given the average of the ranks they span.
    public static func averageRanks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] || (v[$0] == v[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// Spearman's rank correlation: Pearson's correlation of the average ranks (ties handled exactly).
    /// 0 when either side is constant (the correlation is undefined) or there are fewer than 2 rows.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "spearman: \(a.count) and \(b.count) values")
        guard a.count >= 2 else { return 0 }
        let ra = averageRanks(a), rb = averageRanks(b)
        let n = Double(a.count)
        let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in ra.indices {
            let da = ra[i] - ma, db = rb[i] - mb
            sab += da * db
            saa += da * da
            sbb += db * db
        }
        guard saa > 0 && sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }

    /// F1 of the "hot" class: 2·TP / (2·TP + FP + FN). 0 when there are no true or predicted hot rows.
    public static func f1(actual: [Bool], predicted: [Bool]) -> Double {
        precondition(actual.count == predicted.count, "f1: \(actual.count) and \(predicted.count) labels")
        var tp = 0.0, fp = 0.0, fn = 0.0
        for i in actual.indices {
            switch (actual[i], predicted[i]) {
            case (true, true): tp += 1
            case (false, true): fp += 1
            case (true, false): fn += 1
            case (false, false): break
            }
        }
        let denominator = 2 * tp + fp + fn
        return denominator > 0 ? 2 * tp / denominator : 0
    }

    /// Predicted hot when P(y ≥ 1) = 1 − e^−μ ≥ 0.5, i.e. μ ≥ ln 2.
    public static func predictedHot(mu: Double) -> Bool { 1 - exp(-mu) >= 0.5 }

    /// All four metrics; `hot` overrides the μ-based hot/cold call (the recency rule decides it directly).
    public static func evaluate(name: String, y: [Double], mu: [Double], hot: [Bool]? = nil) -> PredictorMetrics {
        PredictorMetrics(
            name: name,
            poissonDeviance: meanPoissonDeviance(y: y, mu: mu),
            mae: meanAbsoluteError(y: y, mu: mu),
            spearman: spearman(y, mu),
            f1: f1(actual: y.map { $0 >= 1 }, predicted: hot ?? mu.map(predictedHot)))
    }
}
