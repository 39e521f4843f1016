import ArgumentParser
import BackplanCore
import BackplanReports
import Foundation

/// `backplan report frontier`: the JSON of `backplan frontier --json` as a report.
struct ReportFrontierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontier",
        abstract: "Exposure against backups per policy, from the JSON 'backplan frontier --json' writes.",
        discussion: """
            Per policy: backups in the held-out window, their share of the budget (cron-daily's count), the mean exposure of a held-out write in hours and its share of cron-daily's. Figures are rounded once and read the same in every format. CSV columns (stable): \(FrontierReport.csvColumns.joined(separator: ",")). JSON follows report-frontier.schema.json. HTML is one self-contained file with an exposure-against-backups chart.

            Examples:
              backplan frontier --db stats.sqlite --json > out/frontier.json
              backplan report frontier --input out/frontier.json --format md
              backplan report frontier --input out/frontier.json --format html --out out/frontier.html
            """)

    @Option(help: ArgumentHelp("JSON written by 'backplan frontier --json'.", valueName: "file")) var input: String
    @Option(help: ArgumentHelp("text, md, csv, json or html.", valueName: "format")) var format: ReportFormat = .text
    @Option(help: ArgumentHelp("Write here (through a temporary file) instead of stdout.", valueName: "file")) var out: String?
    @Option(help: ArgumentHelp("Also write the exposure-against-backups chart as an SVG file of its own.", valueName: "file.svg")) var chart: String?

    func run() throws {
        let report = try FrontierReport(ReportInput.load(FrontierInput.self, file: input, what: "backplan frontier --json"), file: input)
        try PolicyReportOutput.write(format: format, input: input, out: out, chart: chart,
                                     text: report.text(), markdown: report.markdown(), csv: report.csv(), json: report.json(),
                                     html: PolicyReportHTML.page(frontier: report),
                                     chartSVG: { PolicyReportHTML.charts(frontier: report).first?.standaloneSVG })
    }
}

/// `backplan report simulation`: the JSON of `backplan simulate --json` as a report.
struct ReportSimulationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulation",
        abstract: "Cost and loss per policy with 5–95% bands, from the JSON 'backplan simulate --json' writes.",
        discussion: """
            Per policy: backups, mean exposure, RPO misses, messages lost per run (mean, 5th and 95th percentile), the mean dollars for the simulated window by component (storage, operations, retrieval, loss, downtime) and in total, and that total per 730-hour month (the plan's month). The simulator writes means only for dollars (no band) and no time series, so neither is reported. Money is rounded to the cent once per figure and reads the same in every format. CSV columns (stable): \(SimulationReport.csvColumns.joined(separator: ",")). JSON follows report-simulation.schema.json. HTML is one self-contained file with cost-against-exposure, cost-by-component and messages-lost charts.

            Examples:
              backplan simulate --db stats.sqlite --scenario datasets/scenarios/region-outage.yaml --json > out/sim.json
              backplan report simulation --input out/sim.json --format csv
              backplan report simulation --input out/sim.json --format html --out out/simulation.html
            """)

    @Option(help: ArgumentHelp("JSON written by 'backplan simulate --json'.", valueName: "file")) var input: String
    @Option(help: ArgumentHelp("text, md, csv, json or html.", valueName: "format")) var format: ReportFormat = .text
    @Option(help: ArgumentHelp("Write here (through a temporary file) instead of stdout.", valueName: "file")) var out: String?
    @Option(help: ArgumentHelp("Also write the cost-against-exposure chart as an SVG file of its own.", valueName: "file.svg")) var chart: String?

    func run() throws {
        let report = try SimulationReport(ReportInput.load(SimulationInput.self, file: input, what: "backplan simulate --json"), file: input)
        try PolicyReportOutput.write(format: format, input: input, out: out, chart: chart,
                                     text: report.text(), markdown: report.markdown(), csv: report.csv(), json: report.json(),
                                     html: PolicyReportHTML.page(simulation: report),
                                     chartSVG: { PolicyReportHTML.charts(simulation: report).first?.standaloneSVG })
    }
}

/// The shared tail of `report frontier` and `report simulation`: the report in the chosen format to `--out` (or
/// stdout), and its first chart as a standalone SVG to `--chart`, both through a temporary file, never onto the
/// input and never onto each other.
enum PolicyReportOutput {
    static func write(format: ReportFormat, input: String, out: String?, chart: String?,
                      text: @autoclosure () -> String, markdown: @autoclosure () -> String, csv: @autoclosure () -> String,
                      json: @autoclosure () throws -> Data, html: @autoclosure () -> String,
                      chartSVG: () -> String?) throws {
        try ReportOutput.checkDistinct(out: out, chart: chart)
        let data: Data
        switch format {
        case .text: data = Data((text() + "\n").utf8)
        case .md: data = Data(markdown().utf8)
        case .csv: data = Data(csv().utf8)
        case .json: data = try json()
        case .html: data = Data(html().utf8)
        }
        try ReportOutput.write(data, to: out, inputs: [input])
        if let out { Console.note("wrote \(out)") }
        if let chart, let svg = chartSVG() {
            try ReportOutput.write(Data(svg.utf8), to: chart, inputs: [input])
            Console.note("wrote \(chart)")
        }
    }
}
