import ArgumentParser
import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanStore
import Foundation

/// `backplan plan`: forecasts, prices and limits in; a per-dataset backup plan out (DESIGN §2.5, §4).
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan every dataset's backups: interval and time, tiers, copies, retention, within every limit.",
        discussion: """
            Forecasts each dataset's reads and writes with the model at the store's last event, prices every option (interval × backup tier; the data tier) with the price catalog, drops those that break the class's RPO, RTO or retention, and picks the cheapest expected monthly cost per dataset. A budget or backup window in the policy is met by Lagrangian relaxation; each binding limit is reported with its shadow price, and datasets that make limits infeasible are named. Same inputs, same bytes.

            Beside the plan it writes PLAN.s3-lifecycle.json (for AWS catalogs) and PLAN.restic.txt.

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
    @Option(help: ArgumentHelp("Where to write the plan JSON.", valueName: "file")) var out: String
    @Flag(help: "Print the plan's totals and limits as JSON on stdout instead of the summary.") var json = false

    func run() throws {
        let policyFile = try Policy.load(policy)
        let catalog = try PriceCatalog.load(prices)
        let loaded = try ModelArguments.reportingInputErrors(file: model) { try ForecastModel.load(directory: model) }
        let store = try StatsStore.open(path: db, create: false)
        let (forecasts, now) = try ModelArguments.reportingInputErrors(file: db) { try Forecasts.make(store: store, model: loaded) }
        let inputs = Plan.Inputs(
            statsStore: .init(path: db, sha256: try ForecastModel.digest(of: store).sha256),
            model: try Forecasts.fileDigest((model.hasSuffix("/") ? model : model + "/") + "model.json"),
            policy: try Forecasts.fileDigest(policy), prices: try Forecasts.fileDigest(prices))
        let plan = try Planner(policy: policyFile, catalog: catalog).plan(forecasts, generatedAt: now, inputs: inputs)
        try plan.jsonData().write(to: URL(fileURLWithPath: out), options: .atomic)
        let base = out.hasSuffix(".json") ? String(out.dropLast(5)) : out
        var written = [out]
        if let lifecycle = plan.s3Lifecycle() {
            try lifecycle.write(to: URL(fileURLWithPath: base + ".s3-lifecycle.json"), options: .atomic)
            written.append(base + ".s3-lifecycle.json")
        }
        try Data(plan.resticForget().utf8).write(to: URL(fileURLWithPath: base + ".restic.txt"), options: .atomic)
        written.append(base + ".restic.txt")
        if json {
            struct Summary: Encodable { var totals: Plan.Totals; var limits: [Plan.Limit]; var infeasible: [Plan.Infeasible]; var files: [String] }
            try Console.json(Summary(totals: plan.totals, limits: plan.limits, infeasible: plan.infeasible, files: written))
            return
        }
        Console.out(PlanSummary.text(plan, catalog: catalog))
        Console.out("Wrote \(written.joined(separator: ", "))")
        if !plan.infeasible.isEmpty {
            Console.note("warning: \(plan.infeasible.count) dataset(s) could not be planned within the limits; see 'infeasible' in \(out)")
        }
    }
}

/// The short plan summary `plan` and `make demo` print.
enum PlanSummary {
    static func text(_ plan: Plan, catalog: PriceCatalog) -> String {
        let t = plan.totals
        let m = t.monthlyDollars
        var s = "Plan for \(Format.count(t.datasets)) datasets (\(catalog.provider), \(catalog.region))\n\n"
        var rows = [["tier", "backups of", "live data of"]]
        for tier in catalog.tiers.map(\.name) {
            let b = t.datasetsPerBackupTier[tier] ?? 0, d = t.datasetsPerDataTier[tier] ?? 0
            if b > 0 || d > 0 { rows.append([tier, Format.count(b), Format.count(d)]) }
        }
        s += Format.table(rows, rightAlignedFrom: 1) + "\n\n"
        s += Format.table([
            ["monthly cost", "dollars"],
            ["storage", String(format: "%.2f", m.storage)],
            ["operations", String(format: "%.2f", m.operations)],
            ["retrieval (expected)", String(format: "%.2f", m.retrieval)],
            ["loss (expected)", String(format: "%.2f", m.expectedLoss)],
            ["downtime (expected)", String(format: "%.2f", m.downtime)],
            ["total", String(format: "%.2f", m.total)],
        ], rightAlignedFrom: 1) + "\n\n"
        s += String(format: "Exposure: %.1f unprotected writes expected at a random failure; %.0f backups/day moving %@/day\n",
                    t.expectedExposedWrites, t.backupsPerDay, Format.bytes(Int64(t.backupBytesPerDay)))
        for l in plan.limits {
            if l.used > l.limit * (1 + 1e-9) {
                s += String(format: "Limit %@ CANNOT HOLD: the least any plan uses is %.4g of %.4g %@\n", l.name, l.used, l.limit, l.unit)
            } else if l.binding {
                s += String(format: "Limit %@ binds: %.4g of %.4g %@, shadow price %.3g (risk dollars one more unit would save)\n",
                            l.name, l.used, l.limit, l.unit, l.shadowPrice)
            } else {
                s += String(format: "Limit %@ holds with room: %.4g of %.4g %@\n", l.name, l.used, l.limit, l.unit)
            }
        }
        return s
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
        let plan = try Plan.load(planFile)
        guard let d = plan.datasets.first(where: { $0.id == dataset }) else {
            if let bad = plan.infeasible.first(where: { $0.id == dataset }) {
                throw InputError(file: planFile, "dataset '\(dataset)' has no plan: \(bad.reason)")
            }
            throw InputError(file: planFile, "no dataset '\(dataset)' in the plan (\(plan.datasets.count) datasets; ids look like '\(plan.datasets.first?.id ?? "")')")
        }
        if json {
            try Console.json(d)
            return
        }
        Console.out(Explanation.text(d))
    }
}

enum Explanation {
    static func duration(_ s: Int64) -> String { DurationText.format(s) }

    static func option(_ o: DatasetPlan.Option) -> String {
        let m = o.monthlyDollars
        return String(format: "every %@ to %@ (data on %@): $%.4f/month = storage %.4f + operations %.4f + retrieval %.4f + expected loss %.4f + downtime %.4f; %.2f writes exposed; restore %@",
                      Format.duration(o.intervalSeconds), o.backupTier, o.dataTier, m.total, m.storage, m.operations, m.retrieval,
                      m.expectedLoss, m.downtime, o.exposedWrites, Format.duration(Int64(o.restoreSeconds.rounded(.up))))
    }

    static func text(_ d: DatasetPlan) -> String {
        let f = d.why.forecast
        var s = "Dataset \(d.id) (class \(d.class))\n"
        s += String(format: "Forecast: %.2f writes/day, %.2f reads/day, %@", f.writesPerDay, f.readsPerDay, Format.bytes(Int64(f.sizeBytes)))
        if let q = f.meanQuietGapSeconds { s += ", quiet gaps of \(Format.duration(Int64(q.rounded()))) on average" }
        s += "\n"
        s += "Chosen:    " + option(d.why.chosen) + "\n"
        if let r = d.why.runnerUp { s += "Runner-up: " + option(r) + "\n" }
        s += "Decided by \(d.why.decidedBy).\n"
        s += "Schedule: every \(duration(d.schedule.intervalSeconds)) (RPO \(duration(d.schedule.rpoSeconds)))"
        if let t = d.schedule.timeOfDaySeconds { s += String(format: " at %02d:%02d UTC", t / 3_600, t / 60 % 60) }
        if let q = d.schedule.quietSeconds { s += ", or after \(duration(q)) of quiet following a write" }
        s += ".\nCopies: " + d.copies.map { "\($0.tier) in \($0.region)\($0.offline ? " (offline)" : "")" }.joined(separator: ", ")
        s += ". Retention: \(d.retention.restic) (reaches back \(duration(d.retention.spanSeconds)))"
        if let e = d.retention.deleteAfterSeconds { s += "; erased after \(duration(e))" }
        s += d.encrypt ? ". Encrypted." : ". Not encrypted."
        return s
    }
}
