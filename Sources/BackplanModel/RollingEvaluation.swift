import BackplanCore
import BackplanStore
import Foundation

/// Rolling-origin evaluation (Tashman, "Out-of-sample tests of forecasting accuracy", IJF 2000): the model
/// and the baselines scored at every cutoff t = cut, cut + every, … whose whole horizon [t, t + H) lies in the
/// store, each metric averaged over the cutoffs, with a 95% percentile interval from a bootstrap over datasets
/// (Efron & Tibshirani, An Introduction to the Bootstrap, 1993, §13: every replicate draws the datasets with
/// replacement and keeps all of a drawn dataset's rows, so the interval reflects which datasets happened to be in
/// the store).
///
/// ```swift
/// let r = try RollingEvaluator.evaluate(model: model, store: store, from: model.training.cutAt,
///                                       everySeconds: 604_800)
/// r.targets[0].predictors[0].poissonDeviance      // the model's mean writes deviance over the cutoffs
/// ```
public struct RollingEvaluation: Codable, Sendable, Equatable {
    /// First and last cutoff (Unix seconds) and the distance between cutoffs.
    public var cutoffAt: Int64
    public var lastCutoffAt: Int64
    public var everySeconds: Int64
    public var horizonSeconds: Int64
    /// Always true: only cutoffs whose horizon ends inside the store are scored.
    public var horizonComplete: Bool
    /// Distinct datasets with a row at one cutoff or more.
    public var datasets: Int
    public var bootstrapReplicates: Int
    public var bootstrapSeed: UInt64
    /// Writes first, then reads.
    public var targets: [RollingTargetMetrics]
    /// The single-cutoff metrics at every cutoff, with the rows left out there.
    public var cutoffs: [RollingCutoff]
}

/// One target's rolling metrics.
public struct RollingTargetMetrics: Codable, Sendable, Equatable {
    public var target: String
    /// Rows scored over all cutoffs and the sum of their targets.
    public var rows: Int
    public var total: Double
    /// Rows left out over all cutoffs (datasets with events in the horizon but no history before the cutoff:
    /// no features, so no forecast) and the target events they hold.
    public var leftOutRows: Int
    public var leftOutTotal: Double
    public var predictors: [RollingPredictorMetrics]
}

/// One predictor's metrics averaged over the cutoffs, with 95% bootstrap intervals and the spread of its
/// deviance across cutoffs.
public struct RollingPredictorMetrics: Codable, Sendable, Equatable {
    public var name: String
    public var poissonDeviance: Double
    public var poissonDevianceLow: Double
    public var poissonDevianceHigh: Double
    public var mae: Double
    public var maeLow: Double
    public var maeHigh: Double
    public var spearman: Double
    public var spearmanLow: Double
    public var spearmanHigh: Double
    public var f1: Double
    public var f1Low: Double
    public var f1High: Double
    /// Mean deviance over the mean deviance of the best baseline (lowest mean among `ewma`, `last-window`,
    /// `recency-30d`), with its interval from the same replicates (paired: both on the same draw).
    public var devianceRatio: Double
    public var devianceRatioLow: Double
    public var devianceRatioHigh: Double
    /// Smallest and largest single-cutoff deviance.
    public var cutoffDevianceMin: Double
    public var cutoffDevianceMax: Double
}

/// Metrics at one cutoff of a rolling evaluation.
public struct RollingCutoff: Codable, Sendable, Equatable {
    public var cutoffAt: Int64
    public var datasets: Int
    /// Per target (writes first): rows left out there and their events.
    public var leftOutRows: [String: Int]
    public var leftOutTotal: [String: Double]
    public var targets: [TargetMetrics]
}

/// Computes ``RollingEvaluation``s.
public enum RollingEvaluator {
    /// The baselines' names: the best of them is what ``RollingPredictorMetrics/devianceRatio`` divides by.
    public static let baselineNames = Set(Baselines.names)

    /// Cutoffs `from`, `from + every`, … while `t + H ≤ lastEventAt + 1` (a whole horizon in the store).
    public static func cutoffs(from: Int64, everySeconds: Int64, horizonSeconds: Int64, lastEventAt: Int64) -> [Int64] {
        var out: [Int64] = []
        var t = from
        while t + horizonSeconds <= lastEventAt + 1 {
            out.append(t)
            t += everySeconds
        }
        return out
    }

    /// Scores `model` (as `model`), its candidates (`glm`, `gbdt`) and the baselines at every rolling cutoff
    /// from `from` on.
    ///
    /// - Parameters:
    ///   - everySeconds: distance between cutoffs (default: the horizon, so horizons do not overlap).
    ///   - replicates, seed: the bootstrap over datasets.
    /// - Throws: ``ModelError/emptyTrainingSet(detail:)`` when no whole horizon fits or no dataset has history.
    public static func evaluate(
        model: ForecastModel, store: StatsStore, from: Int64, everySeconds: Int64? = nil,
        replicates: Int = 200, seed: UInt64 = 1
    ) throws -> RollingEvaluation {
        let h = model.horizonSeconds
        let every = everySeconds ?? h
        guard every > 0 else { throw ModelError.invalidArgument("the rolling step must be positive, got \(every) s") }
        guard replicates >= 1 else { throw ModelError.invalidArgument("bootstrap replicates must be ≥ 1, got \(replicates)") }
        guard let span = try FeatureExtractor.eventSpan(of: store) else {
            throw ModelError.emptyTrainingSet(detail: "the stats store has no events to evaluate on")
        }
        let cuts = cutoffs(from: from, everySeconds: every, horizonSeconds: h, lastEventAt: span.last)
        guard !cuts.isEmpty else {
            throw ModelError.emptyTrainingSet(detail: "no whole \(DurationText.format(h)) horizon fits between the cutoff \(from) and the last event \(span.last)")
        }
        let rows = try FeatureExtractor(horizonSeconds: h).extract(from: store, cutoffs: cuts, schema: model.features)
        guard rows.count > 0 else {
            throw ModelError.emptyTrainingSet(detail: "no dataset has history before any rolling cutoff")
        }
        let windows = try store.accessCounts(windows: cuts.map { ($0, $0 + h) })
        let chosen = try model.predict(rows)
        let candidates = try model.candidateMeans(rows)
        var predictors: [ForecastTarget: [(name: String, mu: [Double], hot: [Bool]?)]] = [:]
        for target in [ForecastTarget.writes, .reads] {
            var list: [(name: String, mu: [Double], hot: [Bool]?)] = [("model", chosen[target] ?? [], nil)]
            for c in candidates { list.append((c.name, c.mu[target] ?? [], nil)) }
            list += model.baselines.predictions(rows, target: target)
            predictors[target] = list
        }
        let table = RowTable(rows: rows, cutoffs: cuts)
        var perCutoff: [RollingCutoff] = []
        for (k, t) in cuts.enumerated() {
            let idx = table.byCutoff[k]
            let present = Set(idx.map { rows.datasetNames[$0] })
            var leftRows: [String: Int] = [:], leftTotal: [String: Double] = [:]
            for target in [ForecastTarget.writes, .reads] {
                let missing = windows[k].filter { !present.contains($0.key) }
                leftRows[target.rawValue] = missing.values.filter { (target == .reads ? $0.reads : $0.writes) > 0 }.count
                leftTotal[target.rawValue] = Double(missing.values.reduce(0) { $0 + (target == .reads ? $1.reads : $1.writes) })
            }
            perCutoff.append(RollingCutoff(
                cutoffAt: t, datasets: idx.count, leftOutRows: leftRows, leftOutTotal: leftTotal,
                targets: [ForecastTarget.writes, .reads].map { target in
                    metrics(target: target, predictors: predictors[target] ?? [], rows: rows, indices: idx)
                }))
        }
        var replicateMeans: [ForecastTarget: [[[Double]]]] = [:]  // target → replicate → predictor → 4 metrics
        var rng = Xoshiro256StarStar(seed: seed)
        for _ in 0..<replicates {
            let draw = (0..<table.datasets.count).map { _ in rng.nextIndex(below: table.datasets.count) }
            var perCut: [[Int]] = Array(repeating: [], count: cuts.count)
            for d in draw { for (k, i) in table.datasets[d] { perCut[k].append(i) } }
            for target in [ForecastTarget.writes, .reads] {
                let ms = perCut.filter { !$0.isEmpty }.map {
                    metrics(target: target, predictors: predictors[target] ?? [], rows: rows, indices: $0).predictors
                }
                replicateMeans[target, default: []].append(meanOver(ms))
            }
        }
        let targets = [ForecastTarget.writes, .reads].enumerated().map { (ti, target) -> RollingTargetMetrics in
            let cutMetrics = perCutoff.map { $0.targets[ti].predictors }
            let means = meanOver(cutMetrics)
            let reps = replicateMeans[target] ?? []
            let names = (predictors[target] ?? []).map(\.name)
            let best = bestBaseline(names: names, deviances: means.map { $0[0] })
            let ratios = reps.map { r in r.map { $0[0] / max(r[best][0], Metrics.muFloor) } }
            let list = names.enumerated().map { (j, name) -> RollingPredictorMetrics in
                let interval = { (m: Int) in percentileInterval(reps.map { $0[j][m] }) }
                let (dl, dh) = interval(0), (ml, mh) = interval(1), (sl, sh) = interval(2), (fl, fh) = interval(3)
                let (rl, rh) = percentileInterval(ratios.map { $0[j] })
                let devs = cutMetrics.map { $0[j].poissonDeviance }
                return RollingPredictorMetrics(
                    name: name, poissonDeviance: means[j][0], poissonDevianceLow: dl, poissonDevianceHigh: dh,
                    mae: means[j][1], maeLow: ml, maeHigh: mh, spearman: means[j][2], spearmanLow: sl, spearmanHigh: sh,
                    f1: means[j][3], f1Low: fl, f1High: fh,
                    devianceRatio: means[j][0] / max(means[best][0], Metrics.muFloor), devianceRatioLow: rl,
                    devianceRatioHigh: rh, cutoffDevianceMin: devs.min() ?? 0, cutoffDevianceMax: devs.max() ?? 0)
            }
            return RollingTargetMetrics(
                target: target.rawValue, rows: perCutoff.reduce(0) { $0 + $1.targets[ti].rows },
                total: perCutoff.reduce(0) { $0 + $1.targets[ti].total },
                leftOutRows: perCutoff.reduce(0) { $0 + ($1.leftOutRows[target.rawValue] ?? 0) },
                leftOutTotal: perCutoff.reduce(0) { $0 + ($1.leftOutTotal[target.rawValue] ?? 0) },
                predictors: list)
        }
        return RollingEvaluation(
            cutoffAt: cuts[0], lastCutoffAt: cuts[cuts.count - 1], everySeconds: every, horizonSeconds: h,
            horizonComplete: true, datasets: table.datasets.count, bootstrapReplicates: replicates,
            bootstrapSeed: seed, targets: targets, cutoffs: perCutoff)
    }

    /// The 2.5% and 97.5% percentiles (nearest rank) of `values`.
    public static func percentileInterval(_ values: [Double]) -> (low: Double, high: Double) {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        let rank = { (q: Double) in sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))] }
        return (rank(0.025), rank(0.975))
    }

    /// Index of the baseline with the lowest deviance (the first predictor when there is none).
    static func bestBaseline(names: [String], deviances: [Double]) -> Int {
        var best: Int?
        for (j, name) in names.enumerated() where baselineNames.contains(name) {
            if best.map({ deviances[j] < deviances[$0] }) ?? true { best = j }
        }
        return best ?? 0
    }

    /// Every predictor's four metrics on the rows at `indices`.
    static func metrics(
        target: ForecastTarget, predictors: [(name: String, mu: [Double], hot: [Bool]?)], rows: FeatureRows,
        indices: [Int]
    ) -> TargetMetrics {
        let all = rows.targets[target] ?? []
        let y = indices.map { all[$0] }
        let list = predictors.map { p in
            Metrics.evaluate(name: p.name, y: y, mu: indices.map { p.mu[$0] }, hot: p.hot.map { h in indices.map { h[$0] } })
        }
        return TargetMetrics(target: target.rawValue, rows: y.count, total: y.reduce(0, +), predictors: list)
    }

    /// Per predictor, the mean over cutoffs of (deviance, MAE, Spearman, F1).
    static func meanOver(_ cutoffs: [[PredictorMetrics]]) -> [[Double]] {
        guard let first = cutoffs.first else { return [] }
        let n = Double(cutoffs.count)
        return first.indices.map { j in
            var s = [0.0, 0, 0, 0]
            for c in cutoffs {
                s[0] += c[j].poissonDeviance
                s[1] += c[j].mae
                s[2] += c[j].spearman
                s[3] += c[j].f1
            }
            return s.map { $0 / n }
        }
    }
}

/// Row indices of a rolling evaluation grouped by cutoff and by dataset.
private struct RowTable {
    /// Per cutoff index, the row indices there.
    var byCutoff: [[Int]]
    /// Per distinct dataset (in first-row order), its (cutoff index, row index) pairs.
    var datasets: [[(Int, Int)]]

    init(rows: FeatureRows, cutoffs: [Int64]) {
        let position = Dictionary(uniqueKeysWithValues: cutoffs.enumerated().map { ($1, $0) })
        byCutoff = Array(repeating: [], count: cutoffs.count)
        var datasetIndex: [String: Int] = [:]
        datasets = []
        for i in 0..<rows.count {
            guard let k = position[rows.cutoffs[i]] else { continue }
            byCutoff[k].append(i)
            let d = datasetIndex[rows.datasetNames[i]] ?? {
                datasetIndex[rows.datasetNames[i]] = datasets.count
                datasets.append([])
                return datasets.count - 1
            }()
            datasets[d].append((k, i))
        }
    }
}
