/// Conversions between civil (proleptic Gregorian, UTC) date-times and Unix seconds, without Foundation,
/// so importers can parse millions of timestamps per second.
///
/// The day count uses Howard Hinnant's `days_from_civil` algorithm
/// ("chrono-Compatible Low-Level Date Algorithms", 2013), exact for every year in −9999…9999.
public enum CivilTime {
    /// Days since 1970-01-01 of the civil date `year-month-day`.
    ///
    ///     CivilTime.daysFromCivil(year: 1970, month: 1, day: 1) == 0
    ///     CivilTime.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017
    ///
    /// - Precondition: `1...12 ~= month`, `1...31 ~= day` (not checked against the month's length here;
    ///   ``unixSeconds(year:month:day:hour:minute:second:)`` does that).
    @inlinable
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400                                    // [0, 399]
        let mp = (month + 9) % 12                                  // March = 0
        let doy = (153 * mp + 2) / 5 + day - 1                     // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy            // [0, 146096]
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count (days since 1970-01-01): Hinnant's `civil_from_days`, the inverse of
    /// ``daysFromCivil(year:month:day:)``.
    ///
    ///     CivilTime.civil(fromDays: 11_017) == (2000, 3, 1)
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The UTC day containing Unix second `t` (floor division, also for times before 1970).
    public static func day(ofUnixSeconds t: Int64) -> Int64 {
        t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
    }

    /// Number of days in `month` of `year` (Gregorian leap rule).
    @inlinable
    public static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Unix seconds of a UTC civil date-time, or `nil` when a field is out of range
    /// (month 13, February 30, hour 24, …). Leap seconds (`:60`) are folded into the next second.
    @inlinable
    public static func unixSeconds(
        year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0
    ) -> Int64? {
        guard (-9999...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= daysInMonth(year: year, month: month),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// Parses an ISO-8601 / RFC 3339 date-time to Unix seconds (fractions are truncated toward −∞).
    ///
    /// Accepts `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.fff…]]` with `T` or a space between date and time,
    /// and an optional zone `Z`, `±hh:mm`, `±hhmm` or `±hh` (no zone means UTC). Returns `nil` otherwise.
    ///
    ///     CivilTime.parseISO8601(Array("2004-04-15T14:56:01Z".utf8)[...]) == 1_082_040_961
    public static func parseISO8601(_ s: some Collection<UInt8>) -> Int64? {
        var p = DigitScanner(Array(s))
        guard let year = p.digits(4), p.expect(UInt8(ascii: "-")),
              let month = p.digits(2), p.expect(UInt8(ascii: "-")),
              let day = p.digits(2) else { return nil }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0
        if p.expect(UInt8(ascii: "T")) || p.expect(UInt8(ascii: "t")) || p.expect(UInt8(ascii: " ")) {
            guard let h = p.digits(2), p.expect(UInt8(ascii: ":")), let m = p.digits(2) else { return nil }
            hour = h; minute = m
            if p.expect(UInt8(ascii: ":")) {
                guard let sec = p.digits(2) else { return nil }
                second = sec
                if p.expect(UInt8(ascii: ".")) || p.expect(UInt8(ascii: ",")) {
                    guard p.skipDigits() > 0 else { return nil }
                }
            }
        }
        var offset: Int64 = 0
        if p.expect(UInt8(ascii: "Z")) || p.expect(UInt8(ascii: "z")) {
            // UTC
        } else if let sign = p.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            p.advance()
            guard let oh = p.digits(2), oh <= 23 else { return nil }
            var om: Int64 = 0
            if p.expect(UInt8(ascii: ":")) {
                guard let m = p.digits(2) else { return nil }
                om = m
            } else if let m = p.digits(2) {
                om = m
            }
            guard om <= 59 else { return nil }
            offset = (oh * 3_600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        }
        guard p.atEnd,
              let t = unixSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return t - offset
    }

    /// Parses the compact `YYYYMMDDhhmmss` stamps of the Tencent photo-cache trace (taken as UTC).
    public static func parseCompact(_ s: some Collection<UInt8>) -> Int64? {
        guard s.count == 14 else { return nil }
        var p = DigitScanner(Array(s))
        guard let y = p.digits(4), let mo = p.digits(2), let d = p.digits(2),
              let h = p.digits(2), let mi = p.digits(2), let sec = p.digits(2) else { return nil }
        return unixSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: sec)
    }
}

/// A cursor over ASCII bytes for the fixed-width fields of date formats.
@usableFromInline
struct DigitScanner {
    let bytes: [UInt8]
    var index = 0

    @usableFromInline init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }
    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
    mutating func advance() { index += 1 }

    mutating func expect(_ b: UInt8) -> Bool {
        guard peek() == b else { return false }
        index += 1
        return true
    }

    /// Exactly `n` decimal digits as a number, or `nil` (and no movement) when they are not there.
    mutating func digits(_ n: Int) -> Int64? {
        guard index + n <= bytes.count else { return nil }
        var v: Int64 = 0
        for i in index..<(index + n) {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
        }
        index += n
        return v
    }

    mutating func skipDigits() -> Int {
        let start = index
        while let b = peek(), b &- UInt8(ascii: "0") < 10 { index += 1 }
        return index - start
    }
}
