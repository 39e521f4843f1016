import BackplanTestSupport
import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two Kubernetes CronJobs (schedule groups) firing at once on one state store: both run, the state store
/// makes each wait for the other's writes, the audit stays one chain; a second run of the same group, or a
/// whole-plan run beside them, exits 2.
@Suite("execute --schedule-group: groups that fire together run at once", .serialized,
       .enabled(if: resticPath != nil, "restic is not on PATH (make test installs it)"))
struct ScheduleGroupsConcurrentEndToEndTests {
    static let t0 = ExecuteEndToEndTests.t0

    /// Whether another process holds `path` (a `flock` we cannot take).
    static func held(_ path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    @Test("Two groups' runs at once both succeed (while the state store is busy they wait); the same group twice exits 2")
    func concurrentGroups() throws {
        let f = try ExecutorFixture(keep: 2, hostile: false)
        try ExecuteSafetyEndToEndTests.editPlan(f) { json in
            var ds = try #require(json["datasets"] as? [[String: Any]])
            for i in ds.indices {
                var s = try #require(ds[i]["schedule"] as? [String: Any])
                s["intervalSeconds"] = i == 0 ? 3_600 : 7_200
                s["timeOfDaySeconds"] = nil
                s["quietSeconds"] = nil
                ds[i]["schedule"] = s
            }
            json["datasets"] = ds
        }
        let listing = try f.execute(["--dry-run", "--schedule-group", "no-such-group"])
        let names = try #require(listing.stderr.components(separatedBy: "(groups: ").last?.components(separatedBy: ")").first)
            .components(separatedBy: ", ")
        try #require(names.count == 2, "\(listing.stderr)")
        let first = try f.execute(["--once", "--now", "\(Self.t0)"])
        try #require(first.status == 0, "\(first.stderr)")
        let q = try DatabaseQueue(path: f.store)
        try q.write { db in
            for id in f.ids {
                try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u', ?, 10, 0)",
                               arguments: [id, Self.t0 + 60])
            }
        }
        try q.close()

        // Hold the state store's write lock, so both runs are inside their rounds at the same moment.
        let holder = try DatabaseQueue(path: f.state)
        let begun = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? holder.inTransaction(.immediate) { _ in
                begun.signal()
                release.wait()
                return .commit
            }
            done.signal()
        }
        begun.wait()
        final class Box: @unchecked Sendable { var results: [Int: Backplan.Result] = [:]; let lock = NSLock() }
        let box = Box()
        let group = DispatchGroup()
        let now = Self.t0 + 7_200
        for (i, name) in names.enumerated() {
            let args = ["execute", "--plan", f.plan, "--targets", f.targets, "--state", f.state, "--once", "--now", "\(now)",
                        "--json", "--schedule-group", name]
            DispatchQueue.global().async(group: group) {
                let r = (try? Backplan.run(args)) ?? .init(status: -1, stdout: "", stderr: "did not start")
                box.lock.lock()
                box.results[i] = r
                box.lock.unlock()
            }
        }
        // Both hold their group's lock (and wait for the state store) before anything else is tried.
        for _ in 0..<600 where !names.allSatisfy({ Self.held(f.state + ".lock." + $0) }) { usleep(100_000) }
        #expect(names.allSatisfy { Self.held(f.state + ".lock." + $0) }, "both groups' runs are under way at once")
        let twice = try f.execute(["--once", "--now", "\(now)", "--schedule-group", names[0]])
        #expect(twice.status == 2 && twice.stderr.contains("schedule group '\(names[0])'"), "\(twice.stderr)")
        let whole = try f.execute(["--once", "--now", "\(now)"])
        #expect(whole.status == 2 && whole.stderr.contains("another backplan executor"), "a whole-plan run waits for no group: \(whole.stderr)")
        release.signal()
        done.wait()
        group.wait()
        try holder.close()

        for (i, name) in names.enumerated() {
            let r = try #require(box.results[i])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let actions = try #require(try r.stdout.json() as? [[String: Any]])
            #expect(actions.contains { $0["kind"] as? String == "backup" }, "\(name): \(actions)")
        }
        for repo in f.repositories {
            let groupTags = try f.snapshots(repo).flatMap(\.tags).filter { $0.hasPrefix("backplan-group=") }
            #expect(Set(groupTags) == Set(names.map { "backplan-group=" + $0 }), "each group's snapshot carries its tag")
            #expect(try f.restic(["check"], repo: repo).status == 0)
        }
        let audit = try Backplan.run(["audit", "verify", "--state", f.state])
        #expect(audit.status == 0, "\(audit.stderr)")
        let backups = try DatabaseQueue(path: f.state).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM backups") }
        #expect(backups == 2 * f.ids.count, "round 1 and each group's round")
    }
}
