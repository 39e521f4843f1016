import BackplanCore
import Foundation

/// `-` (or `/dev/stdin`) as an ingest source: the stream is read once, whole, into a temporary file that the
/// importers then read like any source (they read a file twice: its digest, then its lines), and that is
/// removed afterwards. Only one source may be the stream.
struct StdinSource {
    /// The sources with the stream's name replaced by the spooled file.
    let paths: [String]
    /// The spooled file, when a source was the stream.
    let spooled: String?

    /// The names that mean standard input.
    static func isStdin(_ path: String) -> Bool {
        path == "-" || path == "/dev/stdin" || path == "/proc/self/fd/0" || path == "/dev/fd/0"
    }

    /// Spools standard input when one of `sources` names it.
    ///
    /// - Throws: ``InputError`` when two sources name it, or when it cannot be read or written out.
    init(sources: [String]) throws {
        let stdinCount = sources.filter(Self.isStdin).count
        guard stdinCount > 0 else {
            paths = sources
            spooled = nil
            return
        }
        guard stdinCount == 1 else { throw InputError(file: "-", "standard input is named more than once; it can be read only once") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-stdin-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("stdin").path
        guard FileManager.default.createFile(atPath: file, contents: nil), let out = FileHandle(forWritingAtPath: file) else {
            throw InputError(file: file, "cannot write the spooled standard input")
        }
        defer { try? out.close() }
        do {
            while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty {
                try out.write(contentsOf: chunk)
            }
        } catch {
            throw InputError(file: "-", "standard input could not be read or spooled: \(error.localizedDescription)")
        }
        paths = sources.map { Self.isStdin($0) ? file : $0 }
        spooled = file
    }

    /// How a source is named in messages: `-` for the spooled stream.
    func displayName(_ path: String) -> String { path == spooled ? "-" : path }

    /// Removes the spooled file and its folder.
    func remove() {
        guard let spooled else { return }
        try? FileManager.default.removeItem(atPath: (spooled as NSString).deletingLastPathComponent)
    }
}
