import Foundation
import Testing
@testable import BackplanReports

@Suite("SVG bar charts: scales, stacking, labels")
struct SVGChartTests {
    @Test("A scale's domain ends on a round number and maps linearly onto its range")
    func scale() {
        #expect(BarChart.Scale.niceCeiling(0.7) == 1)
        #expect(BarChart.Scale.niceCeiling(3) == 5)
        #expect(BarChart.Scale.niceCeiling(12) == 20)
        #expect(BarChart.Scale.niceCeiling(250) == 250)
        #expect(BarChart.Scale.niceCeiling(251) == 500)
        #expect(BarChart.Scale.niceCeiling(1_000) == 1_000)
        #expect(BarChart.Scale.niceCeiling(0) == 1 && BarChart.Scale.niceCeiling(.infinity) == 1)
        let s = BarChart.Scale(niceMax: 17, rangeStart: 100, rangeEnd: 500)
        #expect(s.domainMax == 20)
        #expect(s.position(0) == 100 && s.position(20) == 500 && s.position(5) == 200)
        #expect(s.position(-3) == 100 && s.position(99) == 500, "clamped")
        #expect(s.ticks == [0, 5, 10, 15, 20])
        #expect(BarChart.Scale(niceMax: 4.2, rangeStart: 0, rangeEnd: 1).ticks == [0, 1, 2, 3, 4, 5])
    }

    static let chart = BarChart(title: "Cost <per> tier", axisLabel: "dollars per month", categories: ["standard", "glacier-ir", "empty"],
                                series: ["storage", "operations", "retrieval"], values: [[6, 2, 0], [1, 0.5, 0.5], [0, 0, 0]])

    @Test("Segments stack left to right without gaps, and a bar ends at its total")
    func stacking() throws {
        let c = Self.chart
        #expect(c.totals == [8, 2, 0])
        #expect(c.scale.domainMax == 10)
        let standard = c.segments.filter { $0.category == 0 }
        #expect(standard.map(\.series) == [0, 1], "empty segments are not drawn")
        #expect(standard[0].x == BarChart.plotLeft)
        #expect(abs(standard[0].x + standard[0].width - standard[1].x) < 1e-9)
        #expect(abs(standard[1].x + standard[1].width - c.scale.position(8)) < 1e-9)
        #expect(abs(standard[0].width - (BarChart.plotRight - BarChart.plotLeft) * 0.6) < 1e-9)
        let glacier = c.segments.filter { $0.category == 1 }
        #expect(glacier.count == 3 && glacier.allSatisfy { $0.y == BarChart.barY(1) && $0.height == BarChart.barHeight })
        #expect(c.segments.allSatisfy { $0.category != 2 })
        #expect(BarChart.barY(1) - BarChart.barY(0) == BarChart.barHeight + BarChart.barGap)
        #expect(c.height > BarChart.barY(3))
    }

    @Test("Ticks, category labels, legend and title are written, escaped, inside the drawing")
    func labels() throws {
        let c = Self.chart
        #expect(c.ticks.map(\.label) == ["0", "2.5", "5", "7.5", "10"])
        #expect(BarChart.tickText(1_500) == "1.5k" && BarChart.tickText(2_000_000) == "2M" && BarChart.tickText(0.25) == "0.25")
        #expect(BarChart.shortLabel(String(repeating: "x", count: 30)).count == 22)
        let svg = c.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 520 "))
        #expect(svg.contains("<title>Cost &lt;per&gt; tier</title>"))
        #expect(!svg.contains("<per>"))
        for word in ["standard", "glacier-ir", "empty", "storage", "operations", "retrieval", "dollars per month", ">7.5<"] {
            #expect(svg.contains(word), "\(word)")
        }
        #expect(svg.components(separatedBy: "<rect").count - 1 == c.segments.count + 3, "one per segment and one legend swatch per series")
        // Every x coordinate lies within the viewBox.
        let xs = svg.components(separatedBy: " x=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(!xs.isEmpty && xs.allSatisfy { $0 >= 0 && $0 <= BarChart.width })
    }

    @Test("A chart with one series has no legend, and an all-zero chart still draws its axis")
    func degenerate() {
        let c = BarChart(title: "Datasets", axisLabel: "datasets", categories: ["a"], series: ["datasets"], values: [[0]])
        #expect(c.scale.domainMax == 1 && c.segments.isEmpty)
        let svg = c.svg()
        #expect(!svg.contains("class=\"legend\"") && svg.contains("class=\"tick\""))
    }
}

@Suite("Tier report as one HTML page")
struct TierReportHTMLTests {
    static func page(baseline: Bool = true) -> String {
        let plan = PlanFixture.current
        let report = TierReport(plan: plan, planFile: "plan & co.json", by: [.tier, .class],
                                baseline: baseline ? PlanFixture.baseline : nil, baselineFile: "old.json")
        return TierReportHTML(report: report, byTier: TierReport(plan: plan, by: [.tier]), byClass: TierReport(plan: plan, by: [.class])).render()
    }

    @Test("Self-contained: no scripts, no external resources, escaped text")
    func selfContained() {
        let html = Self.page()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src=") && !html.contains("<link") && !html.contains("@import") && !html.contains("url("))
        let links = html.components(separatedBy: "http").count - 1
        #expect(links == html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1, "the only URLs are SVG namespaces")
        #expect(html.contains("plan &amp; co.json") && !html.contains("plan & co.json"))
        #expect(html.contains("name=\"viewport\""))
    }

    @Test("Four charts, each with a table fallback, and the totals as the other formats print them")
    func chartsAndTables() throws {
        let html = Self.page()
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(html.components(separatedBy: "<details>").count - 1 == 4)
        #expect(html.components(separatedBy: "<table>").count - 1 == 4 + 3, "groups, billing components, movers, and one per chart")
        let total = TierReport(plan: PlanFixture.current, by: [.tier]).totals.dollars.total
        #expect(html.contains("id=\"total-dollars\">$\(total.grouped)<"))
        #expect(html.contains("id=\"total-change\">+$1.01<"))
        for title in ["Monthly cost per backup tier, by component", "Datasets per backup tier", "Data per backup tier", "Exposure per data class"] {
            #expect(html.contains(title), "\(title)")
        }
        #expect(!Self.page(baseline: false).contains("total-change"))
    }

    @Test("A bar's end shows the given total text where the total is not the sum of its rounded segments")
    func totalTexts() {
        let c = BarChart(title: "t", axisLabel: "a", categories: ["x", "y"], series: ["s", "o"], values: [[0.21, 0.24], [1, 1]],
                         valueText: { "$" + String(format: "%.2f", $0) }, totalTexts: ["$0.46"])
        #expect(c.totalText(0) == "$0.46" && c.totalText(1) == "$2.00", "given, then valueText of the sum")
        #expect(c.svg().contains(">$0.46</text>") && !c.svg().contains(">$0.45</text>"))
        #expect(TierReportHTML.cells(c)[1].last == "$0.46")
    }
}
