import ArgumentParser
import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanReports
import BackplanSimulator
import BackplanStore
import Foundation

/// `backplan simulate`: what-if replay of a store's recent writes under failures, shifts and policies.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "What if: replay the store's writes after a split under failures, access and price shifts, per policy.",
        discussion: """
            The scenario (datasets/scenarios/*.yaml) names the split, the failure processes (disk, host, region, corruption found after a delay) and optional access and price shifts. Each run samples failures (seeded; every policy meets the same ones); each failure loses the writes its policy had not yet backed up, corruption needs a backup from before it that retention still keeps.

            Policies: fixed-<duration> (e.g. fixed-1h), cron-daily, replanned (Backplan's plan, re-planned every --replan with --model; formerly 'adaptive', still accepted), intelligent-tiering (the S3 rule: 30/90 days without access), all-hot, oracle.

            Example:
              backplan simulate --db stats.sqlite \\
                --scenario datasets/scenarios/region-outage.yaml \\
                --policy datasets/policies/messaging.yaml \\
                --prices datasets/pricing/aws-s3.yaml --model models/default \\
                --policies replanned,fixed-1h,cron-daily,all-hot,oracle \\
                --runs 50 --seed 7
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }
    @Option(help: ArgumentHelp("Scenario YAML.", valueName: "file")) var scenario: String
    @Option(help: ArgumentHelp("Policy YAML (classes, limits); default: the repository's datasets/policies/messaging.yaml, found from the binary's folder.",
                               valueName: "file"))
    var policy: String?
    @Option(help: ArgumentHelp("Price catalog YAML; default: the repository's datasets/pricing/aws-s3.yaml, found from the binary's folder.",
                               valueName: "file"))
    var prices: String?
    @Option(help: ArgumentHelp("Model folder, for the replanned policy.", valueName: "dir")) var model: String?
    @Option(help: ArgumentHelp("Comma-separated policies.", valueName: "list"))
    var policies = "fixed-1h,fixed-24h,cron-daily,intelligent-tiering,all-hot,oracle"
    @Option(help: "Failure samples per policy (1 … 100000).") var runs = 20
    @Option(help: "Seed of the failure samples and the access shift.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("How often the replanned policy re-plans, 1h … 1y: 1d, 7d, P1W … (default: 7d)", valueName: "duration"),
            transform: TimeSpan.argument)
    var replan = TimeSpan.days(7)
    @Flag(help: "Print the results as JSON on stdout (progress stays on stderr).") var json = false
    @Flag(help: ArgumentHelp("With --json: each dataset's share of every policy's dollars, for 'report tiers --simulation' per group (0.5–1 KB per dataset and policy on the sample).",
                             valueName: "dataset-costs"))
    var datasetCosts = false

    func validate() throws {
        guard runs >= 1 && runs <= 100_000 else { throw ValidationError("--runs must be between 1 and 100000, got \(runs)") }
        guard json || !datasetCosts else { throw ValidationError("--dataset-costs goes with --json (the shares are only written as JSON)") }
        let names = policies.split(separator: ",", omittingEmptySubsequences: false)
        if names.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--policies '\(policies)': an empty policy name; list one or more of \(SimulatedPolicy.names), comma-separated")
        }
        for name in names {
            guard let parsed = SimulatedPolicy.parse(String(name), cadenceSeconds: 1) else {
                throw ValidationError("--policies: unknown policy '\(name)' (\(SimulatedPolicy.names))")
            }
            if case .fixed(let seconds) = parsed, seconds < Self.shortestFixedSeconds {
                throw ValidationError("--policies: '\(name)' backs up more often than the shortest fixed interval, 1m")
            }
        }
        guard Self.replanRange.contains(replan.seconds) else {
            throw ValidationError("--replan \(replan): expected 1h … 1y (each re-planning runs the planner on every dataset)")
        }
    }

    /// `fixed-<d>` below a minute would schedule more backups than a replay can count.
    static let shortestFixedSeconds: Int64 = 60
    /// `--replan`: 1 h … 1 y.
    static let replanRange: ClosedRange<Int64> = 3_600...31_536_000

    struct Report: Encodable {
        var scenario: String
        var runs: Int
        var seed: UInt64
        var windowStart: Int64
        var windowEnd: Int64
        var datasets: Int
        var writes: Int
        var addedWrites: Int
        var policies: [PolicyResult]
        /// What each cost component bills and leaves out (the keys of every policy's `cost`).
        var costComponents: [PolicyResult.Cost.Component]
    }

    func run() throws {
        for name in policies.split(separator: ",") {
            if let replacement = SimulatedPolicy.deprecatedNames[String(name)] {
                Console.note("warning: the policy name '\(name)' is deprecated: use '\(replacement)'")
            }
        }
        let list = policies.split(separator: ",").compactMap { SimulatedPolicy.parse(String($0), cadenceSeconds: replan.seconds) }
        let scenarioFile = try Scenario.load(scenario)
        let policyFile = try Policy.load(try RepositoryDefaults.path(policy, option: "--policy", default: "datasets/policies/messaging.yaml"))
        let catalog = try PriceCatalog.load(try RepositoryDefaults.path(prices, option: "--prices", default: "datasets/pricing/aws-s3.yaml"))
        try scenarioFile.requireTiers(in: catalog)
        let loaded = try model.map { m in try ModelArguments.reportingInputErrors(file: m) { try ForecastModel.load(directory: m) } }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-simulate-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let prepared = try ModelArguments.reportingInputErrors(file: db) {
            try SimulationSetup.prepare(storePath: db, policy: policyFile, catalog: catalog, scenario: scenarioFile, model: loaded,
                                        policies: list, runs: runs, seed: seed, workDirectory: work.path,
                                        progress: { Console.progress("simulate: \($0)") })
        }
        var results: [PolicyResult] = []
        for (i, p) in list.enumerated() {
            Console.progress("simulate: \(p.name) (\(i + 1)/\(list.count)), \(runs) runs")
            results.append(prepared.simulation.run(p, schedule: prepared.replanSchedule, oracleLambda: prepared.oracleLambda,
                                                   datasetCosts: json && datasetCosts))
        }
        Console.endProgress()
        let f = prepared.simulation.frontier
        let report = Report(scenario: scenario, runs: runs, seed: seed, windowStart: Int64(f.cut.rounded(.up)), windowEnd: f.t1,
                            datasets: f.testDatasetCount, writes: f.testWriteCount, addedWrites: prepared.addedWrites, policies: results,
                            costComponents: PolicyResult.Cost.components)
        if json {
            try Console.json(report)
            return
        }
        Console.out("Simulated \(Format.time(report.windowStart)) to \(Format.time(report.windowEnd)): \(Format.count(report.writes)) writes in "
                    + "\(Format.count(report.datasets)) datasets, \(runs) runs, seed \(seed)"
                    + (report.addedWrites > 0 ? " (access shift added \(Format.count(report.addedWrites)) writes)" : ""))
        var rows = [["policy", "backups", "exposure", "lost (mean)", "lost 5-95%", "RPO miss", "RTO miss/run", "cost $", "cost $ 5-95%",
                     "loss $", "loss $ 5-95%", "storage $", "ops $"]]
        for r in results {
            rows.append([
                r.name, Format.count(r.backups), String(format: "%.2f h", r.exposureHours),
                String(format: "%.1f", r.messagesLost.mean), String(format: "%.0f-%.0f", r.messagesLost.p5, r.messagesLost.p95),
                Format.count(r.rpoViolations), String(format: "%.2f", r.rtoViolations),
                String(format: "%.2f", r.cost.total), String(format: "%.2f-%.2f", r.costBand.p5, r.costBand.p95),
                String(format: "%.2f", r.cost.loss), String(format: "%.2f-%.2f", r.lossBand.p5, r.lossBand.p95),
                String(format: "%.2f", r.cost.storage), String(format: "%.2f", r.cost.operations),
            ])
        }
        Console.out(Format.table(rows, rightAlignedFrom: 1))
        Console.out("Bands: 5th-95th percentile over the runs (linear interpolation between closest ranks); `--json` has every run's "
                    + "dollars, the cumulative dollars per day and each dataset's share.")
        Console.out("")
        Console.out("Cost by component, $ over the window (the planner's billing rules):")
        var components = [["component"] + results.map(\.name)]
        for c in PolicyResult.Cost.components {
            components.append([c.name] + results.map { String(format: "%.2f", $0.cost.value(of: c.name)) })
        }
        components.append(["total"] + results.map { String(format: "%.2f", $0.cost.total) })
        Console.out(Format.table(components, rightAlignedFrom: 1))
        Console.out("")
        for c in PolicyResult.Cost.components {
            Console.out("\(c.name): bills \(c.bills); leaves out \(c.leavesOut).")
        }
    }
}
