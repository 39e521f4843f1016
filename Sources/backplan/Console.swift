import BackplanCore
import Foundation

/// Where the CLI writes: data to stdout, messages and progress to stderr.
enum Console {
    enum Stream { case standardOutput, standardError }

    static func write(_ text: String, to stream: Stream = .standardOutput) {
        let handle = stream == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError
        handle.write(Data(text.utf8))
    }

    /// Prints one line of data to stdout.
    static func out(_ line: String = "") { write(line + "\n") }

    /// Prints `backplan: error: …` to stderr.
    static func error(_ message: String) { write("backplan: error: \(message)\n", to: .standardError) }

    /// Prints a note to stderr.
    static func note(_ message: String) { write("backplan: \(message)\n", to: .standardError) }

    /// Whether stderr is a terminal (progress lines are drawn only there).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Redraws one progress line on a terminal; does nothing when stderr is a file or pipe.
    static func progress(_ text: String) {
        guard stderrIsTerminal else { return }
        write("\r\u{1B}[2K" + text, to: .standardError)
    }

    /// Clears the progress line.
    static func endProgress() {
        guard stderrIsTerminal else { return }
        write("\r\u{1B}[2K", to: .standardError)
    }

    /// Encodes `value` as stable JSON (sorted keys, pretty-printed) and prints it to stdout.
    static func json<T: Encodable>(_ value: T) throws {
        write(String(decoding: try CanonicalJSON.data(value), as: UTF8.self))
    }
}

/// Human formatting for tables printed on a terminal.
enum Format {
    /// `12345678` → `12,345,678`.
    static func count<I: BinaryInteger>(_ n: I) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Bytes in binary units: `1536` → `1.5 KiB`.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    /// Unix seconds as `2004-04-15 14:56:01 UTC`.
    static func time(_ t: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// A duration in the largest fitting unit: `93784` → `1.1 d`.
    static func duration(_ seconds: Int64) -> String {
        let s = Double(seconds)
        if s >= 86_400 { return String(format: "%.1f d", s / 86_400) }
        if s >= 3_600 { return String(format: "%.1f h", s / 3_600) }
        if s >= 60 { return String(format: "%.1f min", s / 60) }
        return "\(seconds) s"
    }

    /// Left-aligned first column, right-aligned numbers; `rows[0]` is the header.
    static func table(_ rows: [[String]], rightAlignedFrom: Int = 1) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return i >= rightAlignedFrom ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
