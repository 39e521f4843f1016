/// A problem with what the user gave Backplan: a file, a line, a column or an option.
///
/// The command-line tool maps it to exit code 2 (DESIGN §8). The message names where the problem is so
/// that a user can act on it without reading code, in the `file:line: column: message` shape compilers use:
///
///     events.csv:17: column 'bytes': negative value -5
///
/// Errors carry context rather than wrap strings (GRDB's `DatabaseError` is the model).
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Path of the file at fault, as the user spelled it; `nil` when the problem is not in a file.
    public var file: String?
    /// 1-based line number inside `file` (for SQLite inputs: the row number), if known.
    public var line: Int?
    /// Name of the column, field, key or table at fault, if known.
    public var column: String?
    /// What was wrong, in plain words.
    public var message: String

    public init(file: String? = nil, line: Int? = nil, column: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// The `file:line: column 'c': message` line, safe to print: control characters (NUL, escape sequences,
    /// a binary file's bytes) are shown escaped, and an overlong message is cut, so an error about a binary
    /// file never writes its bytes to the terminal.
    public var description: String {
        var parts: [String] = []
        if let file {
            parts.append(line.map { "\(Self.printable(file)):\($0)" } ?? Self.printable(file))
        }
        if let column { parts.append("column '\(Self.printable(column))'") }
        parts.append(Self.printable(message, limit: Self.messageLimit))
        return parts.joined(separator: ": ")
    }

    /// Characters of a message printed before it is cut.
    public static let messageLimit = 2_000

    /// `text` with C0 controls, DEL and C1 controls escaped (`\0`, `\t`, `\n`, `\x1B`, `\u{85}`), cut to
    /// `limit` characters with an ellipsis.
    ///
    /// ```swift
    /// InputError.printable("SQLite format 3\u{0}\u{10}")  // "SQLite format 3\\0\\x10"
    /// ```
    public static func printable(_ text: String, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            count += 1
            switch scalar.value {
            case 0: out += "\\0"
            case 9: out += "\\t"
            case 10: out += "\\n"
            case 13: out += "\\r"
            case 0..<0x20, 0x7F: out += "\\x" + hex2(UInt8(scalar.value))
            case 0x80..<0xA0: out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
