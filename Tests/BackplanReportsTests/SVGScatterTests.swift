import Foundation
import Testing
@testable import BackplanReports

@Suite("SVG scatter charts: scales, points, bands, labels")
struct SVGScatterTests {
    static let chart = ScatterChart(title: "Cost <against> exposure", xLabel: "mean exposure (hours)", yLabel: "US dollars for the window",
                                    points: [.init(label: "fixed-1h", x: 0.5, y: 2.6, low: 1, high: 4.2),
                                             .init(label: "cron-daily", x: 9.5, y: 4.1),
                                             .init(label: "all-hot", x: 9.5, y: 4.1),
                                             .init(label: "oracle", x: 1.7, y: 2.8)],
                                    connect: true)

    @Test("Both axes start at zero and end on a round number; y grows upwards; a band's top counts")
    func scales() {
        let c = Self.chart
        #expect(c.xScale.domainMax == 10 && c.xScale.position(0) == ScatterChart.plotLeft && c.xScale.position(10) == ScatterChart.plotRight)
        #expect(c.yScale.domainMax == 5, "the band's top 4.2 is above every y")
        #expect(c.yScale.position(0) == ScatterChart.plotBottom && c.yScale.position(5) == ScatterChart.plotTop)
        #expect(c.yScale.position(2.5) == (ScatterChart.plotBottom + ScatterChart.plotTop) / 2)
        let empty = ScatterChart(title: "t", xLabel: "x", yLabel: "y", points: [])
        #expect(empty.xScale.domainMax == 1 && empty.placed.isEmpty && empty.svg().hasSuffix("</svg>"))
    }

    @Test("Points land on their scaled positions; points on one spot share a marker and a label")
    func points() throws {
        let c = Self.chart
        let placed = c.placed
        #expect(placed.count == 3)
        #expect(placed[0].labels == ["fixed-1h"] && placed[1].labels == ["cron-daily", "all-hot"] && placed[2].labels == ["oracle"])
        #expect(abs(placed[0].cx - c.xScale.position(0.5)) < 1e-9 && abs(placed[0].cy - c.yScale.position(2.6)) < 1e-9)
        #expect(placed[0].bandTop == c.yScale.position(4.2) && placed[0].bandBottom == c.yScale.position(1))
        #expect(try #require(placed[0].bandTop) < placed[0].cy && placed[0].cy < (placed[0].bandBottom ?? 0), "the band runs through the point")
        #expect(placed[1].bandTop == nil)
        #expect(placed[1].anchorEnd && placed[1].labelX < placed[1].cx, "a label near the right edge goes to the left of its point")
        #expect(!placed[0].anchorEnd && placed[0].labelX > placed[0].cx && placed[0].labelY < placed[0].cy, "right and above when there is room")
        for p in placed { #expect(p.labelBox.x0 >= 0 && p.labelBox.x1 <= ScatterChart.width) }
        for i in placed.indices { for j in placed.indices where j < i { #expect(!ScatterChart.overlap(placed[i].labelBox, placed[j].labelBox)) } }
        #expect(c.line.map(\.x) == [placed[0].cx, placed[2].cx, placed[1].cx], "the line joins the points in order of x")
        #expect(ScatterChart(title: "t", xLabel: "x", yLabel: "y", points: c.points).line.isEmpty, "no line unless asked")
    }

    @Test("Title, ticks, both axis labels and the point labels are written, escaped; standalone SVG carries its style")
    func labels() {
        let svg = Self.chart.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 520 360\""))
        #expect(svg.contains("Cost &lt;against&gt; exposure") && !svg.contains("<against>"))
        #expect(svg.contains(">mean exposure (hours)</text>") && svg.contains("rotate(-90") && svg.contains(">US dollars for the window</text>"))
        #expect(svg.contains(">cron-daily, all-hot</text>") && svg.components(separatedBy: "<circle").count == 4)
        #expect(svg.contains("class=\"band\"") && svg.contains("<polyline"))
        for t in ["0", "2.5", "5", "7.5", "10"] { #expect(svg.contains(">\(t)</text>")) }
        #expect(!svg.contains("<style>"))
        let alone = Self.chart.svg(standalone: true)
        #expect(alone.contains("<style>") && alone.hasSuffix("</svg>"))
        let bars = SVGChartTests.chart.standaloneSVG()
        #expect(bars.hasPrefix("<svg ") && bars.contains("\"chart\"><style>") && bars.hasSuffix("</svg>"))
    }

    @Test("Labels of points close together are moved apart: below, then to the left")
    func crowdedLabels() {
        let c = ScatterChart(title: "t", xLabel: "x", yLabel: "y", points: [
            .init(label: "fixed-1h", x: 1.6, y: 2.63), .init(label: "replanned", x: 1.65, y: 2.62), .init(label: "oracle", x: 1.70, y: 2.78),
            .init(label: "cron-daily", x: 9.5, y: 4.1),
        ])
        let placed = c.placed
        #expect(placed.count == 4)
        for i in placed.indices { for j in placed.indices where j < i { #expect(!ScatterChart.overlap(placed[i].labelBox, placed[j].labelBox), "\(i) and \(j)") } }
        #expect(placed[0].labelY == placed[0].cy - 6 && !placed[0].anchorEnd, "the first label keeps the first choice")
        #expect(placed[1].labelY != placed[1].cy - 6 || placed[1].anchorEnd, "the second one moved")
        #expect(placed[2].labelY != placed[2].cy - 6 || placed[2].anchorEnd, "so did the third")
    }
}
