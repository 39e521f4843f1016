import BackplanTestSupport
import Foundation
import Testing

/// One hostile input: a command line run in its own folder, and what it must do.
struct HostileCase: Sendable {
    enum Expectation: Sendable {
        /// Exit 2 with `backplan: error:` and every one of these texts (file, line, key or option) on stderr.
        case rejected(mentioning: [String])
        /// Exit 0: the input is legitimately fine (`why` says so).
        case accepted(why: String)
    }

    /// `family/variant`, e.g. `ingest-csv/nul`.
    var name: String
    /// The class the tally counts it under (empty, truncated, binary, NUL, …).
    var kind: String
    var arguments: [String]
    var expectation: Expectation
    /// Files whose bytes must be the same after the run (regular files only; FIFOs and folders are skipped).
    var inputs: [String]
    /// Bytes to feed on stdin (else /dev/null).
    var stdin: Data? = nil
}

/// What a run did.
struct HostileOutcome: Sendable {
    enum Termination: Sendable, Equatable { case exited(Int32), signal(Int32), hung }
    var termination: Termination
    var stderr: String
    var stdout: String
}

/// Runs cases through the built binary with a timeout each, a few at a time.
enum HostileRunner {
    /// Longest a case may run before it counts as a hang.
    static let timeoutSeconds = 60.0

    static func run(_ c: HostileCase, in folder: URL) throws -> HostileOutcome {
        let binary = try #require(Backplan.binary, "backplan binary not found: run 'swift build' before 'swift test'")
        let id = UUID().uuidString
        let outPath = NSTemporaryDirectory() + "hostile-out-\(id)", errPath = NSTemporaryDirectory() + "hostile-err-\(id)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = c.arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        var stdinPath: String?
        if let data = c.stdin {
            let path = NSTemporaryDirectory() + "hostile-in-\(id)"
            FileManager.default.createFile(atPath: path, contents: data)
            stdinPath = path
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer { if let stdinPath { try? FileManager.default.removeItem(atPath: stdinPath) } }
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        var hung = false
        if done.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            hung = true
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        let stderr = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        let stdout = String(decoding: (FileManager.default.contents(atPath: outPath) ?? Data()).prefix(100_000), as: UTF8.self)
        let termination: HostileOutcome.Termination = hung ? .hung
            : process.terminationReason == .uncaughtSignal ? .signal(process.terminationStatus) : .exited(process.terminationStatus)
        return HostileOutcome(termination: termination, stderr: stderr, stdout: stdout)
    }

    /// The bytes of every regular file among `paths` (a FIFO is never opened: reading it would block).
    static func snapshot(_ paths: [String]) -> [String: Data] {
        var out: [String: Data] = [:]
        for path in paths {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            out[path] = FileManager.default.contents(atPath: path)
        }
        return out
    }

    /// What is wrong with `outcome` for `c`, or `nil` when it did what it must.
    static func verdict(_ c: HostileCase, _ outcome: HostileOutcome, changed: [String]) -> (failure: String, problem: String)? {
        let err = String(outcome.stderr.prefix(600)).replacingOccurrences(of: "\n", with: " ⏎ ")
        switch outcome.termination {
        case .hung: return ("hang", "no exit within \(Int(timeoutSeconds)) s")
        case .signal(let s): return ("crash", "killed by signal \(s): \(err)")
        case .exited(let status):
            if !changed.isEmpty { return ("changed input", "changed \(changed.joined(separator: ", ")); exit \(status): \(err)") }
            switch c.expectation {
            case .accepted:
                return status == 0 ? nil : ("refused a fine input", "exit \(status): \(err)")
            case .rejected(let mentions):
                if status == 0 { return ("silent acceptance", "exit 0; stdout \(outcome.stdout.prefix(200))") }
                guard status == 2 else { return ("wrong exit", "exit \(status), expected 2: \(err)") }
                guard outcome.stderr.hasPrefix("backplan: error: ") || outcome.stderr.contains("\nbackplan: error: ") else {
                    return ("error style", "no 'backplan: error:' line: \(err)")
                }
                let missing = mentions.filter { !outcome.stderr.contains($0) }
                guard missing.isEmpty else { return ("unnamed", "stderr does not name \(missing): \(err)") }
                return nil
            }
        }
    }
}

@Suite("Hostile inputs, end to end", .serialized)
struct HostileInputSuite {
    /// Cases run at once: the runs mostly wait on process start-up and disk, not the CPU.
    static let workers = 4

    @Test("Every hostile input exits 2 naming where (or 0 when fine): no crash, no hang, no changed input")
    func hostileInputs() throws {
        let fixture = try HostileFixture.make()
        let cases = HostileCases.all(fixture)
        #expect(cases.count >= 300, "the suite must hold at least 300 cases, has \(cases.count)")
        #expect(Set(cases.map(\.name)).count == cases.count, "case names must be unique")
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var failures: [(HostileCase, String, String)] = []
        nonisolated(unsafe) var accepted = 0
        let sharedBefore = HostileRunner.snapshot(fixture.sharedInputs)
        DispatchQueue.concurrentPerform(iterations: Self.workers) { _ in
            while true {
                lock.lock()
                let i = next
                next += 1
                lock.unlock()
                guard i < cases.count else { return }
                let c = cases[i]
                let before = HostileRunner.snapshot(c.inputs)
                let verdict: (failure: String, problem: String)?
                do {
                    let outcome = try HostileRunner.run(c, in: fixture.root)
                    let after = HostileRunner.snapshot(c.inputs)
                    let changed = before.keys.filter { after[$0] != before[$0] }.sorted()
                    verdict = HostileRunner.verdict(c, outcome, changed: changed)
                } catch {
                    verdict = ("runner", "\(error)")
                }
                lock.lock()
                if let verdict { failures.append((c, verdict.failure, verdict.problem)) }
                if case .accepted = c.expectation { accepted += 1 }
                lock.unlock()
            }
        }
        let sharedAfter = HostileRunner.snapshot(fixture.sharedInputs)
        #expect(sharedBefore == sharedAfter, "a shared fixture file changed")
        var byKind: [String: Int] = [:]
        for c in cases { byKind[c.kind, default: 0] += 1 }
        var byFailure: [String: Int] = [:]
        for f in failures { byFailure[f.1, default: 0] += 1 }
        print("hostile inputs: \(cases.count) cases (\(cases.count - accepted) must be refused with exit 2, \(accepted) are fine and must exit 0); "
              + "\(failures.count) failed")
        print("hostile inputs by class: " + byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("hostile input failures by kind: " + (byFailure.isEmpty ? "none"
              : byFailure.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        for (c, failure, problem) in failures.sorted(by: { $0.0.name < $1.0.name }) {
            Issue.record("\(c.name) [\(failure)]: \(problem)\n  backplan \(c.arguments.joined(separator: " "))")
        }
    }
}
