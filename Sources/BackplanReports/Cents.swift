import Foundation

/// An amount of money in whole US cents: what every report prints, so that a figure reads the same in every
/// format. Made from dollars by rounding half away from zero once; printed with two decimals.
///
/// ```swift
/// let c = Cents(dollars: 12.345)   // 1235
/// c.text                           // "12.35"
/// c.grouped                        // "12.35"; Cents(123_456_78).grouped is "123,456.78"
/// c.decimal                        // Decimal 12.35 (exact in JSON)
/// ```
public struct Cents: Sendable, Equatable, Hashable, Comparable, Codable {
    public var value: Int

    public init(_ value: Int) { self.value = value }

    /// `dollars` rounded to the nearest cent (half away from zero); non-finite amounts become 0.
    public init(dollars: Double) {
        let c = (dollars * 100).rounded(.toNearestOrAwayFromZero)
        value = c.isFinite && abs(c) < 9e15 ? Int(c) : 0
    }

    /// Dollars with two decimals, no grouping: `-1234.5` → `"-1234.50"` (CSV and Markdown cells).
    public var text: String {
        let sign = value < 0 ? "-" : ""
        let m = value.magnitude
        return sign + String(m / 100) + "." + (m % 100 < 10 ? "0" : "") + String(m % 100)
    }

    /// Dollars with two decimals and thousands separators: `123456.78` → `"123,456.78"` (text and HTML).
    public var grouped: String {
        let sign = value < 0 ? "-" : ""
        let m = value.magnitude
        return sign + Format.count(m / 100) + "." + (m % 100 < 10 ? "0" : "") + String(m % 100)
    }

    /// With an explicit sign for changes: `"+12.30"`, `"-0.05"`, `"0.00"`.
    public var signed: String { value > 0 ? "+" + grouped : grouped }

    /// A change in dollars with its sign before the dollar sign: `"+$12.30"`, `"-$0.05"`, `"$0.00"`.
    public var signedDollars: String {
        value > 0 ? "+$" + grouped : value < 0 ? "-$" + Cents(-value).grouped : "$" + grouped
    }

    /// The exact decimal number of dollars (JSON encodes it without binary rounding: `12.35`).
    public var decimal: Decimal { Decimal(value) / 100 }

    /// Dollars as a floating-point number (for chart geometry only).
    public var dollars: Double { Double(value) / 100 }

    public static func < (a: Cents, b: Cents) -> Bool { a.value < b.value }
    public static func + (a: Cents, b: Cents) -> Cents { Cents(a.value + b.value) }
    public static func - (a: Cents, b: Cents) -> Cents { Cents(a.value - b.value) }

    /// Encoded as a JSON number of dollars with at most two decimals.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(decimal)
    }

    public init(from decoder: any Decoder) throws {
        let d = try decoder.singleValueContainer().decode(Decimal.self)
        var cents = d * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &cents, 0, .plain)
        value = NSDecimalNumber(decimal: rounded).intValue
    }
}
