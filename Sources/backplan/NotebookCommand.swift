import ArgumentParser
import BackplanCore
import BackplanReports
import Foundation

/// `backplan notebook`: executable Markdown notebooks (notebooks-md/).
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Run Markdown notebooks: execute their ```sh run blocks and refresh or check their outputs.",
        subcommands: [NotebookRunCommand.self])
}

/// `backplan notebook run FILE… [--check]`.
struct NotebookRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute each notebook's ```sh run blocks in order and write their outputs below them (or check them).",
        discussion: """
            Each block runs with /bin/sh -e in the notebook's folder, with this backplan first on PATH and \
            OPENBLAS_NUM_THREADS=1; stdout and stderr together become the block's ```output block (with \
            "[exit N]" last when the block fails). Blocks marked ```sh run varies are compared with every number \
            masked. A block marked ```sh run requires=PATH runs only where PATH (relative to the notebook) exists; \
            elsewhere it is skipped, says so, and keeps its stored output. With --check nothing is written: the command exits 1 naming the first block whose stored \
            output differs from a fresh run.

            Example:
              backplan notebook run notebooks-md/quick-start.md
              backplan notebook run notebooks-md/*.md --check
            """)

    @Argument(help: ArgumentHelp("Markdown notebooks.", valueName: "file")) var files: [String]
    @Flag(help: "Compare fresh outputs with the stored ones instead of writing them; exit 1 at the first difference.") var check = false

    func run() throws {
        var failed = false
        for file in files {
            let data = try InputFile.contents(of: file, what: "notebook", maximumBytes: 16 << 20)
            let notebook = Notebook(text: String(decoding: data, as: UTF8.self))
            if notebook.blocks.isEmpty {
                Console.note("\(file): no ```sh run blocks; left as it is")
                continue
            }
            let dir = URL(fileURLWithPath: file).deletingLastPathComponent()
            var outputs: [String?] = []
            var skipped = 0
            // --check writes nothing: chart files the blocks write beside the notebook are put back afterwards.
            let snapshot = check ? FolderSnapshot(dir) : nil
            for (i, block) in notebook.blocks.enumerated() {
                if let missing = block.requires.first(where: { !FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }) {
                    Console.endProgress()
                    Console.note("\(file):\(block.line): block \(i + 1) skipped: it needs \(missing), which is not here")
                    outputs.append(nil)
                    skipped += 1
                    continue
                }
                Console.progress("\(file): block \(i + 1)/\(notebook.blocks.count): \(block.title)")
                let fresh = try NotebookShell.run(block.code, in: dir)
                outputs.append(fresh)
                if check && !notebook.matches(i, fresh: fresh) {
                    Console.endProgress()
                    let d = Notebook.firstDifference(block.output ?? "", fresh)
                    Console.error("\(file):\(block.line): block \(i + 1) (`\(block.title)`): "
                                  + (block.output == nil ? "has no stored output" : "output differs at its line \(d.line)\n  stored: \(d.stored)\n  fresh:  \(d.fresh)"))
                    failed = true
                    break
                }
            }
            Console.endProgress()
            if let snapshot {
                let changed = snapshot.restore()
                if !changed.isEmpty {
                    Console.note("\(file): a fresh run wrote \(changed.joined(separator: ", ")) differently; put back as stored (charts are not compared)")
                }
            }
            if check {
                if !failed { Console.note("\(file): \(notebook.blocks.count - skipped) block(s) match" + (skipped > 0 ? ", \(skipped) skipped" : "")) }
                continue
            }
            let text = notebook.rendered(outputs: outputs)
            try ReportOutput.write(Data(text.utf8), to: file, inputs: [])
            Console.note("\(file): ran \(notebook.blocks.count - skipped) block(s)" + (skipped > 0 ? ", \(skipped) skipped (stored outputs kept)" : ""))
        }
        if failed { throw ExitCode(1) }
    }
}

/// The regular files directly in a folder and their bytes, to put back after a `--check` run.
struct FolderSnapshot {
    let dir: URL
    let files: [String: Data]

    init(_ dir: URL) {
        self.dir = dir
        var files: [String: Data] = [:]
        for name in Self.names(dir) { files[name] = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) }
        self.files = files
    }

    static func names(_ dir: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { name in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
    }

    /// Writes back every file whose bytes changed, removes files that were not there; returns their names.
    func restore() -> [String] {
        var changed: [String] = []
        for name in Self.names(dir) {
            let url = dir.appendingPathComponent(name)
            guard let old = files[name] else {
                try? FileManager.default.removeItem(at: url)
                changed.append(name)
                continue
            }
            if FileManager.default.contents(atPath: url.path) != old {
                try? old.write(to: url, options: .atomic)
                changed.append(name)
            }
        }
        return changed
    }
}

/// Runs one notebook block in a shell.
enum NotebookShell {
    /// `code` run by `/bin/sh -e` in `dir`, this binary's folder first on PATH; stdout and stderr merged, then
    /// `[exit N]` when the status is not 0.
    static func run(_ code: String, in dir: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-e", "-c", code]
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        let binDir = CommandLine.arguments[0].contains("/") ? binary.deletingLastPathComponent().path : nil
        if let binDir { env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin") }
        env["OPENBLAS_NUM_THREADS"] = "1"
        env["COLUMNS"] = "100"
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var out = String(decoding: data, as: UTF8.self)
        if process.terminationStatus != 0 {
            if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
            out += "[exit \(process.terminationStatus)]\n"
        }
        return out
    }
}
