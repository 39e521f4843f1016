import BackplanTestSupport
import Foundation
import Testing

/// The shortened crash test `make test` runs (the full one is `make crash-test`, 200 rounds): the script
/// kills the executor with SIGKILL at random moments of 8 backup rounds, reruns it, and checks the state,
/// the repositories, the restores and the source store (scripts/executor-crash-test.sh).
@Suite("Executor crash test, shortened", .serialized,
       .enabled(if: resticPath != nil, "restic is not on PATH (make test installs it)"),
       .enabled(if: ["sqlite3", "python3", "setsid"].allSatisfy { tool in
           (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
               .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
       }, "the crash test script needs sqlite3, python3 and setsid"))
struct CrashTestEndToEndTests {
    @Test("8 rounds killed with SIGKILL: nothing partial recorded, everything recorded restores, restic check passes")
    func shortCrashTest() throws {
        let binary = try #require(Backplan.binary, "backplan binary not found: run 'swift build' first")
        let script = Backplan.packageRoot.appendingPathComponent("scripts/executor-crash-test.sh")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script.path, "8", "7"]
        var env = ProcessInfo.processInfo.environment
        env["BIN"] = binary.path
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self), stderr = String(decoding: errData, as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(stdout)\n\(stderr)")
        #expect(stdout.contains("runs 8 "), "\(stdout)")
        #expect(stdout.contains("(partial 0)") && stdout.contains("(missing from restic 0)") && stdout.contains("left 0 "), "\(stdout)")
        #expect(stdout.contains("(failed 0)") && stdout.contains("outlived the executor 0 times") && stdout.contains("audit log intact"), "\(stdout)")
        // The run restored something, so the checks were not vacuous.
        let restored = stdout.components(separatedBy: "restored and verified ").dropFirst().first?.prefix { $0.isNumber }
        #expect(Int(restored.map(String.init) ?? "") ?? 0 > 0, "\(stdout)")
    }
}
