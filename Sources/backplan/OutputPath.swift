import BackplanCore
import Foundation

/// Checks made on every output path before any work starts, so a long run never ends in a failed write and no
/// output ever replaces one of the run's inputs.
enum OutputPath {
    /// Throws ``InputError`` (exit 2) naming `path` when its folder is missing or unwritable, when it is a
    /// directory, or when it is — by path, through links, or as a hard link — one of `inputs`.
    ///
    /// ```swift
    /// try OutputPath.check("plan.json", option: "--out", notAnyOf: [db, policy, prices, model + "/model.json"])
    /// ```
    static func check(_ path: String, option: String, notAnyOf inputs: [String]) throws {
        guard path != "-" else { return }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw InputError(file: path, column: option, "is a directory; give a file path") }
            if !FileManager.default.isWritableFile(atPath: path) {
                throw InputError(file: path, column: option, "exists and is not writable")
            }
        }
        let folder = url.deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw InputError(file: path, column: option, "its folder \(folder) does not exist; create it first")
        }
        if !FileManager.default.isWritableFile(atPath: folder) {
            throw InputError(file: path, column: option, "its folder \(folder) is not writable")
        }
        for input in inputs where same(path, input) {
            throw InputError(file: path, column: option, "is also an input of this run (\(input)); writing there would replace it. Give another path")
        }
    }

    /// Whether two paths name one file: the same absolute path after resolving links, or the same inode.
    static func same(_ a: String, _ b: String) -> Bool {
        let ra = URL(fileURLWithPath: a).resolvingSymlinksInPath().standardizedFileURL.path
        let rb = URL(fileURLWithPath: b).resolvingSymlinksInPath().standardizedFileURL.path
        if ra == rb { return true }
        var sa = stat(), sb = stat()
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
