import Foundation

/// Reading a whole input file (a YAML policy, a plan, a model) the way every command should: only a regular
/// file, of bounded size, with an ``InputError`` that says what the path is instead.
///
/// `FileManager.contents(atPath:)` blocks for ever on a FIFO with no writer and reads a device without end;
/// this refuses both before opening them.
///
/// ```swift
/// let data = try InputFile.contents(of: "policy.yaml", what: "policy file")
/// ```
public enum InputFile {
    /// The largest input file read whole: 256 MiB (a plan of about a million datasets).
    public static let defaultMaximumBytes: Int64 = 256 << 20

    /// The bytes of `path`.
    ///
    /// - Parameters:
    ///   - what: what the file should be, for the message ("plan file", "model file").
    ///   - maximumBytes: refuse larger files (``defaultMaximumBytes`` unless given).
    /// - Throws: ``InputError`` naming `path`: missing, a folder, not a regular file (FIFO, socket, device),
    ///   larger than `maximumBytes`, or unreadable.
    public static func contents(of path: String, what: String, maximumBytes: Int64 = defaultMaximumBytes) throws -> Data {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let reason = errno == ENOENT ? "no such \(what)" : "cannot be read: \(String(cString: strerror(errno)))"
            throw InputError(file: path, reason)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw InputError(file: path, "is a directory, expected a \(what)")
        default: throw InputError(file: path, "is not a regular file (a FIFO, socket or device), expected a \(what)")
        }
        guard Int64(st.st_size) <= maximumBytes else {
            throw InputError(file: path, "is \(st.st_size) bytes, more than the \(maximumBytes) a \(what) may have")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(file: path, "cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw InputError(file: path, "cannot be read: \(error.localizedDescription)")
        }
    }

    /// Whether `path` is a regular file (following links); false for a FIFO, folder, device or nothing.
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }
}
