import BackplanCore
import BackplanLinAlg
import BackplanStore
import Foundation

/// Where the split between training and held-out data lies (DESIGN §3, §5).
public enum SplitPoint: Sendable, Equatable {
    /// cut = t0 + fraction · (t1 − t0), t0/t1 the store's first and last events.
    case fraction(Double)
    /// cut = this Unix time.
    case at(Int64)

    /// The cut time for a store whose events span `span`.
    public func cut(span: (first: Int64, last: Int64)) -> Int64 {
        switch self {
        case .fraction(let f): return span.first + Int64((Double(span.last - span.first) * f).rounded(.down))
        case .at(let t): return t
        }
    }

    var fraction: Double? {
        if case .fraction(let f) = self { return f }
        return nil
    }
}

/// How to train a model.
public struct TrainingOptions: Sendable {
    public var split: SplitPoint = .fraction(0.6)
    /// Forecast horizon H (default 7 d).
    public var horizonSeconds: Int64 = 604_800
    /// L2 penalty λ.
    public var lambda: Double = 1
    /// Distance between training cutoffs; `nil` means H.
    public var strideSeconds: Int64?
    /// No training cutoff before t0 + warm-up, so every row has some history (default 30 d).
    public var warmupSeconds: Int64 = 2_592_000
    public var maxIterations = 50
    /// Evaluate on the held-out window [cut, cut + H) after training.
    public var evaluateHeldOut = true
    /// With ``evaluateHeldOut``: also score rolling cutoffs cut, cut + this, … over the rest of the store
    /// (``RollingEvaluator``, 200 bootstrap replicates over datasets, seed 1), the model card's default table;
    /// `nil` for the single cutoff only. Default one week.
    public var rollingEverySeconds: Int64? = 604_800
    /// Fit the gradient-boosted trees and choose between GLM, trees and EWMA on an inner time split of the
    /// training part (ModelSelection.swift); when false the GLM forecasts both targets, as before.
    public var chooseCandidates = true
    /// The gradient-boosted candidate's parameters (seeded, one thread unless set).
    public var gbdt = GBDTParameters()

    public init() {}
}

/// Training and evaluation on a stats store.
public enum Trainer {
    /// Training cutoffs: every `stride` back from cut − H (so no target crosses the cut) down to t0 + warm-up,
    /// returned in ascending order.
    public static func trainingCutoffs(
        firstEventAt t0: Int64, cutAt cut: Int64, horizonSeconds h: Int64, strideSeconds stride: Int64,
        warmupSeconds warmup: Int64
    ) -> [Int64] {
        var cutoffs: [Int64] = []
        var t = cut - h
        while t >= t0 + warmup {
            cutoffs.append(t)
            t -= stride
        }
        return cutoffs.reversed()
    }

    /// Most training cutoffs one training may use: 1,000 (about 19 years of weekly cutoffs).
    public static let maximumCutoffs = 1_000
    /// Most training rows (datasets × cutoffs) one training may build: 20 million (a few GB of features).
    public static let maximumRows = 20_000_000

    /// Refuses a cut past the store's end plus a horizon (every training target would be empty) and a
    /// stride, warm-up and span that ask for more than ``maximumCutoffs`` cutoffs or ``maximumRows`` rows,
    /// before anything is allocated (`--stride 1s` once asked for 2.8 GB and died).
    static func requireBounded(span: (first: Int64, last: Int64), cut: Int64, horizon h: Int64, stride: Int64, warmup: Int64,
                               store: StatsStore) throws {
        guard cut - h <= span.last else {
            throw ModelError.invalidArgument("the cut \(cut) is more than the horizon past the store's last event \(span.last): "
                                             + "training targets would all be empty; cut within the store's time span")
        }
        let (low, overflowLow) = span.first.addingReportingOverflow(warmup)
        let (high, overflowHigh) = cut.subtractingReportingOverflow(h)
        guard !overflowLow, !overflowHigh, high >= low else { return }
        let cutoffs = (high - low) / stride + 1
        guard cutoffs <= maximumCutoffs else {
            throw ModelError.invalidArgument("a stride of \(stride) s gives \(cutoffs) training cutoffs, more than the \(maximumCutoffs) "
                                             + "allowed: use a longer --stride or a longer --warmup")
        }
        let datasets = Set(try store.datasetNames(withEventsOf: .write)).union(try store.datasetNames(withEventsOf: .read)).count
        guard datasets * Int(cutoffs) <= maximumRows else {
            throw ModelError.invalidArgument("\(datasets) datasets × \(cutoffs) cutoffs is more than the \(maximumRows) training rows "
                                             + "allowed: use a longer --stride")
        }
    }

    /// Trains the reads and writes models on `store` and, when asked, evaluates them and the baselines at the cut.
    ///
    /// - Throws: ``ModelError`` for an empty store, a window too short for any cutoff, no datasets at the
    ///   cutoffs, a non-finite feature (naming dataset and feature), or a failed solve.
    public static func train(
        store: StatsStore, options: TrainingOptions, progress: (@Sendable (String) -> Void)? = nil
    ) throws -> ForecastModel {
        let h = options.horizonSeconds
        guard h > 0 else { throw ModelError.invalidArgument("horizon must be positive, got \(h) s") }
        let stride = options.strideSeconds ?? h
        guard stride > 0 else { throw ModelError.invalidArgument("stride must be positive, got \(stride) s") }
        if case .fraction(let f) = options.split, !(f > 0 && f < 1) {
            throw ModelError.invalidArgument("split \(f) must be strictly between 0 and 1")
        }
        guard let span = try FeatureExtractor.eventSpan(of: store) else {
            throw ModelError.emptyTrainingSet(detail: "the stats store \(store.path) has no events")
        }
        let cut = options.split.cut(span: span)
        try requireBounded(span: span, cut: cut, horizon: h, stride: stride, warmup: options.warmupSeconds, store: store)
        let cutoffs = trainingCutoffs(
            firstEventAt: span.first, cutAt: cut, horizonSeconds: h, strideSeconds: stride,
            warmupSeconds: options.warmupSeconds)
        guard let firstCutoff = cutoffs.first, let lastCutoff = cutoffs.last else {
            throw ModelError.emptyTrainingSet(detail: """
                no training cutoff fits between first event + warm-up (\(span.first + options.warmupSeconds)) and \
                cut − horizon (\(cut - h)); use a later split, a shorter horizon or a shorter warm-up
                """)
        }
        let schema = FeatureSchema(classes: try FeatureExtractor.classes(in: store, before: lastCutoff))
        let extractor = FeatureExtractor(horizonSeconds: h)
        progress?("features at \(cutoffs.count) training cutoffs")
        let rows = try extractor.extract(from: store, cutoffs: cutoffs, schema: schema)
        guard rows.count > 0 else {
            throw ModelError.emptyTrainingSet(detail: "no dataset has history before any of the \(cutoffs.count) training cutoffs")
        }
        try rows.requireFinite()

        let scaler = Scaler(fitting: rows.features)
        let glm = PoissonGLM(lambda: options.lambda, maxIterations: options.maxIterations)
        var fits: [ForecastModel.TargetFit] = []
        for target in ForecastTarget.allCases {
            progress?("fitting \(target.rawValue) on \(rows.count) rows")
            // Standardised inside the fit's passes, block by block: no n×(p + 1) design copy.
            let fit = try glm.fit(
                features: rows.features, scaler: scaler, y: rows.targets[target] ?? [], target: target.rawValue)
            fits.append(.init(target: target.rawValue, coefficients: fit.coefficients,
                              iterations: fit.iterations, converged: fit.converged))
        }
        var model = ForecastModel(
            formatVersion: ForecastModel.currentFormatVersion, features: schema, scaler: scaler, targets: fits,
            horizonSeconds: h, lambda: options.lambda,
            training: .init(
                storeFirstEventAt: span.first, storeLastEventAt: span.last, cutAt: cut, split: options.split.fraction,
                firstCutoffAt: firstCutoff, lastCutoffAt: lastCutoff, strideSeconds: stride,
                warmupSeconds: options.warmupSeconds, cutoffs: cutoffs.count, rows: rows.count,
                datasets: Set(rows.datasetNames).count),
            store: try ForecastModel.digest(of: store),
            baselines: Baselines(fitting: rows), trainingMetrics: [], heldOut: nil)
        if options.chooseCandidates {
            (model.selection, model.boosters) = try ModelSelector.select(
                rows: rows, glm: glm, parameters: options.gbdt, baselines: model.baselines, progress: progress)
        }
        model.trainingMetrics = try model.metrics(on: rows)
        if options.evaluateHeldOut {
            progress?("evaluating at the cut")
            model.heldOut = try evaluate(model: model, store: store, cutoffAt: cut, storeLastEventAt: span.last)
            if let every = options.rollingEverySeconds,
               !RollingEvaluator.cutoffs(from: cut, everySeconds: every, horizonSeconds: h, lastEventAt: span.last).isEmpty {
                progress?("evaluating at rolling cutoffs every \(DurationText.format(every))")
                model.rolling = try RollingEvaluator.evaluate(model: model, store: store, from: cut, everySeconds: every)
            }
        }
        return model
    }

    /// Metrics of `model` and its baselines at `cutoffAt`: features from events before it, targets in
    /// [cutoffAt, cutoffAt + H).
    public static func evaluate(
        model: ForecastModel, store: StatsStore, cutoffAt t: Int64, storeLastEventAt: Int64? = nil
    ) throws -> Evaluation {
        let last = try storeLastEventAt ?? FeatureExtractor.eventSpan(of: store)?.last ?? t
        let rows = try FeatureExtractor(horizonSeconds: model.horizonSeconds)
            .extract(from: store, cutoffs: [t], schema: model.features)
        guard rows.count > 0 else {
            throw ModelError.emptyTrainingSet(detail: "no dataset has history before the evaluation cutoff \(t)")
        }
        return Evaluation(
            cutoffAt: t, horizonSeconds: model.horizonSeconds, horizonComplete: t + model.horizonSeconds <= last + 1,
            datasets: rows.count, targets: try model.metrics(on: rows))
    }
}
