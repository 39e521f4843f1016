import Foundation

/// Horizontal stacked bar charts as inline SVG, for the HTML reports: one bar per category, one segment per
/// series, a value axis with round ticks, a legend, a title and an axis label with its unit. The geometry
/// (``Scale``, ``BarChart/segments``, ``BarChart/ticks``) is computed first and tested; ``BarChart/svg()``
/// only writes it out. The SVG has a `viewBox` and no fixed size, so it scales to its container's width.
///
/// ```swift
/// let chart = BarChart(title: "Monthly cost per tier", axisLabel: "dollars per month",
///                      categories: ["standard", "glacier-ir"], series: ["storage", "operations"],
///                      values: [[10, 2], [3, 0.5]])
/// chart.segments[1].x          // where operations starts on the standard bar: the end of storage
/// chart.svg()                  // "<svg xmlns=… viewBox=\"0 0 520 …\">…</svg>"
/// ```
public struct BarChart: Sendable, Equatable {
    /// A linear map from values `0…domainMax` to positions `rangeStart…rangeEnd` (SVG user units).
    public struct Scale: Sendable, Equatable {
        public var domainMax: Double
        public var rangeStart: Double
        public var rangeEnd: Double

        /// A scale whose domain is `max` rounded up to a round number (1, 2, 2.5 or 5 × 10ⁿ) so the ticks
        /// land on round values; a non-positive or non-finite `max` gives the domain 0…1.
        public init(niceMax max: Double, rangeStart: Double, rangeEnd: Double) {
            self.domainMax = Self.niceCeiling(max)
            self.rangeStart = rangeStart
            self.rangeEnd = rangeEnd
        }

        /// The position of `value` (clamped to the domain).
        public func position(_ value: Double) -> Double {
            let v = Swift.min(Swift.max(value, 0), domainMax)
            return rangeStart + (rangeEnd - rangeStart) * v / domainMax
        }

        /// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `x` (1 when `x` is not positive and finite).
        public static func niceCeiling(_ x: Double) -> Double {
            guard x.isFinite, x > 0 else { return 1 }
            let p = pow(10, (log10(x)).rounded(.down))
            for m in [1.0, 2, 2.5, 5, 10] where m * p >= x * (1 - 1e-12) { return m * p }
            return 10 * p
        }

        /// Four or five evenly spaced tick values from 0 to the domain's end, both included.
        public var ticks: [Double] {
            let p = pow(10, (log10(domainMax)).rounded(.down))
            let m = domainMax / p
            let parts = abs(m - 2.5) < 1e-9 || abs(m - 5) < 1e-9 ? 5 : 4
            return (0...parts).map { domainMax * Double($0) / Double(parts) }
        }
    }

    /// One drawn rectangle: series `series` of category `category`, with its value.
    public struct Segment: Sendable, Equatable {
        public var category: Int
        public var series: Int
        public var value: Double
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double
    }

    public var title: String
    public var axisLabel: String
    public var categories: [String]
    public var series: [String]
    /// `values[category][series]`; negative values are drawn as zero.
    public var values: [[Double]]
    /// How a bar's total is written at its end.
    public var valueText: @Sendable (Double) -> String
    /// The text at each bar's end, when the bar's figure is not the sum of its drawn segments (a total rounded
    /// once from exact sums, whose rounded components may add up to a cent more or less); `nil`: ``valueText``
    /// of the sum.
    public var totalTexts: [String]?

    /// Layout, SVG user units: the drawing is `width` wide; bars start at `plotLeft` and end by `plotRight`.
    public static let width = 520.0
    public static let plotLeft = 140.0
    public static let plotRight = 440.0
    public static let barHeight = 22.0
    public static let barGap = 10.0
    /// Room above the first bar for the title and legend.
    public static let top = 58.0
    public static let palette = ["#3b6fb6", "#e08a2c", "#4a9a5b", "#c44e52", "#8172b2", "#6b6b6b"]

    public init(title: String, axisLabel: String, categories: [String], series: [String], values: [[Double]],
                valueText: @escaping @Sendable (Double) -> String = { String(format: "%.2f", $0) }, totalTexts: [String]? = nil) {
        self.title = title
        self.axisLabel = axisLabel
        self.categories = categories
        self.series = series
        self.values = values
        self.valueText = valueText
        self.totalTexts = totalTexts
    }

    /// The text at the end of category `i`'s bar: ``totalTexts`` where given, else ``valueText`` of its total.
    public func totalText(_ i: Int) -> String {
        if let t = totalTexts, i < t.count { return t[i] }
        return i < totals.count ? valueText(totals[i]) : ""
    }

    public static func == (a: BarChart, b: BarChart) -> Bool {
        a.title == b.title && a.axisLabel == b.axisLabel && a.categories == b.categories && a.series == b.series && a.values == b.values && a.totalTexts == b.totalTexts
    }

    /// The bar totals (negative values count as zero).
    public var totals: [Double] { values.map { $0.reduce(0) { $0 + Swift.max($1, 0) } } }

    /// The value scale: 0 to the largest bar total, rounded up.
    public var scale: Scale { Scale(niceMax: totals.max() ?? 0, rangeStart: Self.plotLeft, rangeEnd: Self.plotRight) }

    /// The top of category `i`'s bar.
    public static func barY(_ i: Int) -> Double { top + Double(i) * (barHeight + barGap) }

    /// The drawing's height: title and legend, the bars, the axis and its label.
    public var height: Double { Self.barY(categories.count) + 44 }

    /// Every non-empty segment, category by category, series stacked left to right in order.
    public var segments: [Segment] {
        let s = scale
        var out: [Segment] = []
        for (c, row) in values.enumerated() where c < categories.count {
            var start = 0.0
            for (k, v) in row.enumerated() where k < series.count {
                let value = Swift.max(v, 0)
                let x0 = s.position(start), x1 = s.position(start + value)
                if x1 > x0 {
                    out.append(Segment(category: c, series: k, value: value, x: x0, y: Self.barY(c), width: x1 - x0, height: Self.barHeight))
                }
                start += value
            }
        }
        return out
    }

    /// Tick positions and their labels (axis values formatted with ``tickText(_:)``).
    public var ticks: [(x: Double, label: String)] {
        let s = scale
        return s.ticks.map { (s.position($0), Self.tickText($0)) }
    }

    /// A tick value in few characters: `0`, `2.5`, `750`, `1.5k`, `2M`.
    public static func tickText(_ v: Double) -> String {
        func trim(_ x: Double) -> String {
            let s = String(format: "%.2f", x)
            var t = Substring(s)
            while t.last == "0" { t = t.dropLast() }
            if t.last == "." { t = t.dropLast() }
            return String(t)
        }
        if v >= 1e6 { return trim(v / 1e6) + "M" }
        if v >= 1e3 { return trim(v / 1e3) + "k" }
        return trim(v)
    }

    /// A category name as drawn: at most 22 characters, longer ones cut with an ellipsis (the full name is in
    /// the bar's tooltip and the table).
    public static func shortLabel(_ s: String) -> String { s.count <= 22 ? s : String(s.prefix(21)) + "…" }

    /// The chart as an `<svg>` element with a `<title>` for screen readers.
    public func svg() -> String {
        let h = height
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.num(Self.width)) \(Self.num(h))\" role=\"img\" "
            + "aria-label=\"\(Self.escape(title))\" class=\"chart\">"
        s += "<title>\(Self.escape(title))</title>"
        s += "<text x=\"0\" y=\"18\" class=\"chart-title\">\(Self.escape(title))</text>"
        var lx = 0.0
        for (k, name) in series.enumerated() where series.count > 1 {
            s += "<rect x=\"\(Self.num(lx))\" y=\"30\" width=\"12\" height=\"12\" fill=\"\(Self.palette[k % Self.palette.count])\"/>"
            s += "<text x=\"\(Self.num(lx + 16))\" y=\"40\" class=\"legend\">\(Self.escape(name))</text>"
            lx += 28 + Double(name.count) * 8
        }
        let bottom = Self.barY(categories.count) - Self.barGap
        for t in ticks {
            s += "<line x1=\"\(Self.num(t.x))\" y1=\"\(Self.num(Self.top - 4))\" x2=\"\(Self.num(t.x))\" y2=\"\(Self.num(bottom + 4))\" class=\"grid\"/>"
            s += "<text x=\"\(Self.num(t.x))\" y=\"\(Self.num(bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(Self.escape(t.label))</text>"
        }
        s += "<text x=\"\(Self.num((Self.plotLeft + Self.plotRight) / 2))\" y=\"\(Self.num(bottom + 36))\" text-anchor=\"middle\" class=\"axis-label\">"
            + "\(Self.escape(axisLabel))</text>"
        for (c, name) in categories.enumerated() {
            s += "<text x=\"\(Self.num(Self.plotLeft - 6))\" y=\"\(Self.num(Self.barY(c) + Self.barHeight / 2 + 5))\" text-anchor=\"end\" class=\"category\">"
                + "\(Self.escape(Self.shortLabel(name)))</text>"
        }
        for g in segments {
            s += "<rect x=\"\(Self.num(g.x))\" y=\"\(Self.num(g.y))\" width=\"\(Self.num(g.width))\" height=\"\(Self.num(g.height))\" "
                + "fill=\"\(Self.palette[g.series % Self.palette.count])\"><title>\(Self.escape("\(categories[g.category]), \(series[g.series]): \(valueText(g.value))"))</title></rect>"
        }
        let sc = scale
        for (c, total) in totals.enumerated() where c < categories.count {
            s += "<text x=\"\(Self.num(sc.position(total) + 4))\" y=\"\(Self.num(Self.barY(c) + Self.barHeight / 2 + 5))\" class=\"value\">"
                + "\(Self.escape(totalText(c)))</text>"
        }
        return s + "</svg>"
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    static func num(_ v: Double) -> String {
        let s = String(format: "%.2f", v)
        var t = Substring(s)
        while t.last == "0" { t = t.dropLast() }
        if t.last == "." { t = t.dropLast() }
        return t.isEmpty || t == "-" ? "0" : String(t)
    }

    /// Text escaped for SVG/XML content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
