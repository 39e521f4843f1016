import BackplanCore
import Foundation
import Plot

/// The policy frontier and simulation reports as self-contained HTML pages (built with Plot, with the tier
/// report's CSS and table layout): inline SVG charts, each with a table of the same figures, no scripts.
///
/// ```swift
/// let page = PolicyReportHTML.page(simulation: report)   // cost vs exposure, cost by component, messages lost
/// try Data(page.utf8).write(to: URL(fileURLWithPath: "simulation.html"))
/// ```
public enum PolicyReportHTML {
    /// A chart on a page: a bar chart or a scatter chart.
    public enum Chart: Sendable {
        case bars(BarChart)
        case scatter(ScatterChart)
        /// A line chart with the table shown as its fallback (header first).
        case line(LineChart, table: [[String]])

        public var title: String {
            switch self {
            case .bars(let c): c.title
            case .scatter(let c): c.title
            case .line(let c, _): c.title
            }
        }

        /// The chart as an SVG file of its own.
        public var standaloneSVG: String {
            switch self {
            case .bars(let c): c.standaloneSVG()
            case .scatter(let c): c.svg(standalone: true)
            case .line(let c, _): c.svg(standalone: true)
            }
        }
    }

    // MARK: - Frontier

    /// The frontier's charts: exposure against backups per policy (scatter), and exposure per policy (bars).
    public static func charts(frontier r: FrontierReport) -> [Chart] {
        [
            .scatter(ScatterChart(title: "Exposure against backups, per policy", xLabel: "backups in the held-out window",
                                  yLabel: "mean exposure of a write (hours)",
                                  points: r.rows.map { .init(label: $0.name, x: Double($0.backups), y: $0.exposureHours.value) })),
            .bars(BarChart(title: "Mean exposure per policy", axisLabel: "hours a held-out write waits for its backup",
                           categories: r.rows.map(\.name), series: ["exposure"], values: r.rows.map { [$0.exposureHours.value] },
                           valueText: { String(format: "%.2f h", $0) })),
        ]
    }

    /// The frontier report's page; UTF-8, ends with a newline.
    public static func page(frontier r: FrontierReport) -> String {
        var facts: [Node<HTML.DescriptionListContext>] = [
            .dt(.text("Held-out writes")), .dd(.id("test-writes"), .text(Format.count(r.testWrites))),
            .dt(.text("Datasets")), .dd(.text(Format.count(r.datasets))),
            .dt(.text("Budget (cron-daily's backups)")), .dd(.id("budget"), .text(Format.count(r.budgetOps))),
        ]
        if let b = r.bestRealizable {
            facts += [.dt(.text("Least exposure, oracle aside")), .dd(.id("best"), .text("\(b.name): \(b.exposureHours.text) h"))]
        }
        let intro = "The held-out window starts at \(r.split) of the store's time span. "
            + "Exposure is the mean time a held-out write waits for its backup; the oracle knows the future and is the lower bound."
        return document(title: "Policy frontier: \(r.file)", heading: "Policy frontier", file: r.file, intro: intro, facts: facts,
                        table: r.cells(grouped: true), caption: "Backups and mean exposure per policy", charts: charts(frontier: r))
    }

    // MARK: - Simulation

    /// The simulation's charts: mean cost against exposure with the 5–95 % band of one run's dollars (scatter),
    /// cost by component (stacked bars), messages lost against exposure with the 5–95 % band (scatter), and
    /// the cumulative cost over the window (lines, the compact series table as fallback).
    public static func charts(simulation r: SimulationReport) -> [Chart] {
        let money: @Sendable (Double) -> String = { "$" + Cents(dollars: $0).grouped }
        return [
            .scatter(ScatterChart(title: "Cost against exposure, per policy, 5–95 % band", xLabel: "mean exposure of a write (hours)",
                                  yLabel: "US dollars for the window (mean)",
                                  points: r.rows.map { .init(label: $0.name, x: $0.exposureHours.value, y: $0.window.total.dollars,
                                                             low: $0.costBand.p5.dollars, high: $0.costBand.p95.dollars) })),
            .bars(BarChart(title: "Cost per policy, by component", axisLabel: "US dollars for the \(r.windowDays.text)-day window (mean)",
                           categories: r.rows.map(\.name), series: ["storage", "operations", "retrieval", "loss", "downtime"],
                           values: r.rows.map { $0.window.components.map { $0.value.dollars } }, valueText: money,
                           totalTexts: r.rows.map { "$" + $0.window.total.grouped })),
            .scatter(ScatterChart(title: "Messages lost against exposure, 5–95 % band", xLabel: "mean exposure of a write (hours)",
                                  yLabel: "messages lost per run",
                                  points: r.rows.map { .init(label: $0.name, x: $0.exposureHours.value, y: $0.lost.mean.value,
                                                             low: $0.lost.p5.value, high: $0.lost.p95.value) })),
            .line(r.seriesChart, table: r.seriesCells(grouped: true)),
        ]
    }

    /// The simulation report's page; UTF-8, ends with a newline.
    public static func page(simulation r: SimulationReport) -> String {
        var facts: [Node<HTML.DescriptionListContext>] = [
            .dt(.text("Scenario")), .dd(.code(.text(r.scenario))),
            .dt(.text("Window")), .dd(.text("\(Format.time(r.windowStart)) to \(Format.time(r.windowEnd)) (\(r.windowDays.text) days)")),
            .dt(.text("Writes")), .dd(.text(Format.count(r.writes) + " in " + Format.count(r.datasets) + " datasets")),
            .dt(.text("Failure samples")), .dd(.text("\(Format.count(r.runs)), seed \(r.seed)")),
        ]
        if let c = r.cheapest {
            facts += [.dt(.text("Lowest mean total")), .dd(.id("cheapest"), .text("\(c.name): $\(c.window.total.grouped)"))]
        }
        return document(title: "Simulation report: \(r.file)", heading: "Simulation report", file: r.file,
                        intro: SimulationReport.unitsSentence, facts: facts,
                        table: r.cells(grouped: true), caption: "Per policy: backups, exposure, messages lost, mean dollars",
                        charts: charts(simulation: r))
    }

    // MARK: - Page

    /// A page: heading, "Made from FILE." and `intro`, the facts, the table, the charts.
    static func document(title: String, heading: String, file: String, intro: String, facts: [Node<HTML.DescriptionListContext>],
                         table cells: [[String]], caption: String, charts: [Chart]) -> String {
        let head: Node<HTML.DocumentContext> = .head(
            .meta(.charset(.utf8)),
            .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
            .raw("<title>" + BarChart.escape(title) + "</title>"),
            .style(TierReportHTML.css))
        var sections: [Node<HTML.BodyContext>] = [
            .header(.h1(.text(heading)), .p(.text("Made from "), .code(.text(file)), .text(". " + intro))),
            .section(.class("totals"), .h2(.text("Summary")), .dl(.group(facts))),
            .section(.h2(.text("Policies")), TierReportHTML.table(cells, leftColumns: 1, caption: caption)),
        ]
        sections += charts.map(section)
        return HTML(head, .body(.group(sections))).render() + "\n"
    }

    /// A chart with its table fallback.
    static func section(_ chart: Chart) -> Node<HTML.BodyContext> {
        switch chart {
        case .bars(let c):
            return TierReportHTML.chartSection(c)
        case .scatter(let c):
            let fallback: Node<HTML.DetailsContext> = .raw(TierReportHTML.table(cells(c), leftColumns: 1, caption: c.title).render(indentedBy: nil))
            return .section(.class("chart-box"), .raw(c.svg()), .details(.summary(.text("Table: \(c.title)")), fallback))
        case .line(let c, let table):
            let fallback: Node<HTML.DetailsContext> = .raw(TierReportHTML.table(table, leftColumns: 2, caption: c.title).render(indentedBy: nil))
            return .section(.class("chart-box"), .raw(c.svg()), .details(.summary(.text("Table: \(c.title)")), fallback))
        }
    }

    /// A scatter chart's figures as a table: label, x, y, and the band when there is one.
    static func cells(_ chart: ScatterChart) -> [[String]] {
        let banded = chart.points.contains { $0.low != nil }
        let num = { (v: Double) in v == v.rounded() && abs(v) < 1e15 ? Format.count(Int(v)) : String(format: "%.2f", v) }
        var rows = [["", chart.xLabel, chart.yLabel] + (banded ? ["5th percentile", "95th percentile"] : [])]
        for p in chart.points {
            rows.append([p.label, num(p.x), num(p.y)] + (banded ? [p.low.map(num) ?? "", p.high.map(num) ?? ""] : []))
        }
        return rows
    }
}
