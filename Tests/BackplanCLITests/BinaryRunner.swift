import BackplanTestSupport
import Foundation
import Testing

/// Runs the built `backplan` binary, as a user would, and captures what it prints.
struct Backplan {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var packageRoot: URL { Checkout.root }

    /// The binary built next to the test bundle (`swift build` before `swift test`; `make test` does both).
    static let binary: URL? = {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDir.appendingPathComponent("backplan"),
            packageRoot.appendingPathComponent(".build/debug/backplan"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let binary = try #require(Self.binary, "backplan binary not found: run 'swift build' (make test does) before 'swift test'")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently with the process so a chatty run cannot fill a pipe and stall.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

extension String {
    /// Parses the text as a JSON value.
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(utf8)) }
}
