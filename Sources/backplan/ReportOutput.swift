import BackplanCore
import Foundation

/// Where a report goes: stdout, or a file written through a temporary file renamed into place (so a reader
/// never sees half a report, and a failed run leaves the old file as it was).
enum ReportOutput {
    /// Writes `data` to `out`, or to stdout when `out` is `nil` or `-`.
    ///
    /// - Parameter inputs: files the report was made from; `out` may be none of them (compared after resolving
    ///   symbolic links and `..`, and by device and inode when `out` exists).
    /// - Throws: ``InputError`` naming `out` when it is an input or cannot be written.
    static func write(_ data: Data, to out: String?, inputs: [String]) throws {
        guard let out, out != "-" else {
            FileHandle.standardOutput.write(data)
            return
        }
        for input in inputs where sameFile(out, input) {
            throw InputError(file: out, "--out is the input file \(input); choose another path (the input is left unchanged)")
        }
        let target = URL(fileURLWithPath: out)
        let dir = target.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw InputError(file: out, "no such directory \(dir.path)")
        }
        let temp = dir.appendingPathComponent(".\(target.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: temp)
            if rename(temp.path, target.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temp)
                throw InputError(file: out, "cannot write the report: \(reason)")
            }
        } catch let error as InputError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw InputError(file: out, "cannot write the report: \(error.localizedDescription)")
        }
    }

    /// Refuses a `--chart` that is the same file as `--out` (the second write would replace the first).
    ///
    /// - Throws: ``InputError`` naming the chart path.
    static func checkDistinct(out: String?, chart: String?) throws {
        guard let out, let chart else { return }
        if out == chart || sameFile(out, chart) || URL(fileURLWithPath: out).standardizedFileURL == URL(fileURLWithPath: chart).standardizedFileURL {
            throw InputError(file: chart, "--chart is the same file as --out; choose another path")
        }
    }

    /// Whether two paths name the same file.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        let ra = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
        let rb = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
        if ra == rb { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
