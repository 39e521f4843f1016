import BackplanCore
import Foundation

extension ForecastModel {
    /// The model card's default held-out section (issue 14): the rolling evaluation at every whole horizon from the
    /// cut on (``rolling``), each predictor's mean deviance over the cutoffs with its 95% bootstrap interval over
    /// datasets, its ratio to the best baseline (paired replicates), the per-cutoff spread, MAE, Spearman and F1,
    /// and the rows left out. Empty when the model has no rolling evaluation.
    ///
    /// Example line: `| writes | model | 0.6480 (0.5290–0.7690) | 0.549 (0.497–0.616) | 0.278–1.016 | … |`
    func rollingSection() -> String {
        guard let r = rolling else { return "" }
        var s = "## Held-out metrics, rolling cutoffs\n\n"
        s += "\(r.cutoffs.count) cutoffs every \(DurationText.format(r.everySeconds)) from \(Self.rollingStamp(r.cutoffAt)) "
        s += "to \(Self.rollingStamp(r.lastCutoffAt)), each scored on the next \(DurationText.format(r.horizonSeconds)) "
        s += "(whole horizons only), \(r.datasets) datasets. Each metric is the mean over the cutoffs; intervals are 95% "
        s += "percentile intervals from \(r.bootstrapReplicates) bootstrap draws of datasets (seed \(r.bootstrapSeed)); "
        s += "× best baseline divides by the baseline with the lowest mean deviance, on the same draws. "
        s += "The single cutoff at the cut follows below.\n\n"
        s += "| target | predictor | Poisson deviance (95%) | × best baseline (95%) | per-cutoff deviance | MAE | Spearman | F1 |\n"
        s += "|---|---|---:|---:|---:|---:|---:|---:|\n"
        for t in r.targets {
            for p in t.predictors {
                s += "| \(t.target) | \(p.name) | \(f4(p.poissonDeviance)) (\(f4(p.poissonDevianceLow))–\(f4(p.poissonDevianceHigh))) | "
                s += "\(f3(p.devianceRatio)) (\(f3(p.devianceRatioLow))–\(f3(p.devianceRatioHigh))) | "
                s += "\(f4(p.cutoffDevianceMin))–\(f4(p.cutoffDevianceMax)) | \(f4(p.mae)) | \(f4(p.spearman)) | \(f4(p.f1)) |\n"
            }
        }
        s += "\n"
        for t in r.targets {
            s += "- `\(t.target)`: \(t.rows) rows scored holding \(Int(t.total)) events; left out \(t.leftOutRows) rows "
            s += "(datasets with no history before their cutoff) holding \(Int(t.leftOutTotal)) events\n"
        }
        return s + "\n"
    }

    private func f3(_ x: Double) -> String { String(format: "%.3f", x) }
    private func f4(_ x: Double) -> String { String(format: "%.4f", x) }

    private static func rollingStamp(_ t: Int64) -> String {
        let days = CivilTime.day(ofUnixSeconds: t)
        let seconds = t - days * 86_400
        let (y, m, d) = CivilTime.civil(fromDays: days)
        let pad = { (n: Int64) in n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(pad(m))-\(pad(d)) \(pad(seconds / 3_600)):\(pad(seconds / 60 % 60)) UTC"
    }
}
