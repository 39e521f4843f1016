import BackplanCore

/// Why one line (or row) of a source was rejected: the column at fault and what was wrong.
struct LineError: Error {
    var column: String?
    var message: String
    /// The whole source is unusable (a header without the mapped columns, say), not just this line.
    var fatal = false

    init(_ column: String?, _ message: String, fatal: Bool = false) {
        self.column = column
        self.message = message
        self.fatal = fatal
    }
}

/// A line split into fields without copying: each field is a range of the line's bytes.
struct Fields {
    enum Separator {
        /// One byte separates fields (`,` in CSV); empty fields are kept.
        case byte(UInt8)
        /// Runs of spaces and tabs separate fields; leading and trailing blanks are ignored.
        case blanks
    }

    private(set) var ranges: [Range<Int>] = []
    /// Indices of quoted fields holding a doubled quote (`""`), which ``unescaped(_:in:)`` turns into one.
    private(set) var escaped: [Int] = []

    init() { ranges.reserveCapacity(16) }

    var count: Int { ranges.count }

    /// Splits `line`. CSV quoting (RFC 4180: `"a,b"`, `""` for a quote) is honoured for `.byte` separators:
    /// the field's range then covers the text between the quotes, and the field is listed in ``escaped``
    /// when a doubled quote needs unescaping (``unescaped(_:in:)``).
    mutating func split(_ line: UnsafeBufferPointer<UInt8>, by separator: Separator) throws(LineError) {
        ranges.removeAll(keepingCapacity: true)
        escaped.removeAll(keepingCapacity: true)
        let n = line.count
        switch separator {
        case .blanks:
            var i = 0
            while i < n {
                while i < n, line[i] == 32 || line[i] == 9 { i += 1 }
                guard i < n else { break }
                let start = i
                while i < n, line[i] != 32, line[i] != 9 { i += 1 }
                ranges.append(start..<i)
            }
        case .byte(let sep):
            var i = 0
            while true {
                if i < n, line[i] == UInt8(ascii: "\"") {
                    let start = i + 1
                    var j = start
                    var closed = false
                    while j < n {
                        if line[j] == UInt8(ascii: "\"") {
                            if j + 1 < n, line[j + 1] == UInt8(ascii: "\"") {
                                if escaped.last != ranges.count { escaped.append(ranges.count) }
                                j += 2
                                continue
                            }
                            closed = true
                            break
                        }
                        j += 1
                    }
                    guard closed else { throw LineError(nil, "unterminated quoted field") }
                    ranges.append(start..<j)
                    i = j + 1
                    guard i == n || line[i] == sep else {
                        throw LineError(nil, "text after a closing quote")
                    }
                } else {
                    let start = i
                    while i < n, line[i] != sep { i += 1 }
                    ranges.append(start..<i)
                }
                if i >= n { break }
                i += 1  // skip the separator
                if i == n { ranges.append(n..<n); break }
            }
        }
    }

    @inline(__always)
    subscript(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: line[ranges[index]])
    }

    /// Field `index` with each doubled quote made one (RFC 4180), or `nil` when it holds none and the
    /// subscript's bytes are the field as they are (`"q""uote's"` → `q"uote's`; the id was kept with both).
    func unescaped(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard escaped.contains(index) else { return nil }
        var out: [UInt8] = []
        var previousWasQuote = false
        for b in self[index, in: line] {
            if b == UInt8(ascii: "\""), previousWasQuote {
                previousWasQuote = false
                continue
            }
            previousWasQuote = b == UInt8(ascii: "\"")
            out.append(b)
        }
        return out
    }
}

/// Number parsing on raw bytes: strict, overflow-checked, no locale, no allocation.
enum Parse {
    /// A decimal integer with an optional sign. `nil` on anything else, including overflow of Int64.
    @inline(__always)
    static func int64(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = s.count
        guard n > 0 else { return nil }
        var negative = false
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") {
            negative = s[0] == UInt8(ascii: "-")
            i = 1
            guard n > 1 else { return nil }
        }
        var v: Int64 = 0
        while i < n {
            let d = s[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        return v
    }

    /// A hexadecimal integer (as in CloudPhysics op codes `2a`/`28`), optionally prefixed by `0x`.
    static func hex(_ s: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var i = 0
        if s.count > 2, s[0] == UInt8(ascii: "0"), s[1] | 0x20 == UInt8(ascii: "x") { i = 2 }
        guard i < s.count, s.count - i <= 16 else { return nil }
        var v: UInt64 = 0
        while i < s.count {
            let c = s[i] | 0x20
            let d: UInt8
            if c &- UInt8(ascii: "0") < 10 { d = c &- UInt8(ascii: "0") }
            else if c >= UInt8(ascii: "a"), c <= UInt8(ascii: "f") { d = c - UInt8(ascii: "a") + 10 }
            else { return nil }
            v = v << 4 | UInt64(d)
            i += 1
        }
        return v
    }

    /// A decimal number `[-]digits[.digits]` split into its integer part (rounded toward −∞) and whether
    /// it was negative. Exponents, `nan` and `inf` are refused. Used for timestamps with fractions
    /// (`1487890800.055943`), where the whole second is what Backplan keeps.
    static func floorDecimal(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let dot = s.firstIndex(of: UInt8(ascii: ".")) else { return int64(s) }
        let intPart = UnsafeBufferPointer(rebasing: s[..<dot])
        let frac = UnsafeBufferPointer(rebasing: s[(dot + 1)...])
        var fractionNonZero = false
        for b in frac {
            let d = b &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            if d != 0 { fractionNonZero = true }
        }
        let whole: Int64
        if intPart.isEmpty || (intPart.count == 1 && (intPart[0] == UInt8(ascii: "-") || intPart[0] == UInt8(ascii: "+"))) {
            guard !frac.isEmpty else { return nil }
            whole = 0
        } else {
            guard let w = int64(intPart) else { return nil }
            whole = w
        }
        let negative = intPart.first == UInt8(ascii: "-")
        return negative && fractionNonZero ? whole - 1 : whole
    }

    /// A byte count: a non-negative integer (a decimal with a zero fraction, `512.0`, is accepted).
    static func byteCount(_ s: UnsafeBufferPointer<UInt8>, column: String) throws(LineError) -> Int64 {
        guard let v = int64(s) ?? exactDecimal(s) else {
            throw LineError(column, "not a whole number of bytes: '\(text(s))'")
        }
        guard v >= 0 else { throw LineError(column, "negative byte count \(v)") }
        return v
    }

    private static func exactDecimal(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let dot = s.firstIndex(of: UInt8(ascii: ".")),
              s[(dot + 1)...].allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
        return int64(UnsafeBufferPointer(rebasing: s[..<dot]))
    }

    /// The bytes as text for messages: cut to 40 characters, control characters escaped, invalid UTF-8
    /// shown as U+FFFD.
    static func text(_ s: UnsafeBufferPointer<UInt8>) -> String {
        InputError.printable(String(decoding: s.prefix(160), as: UTF8.self), limit: 40)
    }
}
