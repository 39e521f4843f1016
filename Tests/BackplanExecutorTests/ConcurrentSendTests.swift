import Foundation
import Testing
@testable import BackplanExecutor

/// The helper that makes a round's snapshots several at once (``Executor/concurrently(_:limit:_:)``).
@Suite("Snapshots made several at once")
struct ConcurrentSendTests {
    final class Gauge: @unchecked Sendable {
        let lock = NSLock()
        var running = 0
        var most = 0
        func enter() { lock.lock(); running += 1; most = max(most, running); lock.unlock() }
        func leave() { lock.lock(); running -= 1; lock.unlock() }
    }

    @Test("Results come back in order, at most `limit` run at once, and more than one does")
    func orderAndLimit() throws {
        let gauge = Gauge()
        let out = try Executor.concurrently(12, limit: 3) { i -> Int in
            gauge.enter()
            defer { gauge.leave() }
            Thread.sleep(forTimeInterval: 0.02)
            return i * i
        }
        #expect(out == (0..<12).map { $0 * $0 })
        #expect(gauge.most <= 3)
        #expect(gauge.most >= 2, "twelve sleeps on three threads overlap")
    }

    struct Boom: Error, Equatable { var index: Int }

    @Test("An error is rethrown once every item has run (the first in index order)")
    func errors() {
        let gauge = Gauge()
        #expect(throws: Boom(index: 3)) {
            _ = try Executor.concurrently(8, limit: 2) { i -> Int in
                gauge.enter()
                defer { gauge.leave() }
                if i == 3 || i == 6 { throw Boom(index: i) }
                return i
            }
        }
        #expect(gauge.running == 0, "nothing still running when it returns")
    }

    @Test("A child process per thread: every one's output reaches its own caller")
    func childrenDoNotShareOutput() throws {
        let out = try Executor.concurrently(16, limit: 4) { i -> String in
            let r = try ChildProcess.run("/bin/sh", ["-c", "echo \(i); echo err\(i) >&2"], environment: [:])
            return String(decoding: r.stdout, as: UTF8.self) + "|" + String(decoding: r.stderr, as: UTF8.self)
        }
        #expect(out == (0..<16).map { "\($0)\n|err\($0)\n" })
    }
}
