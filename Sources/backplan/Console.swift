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
        FileHandle.standardOutput.write(try CanonicalJSON.data(value))
    }

    /// A JSON array printed at the end and encoded meanwhile, in parts, on threads of lowered priority
    /// (``BackplanCore/BackgroundThread``, ``BackplanCore/CanonicalJSON/joinedArrays(_:)``): `execute --json`
    /// hands over a round's actions decided before restic runs (10,000 `unchanged` take about 0.1 s to encode)
    /// and encodes them while it waits.
    final class JSONArray<Element: Encodable & Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private let group = DispatchGroup()
        private var parts: [Int: Result<Data, any Error>] = [:]
        private var count = 0

        /// Encodes `elements`, the array's next ones, in the background.
        func append(_ elements: [Element]) {
            let n = lock.withLock { () -> Int in
                defer { count += 1 }
                return count
            }
            group.enter()
            BackgroundThread.start { [self] in
                let part = Result { try CanonicalJSON.data(elements) }
                lock.withLock { parts[n] = part }
                group.leave()
            }
        }

        /// Waits for the parts and prints the whole array to stdout.
        func print() throws {
            group.wait()
            let done = try lock.withLock { try (0..<count).map { try parts[$0]!.get() } }
            FileHandle.standardOutput.write(CanonicalJSON.joinedArrays(done))
        }
    }
}
