import BackplanCore
import BackplanPlan
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The locks of a state store (`flock(2)`), held until released or the process ends — also when it is
/// killed, since the kernel drops a lock with its file descriptor.
///
/// - A run of the whole plan holds `<state>.lock` exclusively: nothing else runs on the store meanwhile.
/// - A schedule group's run (`execute --schedule-group NAME`, one Kubernetes CronJob) holds `<state>.lock`
///   *shared* and `<state>.lock.<escaped NAME>` exclusively: groups whose cron schedules fire together run
///   at once (their datasets, snapshots and sweeps are disjoint; the state store's writes wait for each
///   other, ``StateStore``; a repository's forget and prune are exclusive by restic's own lock, which the
///   other run waits for, ``Restic/lockWaitSeconds``), while a second run of the same group, or a whole-plan
///   run beside any group, is refused.
///
/// ```swift
/// let lock = try ExecutorLock(state: "state.sqlite", scheduleGroup: "every-1h")   // InputError (exit 2) when taken
/// defer { lock.release() }
/// ```
public final class ExecutorLock {
    private var fds: [Int32] = []

    /// Takes the lock(s) without waiting.
    ///
    /// - Throws: ``InputError`` naming the lock file when another executor holds it or it cannot be opened.
    public init(state: String, scheduleGroup: String? = nil) throws {
        let main = state + ".lock"
        if let group = scheduleGroup {
            try take(main, LOCK_SH, "a backplan executor of the whole plan is running on this state store; wait for it to finish")
            try take(main + "." + DatasetName.escaped(group), LOCK_EX,
                     "another backplan executor of schedule group '\(group)' is running on this state store; wait for it to finish")
        } else {
            try take(main, LOCK_EX, "another backplan executor is running on this state store; wait for it to finish")
        }
    }

    private func take(_ path: String, _ mode: Int32, _ busy: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            release()
            throw InputError(file: path, "cannot open the executor lock (errno \(errno))")
        }
        if flock(fd, mode | LOCK_NB) != 0 {
            close(fd)
            release()
            throw InputError(file: path, busy)
        }
        fds.append(fd)
    }

    public func release() {
        for fd in fds.reversed() {
            flock(fd, LOCK_UN)
            close(fd)
        }
        fds = []
    }

    deinit { release() }
}
