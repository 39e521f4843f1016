import ArgumentParser
import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanReports
import BackplanStore
import Foundation

/// `backplan plan`: forecasts, prices and limits in; a per-dataset backup plan out (DESIGN §2.5, §4).
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan every dataset's backups: interval and time, tiers, copies, retention, within every limit.",
        discussion: """
            Forecasts each dataset's reads and writes with the model at the store's last event, prices every option (interval × backup tier; the data tier) with the price catalog, drops those that break the class's RPO, RTO or retention, and picks the cheapest expected monthly cost per dataset. A budget or backup window in the policy is met by Lagrangian relaxation; each binding limit is reported with its shadow price, and datasets that make limits infeasible are named. Same inputs, same bytes.

            Beside the plan (PLAN.json) it writes exports for tools people already run. Every output path is checked before any work (its folder must exist and be writable, and no output may be one of the inputs), and each file is written to a temporary file renamed into place.
              PLAN.restic.txt         /bin/sh script: one `restic forget` per dataset,
                                      selected by its tag dataset=<id>, with keep
                                      options that provably reach back the span;
                                      then one `restic prune`. Once per repository:
                                      RESTIC_REPOSITORY=… RESTIC_PASSWORD_FILE=… \\
                                        sh PLAN.restic.txt
              PLAN.k8s-cronjobs.yaml  a Kubernetes CronJob per schedule group, each
                                      running `backplan execute --once
                                      --schedule-group NAME` (image: --k8s-image):
                                      kubectl apply -f PLAN.k8s-cronjobs.yaml
              PLAN.aws-backup.json    (AWS catalogs) AWS Backup plan: cron rules,
                                      lifecycles, copy actions; replace the
                                      <account-id>/<region-N> placeholders, then
                                      aws backup create-backup-plan \\
                                        --cli-input-json file://PLAN.aws-backup.json
              PLAN.s3-lifecycle.json  (AWS catalogs) S3 Lifecycle rules for one object
                                      per backup tagged as the copy's objectTag in
                                      the plan (never a restic repository's bucket):
                                      aws s3api put-bucket-lifecycle-configuration \\
                                        --bucket B --cli-input-json \\
                                        file://PLAN.s3-lifecycle.json

            Cron repeats evenly only at divisors of an hour or a day, daily and weekly: other intervals are rounded to the nearest of these (never past the class's RPO). Every rounding and lifecycle adjustment is listed under "Export notes" in the summary (in --json: "notes") and written into the export.

            Exit codes: 0 the plan holds every limit; 3 some datasets cannot be planned within the limits (nothing is written: the message names them and the limit; --allow-infeasible writes the plan anyway, listing them under 'infeasible'); 2 bad input; 1 failure.

            Example:
              backplan plan --db stats.sqlite --model models/default \\
                --policy datasets/policies/messaging.yaml \\
                --prices datasets/pricing/aws-s3.yaml --out plan.json
              backplan explain plan.json conv-000042
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }
    @Option(help: ArgumentHelp("Model folder (model.json).", valueName: "dir")) var model: String
    @Option(help: ArgumentHelp("Policy YAML (datasets/policies/).", valueName: "file")) var policy: String
    @Option(help: ArgumentHelp("Price catalog YAML (datasets/pricing/).", valueName: "file")) var prices: String
    @Option(help: ArgumentHelp("Where to write the plan JSON; '-' writes it to stdout (the summary then goes to stderr, and the lifecycle and restic files are not written).",
                               valueName: "file"))
    var out: String
    @Flag(help: "Print the plan's totals and limits as JSON on stdout instead of the summary.") var json = false
    @Flag(help: "Write the plan even when some datasets cannot be planned within the limits (exit 0, not 3).")
    var allowInfeasible = false
    @Option(help: ArgumentHelp("Container image of the CronJobs in PLAN.k8s-cronjobs.yaml (one with backplan and restic on PATH).", valueName: "image"))
    var k8sImage = "backplan:latest"

    /// Exit status of a plan that cannot hold every limit.
    static let infeasibleExitCode: Int32 = 3

    func run() throws {
        if out == "-" && json { throw InputError(column: "--out", "'-' writes the plan to stdout, where --json would also go: give one") }
        // Outputs first: a bad --out costs nothing, and no output may replace an input.
        let inputFiles = [db, policy, prices, model, (model as NSString).appendingPathComponent("model.json")]
        let files = Plan.Files(plan: out)
        for path in files.all where out != "-" {
            try OutputPath.check(path, option: "--out", notAnyOf: inputFiles)
        }
        let policyFile = try Policy.load(policy)
        let catalog = try PriceCatalog.load(prices)
        let loaded = try ModelArguments.reportingInputErrors(file: model) { try ForecastModel.load(directory: model) }
        let store = try StatsStore.open(path: db, create: false)
        let (forecasts, now) = try ModelArguments.reportingInputErrors(file: db) {
            let made = try Forecasts.make(store: store, model: loaded)
            return (try Forecasts.withAgeProfiles(made.forecasts, store: store, at: made.generatedAt), made.generatedAt)
        }
        for warning in try DataWarnings.plan(forecasts: forecasts, store: store, storePath: db, model: loaded, modelPath: model) {
            Console.note(warning)
        }
        let inputs = try Forecasts.inputs(store: store, modelDirectory: model, policy: policy, prices: prices)
        let plan = try Planner(policy: policyFile, catalog: catalog).plan(forecasts, generatedAt: now, inputs: inputs)
        if !plan.infeasible.isEmpty && !allowInfeasible {
            let names = plan.infeasible.prefix(5).map { "\($0.id) (\($0.reason))" }.joined(separator: "; ")
            Console.error("\(plan.infeasible.count) dataset(s) cannot be planned within the limits, so no plan was written: \(names)\(plan.infeasible.count > 5 ? "; …" : ""). Relax the limits in \(policy), or pass --allow-infeasible to write the plan with them listed under 'infeasible'")
            throw ExitCode(Self.infeasibleExitCode)
        }
        if out == "-" {
            FileHandle.standardOutput.write(try plan.jsonData())
            Console.write(PlanSummary.text(plan, catalog: catalog) + "\n", to: .standardError)
            if !plan.infeasible.isEmpty {
                Console.note("warning: \(plan.infeasible.count) dataset(s) could not be planned within the limits; see 'infeasible' in the plan")
            }
            return
        }
        let written = try plan.write(to: out, catalog: catalog, kubernetes: .init(image: k8sImage))
        if json {
            struct Summary: Encodable {
                var totals: Plan.Totals; var limits: [Plan.Limit]; var infeasible: [Plan.Infeasible]; var files: [String]; var notes: [String]
            }
            try Console.json(Summary(totals: plan.totals, limits: plan.limits, infeasible: plan.infeasible, files: written.paths,
                                     notes: written.notes))
            return
        }
        Console.out(PlanSummary.text(plan, catalog: catalog))
        Console.out("Wrote \(written.paths.joined(separator: ", "))")
        if !written.notes.isEmpty {
            Console.out("Export notes (roundings and lifecycle adjustments, also in the files):")
            for n in written.notes { Console.out("  " + n) }
        }
        if !plan.infeasible.isEmpty {
            Console.note("warning: \(plan.infeasible.count) dataset(s) could not be planned within the limits; see 'infeasible' in \(out)")
        }
    }
}

/// `backplan explain`: one dataset's plan entry in plain words.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain one dataset's entry of a plan: forecast, chosen option and its costs, runner-up, what decided.",
        discussion: """
            Example:
              backplan explain plan.json conv-000042
            """)

    @Argument(help: ArgumentHelp("Plan JSON written by 'backplan plan'.", valueName: "plan")) var planFile: String
    @Argument(help: ArgumentHelp("Dataset id (as in the plan's datasets[].id).", valueName: "dataset")) var dataset: String
    @Flag(help: "Print the dataset's plan entry as JSON.") var json = false

    func run() throws {
        let d = try Plan.load(planFile).entry(dataset, file: planFile)
        if json {
            try Console.json(d)
            return
        }
        Console.out(Explanation.text(d))
    }
}
