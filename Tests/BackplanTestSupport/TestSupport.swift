import Foundation
import Testing

/// A fresh temporary folder per test, removed when the value is released.
public final class TempDir: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Path of `name` inside the folder.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(text.utf8))
        return file(name)
    }

    /// Writes raw bytes to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) -> String {
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(bytes))
        return file(name)
    }

    /// The bytes of `name`, or `nil` when it does not exist.
    public func bytes(_ name: String) -> Data? { FileManager.default.contents(atPath: file(name)) }
}

/// Where things are relative to the checkout.
public enum Checkout {
    /// The package's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}

/// The real data samples in `../shared/data/real` beside the checkout (see its PROVENANCE.md). They are
/// never committed: a test that reads one carries the ``Testing/Trait/realData(_:)`` trait, so that on a
/// machine without the file it shows as skipped, not passed.
///
///     @Test("CollegeMsg imports whole", .realData("CollegeMsg.txt"))
///     func collegeMsg() throws { let path = RealData.file("CollegeMsg.txt") … }
public enum RealData {
    public static let directory = Checkout.root.deletingLastPathComponent().appendingPathComponent("shared/data/real")

    /// Path of `name` in ``directory``, whether or not it exists (guard the test with `.realData(name)`).
    public static func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Whether every one of `names` is present.
    public static func has(_ names: [String]) -> Bool {
        names.allSatisfy { FileManager.default.fileExists(atPath: file($0)) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the real data files `names` are present; otherwise Swift Testing reports it as
    /// skipped, with the reason.
    public static func realData(_ names: String...) -> Self {
        .enabled(if: RealData.has(names),
                 Comment(rawValue: "needs \(names.joined(separator: ", ")) in \(RealData.directory.path) (real data is not committed)"))
    }
}

/// Compares two texts the way float output has to be compared across machines: every non-number part
/// exactly, every number within a tolerance.
///
/// OpenBLAS picks CPU-specific kernels, so results that pass through BLAS repeat bit for bit on one machine
/// but differ in the last digits on another (a model's deviance `4.455881149393012` on one CPU,
/// `4.455881149393356` on another). A number with a decimal point or an exponent may differ by
/// `relativeTolerance` of its magnitude, or by one unit in its last printed decimal place (a value printed
/// as `4.4559` may round to `4.4560` elsewhere), or by `absoluteTolerance` (a coefficient that is zero but for
/// rounding: `4.5e-24` on one CPU, `-3.5e-24` on another); an integer — a count, a size, a time — must be equal.
///
/// ```swift
/// NumericText.firstDifference("deviance 4.455881149393012", "deviance 4.455881149393356")  // nil
/// NumericText.firstDifference("rows 1066", "rows 1067")  // "number 2: 1066 vs 1067"
/// ```
public enum NumericText {
    enum Token: Equatable { case text(Substring), number(Substring) }

    /// `nil` when the texts agree, else a description of the first difference (with its position).
    public static func firstDifference(_ a: String, _ b: String, relativeTolerance: Double = 1e-9,
                                       absoluteTolerance: Double = 1e-12) -> String? {
        let ta = tokens(a), tb = tokens(b)
        var numberIndex = 0
        for (i, (x, y)) in zip(ta, tb).enumerated() {
            switch (x, y) {
            case let (.text(s), .text(t)) where s == t: continue
            case let (.number(s), .number(t)):
                numberIndex += 1
                if !numbersAgree(s, t, relativeTolerance, absoluteTolerance) { return "number \(numberIndex) (token \(i)): \(s) vs \(t)" }
            default:
                return "token \(i): \(describe(x)) vs \(describe(y))"
            }
        }
        return ta.count == tb.count ? nil : "one text has \(ta.count) tokens, the other \(tb.count)"
    }

    static func describe(_ t: Token) -> String {
        switch t {
        case .text(let s): return "text '\(s.prefix(60))'"
        case .number(let s): return "number \(s)"
        }
    }

    static func numbersAgree(_ s: Substring, _ t: Substring, _ relative: Double, _ absolute: Double) -> Bool {
        if s == t { return true }
        let isInteger = { (u: Substring) in !u.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
        guard !isInteger(s) || !isInteger(t), let x = Double(s), let y = Double(t) else { return false }
        let lastPlace = { (u: Substring) -> Double in
            guard let dot = u.firstIndex(of: "."), !u.contains(where: { $0 == "e" || $0 == "E" }) else { return 0 }
            return pow(10, -Double(u.distance(from: dot, to: u.endIndex) - 1))
        }
        let allowed = max(relative * max(abs(x), abs(y)), lastPlace(s), lastPlace(t), absolute)
        return abs(x - y) <= allowed * (1 + 1e-9)  // the subtraction itself rounds
    }

    /// Splits into maximal runs of number (`-12`, `4.5`, `1e-9`, `2.5E+3`) and of anything else.
    static func tokens(_ s: String) -> [Token] {
        var out: [Token] = []
        let u = Array(s.utf8)
        var i = 0, textStart = 0
        func isDigit(_ j: Int) -> Bool { j < u.count && u[j] >= 48 && u[j] <= 57 }
        while i < u.count {
            let signed = u[i] == UInt8(ascii: "-") && isDigit(i + 1) && (i == 0 || !isDigit(i - 1))
            guard isDigit(i) || signed else { i += 1; continue }
            var j = signed ? i + 1 : i
            while isDigit(j) { j += 1 }
            if j < u.count && u[j] == UInt8(ascii: "."), isDigit(j + 1) { j += 1; while isDigit(j) { j += 1 } }
            if j < u.count && (u[j] == UInt8(ascii: "e") || u[j] == UInt8(ascii: "E")) {
                var k = j + 1
                if k < u.count && (u[k] == UInt8(ascii: "-") || u[k] == UInt8(ascii: "+")) { k += 1 }
                if isDigit(k) { j = k; while isDigit(j) { j += 1 } }
            }
            let index = { (o: Int) in s.utf8.index(s.utf8.startIndex, offsetBy: o) }
            if textStart < i { out.append(.text(s[index(textStart)..<index(i)])) }
            out.append(.number(s[index(i)..<index(j)]))
            i = j
            textStart = j
        }
        if textStart < u.count { out.append(.text(s[s.utf8.index(s.utf8.startIndex, offsetBy: textStart)...])) }
        return out
    }
}
