import ArgumentParser
import BackplanCore
import BackplanExecutor
import BackplanPlan
import Foundation

/// `backplan restore`: one dataset's backup back into a SQLite file, checked against its manifest.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a dataset's backup (restic dump), check its integrity and compare rows and digest with the manifest.",
        discussion: """
            Example:
              backplan restore c000042 --at 2026-01-31T00:00:00Z --to /tmp/c000042.sqlite --targets targets.yaml --state state.sqlite
            Exit code 1 when the restored file does not verify.
            """)

    @Argument(help: "Dataset id (as in the plan).") var dataset: String
    @Option(help: ArgumentHelp("The newest backup at or before this time (ISO 8601 or Unix seconds).", valueName: "time")) var at: String?
    @Option(help: ArgumentHelp("New SQLite file to write.", valueName: "path")) var to: String
    @Option(help: ArgumentHelp("Targets YAML.", valueName: "file")) var targets: String
    @Option(help: ArgumentHelp("Executor state store.", valueName: "file")) var state: String
    @Option(help: ArgumentHelp("The plan, for the dataset's RTO beside the measured restore time.", valueName: "file")) var plan: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if let at, TimeArgument.parse(at) == nil { throw ValidationError("--at '\(at)': expected ISO 8601 or Unix seconds") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: state) else { throw InputError(file: state, "no such state store") }
        let store = try StateStore(path: state)
        let r = try Restorer(targets: try Targets.load(targets), state: store).restore(dataset, at: at.flatMap(TimeArgument.parse), to: to)
        try store.audit(time: Int64(Date().timeIntervalSince1970), action: "restore",
                        detail: "dataset=\(DatasetName.escaped(dataset)) backup=\(r.backupID) verified=\(r.verified)")
        let rto = try plan.map { try Plan.load($0).entry(dataset, file: $0).why.chosen.restoreSeconds }
        if json {
            try Console.json(r)
        } else {
            Console.out("restored \(DatasetName.escaped(dataset)) backup \(r.backupID) (snapshot \(r.snapshot) in \(r.repository)) to \(to)")
            Console.out("rows \(r.rows) of \(r.expectedRows), digest \(r.digestMatches ? "matches" : "DIFFERS"), integrity \(r.integrityProblem ?? "ok")")
            Console.out(String(format: "restore took %.2f s", r.seconds) + (rto.map { String(format: " (plan's restore time %.1f s)", $0) } ?? ""))
        }
        if !r.verified { throw ExitCode.failure }
    }
}

/// `backplan drill`: restore a seeded sample of datasets, verify them, record the results.
struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Restore drill: restore a seeded sample of backed-up datasets to temporary files, verify, record in the state store.")

    @Option(help: "Datasets to drill.") var sample = 5
    @Option(help: "Seed of the sample.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Targets YAML.", valueName: "file")) var targets: String
    @Option(help: ArgumentHelp("Executor state store.", valueName: "file")) var state: String
    @Option(help: ArgumentHelp("Take this as the current time (ISO 8601 or Unix seconds).", valueName: "time")) var now: String?
    @Flag(help: "Print the results as JSON.") var json = false

    func validate() throws {
        guard sample >= 1 else { throw ValidationError("--sample must be at least 1, got \(sample)") }
        if let now, TimeArgument.parse(now) == nil { throw ValidationError("--now '\(now)': expected ISO 8601 or Unix seconds") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: state) else { throw InputError(file: state, "no such state store") }
        let targets = try Targets.load(self.targets)
        let lock = try ExecutorLock(state: state)
        defer { lock.release() }
        let t = now.flatMap(TimeArgument.parse) ?? Int64(Date().timeIntervalSince1970)
        let results = try Restorer(targets: targets, state: try StateStore(path: state)).drill(sample: sample, seed: seed, now: t)
        if json {
            try Console.json(results)
        } else {
            for r in results {
                Console.out("\(r.verified ? "ok" : "FAILED")\t\(DatasetName.escaped(r.dataset))\tbackup \(r.backupID)\trows \(r.rows)/\(r.expectedRows)\t" + String(format: "%.2f s", r.seconds))
            }
            Console.note("drill: \(results.filter(\.verified).count) of \(results.count) verified")
        }
        if results.contains(where: { !$0.verified }) { throw ExitCode.failure }
    }
}
