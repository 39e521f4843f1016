import Foundation

/// A line chart as inline SVG, for the HTML reports: one line per series (e.g. a policy's cumulative dollars
/// over the simulated window) on two linear axes from zero, with a legend, round ticks on both axes, a title
/// and both axis labels with units. As ``BarChart`` and ``ScatterChart``, the geometry (``LineChart/xScale``,
/// ``LineChart/yScale``, ``LineChart/paths``, ``LineChart/legend``) is computed first and tested, and
/// ``svg(standalone:)`` only writes it out.
///
/// ```swift
/// let chart = LineChart(title: "Cumulative cost", xLabel: "days into the window", yLabel: "US dollars so far",
///                       lines: [.init(name: "fixed-1h", points: [(1, 0.1), (2, 0.25)])])
/// chart.paths[0][1]     // where day 2 is drawn: (xScale.position(2), yScale.position(0.25))
/// chart.svg()           // "<svg xmlns=… viewBox=\"0 0 520 …\">…</svg>"
/// ```
public struct LineChart: Sendable, Equatable {
    /// One series: its name (in the legend) and its points, in order of x.
    public struct Line: Sendable, Equatable {
        public var name: String
        public var xs: [Double]
        public var ys: [Double]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            xs = points.map(\.x)
            ys = points.map(\.y)
        }
    }

    /// A legend entry as drawn: its swatch's left edge and baseline row, the series' colour and name.
    public struct LegendEntry: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var color: String
        public var name: String
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var lines: [Line]

    /// Layout, SVG user units: the legend's rows start at ``legendTop`` under the title, the plot below them.
    public static let width = 520.0
    public static let plotLeft = 64.0
    public static let plotRight = 500.0
    public static let legendTop = 30.0
    public static let legendRow = 18.0
    public static let plotHeight = 240.0

    public init(title: String, xLabel: String, yLabel: String, lines: [Line]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.lines = lines
    }

    /// The legend: entries left to right, wrapped to a new row before they would pass the drawing's right
    /// edge (each entry is a 12-unit swatch, its name at ``ScatterChart/charWidth`` per character, a gap).
    public var legend: [LegendEntry] {
        var out: [LegendEntry] = []
        var x = 0.0, row = 0
        for (i, line) in lines.enumerated() {
            let w = 16 + Double(line.name.count) * ScatterChart.charWidth + 14
            if x > 0 && x + w > Self.width { x = 0; row += 1 }
            out.append(LegendEntry(x: x, y: Self.legendTop + Double(row) * Self.legendRow, color: BarChart.palette[i % BarChart.palette.count],
                                   name: line.name))
            x += w
        }
        return out
    }

    /// The plot's top: below the legend's last row.
    public var plotTop: Double { (legend.last?.y ?? Self.legendTop) + 26 }
    /// The plot's bottom (the x axis).
    public var plotBottom: Double { plotTop + Self.plotHeight }
    /// The drawing's height: the plot, the x ticks and the x axis label.
    public var height: Double { plotBottom + 50 }

    /// 0 to the largest x, rounded up (``BarChart/Scale/niceCeiling(_:)``), across the plot.
    public var xScale: BarChart.Scale {
        BarChart.Scale(niceMax: lines.flatMap(\.xs).max() ?? 0, rangeStart: Self.plotLeft, rangeEnd: Self.plotRight)
    }

    /// 0 to the largest y, rounded up, from the plot's bottom (0) to its top.
    public var yScale: BarChart.Scale {
        BarChart.Scale(niceMax: lines.flatMap(\.ys).max() ?? 0, rangeStart: plotBottom, rangeEnd: plotTop)
    }

    /// Each line's points as drawn (SVG units), in input order.
    public var paths: [[(x: Double, y: Double)]] {
        let xs = xScale, ys = yScale
        return lines.map { line in zip(line.xs, line.ys).map { (xs.position($0), ys.position($1)) } }
    }

    /// The chart as an `<svg>` element with a `<title>`; with `standalone`, it carries its own style.
    public func svg(standalone: Bool = false) -> String {
        let n = BarChart.num, e = BarChart.escape
        let top = plotTop, bottom = plotBottom
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(Self.width)) \(n(height))\" role=\"img\" "
            + "aria-label=\"\(e(title))\" class=\"chart\">"
        if standalone { s += ChartStyle.standalone }
        s += "<title>\(e(title))</title>"
        s += "<text x=\"0\" y=\"18\" class=\"chart-title\">\(e(title))</text>"
        for entry in legend {
            s += "<rect x=\"\(n(entry.x))\" y=\"\(n(entry.y))\" width=\"12\" height=\"12\" fill=\"\(entry.color)\"/>"
            s += "<text x=\"\(n(entry.x + 16))\" y=\"\(n(entry.y + 10))\" class=\"legend\">\(e(entry.name))</text>"
        }
        let xs = xScale, ys = yScale
        for t in xs.ticks {
            let x = xs.position(t)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(bottom))\" class=\"grid\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(e(BarChart.tickText(t)))</text>"
        }
        for t in ys.ticks {
            let y = ys.position(t)
            s += "<line x1=\"\(n(Self.plotLeft))\" y1=\"\(n(y))\" x2=\"\(n(Self.plotRight))\" y2=\"\(n(y))\" class=\"grid\"/>"
            s += "<text x=\"\(n(Self.plotLeft - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\" class=\"tick\">\(e(BarChart.tickText(t)))</text>"
        }
        s += "<text x=\"\(n((Self.plotLeft + Self.plotRight) / 2))\" y=\"\(n(bottom + 40))\" text-anchor=\"middle\" class=\"axis-label\">\(e(xLabel))</text>"
        let midY = (top + bottom) / 2
        s += "<text x=\"14\" y=\"\(n(midY))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(n(midY)))\" class=\"axis-label\">\(e(yLabel))</text>"
        for (i, path) in paths.enumerated() where !path.isEmpty {
            let color = BarChart.palette[i % BarChart.palette.count]
            s += "<polyline points=\"" + path.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
                + "\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" class=\"series\"><title>\(e(lines[i].name))</title></polyline>"
        }
        return s + "</svg>"
    }
}
