import Foundation

/// A non-money figure rounded once to a fixed number of decimals (hours, messages), so that every format of
/// a report prints the same digits: text, Markdown, CSV and HTML print ``text``, JSON the same exact decimal.
///
/// ```swift
/// let h = Fixed(9.451917, places: 2)
/// h.text          // "9.45"
/// h.value         // 9.45 (for chart geometry)
/// Fixed(64, places: 1).text   // "64.0"
/// ```
public struct Fixed: Sendable, Equatable, Hashable, Comparable, Codable {
    /// The figure in units of 10⁻`places`.
    public var scaled: Int
    public var places: Int

    /// `x` rounded half away from zero to `places` decimals (0…6); non-finite values become 0.
    public init(_ x: Double, places: Int) {
        self.places = max(0, min(places, 6))
        let s = (x * pow(10, Double(self.places))).rounded(.toNearestOrAwayFromZero)
        scaled = s.isFinite && abs(s) < 9e15 ? Int(s) : 0
    }

    /// The digits with `places` decimals: `"9.45"`, `"-0.50"`, `"12"`.
    public var text: String {
        guard places > 0 else { return String(scaled) }
        let m = scaled.magnitude
        let unit = UInt(pow(10, Double(places)))
        let frac = String(m % unit)
        return (scaled < 0 ? "-" : "") + String(m / unit) + "." + String(repeating: "0", count: places - frac.count) + frac
    }

    /// The rounded figure as a floating-point number (charts).
    public var value: Double { Double(scaled) / pow(10, Double(places)) }

    /// The exact decimal (JSON encodes it without binary rounding).
    public var decimal: Decimal { Decimal(scaled) / pow(Decimal(10), places) }

    public static func < (a: Fixed, b: Fixed) -> Bool { a.value < b.value }

    /// Encoded as a JSON number with at most `places` decimals.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(decimal)
    }

    /// Decodes a JSON number with the fewest decimals (at most 6) that hold it exactly.
    public init(from decoder: any Decoder) throws {
        let d = try decoder.singleValueContainer().decode(Decimal.self)
        var places = 0
        while places < 6 {
            var scaled = d * pow(Decimal(10), places), rounded = Decimal()
            NSDecimalRound(&rounded, &scaled, 0, .plain)
            if rounded == scaled { break }
            places += 1
        }
        self.init(NSDecimalNumber(decimal: d).doubleValue, places: places)
    }
}

/// Text, Markdown and CSV renderings of a table given as cells (header first), shared by the policy reports.
enum ReportTable {
    /// A Markdown pipe table; columns from `leftColumns` on are right-aligned.
    static func markdown(_ rows: [[String]], leftColumns: Int) -> String {
        TierReport.markdownTable(rows, leftColumns: leftColumns)
    }

    /// CSV lines (header first), cells quoted when they hold a comma, quote or newline; ends with a newline.
    static func csv(_ rows: [[String]]) -> String {
        rows.map { $0.map(TierReport.csvCell).joined(separator: ",") + "\n" }.joined()
    }
}
