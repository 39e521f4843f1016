import BackplanTestSupport
import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The executor's safety checks end to end: a plan whose inputs do not match the targets is refused, a
/// killed run's leftovers (stale restic locks, unrecorded snapshots) are cleaned up by the next, and the
/// quiet trigger holds a due backup while its dataset is written.
@Suite("backplan execute: plan-input checks, crash recovery, quiet trigger", .serialized,
       .enabled(if: resticPath != nil, "restic is not on PATH (make test installs it)"))
struct ExecuteSafetyEndToEndTests {
    static let t0 = ExecuteEndToEndTests.t0

    /// Rewrites the fixture's plan JSON with `edit`.
    static func editPlan(_ f: ExecutorFixture, _ edit: (inout [String: Any]) throws -> Void) throws {
        let bytes = try #require(f.dir.bytes("plan.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        try edit(&json)
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: f.plan))
    }

    @Test("A plan of another schema version, or made from other data than the targets point at, is refused with exit 2")
    func inputChecks() throws {
        let f = try ExecutorFixture(keep: 1, hostile: false)
        #expect(try f.execute(["--dry-run", "--now", "\(Self.t0)"]).status == 0, "the fixture's plan matches")

        // A grown store is the same store.
        let q = try DatabaseQueue(path: f.store)
        let conv = try q.read { try String.fetchOne($0, sql: "SELECT id FROM conversations LIMIT 1") } ?? ""
        try q.write { try $0.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u', 1, 5, 0)", arguments: [conv]) }
        #expect(try f.execute(["--dry-run", "--now", "\(Self.t0)"]).status == 0, "grown, not rewritten")

        // Another store at the location: same rows even (a copy), but not what the plan's stats store imported.
        try FileManager.default.copyItem(atPath: f.store, toPath: f.dir.file("other.sqlite"))
        let targetBytes = try #require(f.dir.bytes("targets.yaml"))
        let targets = String(decoding: targetBytes, as: UTF8.self)
        f.dir.write("targets.yaml", targets.replacingOccurrences(of: "store: chat.sqlite", with: "store: other.sqlite"))
        let other = try f.execute(["--once", "--now", "\(Self.t0)"])
        #expect(other.status == 2 && other.stderr.contains("targets.yaml") && other.stderr.contains("other.sqlite")
                && other.stderr.contains("not one the plan's stats store"), "\(other.stderr)")
        f.dir.write("targets.yaml", targets)

        // A rewritten store: a message from before the import is gone.
        try q.write { try $0.execute(sql: "DELETE FROM messages WHERE id = (SELECT min(id) FROM messages)") }
        try q.close()
        let rewritten = try f.execute(["--once", "--now", "\(Self.t0)"])
        #expect(rewritten.status == 2 && rewritten.stderr.contains("chat.sqlite") && rewritten.stderr.contains("is not the message store"),
                "\(rewritten.stderr)")

        // The stats store moved: refused naming the input; --stats points at it (and then the rewrite shows).
        try FileManager.default.moveItem(atPath: f.dir.file("stats.sqlite"), toPath: f.dir.file("moved.sqlite"))
        let moved = try f.execute(["--dry-run", "--now", "\(Self.t0)"])
        #expect(moved.status == 2 && moved.stderr.contains("inputs.statsStore") && moved.stderr.contains("--stats"), "\(moved.stderr)")
        let given = try f.execute(["--dry-run", "--now", "\(Self.t0)", "--stats", f.dir.file("moved.sqlite")])
        #expect(given.status == 2 && given.stderr.contains("is not the message store"), "\(given.stderr)")

        // Schema version.
        try Self.editPlan(f) { $0["schemaVersion"] = 99 }
        let version = try f.execute(["--dry-run", "--now", "\(Self.t0)", "--stats", f.dir.file("moved.sqlite")])
        #expect(version.status == 2 && version.stderr.contains("plan.json") && version.stderr.contains("schema version 99"), "\(version.stderr)")
        for repo in f.repositories { #expect(try f.snapshots(repo).isEmpty, "nothing ran") }
        #expect(!FileManager.default.fileExists(atPath: f.state))
    }

    @Test("A killed run's leftovers: a stale lock is removed, an unrecorded snapshot of this state is swept, another state's is kept")
    func recovery() throws {
        let f = try ExecutorFixture(keep: 1, hostile: false)
        let first = try f.execute(["--once", "--now", "\(Self.t0)"])
        try #require(first.status == 0, "\(first.stderr)")
        let stateID = try DatabaseQueue(path: f.state).read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'id'") }
        let id = try #require(stateID)
        let repo = try #require(f.repositories.first)
        // What a kill between restic's snapshot and the state's commit leaves, and a snapshot of another executor.
        f.dir.write("orphan.sqlite", "not recorded")
        f.dir.write("foreign.sqlite", "another executor's")
        for (file, tags) in [("orphan.sqlite", ["backplan", "backplan-state=\(id)"]), ("foreign.sqlite", ["backplan", "backplan-state=someone-else"])] {
            let r = try f.restic(["backup", f.dir.file(file)] + tags.flatMap { ["--tag", $0] }, repo: repo)
            try #require(r.status == 0, "\(r.stderr)")
        }
        // A stale lock: a restic of this host killed while it held a lock of the repository.
        let locks = URL(fileURLWithPath: repo).appendingPathComponent("locks").path
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: try #require(resticPath))
        holder.arguments = ["--no-cache", "-r", repo, "--password-file", f.dir.file("pw"), "backup", "--stdin", "--stdin-filename", "x"]
        let stdin = Pipe()
        holder.standardInput = stdin
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        for _ in 0..<100 where ((try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []).isEmpty { usleep(100_000) }
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        try #require(!(try FileManager.default.contentsOfDirectory(atPath: locks)).isEmpty, "the killed restic left its lock")

        // The mark a killed run leaves (set before it sends anything, cleared at the end of a round).
        try DatabaseQueue(path: f.state).write { try $0.execute(sql: "INSERT INTO meta(key, value) VALUES ('round:all', 'unfinished')") }
        let next = try f.execute(["--once", "--now", "\(Self.t0 + 40 * 86_400)", "--json"])
        #expect(next.status == 0, "\(next.stderr)")
        let actions = try #require(try next.stdout.json() as? [[String: Any]])
        let sweeps = actions.filter { $0["kind"] as? String == "sweep" }
        #expect(sweeps.count == 1 && (sweeps.first?["snapshots"] as? [String])?.count == 1, "\(actions)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: locks).isEmpty, "stale lock removed")
        let tags = try f.snapshots(repo).map(\.tags)
        #expect(!tags.contains { $0.contains("backplan-state=\(id)") && !$0.contains { $0.hasPrefix("dataset=") } }, "orphan swept")
        #expect(tags.contains { $0.contains("backplan-state=someone-else") }, "another state's snapshot is never swept")
        #expect(tags.filter { $0.contains("backplan-state=\(id)") }.count >= 1, "recorded snapshots stay")
        let audit = try DatabaseQueue(path: f.state).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit WHERE action = 'sweep'") }
        #expect(audit == 1)
        #expect(try f.restic(["check"], repo: repo).status == 0)
        #expect(try Backplan.run(["audit", "verify", "--state", f.state]).status == 0)
    }

    @Test("The quiet trigger: a due backup waits while its conversation is written, then runs once it is quiet")
    func quietTrigger() throws {
        let f = try ExecutorFixture(keep: 1, hostile: false)
        try Self.editPlan(f) { json in
            var ds = try #require(json["datasets"] as? [[String: Any]])
            var s = try #require(ds[0]["schedule"] as? [String: Any])
            s["intervalSeconds"] = 3_600
            s["timeOfDaySeconds"] = nil
            s["quietSeconds"] = 1_800
            s["rpoSeconds"] = 14_400
            ds[0]["schedule"] = s
            json["datasets"] = ds
        }
        let id = try #require(f.ids.first)
        let base: Int64 = 1_775_100_000   // after the sample's last message (2026-03-31)
        func kinds(_ now: Int64) throws -> [String] {
            let r = try f.execute(["--once", "--now", "\(now)", "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            return (try #require(try r.stdout.json() as? [[String: Any]])).compactMap { $0["kind"] as? String }
        }
        #expect(try kinds(base).contains("backup"), "the first backup never waits")
        let q = try DatabaseQueue(path: f.store)
        try q.write { try $0.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u', ?, 10, 0)", arguments: [id, base + 3_500]) }
        try q.close()
        #expect(try kinds(base + 3_600) == ["wait"], "due, but written 100 s ago")
        #expect(try kinds(base + 5_000) == ["wait"])
        #expect(try kinds(base + 5_300).contains("backup"), "quiet for 30 min")
    }
}
