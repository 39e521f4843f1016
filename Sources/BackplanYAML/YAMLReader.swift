import BackplanCore
import Foundation
import Yams

/// A typed walk over a YAML document that names the file, line and key of every problem.
///
/// Yams composes the document into `Node`s (keeping each node's line); this reader pulls typed values out of
/// them by key path, and ``finish()`` rejects keys nobody asked for, so a misspelt `rpoMAx` is an error
/// rather than a silently ignored line:
///
///     policy.yaml:12: key 'classes.group.rpoMax': expected a duration like 15m, 4h or 7d, got 'soon'
package struct YAMLReader {
    package let file: String
    private let node: Node
    private let path: String
    private var used: Set<String> = []

    /// The largest YAML file read: 16 MiB (policies and catalogs are a few KiB).
    package static let maximumBytes: Int64 = 16 << 20

    /// Reads and composes `file`.
    ///
    /// - Throws: ``InputError`` when the file cannot be read, is not YAML, or is not a mapping at the top.
    package static func open(_ file: String) throws -> YAMLReader {
        let data = try InputFile.contents(of: file, what: "YAML file", maximumBytes: maximumBytes)
        guard let text = String(data: data, encoding: .utf8) else { throw InputError(file: file, "is not UTF-8 text") }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw InputError(file: file, line: Self.line(of: error), "not valid YAML: \(Self.describe(error))")
        } catch {
            throw InputError(file: file, "not valid YAML: \(error)")
        }
        guard let root, root.mapping != nil else { throw InputError(file: file, "expected a YAML mapping of keys at the top") }
        return YAMLReader(file: file, node: root, path: "")
    }

    private init(file: String, node: Node, path: String) {
        self.file = file
        self.node = node
        self.path = path
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// The error for `name` (a key under this node), at the line of its value when it exists.
    package func error(_ name: String?, _ message: String) -> InputError {
        let at = name.flatMap { node.mapping?[$0] } ?? node
        let where_ = name.map { key($0) } ?? path
        return InputError(file: file, line: at.mark?.line, where_.isEmpty ? message : "key '\(where_)': \(message)")
    }

    private mutating func value(_ name: String) -> Node? {
        used.insert(name)
        guard let v = node.mapping?[name] else { return nil }
        if v.null != nil { return nil }
        return v
    }

    private mutating func required(_ name: String) throws -> Node {
        guard let v = value(name) else {
            var message = "missing key '\(key(name))'"
            let near = (node.mapping?.keys.compactMap(\.string) ?? []).filter { Self.editDistance($0.lowercased(), name.lowercased()) <= 2 }
            if let typo = near.first, typo != name { message += " (found '\(typo)': misspelt?)" }
            throw InputError(file: file, line: node.mark?.line, message)
        }
        return v
    }

    /// Levenshtein distance, for "did you mean" hints on short keys.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    private func scalar(_ v: Node, _ name: String, expected: String) throws -> String {
        guard case .scalar(let s) = v else { throw error(name, "expected \(expected), got a \(kind(v))") }
        return s.string
    }

    private func kind(_ v: Node) -> String {
        switch v {
        case .mapping: "mapping"
        case .sequence: "list"
        default: "value"
        }
    }

    /// A number (finite). `minimum` and `maximum` reject values outside the key's documented range (docs/INPUTS.md),
    /// naming the key.
    package mutating func number(_ name: String, minimum: Double? = nil, maximum: Double? = nil) throws -> Double {
        try number(required(name), name, minimum: minimum, maximum: maximum)
    }

    package mutating func optionalNumber(_ name: String, minimum: Double? = nil, maximum: Double? = nil) throws -> Double? {
        try value(name).map { try number($0, name, minimum: minimum, maximum: maximum) }
    }

    private func number(_ v: Node, _ name: String, minimum: Double?, maximum: Double?) throws -> Double {
        let text = try scalar(v, name, expected: "a number")
        guard let x = Double(text.replacingOccurrences(of: "_", with: "")), x.isFinite else {
            throw error(name, "expected a number, got '\(text)'")
        }
        if let minimum, let maximum, !(minimum...maximum).contains(x) {
            throw error(name, "must be between \(Self.show(minimum)) and \(Self.show(maximum)), got \(text)")
        }
        if let minimum, x < minimum {
            throw error(name, minimum == 0 ? "must not be negative, got \(text)" : "must be at least \(Self.show(minimum)), got \(text)")
        }
        if let maximum, x > maximum { throw error(name, "must be at most \(Self.show(maximum)), got \(text)") }
        return x
    }

    /// `1000000` rather than `1e+06`, `0.5` rather than `0.5000`: how a range reads in an error.
    private static func show(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// A whole number in `minimum … maximum` (the key's documented range).
    package mutating func integer(_ name: String, minimum: Int, maximum: Int = Int.max) throws -> Int {
        let v = try required(name)
        let text = try scalar(v, name, expected: "a whole number")
        guard let n = Int(text) else { throw error(name, "expected a whole number, got '\(text)'") }
        guard n >= minimum else { throw error(name, "must be at least \(minimum), got \(n)") }
        guard n <= maximum else { throw error(name, "must be at most \(maximum), got \(n)") }
        return n
    }

    /// A duration like `15m`, `4h`, `7d`, `7y`, `1y6mo`, `P30D` (or bare seconds; ``TimeSpan``), in seconds,
    /// within `range` (seconds; the key's documented range) when one is given.
    package mutating func duration(_ name: String, in range: ClosedRange<Int64>? = nil) throws -> Int64 {
        try duration(required(name), name, in: range)
    }

    package mutating func optionalDuration(_ name: String, in range: ClosedRange<Int64>? = nil) throws -> Int64? {
        try value(name).map { try duration($0, name, in: range) }
    }

    private func duration(_ v: Node, _ name: String, in range: ClosedRange<Int64>?) throws -> Int64 {
        let text = try scalar(v, name, expected: "a duration")
        let seconds: Int64
        if text == "0" || text == "0s" {
            seconds = 0
        } else {
            do {
                seconds = try TimeSpan(parsing: text).seconds
            } catch let failure {
                throw error(name, "expected a duration like 15m, 4h, 7d, 7y or P30D, got '\(text)' (\(failure.reason))")
            }
        }
        if let range, !range.contains(seconds) {
            throw error(name, "must be between \(Self.span(range.lowerBound)) and \(Self.span(range.upperBound)), got '\(text)'")
        }
        return seconds
    }

    private static func span(_ seconds: Int64) -> String { seconds == 0 ? "0s" : DurationText.format(seconds) }

    /// `1048576` → `1MiB`: the largest binary unit that divides exactly, as a size key is written.
    private static func size(_ bytes: Int64) -> String {
        for (suffix, unit) in [("PiB", Int64(1) << 50), ("TiB", Int64(1) << 40), ("GiB", Int64(1) << 30), ("MiB", Int64(1) << 20), ("KiB", Int64(1) << 10)]
        where bytes >= unit && bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes) bytes"
    }

    /// A byte size like `512`, `128KiB`, `2TiB`, within `range` (bytes) when one is given.
    package mutating func optionalBytes(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let b = try optionalBytes(name) else { return nil }
        guard range.contains(b) else {
            throw error(name, "must be between \(Self.size(range.lowerBound)) and \(Self.size(range.upperBound)), got \(Self.size(b))")
        }
        return b
    }

    /// A byte size like `512`, `128KiB`, `2TiB`.
    package mutating func optionalBytes(_ name: String) throws -> Int64? {
        guard let v = value(name) else { return nil }
        let text = try scalar(v, name, expected: "a size")
        guard let b = ByteSizeText.parse(text) else { throw error(name, "expected a size like 128KiB or 2TiB, got '\(text)'") }
        return b
    }

    package mutating func bool(_ name: String) throws -> Bool {
        let v = try required(name)
        let text = try scalar(v, name, expected: "true or false")
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(name, "expected true or false, got '\(text)'")
        }
    }

    package mutating func optionalBool(_ name: String) throws -> Bool? {
        node.mapping?[name] == nil ? (used.insert(name), nil).1 : try bool(name)
    }

    package mutating func string(_ name: String) throws -> String {
        try scalar(required(name), name, expected: "text")
    }

    package mutating func optionalString(_ name: String) throws -> String? {
        try value(name).map { try scalar($0, name, expected: "text") }
    }

    /// A list of text values, e.g. `[standard, glacier-ir]`.
    package mutating func optionalStringList(_ name: String) throws -> [String]? {
        guard let v = value(name) else { return nil }
        guard case .sequence(let items) = v else { throw error(name, "expected a list like [a, b], got a \(kind(v))") }
        return try items.map { item in
            guard case .scalar(let s) = item else { throw error(name, "expected text items, got a \(kind(item))") }
            return s.string
        }
    }

    /// The list of mappings under `name` (e.g. `repositories: [{…}, {…}]`), each as a reader whose errors name
    /// `path.name[i].…`; `nil` when the key is absent.
    package mutating func optionalMappingList(_ name: String) throws -> [YAMLReader]? {
        guard let v = value(name) else { return nil }
        guard case .sequence(let items) = v else { throw error(name, "expected a list of mappings, got a \(kind(v))") }
        return try items.enumerated().map { i, item in
            guard item.mapping != nil else {
                throw InputError(file: file, line: item.mark?.line, "key '\(key(name))[\(i)]': expected a mapping of keys, got a \(kind(item))")
            }
            return YAMLReader(file: file, node: item, path: "\(key(name))[\(i)]")
        }
    }

    /// The mapping under `name`, as a reader whose errors name `path.name.…`.
    package mutating func child(_ name: String) throws -> YAMLReader {
        let v = try required(name)
        guard v.mapping != nil else { throw error(name, "expected a mapping of keys, got a \(kind(v))") }
        return YAMLReader(file: file, node: v, path: key(name))
    }

    package mutating func optionalChild(_ name: String) throws -> YAMLReader? {
        node.mapping?[name] == nil ? (used.insert(name), nil).1 : try child(name)
    }

    /// Every key of this mapping, in file order, each with its reader (for maps like `classes:` or `tiers:`).
    package mutating func entries() throws -> [(name: String, reader: YAMLReader)] {
        guard let mapping = node.mapping else { throw error(nil, "expected a mapping") }
        var out: [(String, YAMLReader)] = []
        var seen: Set<String> = []
        for (k, v) in mapping {
            guard let name = k.string else { throw error(nil, "keys must be text") }
            guard seen.insert(name).inserted else { throw error(name, "appears twice") }
            used.insert(name)
            guard v.mapping != nil else { throw error(name, "expected a mapping of keys, got a \(kind(v))") }
            out.append((name, YAMLReader(file: file, node: v, path: key(name))))
        }
        return out
    }

    /// Rejects keys that no accessor read (typos, keys from another version).
    package func finish() throws {
        guard let mapping = node.mapping else { return }
        for (k, _) in mapping {
            guard let name = k.string else { continue }
            if !used.contains(name) {
                let known = used.sorted().joined(separator: ", ")
                throw error(name, "unknown key (known here: \(known))")
            }
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}
