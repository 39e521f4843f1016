import BackplanCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds a `restic backup` back, after its key derivation and lock, until its staging folder is complete.
///
/// restic reads its `--exclude-file`s after it has opened the repository (scrypt key derivation, about half a
/// second) and taken its lock (a 200 ms wait), and before it lists its targets (restic 0.14-0.18,
/// cmd/restic/cmd_backup.go: `OpenRepository`, `lockRepo`, then `collectRejectByNameFuncs`). The gate is a
/// named pipe given as that file: reading it blocks until ``release()``. So a round starts restic as soon as it
/// knows which datasets a snapshot holds (their tags are restic's arguments), lets the key derivation run while
/// the exports are written, and restic lists the folder only once every export is in it. The file holds no
/// pattern: nothing is excluded.
///
/// After ``release()`` the path is an empty regular file (a restic started again, after a lock retry, reads it
/// at once), and a reader that opened the pipe before that is let through: the pipe is opened for writing
/// and closed, which ends the reader's read (end of file), until that succeeds or ``close()``.
///
/// ```swift
/// let gate = try Gate(path: "\(work)/gate-0")       // restic backup --exclude-file <work>/gate-0 … blocks in it
/// gate.release()                                     // every export is in the folder: restic lists it now
/// gate.close()                                       // restic is done
/// ```
final class Gate: @unchecked Sendable {
    /// What restic reads (`--exclude-file`).
    let path: String
    private let pipe: String
    private let lock = NSLock()
    private var released = false
    private var closed = false

    /// Makes the named pipe at `path` (mode 0600; a second name, `<path>.pipe`, keeps it reachable after
    /// ``release()`` replaces `path`).
    ///
    /// - Throws: ``BackplanCore/InputError`` when the pipe cannot be made (a file system without named pipes).
    init(path: String) throws {
        self.path = path
        pipe = path + ".pipe"
        guard mkfifo(pipe, 0o600) == 0 else { throw InputError(file: pipe, "cannot make a named pipe (errno \(errno))") }
        guard link(pipe, path) == 0 else {
            let e = errno
            unlink(pipe)
            throw InputError(file: path, "cannot link the named pipe (errno \(e))")
        }
    }

    /// Whether ``release()`` was called.
    var isReleased: Bool { lock.withLock { released } }

    /// Lets restic go on: `path` becomes an empty regular file, and a restic already waiting in the pipe reads
    /// its end. Safe to call more than once.
    func release() {
        let first = lock.withLock { () -> Bool in
            defer { released = true }
            return !released
        }
        guard first else { return }
        let plain = path + ".open"
        if FileManager.default.createFile(atPath: plain, contents: nil, attributes: [.posixPermissions: 0o600]) {
            rename(plain, path)
        }
        // A thread of its own: a reader may have found the pipe by its name an instant before the rename and
        // start waiting in it only after a first try here, so the writer's open is tried until one succeeds.
        Thread { [self] in
            var pause: useconds_t = 500
            while !lock.withLock({ closed }) {
                if letReaderThrough(pipe) { return }
                usleep(pause)
                pause = min(pause * 2, 16_000)
            }
        }.start()
    }

    /// restic is done with the gate: stops letting readers through.
    func close() { lock.withLock { closed = true } }
}

/// Opens the named pipe `pipe` for writing without waiting and closes it at once: a reader waiting in it reads
/// its end. `false` when no reader has it open.
private func letReaderThrough(_ pipe: String) -> Bool {
    let fd = open(pipe, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return false }
    close(fd)
    return true
}
