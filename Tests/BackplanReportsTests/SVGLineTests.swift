import Foundation
import Testing
@testable import BackplanReports

@Suite("SVG line charts: scales, axes with units, legend, paths")
struct SVGLineTests {
    static let chart = LineChart(title: "Cost <over> time", xLabel: "days from the window's start", yLabel: "US dollars so far",
                                 lines: [.init(name: "fixed-1h", points: [(1, 0.5), (2, 1.2), (3, 2.6)]),
                                         .init(name: "cron-daily", points: [(1, 1), (2, 2), (3, 4.1)])])

    @Test("Both axes start at zero and end on a round number; y grows upwards")
    func scales() {
        let c = Self.chart
        #expect(c.xScale.domainMax == 5 && c.xScale.position(0) == LineChart.plotLeft && c.xScale.position(5) == LineChart.plotRight)
        #expect(c.yScale.domainMax == 5 && c.yScale.position(0) == c.plotBottom && c.yScale.position(5) == c.plotTop)
        #expect(c.plotBottom - c.plotTop == LineChart.plotHeight && c.height > c.plotBottom)
        #expect(c.xScale.ticks == [0, 1, 2, 3, 4, 5] && c.yScale.ticks == [0, 1, 2, 3, 4, 5])
        let empty = LineChart(title: "t", xLabel: "x", yLabel: "y", lines: [])
        #expect(empty.xScale.domainMax == 1 && empty.paths.isEmpty && empty.svg().hasSuffix("</svg>"))
    }

    @Test("Each point lands on its scaled position, lines in input order")
    func paths() {
        let c = Self.chart
        let p = c.paths
        #expect(p.count == 2 && p[0].count == 3)
        #expect(abs(p[0][1].x - (LineChart.plotLeft + (LineChart.plotRight - LineChart.plotLeft) * 2 / 5)) < 1e-9)
        #expect(abs(p[0][1].y - (c.plotBottom - LineChart.plotHeight * 1.2 / 5)) < 1e-9)
        #expect(p[1][2].y < p[0][2].y, "the dearer line is drawn higher")
    }

    @Test("The legend wraps before the right edge and pushes the plot down")
    func legend() {
        #expect(Self.chart.legend.map(\.y) == [LineChart.legendTop, LineChart.legendTop])
        #expect(Self.chart.legend[1].x > Self.chart.legend[0].x)
        let many = LineChart(title: "t", xLabel: "x", yLabel: "y",
                             lines: (0..<8).map { .init(name: "intelligent-tiering-\($0)", points: [(1, Double($0))]) })
        #expect(many.legend.allSatisfy { $0.x + 16 + Double("intelligent-tiering-0".count) * ScatterChart.charWidth <= LineChart.width })
        #expect(Set(many.legend.map(\.y)).count > 1 && many.plotTop > Self.chart.plotTop)
        #expect(many.legend.map(\.color) == (0..<8).map { BarChart.palette[$0 % BarChart.palette.count] })
    }

    @Test("The SVG has a viewBox, the escaped title, both axis labels, the ticks and one polyline per line")
    func svg() {
        let s = Self.chart.svg()
        #expect(s.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 520 ") && s.hasSuffix("</svg>"))
        #expect(s.contains("<title>Cost &lt;over&gt; time</title>") && !s.contains("<over>"))
        #expect(s.contains(">days from the window&#39;s start<") || s.contains(">days from the window's start<"))
        #expect(s.contains("rotate(-90") && s.contains(">US dollars so far<"))
        #expect(s.components(separatedBy: "<polyline").count == 3)
        #expect(s.contains(">fixed-1h</text>") && s.contains(">cron-daily</text>"))
        #expect(s.contains("class=\"tick\">5</text>"))
        #expect(Self.chart.svg(standalone: true).contains("<style>") && !s.contains("<style>"))
    }
}
