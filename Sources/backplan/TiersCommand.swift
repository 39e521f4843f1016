import ArgumentParser
import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanReports
import BackplanSimulator
import BackplanStore
import Foundation

/// `backplan tiers`: the live-data bill on held-out time per tiering policy (the tier frontier).
struct TiersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiers",
        abstract: "Measure the tier frontier: the live-data bill over held-out time, per tiering policy.",
        discussion: """
            Splits the store's write log like `frontier` (t0 + split·(t1 − t0)) and bills the live data of the window after the cut under each policy, with the planner's billing rules (storage per 730-hour month at the size each day had, a GET per read and a PUT per write, retrieval, monitoring, transitions, early deletion):

              all-hot              everything on the first tier
              intelligent-tiering  the catalog's automatic tiering (S3 Intelligent-Tiering,
                                   GCS Autoclass) as the provider documents it
              lifecycle-by-age     objects move by age, as S3 Lifecycle can
              lifecycle-per-object diagnostic: the same steps for every dataset, billed as
                                   Backplan's schedules are (objects under 128 KiB stay,
                                   started at the cut with its moves charged)
              backplan             the data tier or tier schedule of Backplan's plan made
                                   before the cut
                                   (forecasts by --model, else by a model trained on the
                                   data before the cut)
              backplan-actual-activity
                                   diagnostic: the same planner given the window's actual
                                   reads, writes and mean size (the rest is not forecast error)
              best-single-tier     per dataset the cheapest tier for the window, in hindsight
              best-monthly         per dataset the cheapest tier per calendar month, in
                                   hindsight (exact, with transition and early-deletion charges)

            Example:
              backplan tiers --db stats.sqlite --split 0.6 --prices datasets/pricing/aws-s3.yaml
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }
    @Option(help: "Where the held-out window starts, as a fraction of the time span (0 < split < 1).") var split = 0.6
    @Option(help: ArgumentHelp("Price catalog YAML.", valueName: "file")) var prices = "datasets/pricing/aws-s3.yaml"
    @Option(help: ArgumentHelp("Policy YAML (classes: allowed tiers, RTOs).", valueName: "file")) var policy = "datasets/policies/messaging.yaml"
    @Option(help: ArgumentHelp("Model folder for Backplan's plan (default: train one on the data before the cut).", valueName: "dir"))
    var model: String?
    @Flag(help: "Print the report as JSON on stdout (progress stays on stderr).") var json = false

    func validate() throws {
        guard split > 0, split < 1 else { throw ValidationError("--split must be between 0 and 1 (exclusive), got \(split)") }
    }

    func run() throws {
        let catalog = try PriceCatalog.load(prices)
        let policyFile = try Policy.load(policy)
        let loaded = try model.map { m in try ModelArguments.reportingInputErrors(file: m) { try ForecastModel.load(directory: m) } }
        let report = try ModelArguments.reportingInputErrors(file: db) {
            try TierFrontier.report(store: StatsStore.open(path: db, create: false), split: split, catalog: catalog, policy: policyFile,
                                    model: loaded, modelName: model ?? "", progress: { Console.progress("tiers: \($0)") })
        }
        Console.endProgress()
        if json {
            try Console.json(report)
            return
        }
        Console.out("Tier frontier of \(db): split \(split), \(Format.time(report.windowStart)) to \(Format.time(report.windowEnd)), "
                    + "\(Format.count(report.datasets)) datasets, \(catalog.provider) prices; live data only, $ over the window")
        let oracle = report.policies.first { $0.policy == "best-monthly" }?.total ?? 0
        var rows = [["policy", "total $", "vs best-monthly", "storage $", "requests $", "retrieval $", "monitoring $", "transitions $", "early deletion $"]]
        for r in report.policies {
            rows.append([r.policy, String(format: "%.4f", r.total), oracle > 0 ? String(format: "%+.1f%%", (r.total / oracle - 1) * 100) : "-",
                         String(format: "%.4f", r.bill.storage), String(format: "%.4f", r.bill.requests), String(format: "%.4f", r.bill.retrieval),
                         String(format: "%.4f", r.bill.monitoring), String(format: "%.4f", r.bill.transitions),
                         String(format: "%.4f", r.bill.earlyDeletion)])
        }
        Console.out(Format.table(rows, rightAlignedFrom: 1))
        Console.out("Backplan's live data: " + report.backplanTiering.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ") + " (datasets per tier or tier schedule)")
    }
}
