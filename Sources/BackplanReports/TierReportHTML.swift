import BackplanCore
import Foundation
import Plot

/// The tier cost report as one self-contained HTML page (built with Plot): inline CSS and SVG charts, no
/// scripts, no fonts or images fetched. Charts: monthly cost per tier stacked by component, datasets and GiB
/// per tier, exposure per class; every chart has a table of the same figures under it. Readable from 390 px
/// wide up (wide tables scroll inside their own box, never the page).
///
/// ```swift
/// let html = TierReportHTML(report: TierReport(plan: plan, by: [.tier, .class]),
///                           byTier: TierReport(plan: plan, by: [.tier]), byClass: TierReport(plan: plan, by: [.class]))
/// try Data(html.render().utf8).write(to: URL(fileURLWithPath: "tiers.html"))
/// ```
public struct TierReportHTML: Sendable {
    /// The report as asked for (its grouping makes the main table), and the same plan grouped by tier and by
    /// class for the charts.
    public var report: TierReport
    public var byTier: TierReport
    public var byClass: TierReport

    public init(report: TierReport, byTier: TierReport, byClass: TierReport) {
        self.report = report
        self.byTier = byTier
        self.byClass = byClass
    }

    /// The charts, in page order: cost per tier by component, datasets per tier, GiB per tier, exposure per class.
    public var charts: [BarChart] {
        let tiers = byTier.rows.map { $0.key.tier ?? "" }
        let money: @Sendable (Double) -> String = { "$" + Cents(dollars: $0).grouped }
        return [
            BarChart(title: "Monthly cost per backup tier, by component", axisLabel: "US dollars per month", categories: tiers,
                     series: ["storage", "operations", "retrieval", "expected loss", "downtime"],
                     values: byTier.rows.map { r in
                         let d = r.dollars
                         return [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime].map(\.dollars)
                     }, valueText: money, totalTexts: byTier.rows.map { "$" + $0.dollars.total.grouped }),
            BarChart(title: "Datasets per backup tier", axisLabel: "datasets", categories: tiers, series: ["datasets"],
                     values: byTier.rows.map { [Double($0.datasets)] }, valueText: { Format.count(Int($0.rounded())) }),
            BarChart(title: "Data per backup tier", axisLabel: "GiB (live data and backup copies)", categories: tiers,
                     series: ["live data", "backup copies"], values: byTier.rows.map { [$0.liveGiB, $0.backupGiB] },
                     valueText: { String(format: "%.2f GiB", $0) }),
            BarChart(title: "Exposure per data class", axisLabel: "writes exposed at a random failure (messages)",
                     categories: byClass.rows.map { $0.key.class ?? "" }, series: ["exposed writes"],
                     values: byClass.rows.map { [$0.exposedWrites] }, valueText: { String(format: "%.1f", $0) }),
        ] + simulationCharts
    }

    /// With a simulation: the plan's monthly cost by component beside each simulated policy's.
    var simulationCharts: [BarChart] {
        guard let sim = report.simulation else { return [] }
        let money: @Sendable (Double) -> String = { "$" + Cents(dollars: $0).grouped }
        let parts = { (d: TierReport.Dollars) in [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime].map(\.dollars) }
        return [BarChart(title: "Monthly cost: the plan's prices against the simulation", axisLabel: "US dollars per month (simulated: mean)",
                         categories: ["plan (as priced)"] + sim.policies.map(\.name),
                         series: ["storage", "operations", "retrieval", "expected loss", "downtime"],
                         values: [parts(report.totals.dollars)] + sim.policies.map { parts($0.monthlyDollars) }, valueText: money,
                         totalTexts: ([report.totals.dollars] + sim.policies.map(\.monthlyDollars)).map { "$" + $0.total.grouped })]
    }

    /// The whole page; UTF-8, ends with a newline.
    public func render() -> String {
        let head: Node<HTML.DocumentContext> = .head(
            .meta(.charset(.utf8)),
            .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
            // Plot's .title also writes social-media meta tags with the text unescaped; a plain <title> instead.
            .raw("<title>" + BarChart.escape("Tier cost report: \(report.planFile)") + "</title>"),
            .style(Self.css))
        let sections: [Node<HTML.BodyContext>] = [intro(), totalsSection(), groupsSection(), moversSection(), simulationSection()] + charts.map(Self.chartSection)
        return HTML(head, .body(.group(sections))).render() + "\n"
    }

    func intro() -> Node<HTML.BodyContext> {
        let r = report
        let grouping = r.by.map(\.rawValue).joined(separator: ", ")
        let words = " made at \(Format.time(r.generatedAt)): \(Format.count(r.totals.datasets)) datasets, grouped by \(grouping). "
            + "Monthly dollars (730-hour months) as the plan prices them; spend is storage, operations and retrieval, risk is expected loss and downtime."
        return .header(.h1(.text("Tier cost report")), .p(.text("Plan "), .code(.text(r.planFile)), .text(words)))
    }

    func totalsSection() -> Node<HTML.BodyContext> {
        let r = report
        var items: [Node<HTML.DescriptionListContext>] = [
            .dt(.text("Monthly total")), .dd(.id("total-dollars"), .text("$" + r.totals.dollars.total.grouped)),
            .dt(.text("Datasets")), .dd(.id("total-datasets"), .text(Format.count(r.totals.datasets))),
            .dt(.text("Writes exposed")), .dd(.text(String(format: "%.1f", r.totals.exposedWrites))),
        ]
        if let c = r.change {
            items += [.dt(.text("Change against baseline")), .dd(.id("total-change"), .text(c.delta.signedDollars))]
        }
        let sentence: Node<HTML.BodyContext> = r.changeSentence.map { .p(.text($0)) } ?? .empty
        return .section(.class("totals"), .h2(.text("Totals")), .dl(.group(items)), sentence)
    }

    func groupsSection() -> Node<HTML.BodyContext> {
        let caption = "Groups by " + report.by.map(\.rawValue).joined(separator: ", ")
        return .section(.h2(.text("Groups")), Self.table(report.cells(grouped: true), leftColumns: report.by.count, caption: caption),
                        .p(.text(report.componentSentence)),
                        Self.table(report.componentCells(grouped: true), leftColumns: report.by.count, caption: "Billing components per group"))
    }

    func moversSection() -> Node<HTML.BodyContext> {
        let cells = report.moverCells(grouped: true)
        guard cells.count > 1 else { return .empty }
        return .section(.h2(.text("Top movers")), Self.table(cells, leftColumns: 3, caption: "Datasets whose monthly total changed most"))
    }

    func simulationSection() -> Node<HTML.BodyContext> {
        guard let sentence = report.simulationSentence else { return .empty }
        return .section(.id("simulated"), .h2(.text("Simulated")), .p(.text(sentence)),
                        Self.table(report.simulationCells(grouped: true), leftColumns: 1, caption: "Dollars per month: the plan's prices and the simulation"),
                        Self.table(report.simulationGroupCells(grouped: true), leftColumns: report.by.count + 1,
                                   caption: "Per group: planned against simulated dollars per month, with the simulated 5–95 % band"))
    }

    static func chartSection(_ chart: BarChart) -> Node<HTML.BodyContext> {
        // Plot's <details> takes no tables, so the fallback table (built by Plot too) goes in rendered.
        let fallback: Node<HTML.DetailsContext> = .raw(table(cells(chart), leftColumns: 1, caption: chart.axisLabel).render(indentedBy: nil))
        return .section(.class("chart-box"), .raw(chart.svg()), .details(.summary(.text("Table: \(chart.title)")), fallback))
    }

    /// A chart's figures as a table: category, each series, and the bar total when stacked.
    static func cells(_ chart: BarChart) -> [[String]] {
        let stacked = chart.series.count > 1
        var rows = [[""] + chart.series + (stacked ? ["total"] : [])]
        for (i, name) in chart.categories.enumerated() {
            let v = i < chart.values.count ? chart.values[i] : []
            rows.append([name] + v.map(chart.valueText) + (stacked ? [chart.totalText(i)] : []))
        }
        return rows
    }

    /// A table in a box of its own that scrolls sideways when the screen is narrower than the table.
    static func table(_ cells: [[String]], leftColumns: Int, caption: String) -> Node<HTML.BodyContext> {
        guard let header = cells.first else { return .empty }
        func align(_ i: Int) -> String { i < leftColumns ? "l" : "n" }
        var heads: [Node<HTML.TableRowContext>] = []
        for (i, h) in header.enumerated() { heads.append(.th(.class(align(i)), .text(h))) }
        var rows: [Node<HTML.TableContext>] = []
        for row in cells.dropFirst() {
            var tds: [Node<HTML.TableRowContext>] = []
            for (i, c) in row.enumerated() { tds.append(.td(.class(align(i)), .text(c))) }
            rows.append(.tr(.class(row.first == "total" ? "total" : "row"), .group(tds)))
        }
        let table: Node<HTML.BodyContext> = .table(.caption(.text(caption)), .thead(.tr(.group(heads))), .tbody(.group(rows)))
        return .div(.class("scroll"), table)
    }

    static let css = """
        *{box-sizing:border-box}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:#1d232b;margin:0 auto;padding:16px;max-width:1240px;background:#fff}
        h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}
        code{font-size:.9em;word-break:break-all}
        p{overflow-wrap:anywhere}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}dt{color:#555}dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
        .scroll{overflow-x:auto;max-width:100%;margin:.4em 0 1em}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9em}
        caption{text-align:left;color:#555;padding:.2em 0}
        th,td{padding:.25em .6em;border-bottom:1px solid #e3e6ea;white-space:nowrap}
        th{background:#f3f5f8;font-weight:600}.n{text-align:right}.l{text-align:left}
        tr.total td{font-weight:700;border-top:2px solid #9aa3ad}
        .chart-box{margin:1.4em 0}
        svg.chart{width:100%;height:auto;max-width:720px;display:block}
        svg .chart-title{font-size:16px;font-weight:600;fill:#1d232b}
        svg .legend,svg .tick,svg .category,svg .value,svg .axis-label{font-size:13px;fill:#333}
        svg .grid{stroke:#dde1e6;stroke-width:1}
        details{margin:.3em 0}summary{cursor:pointer;color:#3b6fb6}
        @media (max-width:600px){body{padding:10px;font-size:14px}table{font-size:.8em}th,td{padding:.2em .4em}svg .legend,svg .tick,svg .category,svg .value,svg .axis-label{font-size:15px}svg .chart-title{font-size:18px}}
        """
}
