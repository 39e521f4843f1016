/// A length of time in whole seconds, as people write it on the command line and in policy files: the one
/// duration type of every `--horizon`, `--replan`, `fixed-<duration>` and YAML duration.
///
/// Accepted forms (no spaces; a bare number is seconds):
///
/// | form | examples | units |
/// |---|---|---|
/// | compact | `90s`, `15m`, `6h`, `7d`, `2w`, `3mo`, `7y`, `1y6mo`, `1d12h`, `2h30m` | `y`, `mo`, `w`, `d`, `h`, `m`, `s`, largest first, each at most once |
/// | ISO-8601 | `P30D`, `PT6H`, `P1Y6M`, `P2W`, `P1DT12H`, `PT90M` | `P[nY][nM][nW][nD][T[nH][nM][nS]]`, upper case |
///
/// Units are fixed lengths, not calendar arithmetic: a minute is 60 s, an hour 3,600 s, a day 86,400 s, a week
/// 7 days, a year 365 days (31,536,000 s), and a month a twelfth of that year, 2,628,000 s (30 days 10 hours), so
/// that `12mo` = `1y`. Numbers are whole (write `90m`, not `1.5h`). The range is 1 s …
/// ``maximumSeconds`` (100 years); zero, negative, fractional, overflowing and out-of-range values are errors
/// whose ``TimeSpanError/reason`` says what is wrong.
///
///     let span = try TimeSpan(parsing: "1d12h")   // 129,600 s
///     span.seconds == (try TimeSpan(parsing: "PT36H")).seconds   // true
///     span.description                             // "36h"
///
/// Parsing is pure (no Foundation, no locale): the same text gives the same seconds on every machine.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds, 1 … ``maximumSeconds``.
    public let seconds: Int64

    /// The longest accepted span: 100 years of 365 days, 3,153,600,000 s.
    public static let maximumSeconds: Int64 = 100 * 31_536_000

    /// Seconds per unit of the compact form, largest first (the order a compound span must follow).
    public static let compactUnits: [(suffix: String, seconds: Int64)] = [
        ("y", 31_536_000), ("mo", 2_628_000), ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// A span of `seconds`.
    ///
    /// - Throws: ``TimeSpanError`` when `seconds` is outside 1 … ``maximumSeconds``.
    public init(seconds: Int64) throws(TimeSpanError) {
        guard seconds >= 1 else { throw TimeSpanError(text: "\(seconds)", reason: "a duration must be at least 1 second") }
        guard seconds <= Self.maximumSeconds else {
            throw TimeSpanError(text: "\(seconds)", reason: "longer than the maximum of 100 years (\(Self.maximumSeconds) s)")
        }
        self.seconds = seconds
    }

    /// `n` days: a default value that cannot fail (`n` in 1 … 36,500).
    ///
    ///     var horizon = TimeSpan.days(7)
    public static func days(_ n: Int) -> TimeSpan {
        precondition(n >= 1 && Int64(n) * 86_400 <= maximumSeconds, "TimeSpan.days(\(n)) is outside 1 s … 100 y")
        return TimeSpan(unchecked: Int64(n) * 86_400)
    }

    private init(unchecked seconds: Int64) { self.seconds = seconds }

    /// Parses the compact or ISO-8601 form (see the type's documentation).
    ///
    /// - Throws: ``TimeSpanError`` naming the text and what is wrong with it.
    public init(parsing text: String) throws(TimeSpanError) {
        let bytes = Array(text.utf8)
        let total: Int64
        do {
            if bytes.first == UInt8(ascii: "P") {
                total = try Self.parseISO(bytes)
            } else {
                total = try Self.parseCompact(bytes)
            }
        } catch let reason {
            throw TimeSpanError(text: text, reason: reason.message)
        }
        do {
            try self.init(seconds: total)
        } catch let error {
            throw TimeSpanError(text: text, reason: error.reason)
        }
    }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.seconds < b.seconds }

    /// The largest single unit that divides the span exactly: `7d`, `12h`, `90s` (``DurationText/format(_:)``).
    public var description: String { DurationText.format(seconds) }

    // MARK: - Grammar

    private struct Reason: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Reads the digits at `i`, advancing past them; nil when there are none.
    private static func number(_ bytes: [UInt8], _ i: inout Int) throws(Reason) -> Int64? {
        let start = i
        var value: Int64 = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(bytes[i] - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw Reason("the number is too large") }
            value = sum
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
            throw Reason("whole numbers only: use a smaller unit (90m, not 1.5h)")
        }
        return i == start ? nil : value
    }

    /// Adds `count · unit` to `total`, or throws when the span would pass the maximum.
    private static func accumulate(_ total: inout Int64, _ count: Int64, _ unit: Int64) throws(Reason) {
        let (product, o1) = count.multipliedReportingOverflow(by: unit)
        let (sum, o2) = total.addingReportingOverflow(product)
        guard !o1, !o2, sum <= maximumSeconds else {
            throw Reason("longer than the maximum of 100 years (\(maximumSeconds) s)")
        }
        total = sum
    }

    private static func parseCompact(_ bytes: [UInt8]) throws(Reason) -> Int64 {
        guard !bytes.isEmpty else { throw Reason("empty: expected a duration like 90s, 15m, 6h, 7d, 2w, 1y6mo or P30D") }
        if bytes.first == UInt8(ascii: "-") { throw Reason("a duration must be positive") }
        var i = 0
        var total: Int64 = 0
        var previousUnit = -1
        while i < bytes.count {
            guard let count = try number(bytes, &i) else {
                throw Reason("expected a number at position \(i + 1) (durations look like 90s, 15m, 6h, 7d, 1y6mo or P30D)")
            }
            if i == bytes.count {
                // A bare number is seconds, but only on its own: `1h30` is ambiguous.
                guard previousUnit < 0 else { throw Reason("a unit is missing after the last number (s, m, h, d, w, mo or y)") }
                try accumulate(&total, count, 1)
                break
            }
            guard let unit = compactUnits.indices.first(where: { u in
                let suffix = Array(compactUnits[u].suffix.utf8)
                // `mo` comes before `m` in the list, so a month is never read as a minute.
                return bytes.count - i >= suffix.count && Array(bytes[i..<(i + suffix.count)]) == suffix
            }) else {
                let rest = String(decoding: bytes[i...].prefix(8), as: UTF8.self)
                throw Reason("unknown unit '\(rest)' (expected s, m, h, d, w, mo or y, or an ISO-8601 duration like P30D)")
            }
            guard unit > previousUnit else {
                throw Reason("units must go from the largest to the smallest, each at most once (1d12h, not 12h1d)")
            }
            previousUnit = unit
            i += compactUnits[unit].suffix.utf8.count
            try accumulate(&total, count, compactUnits[unit].seconds)
        }
        return total
    }

    /// `P[nY][nM][nW][nD][T[nH][nM][nS]]`.
    private static func parseISO(_ bytes: [UInt8]) throws(Reason) -> Int64 {
        let dateUnits: [(UInt8, Int64)] = [(UInt8(ascii: "Y"), 31_536_000), (UInt8(ascii: "M"), 2_628_000),
                                            (UInt8(ascii: "W"), 604_800), (UInt8(ascii: "D"), 86_400)]
        let timeUnits: [(UInt8, Int64)] = [(UInt8(ascii: "H"), 3_600), (UInt8(ascii: "M"), 60), (UInt8(ascii: "S"), 1)]
        var i = 1
        var total: Int64 = 0
        var components = 0
        var inTime = false
        var previousUnit = -1
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "T") {
                guard !inTime else { throw Reason("ISO-8601 duration with two 'T's") }
                inTime = true
                previousUnit = -1
                i += 1
                guard i < bytes.count else { throw Reason("ISO-8601 duration ends after 'T' (write PT6H, not P1DT)") }
                continue
            }
            guard let count = try number(bytes, &i) else {
                throw Reason("expected a number at position \(i + 1) of the ISO-8601 duration (P30D, PT6H, P1Y6M)")
            }
            guard i < bytes.count else { throw Reason("ISO-8601 duration ends without a designator (Y, M, W, D, or H, M, S after T)") }
            let units = inTime ? timeUnits : dateUnits
            guard let unit = units.firstIndex(where: { $0.0 == bytes[i] }) else {
                let part = inTime ? "time part (after T): H, M, S" : "date part: Y, M, W, D (hours need T: PT6H)"
                throw Reason("unknown designator '\(String(decoding: [bytes[i]], as: UTF8.self))' in the \(part)")
            }
            guard unit > previousUnit else {
                throw Reason("ISO-8601 designators must go from the largest to the smallest, each at most once")
            }
            previousUnit = unit
            i += 1
            components += 1
            try accumulate(&total, count, units[unit].1)
        }
        guard components > 0 else { throw Reason("ISO-8601 duration without any component (P30D, PT6H)") }
        return total
    }
}

/// A duration that could not be read: the text and what is wrong with it.
public struct TimeSpanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// Why it was refused, as a phrase: "unknown unit 'x' (…)".
    public var reason: String

    public var description: String { "'\(text)' is not a duration: \(reason)" }
}
