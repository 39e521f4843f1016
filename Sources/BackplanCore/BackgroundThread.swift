import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread for work that should only use CPU time nothing else wants: on Linux its nice value is raised by 10
/// (a thread's own, see setpriority(2): Linux keeps a nice value per thread), so on a busy machine the
/// scheduler gives it about a tenth of a core's share against a normal thread (CFS weights 110 against 1024).
///
/// The executor encodes its `--json` actions and decides retention on such threads while restic derives its
/// keys on the same cores; the work then fills restic's waits (its lock wait, its I/O) instead of delaying it.
///
/// ```swift
/// BackgroundThread.start { encodeWhileWaiting() }
/// ```
public enum BackgroundThread {
    /// Starts `body` on a new thread of lowered priority (elsewhere than Linux: a plain thread).
    public static func start(_ body: @escaping @Sendable () -> Void) {
        Thread {
            lowerPriority()
            body()
        }.start()
    }

    /// Runs `body` on such a thread and waits for it: work the caller needs done before it goes on, that should
    /// still yield the cores to others meanwhile (the executor's exports while restic derives its keys). When no
    /// thread can be made, `body` runs on the caller's.
    ///
    /// ```swift
    /// let files = try BackgroundThread.run { try exportAll() }
    /// ```
    public static func run<T>(_ body: () throws -> T) throws -> T {
        var out: Result<T, any Error>?
        let work = { out = Result { try body() } }
        withoutActuallyEscaping(work) { runJoined(Job($0)) }
        return try out!.get()
    }

    /// Runs `job` on a POSIX thread of lowered priority and joins it. Once joined, the thread has let go of the
    /// job's closure (a Foundation `Thread` keeps its block for a while after it ran, which
    /// `withoutActuallyEscaping` does not allow).
    private static func runJoined(_ job: Job) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let made = pthread_create(&thread, nil, jobThreadMain, context)
        if made == 0 {
            pthread_join(thread, nil)
        } else {
            Unmanaged<Job>.fromOpaque(context).release()
            job.work?()
            job.work = nil
        }
    }

    /// Raises the calling thread's nice value by 10 (Linux; elsewhere nothing). `who` 0 is the calling thread
    /// itself (the kernel's `current`), not the whole process. A new thread starts at its creator's nice value;
    /// raising it needs no privilege.
    fileprivate static func lowerPriority() {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let now = getpriority(which, 0)
        if errno == 0 { _ = setpriority(which, 0, min(19, now + 10)) }
        #endif
    }
}

/// ``BackgroundThread/run(_:)``'s work, handed to its thread.
private final class Job {
    var work: (() -> Void)?
    init(_ work: @escaping () -> Void) { self.work = work }
}

/// The body of ``BackgroundThread/run(_:)``'s POSIX thread: takes its ``Job`` (retained for it), runs it, lets go of its closure.
private func jobThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let job = Unmanaged<Job>.fromOpaque(context).takeRetainedValue()
    BackgroundThread.lowerPriority()
    job.work?()
    job.work = nil
    return nil
}
