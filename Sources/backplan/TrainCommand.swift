import ArgumentParser
import BackplanCore
import BackplanModel
import BackplanReports
import BackplanStore
import Foundation

/// `backplan train`: fit the forecast model on a stats store and write `model.json` and its model card.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the reads/writes forecast model (Poisson GLM) on a stats store; write model.json and README.md.",
        discussion: """
            The store's events are split at cut = t0 + split·(t1 − t0) (t0/t1 its first and last events) or at --until. Training rows are datasets at cutoffs every --stride (default: the horizon) from t0 + --warmup to cut − horizon, so no training target reaches past the cut; features use events before each cutoff only. The model and the baselines (last-window, EWMA, 30-day recency rule) are then evaluated on the held-out window [cut, cut + horizon) and, by default, at rolling cutoffs every --every (7d) from the cut to the end of the store with 95% bootstrap intervals over datasets (the card's first held-out table); --single-cutoff keeps the first only.

            Examples:
              backplan train --db stats.sqlite --out models/college
              backplan train --db stats.sqlite --split 0.6 --horizon 7d \\
                --lambda 1 --out models/college --json
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }

    @Option(help: ArgumentHelp("Cut at this fraction of the store's time span (default 0.6).", valueName: "F"))
    var split: Double?

    @Option(help: ArgumentHelp("Cut at this time instead: Unix seconds or ISO-8601.", valueName: "T"))
    var until: String?

    @Option(help: ArgumentHelp("Forecast horizon, 1h … 1y: 7d, 12h, P7D … (default: 7d)", valueName: "duration"),
            transform: TimeSpan.argument)
    var horizon = TimeSpan.days(7)

    @Option(help: ArgumentHelp("L2 penalty on the standardised coefficients (not the intercept).", valueName: "L"))
    var lambda = 1.0

    @Option(help: ArgumentHelp("Distance between training cutoffs (default: the horizon; at most \(Trainer.maximumCutoffs) cutoffs).", valueName: "duration"),
            transform: TimeSpan.argument)
    var stride: TimeSpan?

    @Option(help: ArgumentHelp("No training cutoff before the first event + this (default: 30d).", valueName: "duration"),
            transform: TimeSpan.argument)
    var warmup = TimeSpan.days(30)

    @Option(help: ArgumentHelp("Most boosting rounds the gradient-boosted candidate tries (chosen on the inner validation).", valueName: "N"))
    var trees = GBDTParameters().rounds

    @Option(help: ArgumentHelp("Threads XGBoost uses (its nthread); results do not depend on it up to rounding.", valueName: "N"))
    var threads = 1

    @Option(help: ArgumentHelp("Distance between the rolling held-out cutoffs of the model card, 1h … 1y (default: 7d).", valueName: "duration"),
            transform: TimeSpan.argument)
    var every: TimeSpan?

    @Flag(help: "Evaluate at the cut only (one horizon), not at rolling cutoffs to the end of the store.")
    var singleCutoff = false

    @Option(help: ArgumentHelp("Folder for model.json and README.md (created when missing).", valueName: "dir"))
    var out: String

    @Flag(help: "Print the held-out metrics as JSON on stdout.")
    var json = false

    func validate() throws {
        if split != nil && until != nil { throw ValidationError("give --split or --until, not both") }
        if let split, !(split > 0 && split < 1) { throw ValidationError("--split \(split): expected a fraction strictly between 0 and 1") }
        if let until, ModelArguments.time(until) == nil {
            throw ValidationError("--until '\(until)': expected Unix seconds or an ISO-8601 time")
        }
        guard (25...10_000).contains(trees) else { throw ValidationError("--trees \(trees): expected 25 … 10000 rounds") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads \(threads): expected 1 … 256") }
        guard lambda.isFinite && lambda >= 0 && lambda <= 1e6 else { throw ValidationError("--lambda \(lambda): expected a number in 0 … 1000000") }
        guard ForecastModel.Limits.horizon.contains(horizon.seconds) else {
            throw ValidationError("--horizon \(horizon): expected 1h … 1y")
        }
        if let every, !ForecastModel.Limits.horizon.contains(every.seconds) {
            throw ValidationError("--every \(every): expected 1h … 1y")
        }
        if singleCutoff && every != nil { throw ValidationError("--every needs rolling cutoffs: drop --single-cutoff") }
    }

    func run() throws {
        var options = TrainingOptions()
        if let until, let t = ModelArguments.time(until) { options.split = .at(t) } else { options.split = .fraction(split ?? 0.6) }
        options.horizonSeconds = horizon.seconds
        options.strideSeconds = stride?.seconds
        options.warmupSeconds = warmup.seconds
        options.lambda = lambda
        options.gbdt.rounds = trees
        options.gbdt.threads = threads
        options.rollingEverySeconds = singleCutoff ? nil : (every ?? TimeSpan.days(7)).seconds
        let store = try StatsStore.open(path: db, create: false)
        let model = try ModelArguments.reportingInputErrors(file: db) {
            try Trainer.train(store: store, options: options, progress: { Console.progress("train: \($0)") })
        }
        Console.endProgress()
        try model.save(directory: out)
        if try store.datasetNames(withEventsOf: .read).isEmpty {
            Console.note("warning: \(db) records no reads: the reads model is fitted to zeros and forecasts none")
        }
        for fit in model.targets where !fit.converged {
            Console.note("warning: the \(fit.target) model did not converge in \(fit.iterations) iterations")
        }
        if let heldOut = model.heldOut, !heldOut.horizonComplete {
            Console.note("warning: the store ends before cut + horizon; held-out targets cover part of the horizon only")
        }
        if json {
            if let heldOut = model.heldOut { try Console.json(heldOut) } else { try Console.json(["targets": [TargetMetrics]()]) }
            return
        }
        let w = model.training
        Console.out("Model written to \(out)/model.json (card: \(out)/README.md)")
        Console.out("Trained on \(Format.count(w.rows)) rows (\(Format.count(w.datasets)) datasets × \(w.cutoffs) cutoffs, "
                    + "\(Format.time(w.firstCutoffAt)) to \(Format.time(w.lastCutoffAt))); cut \(Format.time(w.cutAt))")
        if let heldOut = model.heldOut {
            Console.out()
            Console.out("Held out: \(Format.count(heldOut.datasets)) datasets, next \(DurationText.format(heldOut.horizonSeconds)) after the cut")
            Console.out(ModelArguments.metricsTable(heldOut.targets))
        }
        if let rolling = model.rolling {
            Console.out()
            Console.out("Rolling: \(rolling.cutoffs.count) cutoffs every \(DurationText.format(rolling.everySeconds)) from the cut, "
                        + "mean over cutoffs (95% bootstrap interval over datasets) and × the best baseline:")
            for t in rolling.targets {
                for p in t.predictors {
                    Console.out(String(format: "  %@ %@: deviance %.4f (%.4f–%.4f), %.3f× (%.3f–%.3f)", t.target, p.name,
                                       p.poissonDeviance, p.poissonDevianceLow, p.poissonDevianceHigh,
                                       p.devianceRatio, p.devianceRatioLow, p.devianceRatioHigh))
                }
            }
        } else if !singleCutoff && model.heldOut != nil {
            Console.note("note: no whole \(DurationText.format(horizon.seconds)) horizon after the cut for rolling cutoffs; the card has the single cutoff only")
        }
    }
}

/// Parsing and printing shared by `train` and `evaluate`.
enum ModelArguments {
    /// Unix seconds, or an ISO-8601 time.
    static func time(_ text: String) -> Int64? {
        if let t = Int64(text), t >= 0 { return t }
        return CivilTime.parseISO8601(Array(text.utf8))
    }

    /// Runs `body`, turning the model errors that are the input's fault into ``InputError`` (exit code 2).
    static func reportingInputErrors<T>(file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ModelError {
            switch error {
            case .solverFailed, .boosterFailed: throw error
            case .badModelFile(let path, let detail): throw InputError(file: path, detail)
            default: throw InputError(file: file, error.description)
            }
        }
    }

    static func metricsTable(_ targets: [TargetMetrics]) -> String {
        var rows = [["target", "predictor", "deviance", "MAE", "Spearman", "F1"]]
        for t in targets {
            for p in t.predictors {
                rows.append([t.target, p.name] + [p.poissonDeviance, p.mae, p.spearman, p.f1].map { String(format: "%.4f", $0) })
            }
        }
        return Format.table(rows, rightAlignedFrom: 2)
    }
}
