import BackplanLinAlg
import Foundation

/// What the gradient-boosted trees see beyond the model's feature rows: optional share-of-all-activity columns
/// and an optional EWMA anchor (issue #14: forms that stay robust when the level of a whole log moves).
enum BoostingInputs {
    /// Columns of the exponentially smoothed rates (`log1p_<op>_per_day_ewma_<h>`) in the schema.
    static func rateColumns(_ schema: FeatureSchema) -> [Int] {
        schema.names.indices.filter { schema.names[$0].contains("_per_day_ewma_") }
    }

    /// Smallest rate (per day) added to a share's numerator and denominator, so a silent dataset or a silent
    /// cutoff gives a finite share.
    static let shareFloorPerDay = 1e-3

    /// The rows' features, followed, when `parameters.shareFeatures`, by one column per smoothed rate: the
    /// log of the dataset's share of that rate summed over all datasets at the same cutoff,
    /// log((r + ε) / (Σ r + ε)). A level shift of the whole log (a holiday) cancels in it.
    static func matrix(_ rows: FeatureRows, parameters: GBDTParameters) -> Matrix {
        guard parameters.shareFeatures else { return rows.features }
        let columns = rateColumns(rows.schema)
        let p = rows.features.columns, q = p + columns.count
        var totals: [Int64: [Double]] = [:]
        let x = rows.features.elements
        for i in 0..<rows.count {
            var t = totals[rows.cutoffs[i]] ?? [Double](repeating: 0, count: columns.count)
            for (k, j) in columns.enumerated() { t[k] += expm1(x[i * p + j]) }
            totals[rows.cutoffs[i]] = t
        }
        var out = [Double](repeating: 0, count: rows.count * q)
        for i in 0..<rows.count {
            for j in 0..<p { out[i * q + j] = x[i * p + j] }
            let t = totals[rows.cutoffs[i]] ?? []
            for (k, j) in columns.enumerated() {
                out[i * q + p + k] = log((expm1(x[i * p + j]) + shareFloorPerDay) / (t[k] + shareFloorPerDay))
            }
        }
        return Matrix(rows: rows.count, columns: q, elements: out)
    }

    /// Smallest anchored mean (a count in H): the anchor of a silent dataset is log of this.
    static let anchorFloor = 1e-2

    /// The starting log-mean per row when `parameters.anchorOnEWMA`: log of the tuned EWMA forecast (floored), so
    /// the trees learn a multiplicative correction to EWMA; `nil` otherwise (XGBoost's constant base score).
    static func margin(
        _ rows: FeatureRows, baselines: Baselines, target: ForecastTarget, parameters: GBDTParameters
    ) -> [Double]? {
        guard parameters.anchorOnEWMA else { return nil }
        let ewma = baselines.predictions(rows, target: target).first { $0.name == "ewma" }?.mu ?? []
        return ewma.map { log(max($0, anchorFloor)) }
    }
}
