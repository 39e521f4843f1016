import BackplanTestSupport
import Foundation
import Testing

/// `backplan plan`'s exports as a user meets them: the files beside the plan, the roundings in its summary and
/// `--json`, the help that explains them, and `execute --schedule-group` running one CronJob's group.
@Suite("backplan plan's exports and execute --schedule-group, end to end")
struct ExportsEndToEndTests {
    static func bytes(_ dir: TempDir, _ name: String) throws -> Data { try #require(dir.bytes(name), "\(name) written") }

    @Test("plan writes the restic script, the CronJobs and the AWS files beside the plan, and reports every rounding")
    func planWritesExports() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let r = try Backplan.run(PlanEndToEndTests.args(dir) + ["--k8s-image", "registry.example/backplan:test"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["plan.json", "plan.restic.txt", "plan.k8s-cronjobs.yaml", "plan.aws-backup.json", "plan.s3-lifecycle.json"] {
            #expect(dir.bytes(name) != nil, "\(name) written")
            #expect(r.stdout.contains(dir.file(name)), "\(name) named in 'Wrote'")
        }
        let plan = try #require(try JSONSerialization.jsonObject(with: try Self.bytes(dir, "plan.json")) as? [String: Any])
        let datasets = try #require(plan["datasets"] as? [[String: Any]])

        let script = String(decoding: try #require(dir.bytes("plan.restic.txt")), as: UTF8.self)
        #expect(script.hasPrefix("#!/bin/sh\n") && script.hasSuffix("\nrestic prune\n"))
        #expect(script.components(separatedBy: "\nrestic forget --tag 'dataset=").count - 1 == datasets.count)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/sh")
        check.arguments = ["-n", dir.file("plan.restic.txt")]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "sh -n accepts the script")

        let yaml = String(decoding: try #require(dir.bytes("plan.k8s-cronjobs.yaml")), as: UTF8.self)
        #expect(yaml.contains("kind: \"CronJob\"") && yaml.contains("image: \"registry.example/backplan:test\""))
        #expect(yaml.contains("timeZone: \"Etc/UTC\"") && yaml.contains("- \"--schedule-group\""))

        let aws = try #require(try JSONSerialization.jsonObject(with: try Self.bytes(dir, "plan.aws-backup.json")) as? [String: Any])
        let rules = try #require((aws["BackupPlan"] as? [String: Any])?["Rules"] as? [[String: Any]])
        #expect(!rules.isEmpty && rules.allSatisfy { ($0["ScheduleExpression"] as? String)?.hasPrefix("cron(") == true })
        let lifecycle = try #require(try JSONSerialization.jsonObject(with: try Self.bytes(dir, "plan.s3-lifecycle.json")) as? [String: Any])
        #expect(lifecycle["TransitionDefaultMinimumObjectSize"] as? String == "all_storage_classes_128K")
        for d in datasets {
            for c in d["copies"] as? [[String: Any]] ?? [] {
                #expect((c["objectTag"] as? [String: String])?["key"] == "backplan-rule", "every copy names its S3 object tag")
            }
        }
        #expect(r.stdout.contains("\n  S3 Lifecycle: backplan-"), "minimum billed durations are said: \(r.stdout)")

        // --json carries the same notes; roundings of the CronJob file are among them when there are any.
        let j = try Backplan.run(PlanEndToEndTests.args(dir, out: "again.json") + ["--json"])
        let summary = try #require(try j.stdout.json() as? [String: Any])
        let notes = try #require(summary["notes"] as? [String])
        #expect(!notes.isEmpty && notes.allSatisfy { r.stdout.contains("\n  " + $0 + "\n") }, "the summary lists the same notes")
        for n in notes where n.hasPrefix("cron: ") {
            #expect(yaml.contains(String(n.dropFirst("cron: ".count))), "rounding in the CronJob file: \(n)")
        }
    }

    @Test("plan --help teaches the exports")
    func help() throws {
        let r = try Backplan.run(["plan", "--help"])
        for word in ["PLAN.restic.txt", "PLAN.k8s-cronjobs.yaml", "PLAN.aws-backup.json", "PLAN.s3-lifecycle.json", "--k8s-image",
                     "kubectl apply", "RESTIC_REPOSITORY", "rounded to the nearest"] {
            #expect(r.stdout.contains(word), "\(word)")
        }
        let e = try Backplan.run(["execute", "--help"])
        #expect(e.stdout.contains("--schedule-group"))
    }

    @Test("execute --schedule-group runs one group's datasets; an unknown group exits 2 naming the groups",
          .enabled(if: resticPath != nil, "restic is not on PATH (make test installs it)"))
    func scheduleGroup() throws {
        let f = try ExecutorFixture(keep: 6, hostile: false)
        let plan = try #require(try JSONSerialization.jsonObject(with: try Self.bytes(f.dir, "plan.json")) as? [String: Any])
        let datasets = try #require(plan["datasets"] as? [[String: Any]])
        let all = try f.execute(["--dry-run", "--now", "1700000000", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let everything = try #require(try all.stdout.json() as? [[String: Any]])
        #expect(Set(everything.compactMap { $0["dataset"] as? String }).count == datasets.count)

        let bad = try f.execute(["--dry-run", "--schedule-group", "no-such-group"])
        #expect(bad.status == 2 && bad.stderr.contains("no schedule group 'no-such-group'") && bad.stderr.contains("groups: "), "\(bad.stderr)")
        let names = bad.stderr.components(separatedBy: "groups: ").last?.split(separator: ")").first?
            .components(separatedBy: ", ") ?? []
        #expect(!names.isEmpty)
        var seen: [String] = []
        for name in names {
            let one = try f.execute(["--dry-run", "--now", "1700000000", "--json", "--schedule-group", name])
            #expect(one.status == 0, "\(name): \(one.stderr)")
            let actions = try #require(try one.stdout.json() as? [[String: Any]])
            let ids = Set(actions.compactMap { $0["dataset"] as? String })
            #expect(!ids.isEmpty, "\(name) has datasets")
            seen += ids
        }
        #expect(seen.count == Set(seen).count && Set(seen) == Set(everything.compactMap { $0["dataset"] as? String }),
                "the groups split the plan's datasets")
    }
}
