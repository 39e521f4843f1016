import BackplanCore
import Foundation

extension ForecastModel {
    /// The model card's "Model choice" section: per target, the candidate chosen on the inner validation and
    /// every candidate's and baseline's validation deviance. Empty for models without a selection.
    func selectionSection() -> String {
        guard let selection else { return "" }
        var s = "## Model choice\n\n"
        if let from = selection.validationFromAt {
            s += "Candidates (Poisson GLM; gradient-boosted Poisson trees, XGBoost `count:poisson`; the tuned EWMA) were "
            s += "fitted on the \(selection.innerTrainingRows) training rows whose targets end before the inner "
            s += "validation (cutoffs from \(Self.cardStamp(from)) on, \(selection.validationRows) rows) and scored on it; "
            s += "the one with the lowest validation deviance forecasts the target, refitted on all training rows. "
            s += "Nothing after the cut was seen.\n\n"
        } else {
            s += "Too few training cutoffs for an inner validation split: the GLM forecasts both targets.\n\n"
        }
        let g = selection.gbdt
        s += "Trees: depth \(g.maxDepth), learning rate \(g.learningRate), subsample \(g.subsample), "
        s += "column sample \(g.columnSample), seed \(g.seed), \(g.threads) thread(s); saved as "
        s += ForecastTarget.allCases.map { "`\(Self.boosterFileName(target: $0.rawValue))`" }.joined(separator: ", ")
        s += " (XGBoost JSON). Tried on the validation: every 25 rounds up to \(g.rounds), with and without the "
        s += "smoothed rates' shares of all datasets' activity as extra columns.\n\n"
        for c in selection.choices {
            s += "- `\(c.target)`: **\(c.chosen.rawValue)** — \(c.reason); trees: \(c.gbdt.rounds) rounds"
            s += c.gbdt.shareFeatures ? ", rates with their shares of all activity\n" : ", rates as they are\n"
        }
        s += "\n"
        if selection.choices.contains(where: { !$0.validation.isEmpty }) {
            s += "| target | candidate | validation deviance | MAE | Spearman | F1 |\n|---|---|---:|---:|---:|---:|\n"
            for c in selection.choices {
                for p in c.validation {
                    s += "| \(c.target) | \(p.name) | \(Self.cardFixed(p.poissonDeviance)) | \(Self.cardFixed(p.mae)) | "
                    s += "\(Self.cardFixed(p.spearman)) | \(Self.cardFixed(p.f1)) |\n"
                }
            }
            s += "\n"
        }
        return s
    }

    private static func cardFixed(_ x: Double) -> String { String(format: "%.4f", x) }

    private static func cardStamp(_ t: Int64) -> String {
        let days = CivilTime.day(ofUnixSeconds: t)
        let seconds = t - days * 86_400
        let (y, m, d) = CivilTime.civil(fromDays: days)
        let pad = { (n: Int64) in n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(pad(m))-\(pad(d)) \(pad(seconds / 3_600)):\(pad(seconds / 60 % 60)) UTC"
    }
}
