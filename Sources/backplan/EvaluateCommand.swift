import ArgumentParser
import BackplanCore
import BackplanModel
import BackplanReports
import BackplanStore
import Foundation

/// `backplan evaluate`: metrics of a trained model and the baselines at one cutoff of a stats store.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model and the baselines on a stats store at one cutoff.",
        discussion: """
            Features come from events before the cutoff only; targets are the reads and writes in [cutoff, cutoff + the model's horizon). The cutoff is t0 + split·(t1 − t0) with --split, the time given with --from, or else the model's own cut. Predictors: model, ewma, last-window, recency-30d. Metrics: mean Poisson deviance, MAE, Spearman rank correlation, hot/cold F1.

            Example:
              backplan evaluate --db stats.sqlite --model models/college \\
                --split 0.6 --json
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }

    @Option(help: ArgumentHelp("Folder holding model.json.", valueName: "dir"))
    var model: String

    @Option(help: ArgumentHelp("Cutoff at this fraction of the store's time span.", valueName: "F"))
    var split: Double?

    @Option(name: .customLong("from"), help: ArgumentHelp("Cutoff at this time: Unix seconds or ISO-8601.", valueName: "T"))
    var from: String?

    @Flag(help: "Score every whole horizon from the cutoff to the end of the store (rolling origin), with bootstrap intervals.")
    var rolling = false

    @Option(help: ArgumentHelp("With --rolling: distance between cutoffs (default: the model's horizon).", valueName: "duration"))
    var every: String?

    @Option(help: ArgumentHelp("With --rolling: bootstrap replicates over datasets for the 95% intervals.", valueName: "N"))
    var bootstrap = 200

    @Option(help: ArgumentHelp("With --rolling: seed of the bootstrap.", valueName: "S"))
    var seed: UInt64 = 1

    @Flag(help: "Print the metrics as JSON on stdout.")
    var json = false

    func validate() throws {
        if split != nil && from != nil { throw ValidationError("give --split or --from, not both") }
        if let split, !(split >= 0 && split <= 1) { throw ValidationError("--split \(split): expected a fraction in 0…1") }
        if let from, ModelArguments.time(from) == nil {
            throw ValidationError("--from '\(from)': expected Unix seconds or an ISO-8601 time")
        }
        if let every, DurationText.parse(every) == nil {
            throw ValidationError("--every '\(every)': expected a positive duration like 7d, 12h, 30m or 90s")
        }
        if every != nil && !rolling { throw ValidationError("--every needs --rolling") }
        if !(1...100_000).contains(bootstrap) { throw ValidationError("--bootstrap \(bootstrap): expected 1 … 100000 replicates") }
        if let every, let seconds = DurationText.parse(every), seconds < 3_600 {
            throw ValidationError("--every '\(every)': expected at least 1h")
        }
    }

    func run() throws {
        let loaded = try ModelArguments.reportingInputErrors(file: model) { try ForecastModel.load(directory: model) }
        let store = try StatsStore.open(path: db, create: false)
        if rolling {
            try RollingReport(db: db, split: split, from: from.flatMap(ModelArguments.time),
                              every: every.flatMap(DurationText.parse), bootstrap: bootstrap, seed: seed, json: json)
                .run(model: loaded, store: store)
            return
        }
        let cutoff: SplitPoint? = from.flatMap(ModelArguments.time).map { SplitPoint.at($0) }
            ?? split.map { SplitPoint.fraction($0) }
        let result = try ModelArguments.reportingInputErrors(file: db) {
            try Trainer.evaluate(model: loaded, store: store, split: cutoff)
        }
        let evaluation = result.evaluation
        if result.otherStore {
            Console.note("warning: \(model) was trained on another store (\(loaded.store.path), "
                         + "\(Format.time(loaded.training.storeFirstEventAt)) to \(Format.time(loaded.training.storeLastEventAt))), not on \(db) as it is now")
        }
        if result.cutoffFromStoreSpan {
            Console.note("warning: the model's cut (\(Format.time(loaded.training.cutAt))) is outside \(db)'s time span; "
                         + "evaluating at the store's own split, \(Format.time(evaluation.cutoffAt))")
        }
        if result.overlapsTraining {
            Console.note("warning: the cutoff is before the model's cut on the store it was trained on: these rows overlap its training data")
        }
        if !evaluation.horizonComplete {
            Console.note("warning: the store ends before cutoff + horizon; targets cover part of the horizon only")
        }
        if json {
            try Console.json(evaluation)
            return
        }
        Console.out("Cutoff \(Format.time(evaluation.cutoffAt)), next \(DurationText.format(evaluation.horizonSeconds)), "
                    + "\(Format.count(evaluation.datasets)) datasets")
        Console.out(ModelArguments.metricsTable(evaluation.targets))
    }
}
