import Foundation

/// The baselines reported beside the model (DESIGN §3), with the parameters they learn on the training rows.
public struct Baselines: Codable, Sendable, Equatable {
    /// The S3 Intelligent-Tiering rule's window: a dataset is hot if accessed in the last 30 days.
    public static let recencyWindowSeconds = 2_592_000.0

    /// Per target.
    public struct Parameters: Codable, Sendable, Equatable {
        /// EWMA half-life chosen on the training rows (lowest mean deviance over the grid).
        public var ewmaHalfLifeSeconds: Double
        /// Mean training target of rows the recency rule calls hot, and of the rest.
        public var recencyHotMean: Double
        public var recencyColdMean: Double
    }

    /// Keyed by target name (`reads`, `writes`).
    public var parameters: [String: Parameters]

    /// Predictor names in report order.
    public static let names = ["ewma", "last-window", "recency-30d"]

    /// Learns each target's EWMA half-life and the recency rule's two means from training rows.
    public init(fitting rows: FeatureRows) {
        var parameters: [String: Parameters] = [:]
        for target in ForecastTarget.allCases {
            let y = rows.targets[target] ?? []
            var best = (halfLife: BaselineInputs.ewmaHalfLivesSeconds[0], deviance: Double.infinity)
            for (k, h) in BaselineInputs.ewmaHalfLivesSeconds.enumerated() {
                let mu = Self.ewma(rows, target: target, halfLifeIndex: k)
                let d = Metrics.meanPoissonDeviance(y: y, mu: mu)
                if d < best.deviance { best = (h, d) }
            }
            let hot = Self.recencyHot(rows)
            var sums = [0.0, 0.0], counts = [0.0, 0.0]
            for i in y.indices {
                let k = hot[i] ? 0 : 1
                sums[k] += y[i]
                counts[k] += 1
            }
            parameters[target.rawValue] = Parameters(
                ewmaHalfLifeSeconds: best.halfLife,
                recencyHotMean: counts[0] > 0 ? sums[0] / counts[0] : 0,
                recencyColdMean: counts[1] > 0 ? sums[1] / counts[1] : 0)
        }
        self.parameters = parameters
    }

    /// Predicted means of each baseline for `target`, with the recency rule's own hot/cold call.
    public func predictions(_ rows: FeatureRows, target: ForecastTarget) -> [(name: String, mu: [Double], hot: [Bool]?)] {
        let p = parameters[target.rawValue]
            ?? Parameters(ewmaHalfLifeSeconds: BaselineInputs.ewmaHalfLivesSeconds[0], recencyHotMean: 0, recencyColdMean: 0)
        let k = BaselineInputs.ewmaHalfLivesSeconds.firstIndex(of: p.ewmaHalfLifeSeconds) ?? 0
        let hot = Self.recencyHot(rows)
        return [
            ("ewma", Self.ewma(rows, target: target, halfLifeIndex: k), nil),
            ("last-window", rows.baselines.map { $0.lastWindow[target.op] }, nil),
            ("recency-30d", hot.map { $0 ? p.recencyHotMean : p.recencyColdMean }, hot),
        ]
    }

    /// EWMA forecast of the count in the next H: decayed count · ln 2 / h (a rate per second) · H.
    static func ewma(_ rows: FeatureRows, target: ForecastTarget, halfLifeIndex k: Int) -> [Double] {
        let h = BaselineInputs.ewmaHalfLivesSeconds[k]
        let scale = M_LN2 / h * Double(rows.horizonSeconds)
        return rows.baselines.map { $0.decayed[target.op][k] * scale }
    }

    /// The rule "hot if read or written in the last 30 days".
    static func recencyHot(_ rows: FeatureRows) -> [Bool] {
        rows.baselines.map { b in b.secondsSinceAccess.map { $0 < recencyWindowSeconds } ?? false }
    }
}
