import BackplanCore
import Foundation

/// restic driven as a subprocess: arguments as an array (never a shell string), the repository and password
/// file passed through restic's own environment (`RESTIC_REPOSITORY`, `RESTIC_PASSWORD_FILE`), so no password
/// ever appears in an argument, a log line or an error. Times are UTC (`TZ=UTC`).
///
/// ```swift
/// let restic = Restic()
/// let id = try restic.backup(repo, stdin: "/tmp/x.sqlite", filename: "c000042.sqlite",
///                            tags: ["backplan", "dataset=c000042"], host: "chat", time: 1_700_000_000)
/// try restic.forget(repo, ids: [id]); try restic.prune(repo)
/// ```
public struct Restic: Sendable {
    /// The `restic` executable: a path, or a name looked up on `PATH`.
    public var executable: String

    public init(executable: String = "restic") { self.executable = executable }

    /// Whether restic can be found (for tests that need it).
    public static var isInstalled: Bool { (try? Restic().resolvedExecutable()) != nil }

    /// Whether `repository` is a restic backend URL (`s3:`, `sftp:`, `rest:`, `b2:`, `azure:`, `gs:`, `swift:`,
    /// `rclone:`) rather than a local path.
    public static func isBackendURL(_ repository: String) -> Bool {
        ["s3:", "sftp:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:"].contains { repository.hasPrefix($0) }
    }

    /// A failed restic run: what was asked, the exit status and the tail of restic's error output.
    public struct Failure: Error, CustomStringConvertible {
        public var action: String
        public var repository: String
        public var status: Int32
        public var stderr: String
        public var description: String {
            "restic \(action) on \(repository) failed (exit \(status)): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(600))"
        }
    }

    /// Uploads the file `stdin` as `/<filename>` in a new snapshot; returns restic's snapshot id (from the
    /// `--json` summary). `time` (Unix seconds) becomes the snapshot's time.
    public func backup(_ repo: Targets.Repository, stdin file: String, filename: String, tags: [String], host: String,
                       time: Int64) throws -> String {
        // --force: no parent snapshot. A parent only lets restic skip unchanged files by their metadata, which
        // stdin has none of, and finding it reads every snapshot of the repository (restic 0.14
        // cmd/restic/cmd_backup.go, findParentSnapshot), a cost that grows with every backup.
        var args = ["backup", "--json", "--force", "--stdin", "--stdin-filename", filename, "--host", host, "--time", Self.timeText(time)]
        for t in tags { args += ["--tag", t] }
        let out = try run(repo, args, action: "backup", stdin: file)
        return try snapshotID(fromBackupJSON: out, repo)
    }

    /// Backs up every file of the folder `folder` (the executor's staging folder of one round, repository,
    /// retention and host: one export per dataset, named by ``DatasetName/fileName(_:)``) as one snapshot whose
    /// root holds those files (`restic backup .` run inside the folder, so each file is `/<name>` in the
    /// snapshot); returns restic's snapshot id. `time` (Unix seconds) becomes the snapshot's time.
    ///
    /// With `gate` (a ``Gate``'s path, given as `--exclude-file`), restic opens the repository and takes its
    /// lock, then waits until the gate is released before it lists the folder. `started` gets each restic
    /// process's id as it starts (a lock retry starts another).
    public func backup(_ repo: Targets.Repository, folder: String, tags: [String], host: String, time: Int64,
                       gate: String? = nil, started: ((Int32) -> Void)? = nil) throws -> Summary {
        var args = ["backup", "--json", "--force", "--host", host, "--time", Self.timeText(time)]
        if let gate { args += ["--exclude-file", gate] }
        for t in tags { args += ["--tag", t] }
        let out = try run(repo, args + ["."], action: "backup", directory: folder, started: started)
        return try summary(fromBackupJSON: out, repo)
    }

    /// What `restic backup --json` reports at its end: the snapshot's id, and the files and bytes it read.
    public struct Summary: Sendable, Equatable {
        public var snapshot: String
        public var files: Int
        public var bytes: Int64
    }

    private func snapshotID(fromBackupJSON out: String, _ repo: Targets.Repository) throws -> String {
        try summary(fromBackupJSON: out, repo).snapshot
    }

    private func summary(fromBackupJSON out: String, _ repo: Targets.Repository) throws -> Summary {
        for line in out.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  obj["message_type"] as? String == "summary", let id = obj["snapshot_id"] as? String, !id.isEmpty else { continue }
            return Summary(snapshot: id, files: (obj["total_files_processed"] as? NSNumber)?.intValue ?? -1,
                           bytes: (obj["total_bytes_processed"] as? NSNumber)?.int64Value ?? -1)
        }
        throw Failure(action: "backup", repository: repo.repository, status: 0, stderr: "no snapshot id in restic's --json summary")
    }

    /// Forgets exactly the snapshots `ids` (no keep flags).
    public func forget(_ repo: Targets.Repository, ids: [String]) throws {
        guard !ids.isEmpty else { return }
        _ = try run(repo, ["forget"] + ids, action: "forget")
    }

    /// Removes the data no snapshot references any more.
    public func prune(_ repo: Targets.Repository) throws { _ = try run(repo, ["prune"], action: "prune") }

    /// Writes the file `/<filename>` of snapshot `id` to `destination`.
    public func dump(_ repo: Targets.Repository, id: String, filename: String, to destination: String) throws {
        guard FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600]),
              let out = FileHandle(forWritingAtPath: destination) else {
            throw InputError(file: destination, "cannot create the restore file")
        }
        defer { try? out.close() }
        _ = try run(repo, ["dump", id, "/" + filename], action: "dump", stdout: out)
    }

    /// `restic unlock`: removes the repository's *stale* locks only. In restic 0.14 (`internal/restic/lock.go`,
    /// `RemoveStaleLocks` and `Lock.Stale`) a lock is stale when it is older than 30 minutes, or when it was
    /// made on this host (same host name) by a process that no longer exists (a SIGHUP probe of its PID
    /// fails); locks of live processes and of other hosts younger than 30 minutes stay (`--remove-all`,
    /// which would remove them too, is never used). restic 0.14 does not skip stale locks when it takes a
    /// lock, so a restic killed holding the exclusive lock (forget, prune) blocks every later command until
    /// this runs.
    public func unlockStale(_ repo: Targets.Repository) throws { _ = try run(repo, ["unlock"], action: "unlock") }

    /// Whether the repository may hold a lock: for a local repository, whether its `locks` folder has a file
    /// (no restic run needed); for a backend URL, `true` (only restic can list it).
    public static func mayBeLocked(_ repo: Targets.Repository) -> Bool {
        guard !isBackendURL(repo.repository) else { return true }
        let locks = URL(fileURLWithPath: repo.repository).appendingPathComponent("locks").path
        return !((try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []).isEmpty
    }

    /// A snapshot as `restic snapshots --json` lists it.
    public struct Snapshot: Sendable, Equatable {
        /// The full 64-hex id.
        public var id: String
        public var tags: [String]
        public var host: String

        /// Whether `recorded` (a full id, or the short id restic's `backup --json` summary gives) names it.
        public func isNamed(by recorded: String) -> Bool { !recorded.isEmpty && id.hasPrefix(recorded) }
    }

    /// The snapshots carrying every tag of `tags` (restic's `--tag a,b` means both; the tags here never
    /// hold a comma, ``DatasetName``).
    public func snapshots(_ repo: Targets.Repository, taggedAll tags: [String]) throws -> [Snapshot] {
        // --no-lock: a listing needs no lock, and so never waits for one.
        let out = try run(repo, ["--no-lock", "snapshots", "--json", "--tag", tags.joined(separator: ",")], action: "snapshots")
        guard let list = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]] else {
            throw Failure(action: "snapshots", repository: repo.repository, status: 0, stderr: "restic's --json list did not parse")
        }
        return list.compactMap { s in
            guard let id = s["id"] as? String else { return nil }
            return Snapshot(id: id, tags: s["tags"] as? [String] ?? [], host: s["hostname"] as? String ?? "")
        }
    }

    /// Creates a repository (tests and first runs).
    public func initRepository(_ repo: Targets.Repository) throws { _ = try run(repo, ["init"], action: "init") }

    /// `restic snapshots --json` ids of a repository, for checks.
    public func snapshotIDs(_ repo: Targets.Repository) throws -> [String] {
        let out = try run(repo, ["snapshots", "--json"], action: "snapshots")
        let list = (try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
        return list.compactMap { $0["short_id"] as? String }
    }

    /// restic's `--time` text for a Unix time: `YYYY-MM-DD hh:mm:ss` (UTC, as the environment's `TZ` says).
    static func timeText(_ t: Int64) -> String {
        let days = CivilTime.day(ofUnixSeconds: t)
        let (y, m, d) = CivilTime.civil(fromDays: days)
        let s = t - days * 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))"
    }

    func resolvedExecutable() throws -> String {
        if executable.contains("/") { return executable }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw InputError("restic not found on PATH (Debian: apt-get install restic; make test installs it)")
    }

    /// How long to wait for a repository another restic holds locked (restic 0.14 has no `--retry-lock`):
    /// a `prune` of an executor killed mid-round runs on as an orphan, a `restic` run by hand may be busy, and
    /// another schedule group's run may be forgetting or pruning (exclusive) the repository this one backs up to.
    public var lockWaitSeconds: Double = 900

    /// Runs restic. When the repository is locked: `restic unlock` (stale locks only, ``unlockStale(_:)``) and
    /// at once again; while a live restic still holds it, unlock and again after waits of 1, 2, 4, … up to
    /// 15 s, for up to ``lockWaitSeconds``.
    private func run(_ repo: Targets.Repository, _ arguments: [String], action: String, stdin: String? = nil,
                     stdout: FileHandle? = nil, directory: String? = nil, started: ((Int32) -> Void)? = nil) throws -> String {
        var waited = 0.0
        var pause = 1.0
        var attempts = 0
        while true {
            do {
                try stdout?.seek(toOffset: 0)
                try stdout?.truncate(atOffset: 0)
                return try runOnce(repo, arguments, action: action, stdin: stdin, stdout: stdout, directory: directory, started: started)
            } catch let failure as Failure
                where failure.stderr.contains("repository is already locked") && waited < lockWaitSeconds && action != "unlock" {
                if attempts > 0 {
                    Thread.sleep(forTimeInterval: pause)
                    waited += pause
                    pause = min(pause * 2, 15)
                }
                attempts += 1
                // Unlock before every retry, not once: a restic killed a moment ago stays a zombie until it is
                // reaped, and restic's liveness probe (a signal to the lock's PID) counts a zombie as alive.
                _ = try? runOnce(repo, ["unlock"], action: "unlock", stdin: nil, stdout: nil)
            }
        }
    }

    private func runOnce(_ repo: Targets.Repository, _ arguments: [String], action: String, stdin: String?,
                         stdout: FileHandle?, directory: String? = nil, started: ((Int32) -> Void)? = nil) throws -> String {
        var args = ["--no-cache", "--quiet"]
        if action == "backup" || action == "snapshots" { args = ["--no-cache"] }
        for o in repo.options { args += ["-o", o] }
        var env = ProcessInfo.processInfo.environment
        for k in ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY_FILE"] { env[k] = nil }
        env["RESTIC_REPOSITORY"] = repo.repository
        env["RESTIC_PASSWORD_FILE"] = repo.passwordFile
        env["TZ"] = "UTC"
        if let stdin, !FileManager.default.isReadableFile(atPath: stdin) { throw InputError(file: stdin, "cannot read the export") }
        let r = try ChildProcess.run(try resolvedExecutable(), args + arguments, environment: env, stdin: stdin,
                                     stdout: stdout?.fileDescriptor, directory: directory, started: started)
        guard r.status == 0 else {
            throw Failure(action: action, repository: repo.repository, status: r.status, stderr: String(decoding: r.stderr, as: UTF8.self))
        }
        return String(decoding: r.stdout, as: UTF8.self)
    }
}
