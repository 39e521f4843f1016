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
