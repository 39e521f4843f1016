import Foundation
import Testing
@testable import BackplanExecutor

/// A round's restic runs, several at once (``Sending``), here with stand-in jobs instead of restic.
@Suite("Snapshots made several at once")
struct ConcurrentSendTests {
    final class Gauge: @unchecked Sendable {
        let lock = NSLock()
        var running = 0
        var most = 0
        func enter() { lock.lock(); running += 1; most = max(most, running); lock.unlock() }
        func leave() { lock.lock(); running -= 1; lock.unlock() }
    }

    /// A sending of `count` one-dataset batches whose job is `job`, at most `limit` at once.
    static func sending(_ count: Int, limit: Int, _ job: @escaping (Int) -> Result<Restic.Summary, Restic.Failure>) -> Sending {
        let repo = Targets.Repository(region: "r", tier: "t", repository: "/r", passwordFile: "/pw", offline: false, options: [])
        let batches = (0..<count).map { Executor.Batch(repo: repo, host: "h", members: [$0]) }
        return Sending(batches: batches, folders: batches.map { _ in "/nowhere" }, limit: limit) { n, _ in job(n) }
    }

    @Test("Results come back in order, at most `limit` run at once, and more than one does")
    func orderAndLimit() {
        let gauge = Gauge()
        let s = Self.sending(12, limit: 3) { i in
            gauge.enter()
            defer { gauge.leave() }
            Thread.sleep(forTimeInterval: 0.02)
            return .success(Restic.Summary(snapshot: "s\(i)", files: i, bytes: 0))
        }
        let out = s.wait().map { (try? $0.get())?.snapshot }   // no gates: every batch starts here
        #expect(out == (0..<12).map { "s\($0)" })
        #expect(gauge.most <= 3)
        #expect(gauge.most >= 2, "twelve sleeps on three threads overlap")
        #expect(gauge.running == 0, "nothing still running when it returns")
    }

    @Test("A child process per thread: every one's output reaches its own caller")
    func childrenDoNotShareOutput() {
        let s = Self.sending(16, limit: 4) { i in
            do {
                let r = try ChildProcess.run("/bin/sh", ["-c", "echo \(i); echo err\(i) >&2"], environment: [:])
                return .success(Restic.Summary(snapshot: String(decoding: r.stdout, as: UTF8.self) + "|" + String(decoding: r.stderr, as: UTF8.self),
                                               files: 0, bytes: 0))
            } catch {
                return .failure(Restic.Failure(action: "sh", repository: "", status: -1, stderr: "\(error)"))
            }
        }
        #expect(s.wait().map { (try? $0.get())?.snapshot } == (0..<16).map { "\($0)\n|err\($0)\n" })
    }
}
