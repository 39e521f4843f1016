import Foundation

/// JSON as Backplan writes every file and report: keys sorted, two-space indentation, slashes unescaped,
/// Swift's shortest round-trip decimal for every number, and a final newline, so the same value always gives
/// the same bytes (model files and plans are compared byte for byte).
public enum CanonicalJSON {
    public static func data<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// One JSON array made of arrays encoded apart by ``data(_:)``: byte for byte what ``data(_:)`` gives for
    /// their elements in one array, so a long list can be encoded in parts as they are known (the executor's
    /// actions: most are decided long before the round ends).
    ///
    /// ```swift
    /// CanonicalJSON.joinedArrays([try CanonicalJSON.data([1, 2]), try CanonicalJSON.data([3])])
    ///     == (try CanonicalJSON.data([1, 2, 3]))   // true
    /// ```
    public static func joinedArrays(_ parts: [Data]) -> Data {
        // A pretty-printed array is "[\n" + its elements, one per line, indented + "\n]\n"; an empty one is
        // "[\n\n]\n".
        let open = Data("[\n".utf8), close = Data("\n]\n".utf8)
        let bodies = parts.filter { $0.count > open.count + close.count }.map { $0.dropFirst(open.count).dropLast(close.count) }
        guard !bodies.isEmpty else { return Data("[\n\n]\n".utf8) }
        var out = open
        for (i, body) in bodies.enumerated() {
            if i > 0 { out.append(contentsOf: ",\n".utf8) }
            out.append(body)
        }
        out.append(close)
        return out
    }
}

/// Lowercase hexadecimal of bytes, e.g. a SHA-256 digest: `[0x0f, 0xa0]` → `"0fa0"`.
public enum Hex {
    public static func string<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
