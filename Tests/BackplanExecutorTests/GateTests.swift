import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanExecutor

/// The named pipe restic reads as its exclude file, which holds it back until a batch's exports are in (``Gate``);
/// here read by `cat`, as restic reads it (open, read to the end).
@Suite("A gate holds its reader until it opens")
struct GateTests {
    /// Runs `cat path` on a thread; the returned group is left when cat is done, with its result in `box`.
    final class Reader: @unchecked Sendable {
        let done = DispatchGroup()
        var result: ChildProcess.Result?
        init(_ path: String) {
            done.enter()
            Thread { [self] in
                result = try? ChildProcess.run("/bin/cat", [path], environment: [:])
                done.leave()
            }.start()
        }
    }

    @Test("A reader waiting in the gate reads an empty file once it opens, and so does one that comes after")
    func opens() throws {
        let dir = TempDir()
        let gate = try Gate(path: dir.file("gate"))
        let early = Reader(gate.path)
        #expect(early.done.wait(timeout: .now() + 0.5) == .timedOut, "the reader waits while the gate is shut")
        gate.release()
        #expect(early.done.wait(timeout: .now() + 30) == .success)
        #expect(early.result?.status == 0 && early.result?.stdout.isEmpty == true, "no pattern: nothing excluded")
        let late = Reader(gate.path)
        #expect(late.done.wait(timeout: .now() + 30) == .success, "after it opened, the path is a plain empty file")
        #expect(late.result?.status == 0 && late.result?.stdout.isEmpty == true)
        gate.release()   // twice: nothing more happens
        gate.close()
        var info = stat()
        #expect(lstat(gate.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
    }

    @Test("A gate opened before its reader comes lets it through at once; many readers, many gates")
    func openedFirst() throws {
        let dir = TempDir()
        let gates = try (0..<8).map { try Gate(path: dir.file("g\($0)")) }
        for g in gates { g.release() }
        let readers = gates.map { Reader($0.path) }
        for r in readers { #expect(r.done.wait(timeout: .now() + 30) == .success) }
        for g in gates { g.close() }
    }

    @Test("A gate is not made over an existing file")
    func refusesExisting() throws {
        let dir = TempDir()
        dir.write("gate", "x")
        #expect(throws: (any Error).self) { try Gate(path: dir.file("gate")) }
        #expect(FileManager.default.contents(atPath: dir.file("gate")) == Data("x".utf8))
    }
}
