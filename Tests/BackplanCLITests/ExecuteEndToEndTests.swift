import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// restic on PATH, for the suites that need it (Debian: `apt-get install restic`; `make test` installs it).
let resticPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { "\($0)/restic" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// A demo plan (made by the built binary from the committed sample, as `make demo` does), cut to a few
/// datasets plus hostile ids, a copy of the sample store holding those ids, local restic repositories for
/// every (region, tier) the plan uses, and a targets file for them.
struct ExecutorFixture {
    static let hostileIDs = ["../x,y", "nul\u{0}/new\nline", "élan-日本", String(repeating: "z", count: 10_000)]

    let dir = TempDir()
    var plan: String { dir.file("plan.json") }
    var targets: String { dir.file("targets.yaml") }
    var state: String { dir.file("state.sqlite") }
    var store: String { dir.file("chat.sqlite") }
    var ids: [String] = []
    var repositories: [String] = []

    /// - Parameter keep: how many of the demo plan's datasets to keep besides the hostile ones.
    /// - Parameter retention: replaces every entry's retention and schedule (daily) when given.
    init(keep: Int, hostile: Bool, retention: [String: Any]? = nil) throws {
        let sample = Backplan.packageRoot.appendingPathComponent("datasets/sample/chat-sample.sqlite").path
        // The plan is made from the store the executor backs up (execute checks that it is).
        try FileManager.default.copyItem(atPath: sample, toPath: store)
        let ingest = try Backplan.run(["ingest", store, "--format", "message-store", "--db", dir.file("stats.sqlite")])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let root = Backplan.packageRoot
        let made = try Backplan.run(["plan", "--db", dir.file("stats.sqlite"), "--model", root.appendingPathComponent("models/default").path,
                                     "--policy", root.appendingPathComponent("datasets/policies/messaging.yaml").path,
                                     "--prices", root.appendingPathComponent("datasets/pricing/aws-s3.yaml").path, "--out", plan])
        try #require(made.status == 0, "\(made.stderr)")
        let bytes = try #require(dir.bytes("plan.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        var datasets = Array(try #require(json["datasets"] as? [[String: Any]]).prefix(keep))
        if hostile, let template = datasets.first {
            let q = try DatabaseQueue(path: store)
            try q.write { db in
                for (i, id) in Self.hostileIDs.enumerated() {
                    try db.execute(sql: "INSERT INTO conversations VALUES (?, 'group', 0, 'group')", arguments: [id])
                    try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u1', ?, 100, 0)",
                                   arguments: [id, 1_700_000_000 + i])
                }
            }
            try q.close()
            for id in Self.hostileIDs {
                var d = template
                d["id"] = id
                d["location"] = id
                datasets.append(d)
            }
        }
        if let retention {
            for i in datasets.indices {
                datasets[i]["retention"] = retention
                var s = try #require(datasets[i]["schedule"] as? [String: Any])
                s["intervalSeconds"] = 86_400
                s["timeOfDaySeconds"] = nil
                datasets[i]["schedule"] = s
                // One copy: retention is per repository, and each extra copy only repeats the work.
                datasets[i]["copies"] = Array((datasets[i]["copies"] as? [[String: Any]] ?? []).prefix(1))
            }
        }
        json["datasets"] = datasets
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: plan))
        ids = datasets.compactMap { $0["id"] as? String }

        dir.write("pw", "correct horse battery staple\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("pw"))
        var pairs: [String] = []
        for d in datasets {
            for c in d["copies"] as? [[String: Any]] ?? [] {
                let pair = "\(c["region"] as? String ?? "")|\(c["tier"] as? String ?? "")"
                if !pairs.contains(pair) { pairs.append(pair) }
            }
        }
        var yaml = "repositories:\n"
        for (i, pair) in pairs.enumerated() {
            let parts = pair.split(separator: "|").map(String.init)
            yaml += "  - {region: \(parts[0]), tier: \(parts[1]), repository: repo\(i), passwordFile: pw}\n"
            repositories.append(dir.file("repo\(i)"))
            let r = try restic(["init"], repo: dir.file("repo\(i)"))
            try #require(r.status == 0, "\(r.stderr)")
        }
        yaml += "locations:\n  default: {store: chat.sqlite, shard: shard-a}\n"
        dir.write("targets.yaml", yaml)
    }

    func execute(_ extra: [String]) throws -> Backplan.Result {
        try Backplan.run(["execute", "--plan", plan, "--targets", targets, "--state", state] + extra)
    }

    /// Runs restic itself on `repo` with the fixture's password file.
    func restic(_ args: [String], repo: String) throws -> Backplan.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(resticPath))
        p.arguments = ["--no-cache"] + args
        var env = ProcessInfo.processInfo.environment
        env["RESTIC_REPOSITORY"] = repo
        env["RESTIC_PASSWORD_FILE"] = dir.file("pw")
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return .init(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// `restic snapshots --json` of `repo`: (time in Unix seconds, tags, paths).
    func snapshots(_ repo: String) throws -> [(time: Int64, tags: [String], paths: [String])] {
        let r = try restic(["snapshots", "--json"], repo: repo)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let g = ISO8601DateFormatter()
        return try list.map { s in
            let text = try #require(s["time"] as? String)
            let date = try #require(f.date(from: text) ?? g.date(from: text))
            return (Int64(date.timeIntervalSince1970), s["tags"] as? [String] ?? [], s["paths"] as? [String] ?? [])
        }
    }
}

@Suite("backplan execute, restore, drill, status and audit on local restic repositories", .serialized,
       .enabled(if: resticPath != nil, "restic is not on PATH (make test installs it)"))
struct ExecuteEndToEndTests {
    static let t0: Int64 = 1_767_225_600   // 2026-01-01T00:00:00Z

    @Test("A round backs up every dataset to every copy, hostile ids escaped; restore verifies; the audit holds")
    func roundRestoreAudit() throws {
        let f = try ExecutorFixture(keep: 2, hostile: true)
        let dry = try f.execute(["--dry-run", "--now", "\(Self.t0)"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would backup"))
        #expect(!FileManager.default.fileExists(atPath: f.state), "a dry run creates no state")
        for repo in f.repositories { #expect(try f.snapshots(repo).isEmpty, "a dry run sends nothing") }

        let run = try f.execute(["--once", "--now", "\(Self.t0)", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let actions = try #require(try run.stdout.json() as? [[String: Any]])
        #expect(actions.filter { $0["kind"] as? String == "backup" }.count == f.ids.count)
        #expect(!run.stderr.contains("correct horse"))
        var tags: Set<String> = []
        for repo in f.repositories {
            for s in try f.snapshots(repo) {
                #expect(s.time == Self.t0)
                #expect(s.tags.contains("backplan"))
                tags.formUnion(s.tags)
            }
            // One file per dataset at the root of the round's one snapshot, whatever its id holds.
            let ls = try f.restic(["ls", "--json", "latest"], repo: repo)
            let nodes = ls.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let files = nodes.filter { $0["type"] as? String == "file" }.compactMap { $0["path"] as? String }
            #expect(!files.isEmpty)
            for p in files { #expect(!p.dropFirst().contains("/") && !p.contains("..") && p.utf8.count < 260, "\(p.prefix(80))") }
        }
        #expect(tags.contains("dataset=%2E.%2Fx%2Cy"))
        #expect(tags.allSatisfy { !$0.contains(",") && !$0.contains("\n") })

        let again = try f.execute(["--once", "--now", "\(Self.t0 + 60)", "--json"])
        #expect(again.status == 0)
        #expect(((try again.stdout.json() as? [[String: Any]]) ?? []).allSatisfy { $0["kind"] as? String != "backup" }, "nothing due a minute later")
        let later = try f.execute(["--once", "--now", "\(Self.t0 + 40 * 86_400)", "--json"])
        #expect(((try later.stdout.json() as? [[String: Any]]) ?? []).contains { $0["kind"] as? String == "unchanged" }, "due, but the rows did not change")

        // (An id with a NUL cannot be a command-line argument; the others go through restore as given.)
        for id in [f.ids[0], ExecutorFixture.hostileIDs[0], ExecutorFixture.hostileIDs[2]] {
            let to = f.dir.file("restored-\(UUID().uuidString).sqlite")
            let r = try Backplan.run(["restore", id, "--to", to, "--targets", f.targets, "--state", f.state, "--plan", f.plan])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("digest matches") && r.stdout.contains("integrity ok"), "\(r.stdout)")
        }
        let exists = try Backplan.run(["restore", f.ids[0], "--to", f.store, "--targets", f.targets, "--state", f.state])
        #expect(exists.status == 2, "never overwrites")

        let audit = try Backplan.run(["audit", "verify", "--state", f.state])
        #expect(audit.status == 0, "\(audit.stderr)")
        let q = try DatabaseQueue(path: f.state)
        try q.write { try $0.execute(sql: "UPDATE audit SET detail = detail || ' ' WHERE seq = 2") }
        try q.close()
        let broken = try Backplan.run(["audit", "verify", "--state", f.state])
        #expect(broken.status == 1 && broken.stderr.contains("entry 2"), "\(broken.stderr)")
        let state = try #require(FileManager.default.contents(atPath: f.state))
        #expect(!String(decoding: state, as: UTF8.self).contains("correct horse"), "no password in the state")
    }

    @Test("Backups recorded under the first (ordered) digest scheme still compare as unchanged and restore verified")
    func orderedDigestBackups() throws {
        let f = try ExecutorFixture(keep: 2, hostile: false)
        let run = try f.execute(["--once", "--now", "\(Self.t0)"])
        try #require(run.status == 0, "\(run.stderr)")
        // The state as a Backplan before the row-set scheme recorded it: each backup's digest in the ordered scheme.
        let q = try DatabaseQueue(path: f.state)
        for id in f.ids {
            let to = f.dir.file("before-\(UUID().uuidString).sqlite")
            let r = try Backplan.run(["restore", id, "--to", to, "--targets", f.targets, "--state", f.state])
            try #require(r.status == 0, "\(r.stderr)")
            let recorded = try q.read { try String.fetchOne($0, sql: "SELECT digest FROM backups WHERE dataset = ?", arguments: [id]) }
            #expect(recorded?.hasPrefix("rowset-sha256:") == true)
            let ordered = try MessageStoreExport.digest(file: to, scheme: .ordered)
            #expect(ContentDigest.Scheme(of: ordered.digest) == .ordered)
            try q.write { try $0.execute(sql: "UPDATE backups SET digest = ? WHERE dataset = ?", arguments: [ordered.digest, id]) }
        }
        try q.close()
        let later = try f.execute(["--once", "--now", "\(Self.t0 + 40 * 86_400)", "--json"])
        #expect(later.status == 0, "\(later.stderr)")
        let actions = try #require(try later.stdout.json() as? [[String: Any]])
        let mine = actions.filter { f.ids.contains($0["dataset"] as? String ?? "") }
        #expect(!mine.isEmpty && mine.allSatisfy { $0["kind"] as? String == "unchanged" }, "\(mine)")
        for id in f.ids {
            let to = f.dir.file("after-\(UUID().uuidString).sqlite")
            let r = try Backplan.run(["restore", id, "--to", to, "--targets", f.targets, "--state", f.state])
            #expect(r.status == 0 && r.stdout.contains("digest matches"), "\(r.stdout) \(r.stderr)")
        }
    }

    @Test("Rounds after the first read only the store's changed pages: exactly the edited conversations are backed up, also with the memo lost or garbage")
    func probeMemoRounds() throws {
        let day: Int64 = 86_400
        let retention: [String: Any] = ["daily": 7, "weekly": 5, "monthly": 0, "yearly": 0, "spanSeconds": 35 * day,
                                        "restic": "--keep-daily 7 --keep-weekly 5"]
        let f = try ExecutorFixture(keep: 100, hostile: false, retention: retention)
        let memo = f.state + "-probe"
        let first = try f.execute(["--once", "--now", "\(Self.t0)", "--json"])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("started from the exports"), "\(first.stderr)")
        let q = try DatabaseQueue(path: f.store)
        // Each round: a new message, an edited read, an edited message, and the deletion of the previous round's
        // new message (rows the plan's import read must stay: execute checks the store continues it).
        func edit(_ round: Int) throws -> Set<String> {
            let picked = [f.ids[3 * round], f.ids[3 * round + 1], f.ids[3 * round + 2]]
            var changed: Set<String> = [picked[0], picked[2]]
            try q.write { db in
                try db.execute(sql: "DELETE FROM messages WHERE sender = 'new'")
                if round > 1 { changed.insert(f.ids[3 * (round - 1)]) }
                try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'new', 1, 1, 0)",
                               arguments: [picked[0]])
                try db.execute(sql: "UPDATE reads SET bytes = bytes + 1 WHERE rowid = (SELECT min(rowid) FROM reads WHERE conversation_id = ?)",
                               arguments: [picked[1]])
                if db.changesCount > 0 { changed.insert(picked[1]) }
                try db.execute(sql: "UPDATE messages SET size_bytes = size_bytes + 1 WHERE id = (SELECT min(id) FROM messages WHERE conversation_id = ?)",
                               arguments: [picked[2]])
            }
            return changed
        }
        for round in 1...4 {
            let changed = try edit(round)
            if round == 3 { try FileManager.default.removeItem(atPath: memo) }
            if round == 4 { try Data("not a database, not ours to remove".utf8).write(to: URL(fileURLWithPath: memo)) }
            let r = try f.execute(["--once", "--now", "\(Self.t0 + Int64(round) * 2 * day)", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let actions = try #require(try r.stdout.json() as? [[String: Any]])
            let backedUp = Set(actions.filter { $0["kind"] as? String == "backup" }.compactMap { $0["dataset"] as? String })
            #expect(backedUp == changed, "round \(round)")
            #expect(actions.filter { $0["kind"] as? String == "unchanged" }.count == f.ids.count - changed.count, "round \(round)")
            switch round {
            case 1, 2: #expect(r.stderr.contains("incremental: "), "\(r.stderr)")
            case 3: #expect(r.stderr.contains("built: "), "a lost memo is built again: \(r.stderr)")
            default: #expect(r.stderr.contains("unusable") && FileManager.default.contents(atPath: memo) == Data("not a database, not ours to remove".utf8))
            }
        }
        try q.close()
    }

    @Test("A second executor on the same state exits 2; a loose password file or a missing repository exits 2 before any backup")
    func refusals() throws {
        let f = try ExecutorFixture(keep: 1, hostile: false)
        // Relative paths, as `make demo` gives them: the targets file's entries resolve from its own folder.
        let relative = try Backplan.run(["execute", "--plan", "plan.json", "--targets", "targets.yaml", "--state", "s.sqlite", "--dry-run"],
                                        in: f.dir.url)
        #expect(relative.status == 0 && relative.stdout.contains(f.repositories[0]), "\(relative.stderr)")
        let fd = open(f.state + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)   // CLOEXEC: no child of a test running beside this one keeps the lock
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let locked = try f.execute(["--once", "--now", "\(Self.t0)"])
        #expect(locked.status == 2 && locked.stderr.contains("another backplan executor"), "\(locked.stderr)")
        flock(fd, LOCK_UN)
        close(fd)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: f.dir.file("pw"))
        let loose = try f.execute(["--once", "--now", "\(Self.t0)"])
        #expect(loose.status == 2 && loose.stderr.contains("targets.yaml:") && loose.stderr.contains("passwordFile"), "\(loose.stderr)")
        #expect(!loose.stderr.contains("correct horse"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: f.dir.file("pw"))

        let noPlan = try Backplan.run(["execute", "--plan", f.dir.file("nope.json"), "--targets", f.targets, "--state", f.state, "--once"])
        #expect(noPlan.status == 2 && noPlan.stderr.contains("nope.json"), "\(noPlan.stderr)")
        let badTime = try f.execute(["--once", "--now", "yesterday"])
        #expect(badTime.status == 2 && badTime.stderr.contains("--now"), "\(badTime.stderr)")
        let noState = try Backplan.run(["status", "--state", f.dir.file("none.sqlite")])
        #expect(noState.status == 2 && !FileManager.default.fileExists(atPath: f.dir.file("none.sqlite")))

        f.dir.write("targets.yaml", "repositories:\n  - {region: region-9, tier: standard, repository: repo0, passwordFile: pw}\nlocations:\n  default: {store: chat.sqlite}\n")
        let missing = try f.execute(["--once", "--now", "\(Self.t0)"])
        #expect(missing.status == 2 && missing.stderr.contains("no repository for region"), "\(missing.stderr)")
        for repo in f.repositories { #expect(try f.snapshots(repo).isEmpty) }
    }

    @Test("A backup whose last copy fails is recorded nowhere, and the snapshots its other copies got are forgotten")
    func partialCopies() throws {
        let f = try ExecutorFixture(keep: 1, hostile: false)
        try #require(f.repositories.count >= 2)
        let broken = try #require(f.repositories.last)
        try FileManager.default.removeItem(atPath: broken)
        let run = try f.execute(["--once", "--now", "\(Self.t0)", "--json"])
        #expect(run.status == 1, "\(run.stderr)")
        let actions = try #require(try run.stdout.json() as? [[String: Any]])
        #expect(actions.contains { $0["kind"] as? String == "failed" })
        #expect(!actions.contains { $0["kind"] as? String == "backup" })
        for repo in f.repositories.dropLast() { #expect(try f.snapshots(repo).isEmpty, "abandoned snapshots are forgotten") }
        let q = try DatabaseQueue(path: f.state)
        let (backups, abandoned) = try q.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM backups") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM audit WHERE action = 'abandon'") ?? -1)
        }
        try q.close()
        #expect(backups == 0 && abandoned == f.repositories.count - 1)
        #expect(try Backplan.run(["audit", "verify", "--state", f.state]).status == 0)
    }

    /// Rounds every 12 days over a year. Thinning alone never lets a snapshot reach the maximum (the span's
    /// anchor moves on), so an early drill makes one snapshot the last verified: kept past the span, erased
    /// once it passes 120 days.
    @Test("A simulated year of rounds: the span is kept, the verified snapshot kept until erased past the maximum, drills verify")
    func simulatedYear() throws {
        let day: Int64 = 86_400
        let retention: [String: Any] = ["daily": 7, "weekly": 5, "monthly": 0, "yearly": 0, "spanSeconds": 35 * day,
                                        "deleteAfterSeconds": 120 * day, "restic": "--keep-daily 7 --keep-weekly 5"]
        let f = try ExecutorFixture(keep: 1, hostile: false, retention: retention)
        let id = try #require(f.ids.first)
        var now = Self.t0
        let end = Self.t0 + 365 * day
        var rounds = 0
        while now <= end {
            let q = try DatabaseQueue(path: f.store)
            try q.write { try $0.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u', ?, 10, 0)", arguments: [id, now]) }
            try q.close()
            let r = try f.execute(["--once", "--now", "\(now)"])
            try #require(r.status == 0, "\(r.stderr)")
            rounds += 1
            if rounds == 3 {
                let drill = try Backplan.run(["drill", "--sample", "1", "--targets", f.targets, "--state", f.state, "--now", "\(now)"])
                try #require(drill.status == 0, "\(drill.stderr)")
            }
            if rounds == 12 {
                // Round 12, 108 days after the drilled snapshot: past the 35-day span, yet kept as the last verified.
                for repo in f.repositories { #expect(try f.snapshots(repo).contains { $0.time == Self.t0 + 24 * day }) }
            }
            now += 12 * day
        }
        let last = now - 12 * day
        for repo in f.repositories {
            let snaps = try f.snapshots(repo)
            let times = snaps.map(\.time)
            #expect(!times.isEmpty)
            #expect(times.allSatisfy { last - $0 <= 120 * day }, "nothing past the maximum survives")
            #expect((times.min() ?? .max) <= last - 35 * day, "the span reaches back 35 days")
            #expect(times.count < rounds, "retention forgot some")
            let check = try f.restic(["check"], repo: repo)
            #expect(check.status == 0, "\(check.stderr)")
        }
        let q = try DatabaseQueue(path: f.state)
        let erasures = try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit WHERE action = 'erase'") ?? 0 }
        let prunes = try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit WHERE action = 'prune'") ?? 0 }
        try q.close()
        #expect(erasures > 0 && prunes > 0)
        let drill = try Backplan.run(["drill", "--sample", "3", "--seed", "7", "--targets", f.targets, "--state", f.state, "--now", "\(last)"])
        #expect(drill.status == 0 && drill.stderr.contains("1 of 1 verified"), "\(drill.stderr)")
        for repo in f.repositories { #expect(try !f.snapshots(repo).contains { $0.time == Self.t0 + 24 * day }, "erased past 120 days") }
        let status = try Backplan.run(["status", "--state", f.state, "--plan", f.plan, "--now", "\(last + 3_600)", "--json"])
        let rows = try #require(try status.stdout.json() as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["overdue"] as? Bool == false && rows[0]["lastVerifiedRestore"] as? Int == Int(last))
        #expect(try Backplan.run(["audit", "verify", "--state", f.state]).status == 0)
    }
}
