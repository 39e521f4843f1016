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
