import Foundation

/// Durations as people write them: `90s`, `30m`, `12h`, `7d`, `2w`, `7y`, `1y6mo`, `P30D` (a bare number is
/// seconds). The grammar, units and range are ``TimeSpan``'s: this is its optional-returning front door.
///
/// A year is 365 days and a week 7 days: retention rules and MTBFs are written this way, and nothing here is
/// calendar arithmetic.
public enum DurationText {
    /// `"7d"` → 604 800; `nil` for anything ``TimeSpan/init(parsing:)`` refuses (it says why).
    public static func parse(_ text: String) -> Int64? {
        try? TimeSpan(parsing: text).seconds
    }

    /// The largest unit ``format(_:largestUnit:)`` may use.
    public enum LargestUnit: Sendable {
        case years, hours
    }

    /// `604800` → `7d`, `43200` → `12h`, `31536000` → `1y`: the largest unit (weeks aside) that divides exactly,
    /// in the form ``parse(_:)`` reads back. With `largestUnit: .hours`, days are written as hours
    /// (`86400` → `24h`), as policy names such as `fixed-24h` spell them.
    public static func format(_ seconds: Int64, largestUnit: LargestUnit = .years) -> String {
        let units: [(String, Int64)] = largestUnit == .years
            ? [("y", 31_536_000), ("d", 86_400), ("h", 3_600), ("m", 60)]
            : [("h", 3_600), ("m", 60)]
        for (suffix, unit) in units where seconds % unit == 0 && seconds >= unit {
            return "\(seconds / unit)\(suffix)"
        }
        return "\(seconds)s"
    }

    /// For tables and explanations: one decimal in the largest unit that fits, `93784` → `1.1 d`, `5400` →
    /// `1.5 h`, `90` → `1.5 min`, `42` → `42 s`. Not meant to be parsed back (``format(_:largestUnit:)`` is).
    public static func approximate(_ seconds: Int64) -> String {
        let s = Double(seconds)
        if s >= 86_400 { return String(format: "%.1f d", s / 86_400) }
        if s >= 3_600 { return String(format: "%.1f h", s / 3_600) }
        if s >= 60 { return String(format: "%.1f min", s / 60) }
        return "\(seconds) s"
    }
}

/// Byte sizes as people write them: `512`, `64KiB`, `10MB`, `2TiB` (binary and decimal prefixes, `B` optional).
public enum ByteSizeText {
    /// `"2TiB"` → 2·2⁴⁰; `nil` for a negative, fractional-byte or unknown size, or an overflow.
    public static func parse(_ text: String) -> Int64? {
        let suffixes: [(String, Double)] = [
            ("KiB", 1_024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
            ("PiB", 1_125_899_906_842_624), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("PB", 1e15), ("B", 1),
        ]
        var number = Substring(text)
        var unit = 1.0
        for (suffix, factor) in suffixes where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            unit = factor
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value >= 0 else { return nil }
        let bytes = (value * unit).rounded()
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }
}
