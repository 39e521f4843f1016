/// A YAML document written without a YAML library (the plan contract links none): block mappings and
/// sequences, every string double-quoted with JSON's escapes (a subset of YAML 1.2's double-quoted style, so
/// no value can turn into a number, a boolean, a comment or a second key), keys plain only when they are
/// `[A-Za-z0-9_./-]` words starting with a letter.
///
/// ```swift
/// let doc = YAMLText.map([("kind", .string("List")), ("items", .list([]))])
/// doc.document(comments: ["made by Backplan"])
/// // "# made by Backplan\nkind: \"List\"\nitems: []\n"
/// ```
public indirect enum YAMLText: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case list([YAMLText])
    /// Keys in the order given.
    case map([(String, YAMLText)])

    public static func == (a: YAMLText, b: YAMLText) -> Bool { a.document() == b.document() }

    /// The document: comment lines (`# …`, one per line, newlines in them split into more comment lines),
    /// then the value, ending in a newline.
    public func document(comments: [String] = []) -> String {
        var out = ""
        for c in comments {
            for line in c.split(separator: "\n", omittingEmptySubsequences: false) { out += "#" + (line.isEmpty ? "" : " " + line) + "\n" }
        }
        switch self {
        case .map(let pairs) where !pairs.isEmpty: write(pairs, indent: 0, into: &out)
        case .list(let items) where !items.isEmpty: write(items, indent: 0, into: &out)
        default: out += scalar + "\n"
        }
        return out
    }

    private var scalar: String {
        switch self {
        case .string(let s): return Self.quoted(s)
        case .int(let n): return "\(n)"
        case .bool(let b): return b ? "true" : "false"
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    private var isBlock: Bool {
        switch self {
        case .list(let items): return !items.isEmpty
        case .map(let pairs): return !pairs.isEmpty
        default: return false
        }
    }

    private func write(_ pairs: [(String, YAMLText)], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (i, (key, value)) in pairs.enumerated() {
            // The first key of a sequence item follows its "- " on the same line.
            if !(i == 0 && out.hasSuffix("- ")) { out += pad }
            out += Self.key(key) + ":"
            if value.isBlock {
                out += "\n"
                value.writeBlock(indent: indent + 2, into: &out)
            } else {
                out += " " + value.scalar + "\n"
            }
        }
    }

    private func write(_ items: [YAMLText], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            out += pad + "- "
            switch item {
            case .map(let pairs) where !pairs.isEmpty: item.write(pairs, indent: indent + 2, into: &out)
            case .list(let inner) where !inner.isEmpty:
                out += "\n"
                item.write(inner, indent: indent + 2, into: &out)
            default: out += item.scalar + "\n"
            }
        }
    }

    private func writeBlock(indent: Int, into out: inout String) {
        switch self {
        case .map(let pairs): write(pairs, indent: indent, into: &out)
        case .list(let items): write(items, indent: indent, into: &out)
        default: out += String(repeating: " ", count: indent) + scalar + "\n"
        }
    }

    static func key(_ k: String) -> String {
        let plain = k.utf8.first.map { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) } ?? false
            && k.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2E || b == 0x2F || b == 0x2D
            }
            && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(k.lowercased())
        return plain ? k : quoted(k)
    }

    /// `s` double-quoted: `\\`, `\"`, `\n`, `\t`, `\r`; other control characters, U+2028/9 and BOMs as `\uXXXX`.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                // Not printable in YAML 1.2 (C0, DEL, C1), or a line break or BOM a reader may act on.
                if u.value < 0x20 || (0x7F...0x9F).contains(u.value) || [0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF].contains(u.value) {
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
