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

    public var description: String {
        var parts: [String] = []
        if let file {
            parts.append(line.map { "\(file):\($0)" } ?? file)
        }
        if let column { parts.append("column '\(column)'") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
