import BackplanCore
import BackplanModel
import BackplanReports
import BackplanStore
import Foundation

/// `backplan evaluate --rolling`: runs ``RollingEvaluator`` and prints its tables (or its JSON).
struct RollingReport {
    var db: String
    var split: Double?
    var from: Int64?
    var every: Int64?
    var bootstrap: Int
    var seed: UInt64
    var json: Bool

    func run(model: ForecastModel, store: StatsStore) throws {
        let evaluation = try ModelArguments.reportingInputErrors(file: db) { () throws -> RollingEvaluation in
            guard let span = try FeatureExtractor.eventSpan(of: store) else {
                throw ModelError.emptyTrainingSet(detail: "the stats store has no events to evaluate on")
            }
            var start = model.training.cutAt
            if let split { start = SplitPoint.fraction(split).cut(span: span) }
            if let from { start = from }
            return try RollingEvaluator.evaluate(
                model: model, store: store, from: start, everySeconds: every, replicates: bootstrap, seed: seed)
        }
        if json {
            try Console.json(evaluation)
            return
        }
        Console.out("Rolling cutoffs \(Format.time(evaluation.cutoffAt)) to \(Format.time(evaluation.lastCutoffAt)) "
                    + "every \(DurationText.format(evaluation.everySeconds)) (\(evaluation.cutoffs.count) cutoffs), "
                    + "next \(DurationText.format(evaluation.horizonSeconds)), \(Format.count(evaluation.datasets)) datasets; "
                    + "means over cutoffs, 95% intervals from \(evaluation.bootstrapReplicates) bootstrap draws of datasets")
        var rows = [["target", "predictor", "deviance", "95% interval", "× best baseline", "per-cutoff range",
                     "MAE", "Spearman", "F1"]]
        for t in evaluation.targets {
            // A ratio to a best baseline of (almost) zero deviance (a target with no events) says nothing.
            let best = t.predictors.filter { RollingEvaluator.baselineNames.contains($0.name) }.map(\.poissonDeviance).min() ?? 0
            for p in t.predictors {
                let ratio = best < 1e-9 ? "n/a"
                    : "\(fixed(p.devianceRatio, 3)) (\(fixed(p.devianceRatioLow, 3))–\(fixed(p.devianceRatioHigh, 3)))"
                rows.append([
                    t.target, p.name, fixed(p.poissonDeviance), "\(fixed(p.poissonDevianceLow))–\(fixed(p.poissonDevianceHigh))",
                    ratio,
                    "\(fixed(p.cutoffDevianceMin))–\(fixed(p.cutoffDevianceMax))",
                    fixed(p.mae), fixed(p.spearman), fixed(p.f1),
                ])
            }
        }
        Console.out(Format.table(rows, rightAlignedFrom: 2))
        for t in evaluation.targets {
            Console.out("Left out (\(t.target)): \(Format.count(t.leftOutRows)) rows of datasets with no history before "
                        + "their cutoff, holding \(Format.count(Int64(t.leftOutTotal))) of "
                        + "\(Format.count(Int64(t.total + t.leftOutTotal))) target events")
        }
    }

    private func fixed(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
}
