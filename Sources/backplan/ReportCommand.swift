import ArgumentParser
import BackplanCore
import BackplanPlan
import BackplanReports
import Foundation

/// `backplan report`: reports made from plans (DESIGN §6).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports made from plans, frontiers and simulations, in text, Markdown, CSV, JSON or HTML.",
        subcommands: [ReportTiersCommand.self, ReportFrontierCommand.self, ReportSimulationCommand.self])
}

/// The formats a report is written in.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, md, csv, json, html
}

/// `backplan report tiers`: a plan grouped by tier, class and/or region, with its costs and their change.
struct ReportTiersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiers",
        abstract: "Datasets, GiB, monthly cost by component and exposure per tier, class or region; change against a baseline plan.",
        discussion: """
            Money is dollars per month as the plan prices them, rounded to the cent once per figure; the total is the same in every format. CSV columns (stable, documented in the README): \(TierReport.csvColumns.joined(separator: ",")). JSON follows report-tiers.schema.json. HTML is one self-contained file (inline CSS and SVG, no scripts).

            --simulation adds what 'backplan simulate --json' measured: per policy, its mean dollars per 730-hour month by component with the 5–95% band of a run's total, in total and per group (the simulation's datasets grouped as the plan's datasets at the same location), beside the plan's figures, and messages lost with their band. In CSV this appends the columns policy,total_usd_p5,total_usd_p50,total_usd_p95 and, per policy, one 'simulated-group' line per group and one 'simulated' line for all datasets.

            Examples:
              backplan report tiers --plan out/plan.json
              backplan report tiers --plan out/plan.json --baseline old-plan.json --by tier,class --format md
              backplan report tiers --plan out/plan.json --format html --out out/tiers.html
              backplan report tiers --plan out/plan.json --simulation out/sim.json --format md
            """)

    @Option(help: ArgumentHelp("Plan JSON written by 'backplan plan'.", valueName: "file")) var plan: String
    @Option(help: ArgumentHelp("An earlier plan to compare with.", valueName: "file")) var baseline: String?
    @Option(help: ArgumentHelp("JSON written by 'backplan simulate --json', to set beside the totals.", valueName: "file")) var simulation: String?
    @Option(help: ArgumentHelp("Group by these, comma-separated: tier, class, region.", valueName: "list")) var by = "tier"
    @Option(help: ArgumentHelp("text, md, csv, json or html.", valueName: "format")) var format: ReportFormat = .text
    @Option(help: ArgumentHelp("Write here (through a temporary file) instead of stdout.", valueName: "file")) var out: String?
    @Option(help: ArgumentHelp("Also write the cost-per-tier chart as an SVG file of its own.", valueName: "file.svg")) var chart: String?

    func run() throws {
        let dimensions = try Self.dimensions(by)
        let current = try Plan.load(plan)
        let base = try baseline.map { try Plan.load($0) }
        var report = TierReport(plan: current, planFile: plan, by: dimensions, baseline: base, baselineFile: baseline ?? "")
        if let simulation {
            let input = try ReportInput.load(SimulationInput.self, file: simulation, what: "backplan simulate --json")
            report.simulation = try TierReport.Simulated(SimulationReport(input, file: simulation), input: input, plan: current, by: dimensions)
        }
        let inputs = [plan] + (baseline.map { [$0] } ?? []) + (simulation.map { [$0] } ?? [])
        try ReportOutput.checkDistinct(out: out, chart: chart)
        let data: Data
        switch format {
        case .text: data = Data((report.text() + "\n").utf8)
        case .md: data = Data(report.markdown().utf8)
        case .csv: data = Data(report.csv().utf8)
        case .json: data = try report.json()
        case .html:
            data = Data(page(report, current).render().utf8)
        }
        try ReportOutput.write(data, to: out, inputs: inputs)
        if let out { Console.note("wrote \(out)") }
        if let chart, let first = page(report, current).charts.first {
            try ReportOutput.write(Data(first.standaloneSVG().utf8), to: chart, inputs: inputs)
            Console.note("wrote \(chart)")
        }
    }

    /// The HTML page (and its charts) of `report`, made from `plan`.
    func page(_ report: TierReport, _ plan: Plan) -> TierReportHTML {
        TierReportHTML(report: report, byTier: TierReport(plan: plan, planFile: self.plan, by: [.tier]),
                       byClass: TierReport(plan: plan, planFile: self.plan, by: [.class]))
    }

    /// The grouping dimensions of a `--by` value.
    ///
    /// - Throws: ``InputError`` naming the option and the unknown word.
    static func dimensions(_ list: String) throws -> [TierReport.Dimension] {
        let words = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !words.isEmpty else { throw InputError("--by is empty; give tier, class and/or region") }
        return try words.map { w in
            guard let d = TierReport.Dimension(rawValue: w) else {
                throw InputError("--by: unknown grouping '\(w)' (use tier, class, region, comma-separated)")
            }
            return d
        }
    }
}
