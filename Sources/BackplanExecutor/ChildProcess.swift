import BackplanCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a child program (restic) so that it dies with the executor.
///
/// `Foundation.Process` puts each child in a process group of its own (checked with Swift 6.3 on Linux: a
/// child's PGID is its own PID, not its parent's), so killing the
/// executor's group — what systemd's `KillMode=control-group`, a Kubernetes pod's termination, supervisord's
/// `killasgroup` or a shell's job control do — left restic running, holding the repository's lock, and
/// finishing a snapshot the killed executor never recorded. It also offers no hook between `fork` and `exec`
/// for Linux's `prctl(PR_SET_PDEATHSIG)`. So children are started here with `posix_spawn` directly:
///
/// - in the executor's own process group (no `POSIX_SPAWN_SETPGROUP`), so a group kill takes them along;
/// - on Linux, through util-linux's `setpriv --pdeathsig KILL` when it is installed (Debian: always, it is
///   in the essential `util-linux` package), so that even a kill of the executor alone (`kill -9 PID`)
///   kills restic: the kernel sends SIGKILL to the child when the thread that started it ends. The child is
///   started from the calling thread, which waits for it, so that thread outlives it unless killed.
///
/// What neither covers (a kill in the instant between spawn and `prctl`, a group kill that spares restic) the
/// executor's start-of-round recovery does: stale locks removed, unrecorded snapshots swept
/// (``Executor/recover(now:log:)``).
///
/// ```swift
/// let r = try ChildProcess.run("/usr/bin/restic", ["snapshots", "--json"], environment: env)
/// r.status   // exit status (128 + signal when killed)
/// ```
enum ChildProcess {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
    }

    /// util-linux's `setpriv`, when present (Linux only).
    static let setpriv: String? = {
        #if os(Linux)
        for p in ["/usr/bin/setpriv", "/bin/setpriv"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        #endif
        return nil
    }()

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+; macOS 10.15+), which Swift's Glibc module does
    /// not export: looked up at run time.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addChdir: AddChdir? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// Held from a spawn's pipe() to the parent's close of the pipes' write ends (``run(_:_:environment:stdin:stdout:directory:)``).
    private static let spawnLock = NSLock()

    /// Runs `executable` with `arguments` (no shell) and `environment`, stdin from the file `stdin` (else
    /// `/dev/null`), stdout into the open descriptor `stdout` (else captured), stderr captured, in the working
    /// folder `directory` (else ours); waits for it. `started` gets the child's process id as soon as it runs
    /// (to interrupt it: ``Sending/stop()``).
    ///
    /// - Throws: ``InputError`` when it cannot be started.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], stdin: String? = nil,
                    stdout: Int32? = nil, directory: String? = nil, started: ((pid_t) -> Void)? = nil) throws -> Result {
        var argv = [executable] + arguments
        var path = executable
        if let setpriv { argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv; path = setpriv }

        let input = stdin.map { open($0, O_RDONLY | O_CLOEXEC) } ?? open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw InputError(file: stdin ?? "/dev/null", "cannot open for reading (errno \(errno))") }
        defer { close(input) }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        // From the pipes to the parent's close of their write ends, one spawn at a time: the executor spawns
        // restic from several threads at once (``Executor/startSending(_:items:now:work:)``), and a write end another child
        // inherited between pipe() and FD_CLOEXEC would hold this one's reader open until that child exits.
        spawnLock.lock()
        var locked = true
        defer { if locked { spawnLock.unlock() } }
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw InputError("cannot create a pipe for \(executable) (errno \(errno))")
        }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 leaves the copies without FD_CLOEXEC; every other descriptor of ours has it.
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout ?? outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let directory {
            guard let addChdir = Self.addChdir, addChdir(&actions, directory) == 0 else {
                throw InputError(file: directory, "cannot start \(executable) in this folder (posix_spawn_file_actions_addchdir_np)")
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling and an empty mask, whatever the executor changed.
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, cArgs, cEnv)
        close(outPipe[1])
        close(errPipe[1])
        spawnLock.unlock()
        locked = false
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw InputError(file: path, "cannot start (\(String(cString: strerror(spawned))))")
        }
        started?(pid)
        let outHandle = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true)
        let errHandle = FileHandle(fileDescriptor: errPipe[0], closeOnDealloc: true)
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = errHandle.readDataToEndOfFile()
            group.leave()
        }
        let outData = outHandle.readDataToEndOfFile()
        group.wait()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot see.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: outData, stderr: errData)
    }
}
