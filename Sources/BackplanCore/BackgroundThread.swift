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
            #if os(Linux)
            // `who` 0 is the calling thread itself (the kernel's `current`), not the whole process. A new thread
            // starts at its creator's nice value; raising it needs no privilege.
            let which = __priority_which_t(PRIO_PROCESS.rawValue)
            errno = 0
            let now = getpriority(which, 0)
            if errno == 0 { _ = setpriority(which, 0, min(19, now + 10)) }
            #endif
            body()
        }.start()
    }
}
