import BackplanCore
import Foundation

/// Default input files that live in the repository (`datasets/policies/messaging.yaml`, …), found from the
/// binary's own folder rather than the working directory, so the README tour works from any folder.
enum RepositoryDefaults {
    /// `given` when the user passed the option; otherwise `relative` resolved against the first ancestor
    /// folder of the executable (`.build/debug/backplan` → the repository root) that holds it, with a note
    /// on stderr saying which default was used.
    ///
    /// - Throws: ``InputError`` naming the option when no ancestor holds the default file.
    static func path(_ given: String?, option: String, default relative: String) throws -> String {
        if let given { return given }
        // /proc/self/exe is the binary itself even when it was started through PATH or a link.
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = folder.appendingPathComponent(relative)
            if FileManager.default.isReadableFile(atPath: candidate.path) {
                Console.note("\(option) not given: using the default \(candidate.path)")
                return candidate.path
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        throw InputError(column: option, "not given, and the default \(relative) was not found above the binary "
                         + "(\(executable.path)): pass \(option) FILE")
    }
}
