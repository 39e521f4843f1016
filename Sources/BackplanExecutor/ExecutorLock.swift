import BackplanCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a state store (`<state>.lock`, `flock(2)`), held until released or the process ends —
/// also when it is killed, since the kernel drops the lock with the file descriptor.
///
/// ```swift
/// let lock = try ExecutorLock(state: "state.sqlite")   // a second executor gets an InputError (exit 2)
/// defer { lock.release() }
/// ```
public final class ExecutorLock {
    private var fd: Int32

    /// Takes the lock without waiting.
    ///
    /// - Throws: ``InputError`` naming the lock file when another executor holds it or it cannot be opened.
    public init(state: String) throws {
        let path = state + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InputError(file: path, "cannot open the executor lock (errno \(errno))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
            throw InputError(file: path, "another backplan executor is running on this state store; wait for it to finish")
        }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
