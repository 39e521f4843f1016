import Foundation

/// A scatter chart as inline SVG, for the HTML reports: one labelled point per policy on two linear axes from
/// zero, optionally joined in order of x (a frontier line), with an optional vertical band per point (e.g.
/// the 5th–95th percentile). Title, tick labels and both axis labels with units are drawn. As ``BarChart``,
/// the geometry (``ScatterChart/placed``, the scales, the ticks) is computed first and tested, and ``svg()``
/// only writes it out; points that fall on the same spot share one marker and one label.
///
/// ```swift
/// let chart = ScatterChart(title: "Cost against exposure", xLabel: "mean exposure (hours)",
///                          yLabel: "US dollars for the window",
///                          points: [.init(label: "fixed-1h", x: 0.5, y: 2.6), .init(label: "cron-daily", x: 9.5, y: 4.1)])
/// chart.xScale.position(0.5)   // where fixed-1h is drawn across
/// chart.svg()                  // "<svg xmlns=… viewBox=\"0 0 520 360\">…</svg>"
/// ```
public struct ScatterChart: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var label: String
        public var x: Double
        public var y: Double
        /// A band drawn as a vertical line from `low` to `high` through the point (both in y units), or `nil`.
        public var low: Double?
        public var high: Double?

        public init(label: String, x: Double, y: Double, low: Double? = nil, high: Double? = nil) {
            self.label = label
            self.x = x
            self.y = y
            self.low = low
            self.high = high
        }
    }

    /// A point as drawn: its position, its band's ends (SVG units, `nil` without a band), the labels of every
    /// input point on this spot, and where the label goes (its baseline's start, or end with `anchorEnd`).
    public struct Placed: Sendable, Equatable {
        public var cx: Double
        public var cy: Double
        public var bandTop: Double?
        public var bandBottom: Double?
        public var labels: [String]
        public var labelX: Double
        public var labelY: Double
        public var anchorEnd: Bool

        /// The label's text.
        public var text: String { labels.joined(separator: ", ") }

        /// The label's box, estimated from its length (``ScatterChart/charWidth`` per character, 15 units high).
        public var labelBox: (x0: Double, x1: Double, y0: Double, y1: Double) {
            let w = Double(text.count) * ScatterChart.charWidth
            return (anchorEnd ? labelX - w : labelX, anchorEnd ? labelX : labelX + w, labelY - 12, labelY + 3)
        }
    }

    /// Estimated width of one label character at the charts' 13-unit font, SVG units.
    public static let charWidth = 7.2

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var points: [Point]
    /// Join the points in order of x with a line.
    public var connect: Bool

    /// Layout, SVG user units.
    public static let width = 520.0
    public static let height = 360.0
    public static let plotLeft = 64.0
    public static let plotRight = 500.0
    public static let plotTop = 44.0
    public static let plotBottom = 296.0

    public init(title: String, xLabel: String, yLabel: String, points: [Point], connect: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.connect = connect
    }

    /// 0 to the largest x, rounded up (``BarChart/Scale/niceCeiling(_:)``), across the plot.
    public var xScale: BarChart.Scale {
        BarChart.Scale(niceMax: points.map(\.x).max() ?? 0, rangeStart: Self.plotLeft, rangeEnd: Self.plotRight)
    }

    /// 0 to the largest y or band top, rounded up, from the plot's bottom (0) to its top.
    public var yScale: BarChart.Scale {
        BarChart.Scale(niceMax: points.map { max($0.y, $0.high ?? 0) }.max() ?? 0, rangeStart: Self.plotBottom, rangeEnd: Self.plotTop)
    }

    /// The points as drawn, in input order of each spot's first point; points within half a unit of each
    /// other on both axes are one spot with their labels joined. Each label goes to the first of: right and
    /// above its point, right and below, left and above, left and below (then the same a line further out),
    /// whose box stays inside the drawing and overlaps no label placed before it (if none does, the first
    /// that stays inside).
    public var placed: [Placed] {
        let xs = xScale, ys = yScale
        var out: [Placed] = []
        for p in points {
            let cx = xs.position(p.x), cy = ys.position(p.y)
            if let i = out.firstIndex(where: { abs($0.cx - cx) < 0.5 && abs($0.cy - cy) < 0.5 }) {
                out[i].labels.append(p.label)
                continue
            }
            out.append(Placed(cx: cx, cy: cy, bandTop: p.high.map(ys.position), bandBottom: p.low.map(ys.position), labels: [p.label],
                              labelX: cx + 8, labelY: cy - 6, anchorEnd: false))
        }
        for i in out.indices {
            let candidates = [(8.0, -6.0, false), (8, 18, false), (-8, -6, true), (-8, 18, true),
                              (8, -22, false), (8, 34, false), (-8, -22, true), (-8, 34, true)].map { dx, dy, end in
                var q = out[i]
                q.labelX = q.cx + dx
                q.labelY = q.cy + dy
                q.anchorEnd = end
                return q
            }
            let inside = candidates.filter { $0.labelBox.x0 >= 0 && $0.labelBox.x1 <= Self.width }
            let free = inside.first { q in out[..<i].allSatisfy { !Self.overlap(q.labelBox, $0.labelBox) } }
            out[i] = free ?? inside.first ?? candidates[0]
        }
        return out
    }

    static func overlap(_ a: (x0: Double, x1: Double, y0: Double, y1: Double), _ b: (x0: Double, x1: Double, y0: Double, y1: Double)) -> Bool {
        a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
    }

    /// The frontier line's points (SVG units), in order of x then y; empty unless ``connect``.
    public var line: [(x: Double, y: Double)] {
        guard connect else { return [] }
        return placed.map { ($0.cx, $0.cy) }.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
    }

    /// The chart as an `<svg>` element with a `<title>`; with `standalone`, it carries its own style (for a
    /// file of its own rather than a page with the report's CSS).
    public func svg(standalone: Bool = false) -> String {
        let n = BarChart.num, e = BarChart.escape
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(Self.width)) \(n(Self.height))\" role=\"img\" "
            + "aria-label=\"\(e(title))\" class=\"chart\">"
        if standalone { s += ChartStyle.standalone }
        s += "<title>\(e(title))</title>"
        s += "<text x=\"0\" y=\"18\" class=\"chart-title\">\(e(title))</text>"
        let xs = xScale, ys = yScale
        for t in xs.ticks {
            let x = xs.position(t)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(Self.plotTop))\" x2=\"\(n(x))\" y2=\"\(n(Self.plotBottom))\" class=\"grid\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(Self.plotBottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(e(BarChart.tickText(t)))</text>"
        }
        for t in ys.ticks {
            let y = ys.position(t)
            s += "<line x1=\"\(n(Self.plotLeft))\" y1=\"\(n(y))\" x2=\"\(n(Self.plotRight))\" y2=\"\(n(y))\" class=\"grid\"/>"
            s += "<text x=\"\(n(Self.plotLeft - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\" class=\"tick\">\(e(BarChart.tickText(t)))</text>"
        }
        s += "<text x=\"\(n((Self.plotLeft + Self.plotRight) / 2))\" y=\"\(n(Self.plotBottom + 40))\" text-anchor=\"middle\" class=\"axis-label\">\(e(xLabel))</text>"
        let midY = (Self.plotTop + Self.plotBottom) / 2
        s += "<text x=\"14\" y=\"\(n(midY))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(n(midY)))\" class=\"axis-label\">\(e(yLabel))</text>"
        let path = line
        if path.count > 1 {
            s += "<polyline points=\"" + path.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ") + "\" fill=\"none\" stroke=\"#9aa3ad\" stroke-width=\"1.5\"/>"
        }
        for (i, p) in placed.enumerated() {
            let color = BarChart.palette[i % BarChart.palette.count]
            let names = p.text
            if let top = p.bandTop, let bottom = p.bandBottom {
                s += "<line x1=\"\(n(p.cx))\" y1=\"\(n(top))\" x2=\"\(n(p.cx))\" y2=\"\(n(bottom))\" stroke=\"\(color)\" stroke-width=\"2\" class=\"band\"/>"
                for y in [top, bottom] {
                    s += "<line x1=\"\(n(p.cx - 4))\" y1=\"\(n(y))\" x2=\"\(n(p.cx + 4))\" y2=\"\(n(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                }
            }
            s += "<circle cx=\"\(n(p.cx))\" cy=\"\(n(p.cy))\" r=\"5\" fill=\"\(color)\"><title>\(e(names))</title></circle>"
            s += "<text x=\"\(n(p.labelX))\" y=\"\(n(p.labelY))\"\(p.anchorEnd ? " text-anchor=\"end\"" : "") class=\"value\">\(e(names))</text>"
        }
        return s + "</svg>"
    }
}

/// The charts' look when an SVG stands alone (a notebook's image), matching the HTML reports' CSS.
enum ChartStyle {
    static let standalone = "<style>text{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Liberation Sans\",sans-serif}"
        + ".chart-title{font-size:16px;font-weight:600;fill:#1d232b}.legend,.tick,.category,.value,.axis-label{font-size:13px;fill:#333}"
        + ".grid{stroke:#dde1e6;stroke-width:1}</style><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
}

extension BarChart {
    /// The chart as an SVG file of its own: ``svg()`` with the reports' chart style inside it.
    public func standaloneSVG() -> String {
        let s = svg()
        guard let end = s.firstIndex(of: ">") else { return s }
        return String(s[...end]) + ChartStyle.standalone + String(s[s.index(after: end)...])
    }
}
