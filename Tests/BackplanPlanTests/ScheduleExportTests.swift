import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
import Yams
@testable import BackplanPlan

/// A plan with schedules that round and an erasure duty (RPO 4 h): hourly, 75 minutes, 15 minutes, daily at
/// 02:15:30, every 10 days.
func scheduledPlan() -> Plan {
    var plan = ResticScriptTests.plan(ids: ["a", "b", "c", "d", "e"])
    plan.datasets[1].schedule.intervalSeconds = 4_500
    plan.datasets[2].schedule.intervalSeconds = 900
    plan.datasets[3].schedule.intervalSeconds = 86_400
    plan.datasets[3].schedule.timeOfDaySeconds = 8_130
    plan.datasets[4].schedule.intervalSeconds = 10 * 86_400
    plan.datasets[4].schedule.timeOfDaySeconds = 0
    plan.datasets[4].retention = .rule(minimumSeconds: 30 * 86_400, maximumSeconds: 60 * 86_400, erase: true)
    plan.datasets = plan.datasets.map { $0.taggedForS3() }
    return plan
}

@Suite("Kubernetes CronJobs, AWS Backup plan and S3 Lifecycle exports, read back")
struct ScheduleExportTests {
    @Test("YAMLText writes what a YAML parser reads back as the same strings, whatever they hold")
    func yamlRoundTrip() throws {
        let hostile = ["plain", "a: b", "# not a comment", "- not a list", "true", "123", "null", " leading", "trailing ", "new\nline",
                       "tab\there", "quote \" and \\ backslash", "'single'", "{flow}", "[x]", "ünï 日本", "", "*alias", "&anchor", "%dir", "@at", "`tick`"]
        let doc = YAMLText.map([
            ("list", .list(hostile.map { .string($0) })),
            ("map", .map(hostile.enumerated().map { ("k\($0.offset)", .string($0.element)) })),
            ("odd key: #", .int(-3)),
            ("nested", .list([.map([("x", .bool(true)), ("y", .list([]))]), .list([.string("inner")])])),
            ("empty", .map([])),
        ])
        let parsed = try #require(try Yams.load(yaml: doc.document(comments: ["a comment\nover two lines"])) as? [String: Any])
        #expect(parsed["list"] as? [String] == hostile)
        let map = try #require(parsed["map"] as? [String: String])
        for (i, s) in hostile.enumerated() { #expect(map["k\(i)"] == s) }
        #expect(parsed["odd key: #"] as? Int == -3)
        let nested = try #require(parsed["nested"] as? [Any])
        #expect((nested[0] as? [String: Any])?["x"] as? Bool == true && (nested[1] as? [String]) == ["inner"])
        #expect((parsed["empty"] as? [String: Any])?.isEmpty == true)
    }

    @Test("One CronJob per schedule group, running execute --once for its group on the group's cron, roundings said")
    func kubernetes() throws {
        let plan = scheduledPlan()
        let yaml = plan.kubernetesCronJobs(.init(image: "registry.example/backplan:1.0 # not a comment"))
        let doc = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        #expect(doc["kind"] as? String == "List" && doc["apiVersion"] as? String == "v1")
        let items = try #require(doc["items"] as? [[String: Any]])
        let groups = plan.scheduleGroups()
        #expect(items.count == groups.count && groups.count == 4)
        for (item, g) in zip(items, groups) {
            #expect(item["apiVersion"] as? String == "batch/v1" && item["kind"] as? String == "CronJob")
            let meta = try #require(item["metadata"] as? [String: Any])
            #expect(meta["name"] as? String == "backplan-" + g.name)
            let annotations = try #require(meta["annotations"] as? [String: String])
            #expect(annotations["backplan.io/datasets"] == "\(g.datasetIDs.count)")
            #expect(annotations["backplan.io/rounding"] == (g.roundings.isEmpty ? nil : g.roundings.joined(separator: "; ")))
            let spec = try #require(item["spec"] as? [String: Any])
            #expect(spec["schedule"] as? String == g.cron.expression && spec["timeZone"] as? String == "Etc/UTC")
            #expect(spec["concurrencyPolicy"] as? String == "Forbid")
            let job = try #require((spec["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any])
            let pod = try #require((job["template"] as? [String: Any])?["spec"] as? [String: Any])
            #expect(pod["restartPolicy"] as? String == "OnFailure")
            let container = try #require((pod["containers"] as? [[String: Any]])?.first)
            #expect(container["image"] as? String == "registry.example/backplan:1.0 # not a comment")
            let args = try #require(container["args"] as? [String])
            #expect(args == ["execute", "--once", "--plan", "/backplan/plan.json", "--targets", "/backplan/targets.yaml",
                             "--state", "/backplan/state.sqlite", "--schedule-group", g.name])
        }
        #expect(yaml.contains("# Roundings:\n#   every-1h: 1 dataset: every 75m rounded down to every 1h"))
        #expect(yaml.contains("every 10d rounded down to every 7d"))
    }

    @Test("AWS Backup: cron rules in UTC, lifecycles AWS accepts that cover the span and respect erasure, copies, notes")
    func awsBackup() throws {
        let plan = scheduledPlan()
        let export = try plan.awsBackupPlan(catalog: sampleCatalog())
        let doc = try #require(try JSONSerialization.jsonObject(with: export.json) as? [String: Any])
        let rules = try #require((doc["BackupPlan"] as? [String: Any])?["Rules"] as? [[String: Any]])
        #expect(rules.count == 4, "one rule per group here: the datasets of a group share lifecycles and copies")
        let tags = try #require(doc["BackupPlanTags"] as? [String: String])
        for r in rules {
            let name = try #require(r["RuleName"] as? String)
            #expect(name.count <= 50 && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) })
            let cron = try #require(r["ScheduleExpression"] as? String)
            #expect(cron.hasPrefix("cron(") && cron.hasSuffix(")") && cron.split(separator: " ").count == 6)
            #expect(r["ScheduleExpressionTimezone"] as? String == "Etc/UTC")
            #expect(cron != "cron(0/15 * ? * * *)", "AWS Backup refuses jobs under 60 minutes apart")
            for l in [r["Lifecycle"]] + (r["CopyActions"] as? [[String: Any]] ?? []).map({ $0["Lifecycle"] }) {
                let l = try #require(l as? [String: Int])
                let delete = try #require(l["DeleteAfterDays"])
                if let move = l["MoveToColdStorageAfterDays"] { #expect(delete >= move + 90) }
            }
            let copies = try #require(r["CopyActions"] as? [[String: Any]])
            #expect(copies.count == 1 && (copies[0]["DestinationBackupVaultArn"] as? String)?.hasPrefix("arn:aws:backup:<region-2>:<account-id>:") == true)
        }
        // Dataset e: 35-day span, every 7 days (rounded from 10), erase after 60 days: kept 42 days, under 60.
        let e = try #require(rules.first { ($0["ScheduleExpression"] as? String) == "cron(0 0 ? * THU *)" })
        #expect((e["Lifecycle"] as? [String: Int])?["DeleteAfterDays"] == 42)
        let offline = try #require((e["CopyActions"] as? [[String: Any]])?.first?["Lifecycle"] as? [String: Int])
        #expect(offline["MoveToColdStorageAfterDays"] == nil && offline["DeleteAfterDays"] == 42, "60-day maximum: no 90 days of cold storage")
        #expect(export.notes.contains { $0.contains("stay in warm storage") })
        // Others: 35-day span kept 36 days; the deep-archive copy goes cold and is kept the 91 days AWS requires.
        let hourly = try #require(rules.first { ($0["ScheduleExpression"] as? String) == "cron(0 * ? * * *)" })
        #expect((hourly["Lifecycle"] as? [String: Int])?["DeleteAfterDays"] == 36)
        #expect((hourly["CopyActions"] as? [[String: Any]])?.first?["Lifecycle"] as? [String: Int] == ["MoveToColdStorageAfterDays": 1, "DeleteAfterDays": 91])
        #expect(export.notes.contains { $0.hasPrefix("every-15m: every 15m rounded UP to every 1h") && !$0.contains("NOT met") })
        #expect(tags.values.contains { $0.contains("every 75m rounded down") }, "cron's roundings are in the export")
        #expect(tags.count == export.notes.count + plan.scheduleRoundings().count + 1 && tags.values.allSatisfy { $0.count <= 256 })
    }

    @Test("S3 Lifecycle: a rule per copy tag, TransitionDefaultMinimumObjectSize set, no silent expiry before the minimum billed days")
    func s3Lifecycle() throws {
        let plan = scheduledPlan()
        let export = try #require(try plan.s3Lifecycle(catalog: sampleCatalog()))
        let doc = try #require(try JSONSerialization.jsonObject(with: export.json) as? [String: Any])
        #expect(doc["TransitionDefaultMinimumObjectSize"] as? String == "all_storage_classes_128K")
        let rules = try #require((doc["LifecycleConfiguration"] as? [String: Any])?["Rules"] as? [[String: Any]])
        var byID: [String: [String: Any]] = [:]
        for r in rules { byID[r["ID"] as? String ?? ""] = r }
        for d in plan.datasets {
            for c in d.copies {
                let tag = try #require(c.objectTag)
                #expect(tag.key == "backplan-rule")
                let rule = try #require(byID[tag.value], "\(tag.value)")
                #expect((rule["Filter"] as? [String: Any])?["Tag"] as? [String: String] == ["Key": tag.key, "Value": tag.value])
                let expires = try #require((rule["Expiration"] as? [String: Int])?["Days"])
                let minimum = Int(sampleCatalog().tiers[try sampleCatalog().tier(named: c.tier)].minStorageDays)
                let transition = (rule["Transitions"] as? [[String: Any]])?.first?["Days"] as? Int ?? 0
                if let max = d.retention.deleteAfterSeconds {
                    #expect(Int64(expires) * 86_400 < max, "erasure duty: gone before the legal maximum")
                    if expires < transition + minimum { #expect(export.notes.contains { $0.hasPrefix(tag.value + ":") && $0.contains("early-deletion") }) }
                } else {
                    #expect(Int64(expires) * 86_400 >= d.retention.spanSeconds + d.schedule.rpoSeconds)
                    #expect(expires >= transition + minimum, "\(tag.value): not before the minimum billed duration")
                }
            }
        }
        // Dataset e's deep-archive copy: 59 days at most, DEEP_ARCHIVE bills 180: said.
        #expect(export.notes.contains { $0.contains("backplan-deep-archive-") && $0.contains("-erase") && $0.contains("billed to day 180") })
    }

    @Test("Plans written before object tags existed still read, and write back without them")
    func backwardReadable() throws {
        var plan = samplePlan()
        plan.datasets = plan.datasets.map { $0.taggedForS3() }
        var json = try #require(try JSONSerialization.jsonObject(with: try plan.jsonData()) as? [String: Any])
        var datasets = try #require(json["datasets"] as? [[String: Any]])
        for i in datasets.indices {
            datasets[i]["copies"] = (datasets[i]["copies"] as? [[String: Any]])?.map { c in c.filter { $0.key != "objectTag" } }
        }
        json["datasets"] = datasets
        let dir = TempDir()
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir.file("old.json")))
        let old = try Plan.load(dir.file("old.json"))
        #expect(old.datasets.allSatisfy { $0.copies.allSatisfy { $0.objectTag == nil } })
        #expect(old == samplePlan())
        #expect(!String(decoding: try old.jsonData(), as: UTF8.self).contains("objectTag"))
        #expect(old.datasets.map { $0.taggedForS3() } == plan.datasets)
    }
}
