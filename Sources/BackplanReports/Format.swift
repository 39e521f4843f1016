import BackplanCore
import Foundation

/// Human formatting for tables printed on a terminal. Durations use ``DurationText/approximate(_:)`` (Core).
///
/// ```swift
/// Format.count(12_345_678)    // "12,345,678"
/// Format.bytes(1_536)         // "1.5 KiB"
/// Format.time(1_082_040_961)  // "2004-04-15 14:56:01 UTC"
/// Format.table([["tier", "datasets"], ["standard", "12"]])
/// // tier      datasets
/// // standard        12
/// ```
public enum Format {
    /// `12345678` → `12,345,678`.
    public static func count<I: BinaryInteger>(_ n: I) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Bytes in binary units with one decimal: `1536` → `1.5 KiB`; below 1 KiB, `512 B`.
    /// `x` rounded to a whole number for display, clamped to Int64's range (NaN shows as 0): a plan file is
    /// input, and a huge figure in one must print, not trap (`Int64(1e300)` does).
    ///
    /// ```swift
    /// Format.whole(1e300)   // Int64.max
    /// Format.whole(41.6)    // 42
    /// ```
    public static func whole(_ x: Double) -> Int64 {
        guard !x.isNaN else { return 0 }
        if x >= 9.223_372_036_854_775e18 { return .max }
        if x <= -9.223_372_036_854_775e18 { return .min }
        return Int64(x.rounded())
    }

    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    /// Unix seconds as `2004-04-15 14:56:01 UTC`.
    public static func time(_ t: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// Columns padded to their widest cell and joined by two spaces: the columns before `rightAlignedFrom`
    /// left-aligned, the rest (numbers) right-aligned; `rows[0]` is the header. Trailing spaces are trimmed.
    public static func table(_ rows: [[String]], rightAlignedFrom: Int = 1) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return i >= rightAlignedFrom ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

extension String {
    /// The string without its trailing spaces.
    public func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
