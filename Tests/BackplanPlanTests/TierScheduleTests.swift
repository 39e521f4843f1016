import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlan

@Suite("Tier schedules in the plan contract: JSON, old plans, S3 Lifecycle export, age profiles")
struct TierScheduleTests {
    static let iaThenGlacier = TierSchedule(steps: [.init(afterDays: 0, tier: "standard"), .init(afterDays: 30, tier: "standard-ia"),
                                                    .init(afterDays: 90, tier: "glacier-ir")])

    /// The sample plan with dataset a on `schedule` and b on `other`.
    static func scheduled(_ schedule: TierSchedule?, _ other: TierSchedule? = nil) -> Plan {
        var plan = samplePlan()
        plan.datasets[0].dataSchedule = schedule
        plan.datasets[1].dataSchedule = other
        if let schedule {
            plan.datasets[0].why.dataTiering = TieringChoice(chosen: schedule, chosenDollars: 1, chosenMoveDollars: 0.1, stayDollars: 2,
                                                             bestSingleTier: "standard-ia", bestSingleTierDollars: 1.5, horizonDays: 90,
                                                             candidates: 23)
        }
        return plan
    }

    @Test("Plan JSON round-trips with and without schedules")
    func roundTrip() throws {
        let dir = TempDir()
        for plan in [Self.scheduled(nil), Self.scheduled(Self.iaThenGlacier, .single("glacier-ir"))] {
            let file = dir.file("p.json")
            try plan.jsonData().write(to: URL(fileURLWithPath: file))
            let back = try Plan.load(file)
            #expect(back == plan)
            #expect(back.datasets[0].dataSchedule?.steps.map(\.afterDays) == plan.datasets[0].dataSchedule?.steps.map(\.afterDays))
        }
        let text = String(decoding: try Self.scheduled(Self.iaThenGlacier).jsonData(), as: UTF8.self)
        #expect(text.contains("\"afterDays\" : 90") && text.contains("\"minObjectBytes\" : 131072") && text.contains("\"schemaVersion\" : 2"))
    }

    @Test("The tiering choice in words: the schedule, its dollars, what it saves, its moves")
    func choiceText() {
        let t = Self.scheduled(Self.iaThenGlacier).datasets[0].why.dataTiering!.text
        #expect(t.contains("standard; standard-ia after 30 days; glacier-ir after 90 days (objects of 128 KiB or more)"))
        #expect(t.contains("$1.0000 over 90 days (moves $0.1000 of it) against $2.0000 staying where it is (saves $1.0000)"))
        let tiny = TieringChoice(chosen: Self.iaThenGlacier, chosenDollars: 0.00061, chosenMoveDollars: 0.00001, stayDollars: 0.00065,
                                 bestSingleTier: "standard", bestSingleTierDollars: 0.00065, horizonDays: 90, candidates: 23)
        #expect(tiny.text.contains("saves $0.000040"), "\(tiny.text)")
    }

    @Test("A schema version 1 plan (no schedules) still loads, as a plan without schedules")
    func oldPlanLoads() throws {
        let dir = TempDir()
        var json = try #require(try JSONSerialization.jsonObject(with: samplePlan().jsonData()) as? [String: Any])
        json["schemaVersion"] = 1
        let file = dir.file("old.json")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
        let old = try Plan.load(file)
        #expect(old.schemaVersion == 1 && old.datasets.allSatisfy { $0.dataSchedule == nil && $0.why.dataTiering == nil })
        #expect(old.datasets.map(\.id) == ["a", "b"])
    }

    @Test("S3 Lifecycle: one rule per schedule, shared by datasets, filtered by tag, with its transition days, field by field")
    func exportFieldByField() throws {
        var plan = Self.scheduled(Self.iaThenGlacier, Self.iaThenGlacier)
        let single = TierSchedule(steps: [.init(afterDays: 0, tier: "standard"), .init(afterDays: 60, tier: "glacier-ir")])
        plan.datasets.append(plan.datasets[0])
        plan.datasets[2].id = "c"
        plan.datasets[2].dataSchedule = single
        let export = try #require(try plan.s3Lifecycle(catalog: sampleCatalog()))
        let doc = try #require(try JSONSerialization.jsonObject(with: export.json) as? [String: Any])
        #expect(doc["TransitionDefaultMinimumObjectSize"] as? String == "all_storage_classes_128K")
        let rules = try #require((doc["LifecycleConfiguration"] as? [String: Any])?["Rules"] as? [[String: Any]])
        let data = rules.filter { ($0["ID"] as? String)?.hasPrefix("backplan-data-") ?? false }
        #expect(data.count == 2, "one rule per distinct schedule; no single-tier rule (every dataset has a schedule)")
        let rule = try #require(data.first { $0["ID"] as? String == "backplan-data-standard-ia-30d-glacier-ir-90d" })
        #expect(rule["Status"] as? String == "Enabled")
        let tag = try #require((rule["Filter"] as? [String: Any])?["Tag"] as? [String: Any])
        #expect(tag["Key"] as? String == "backplan-data" && tag["Value"] as? String == "standard-ia-30d-glacier-ir-90d")
        let transitions = try #require(rule["Transitions"] as? [[String: Any]])
        #expect(transitions.count == 2)
        #expect(transitions[0]["Days"] as? Int == 30 && transitions[0]["StorageClass"] as? String == "STANDARD_IA")
        #expect(transitions[1]["Days"] as? Int == 90 && transitions[1]["StorageClass"] as? String == "GLACIER_IR")
        #expect(rule["Expiration"] == nil && rule["NoncurrentVersionExpiration"] == nil, "live data never expires by a rule")
        let other = try #require(data.first { $0["ID"] as? String == "backplan-data-glacier-ir-60d" })
        let t2 = try #require(other["Transitions"] as? [[String: Any]])
        #expect(t2.count == 1 && t2[0]["Days"] as? Int == 60 && t2[0]["StorageClass"] as? String == "GLACIER_IR")
        #expect(!export.notes.contains { $0.contains("backplan-data-") })
    }

    @Test("A step S3 Lifecycle cannot express is left out of the export, with a note saying so")
    func inexpressibleStep() throws {
        let early = TierSchedule(steps: [.init(afterDays: 0, tier: "standard"), .init(afterDays: 10, tier: "standard-ia")])
        let quick = TierSchedule(steps: [.init(afterDays: 0, tier: "standard"), .init(afterDays: 30, tier: "standard-ia"),
                                         .init(afterDays: 45, tier: "glacier-ir")])
        let export = try #require(try Self.scheduled(early, quick).s3Lifecycle(catalog: sampleCatalog()))
        let doc = try #require(try JSONSerialization.jsonObject(with: export.json) as? [String: Any])
        let rules = try #require((doc["LifecycleConfiguration"] as? [String: Any])?["Rules"] as? [[String: Any]])
        #expect(!rules.contains { ($0["ID"] as? String)?.hasPrefix("backplan-data-standard-ia") ?? false })
        #expect(export.notes.contains { $0.contains("backplan-data-standard-ia-10d: not exported") && $0.contains("day 30") })
        #expect(export.notes.contains { $0.contains("backplan-data-standard-ia-30d-glacier-ir-45d: not exported") && $0.contains("day 60") })
    }

    @Test("Age profiles by hand: large and small objects by age, reads by the age of the newest object, no look-ahead")
    func ageProfiles() {
        let day: Int64 = 86_400
        let now = 10 * day
        // Writes: a large object at day 0, a small at day 5, a large at day 8. Reads at day 1 (newest: day-0 large,
        // 1 day old), day 6 (newest: small), day 9 (newest: day-8 large, 1 day old), day 9.5.
        let writes: [Int64] = [0, 5 * day, 8 * day], bytes: [Int64] = [200_000, 100, 300_000]
        let reads: [Int64] = [day + 10, 6 * day, 9 * day, 9 * day + day / 2]
        let p = AgeProfiles.make(names: ["a"], writes: [writes[...]], bytes: [bytes[...]], reads: [reads[...]], at: now, pooledWeight: 0)["a"]!
        #expect(p.largeCountByDay[10] == 1 && p.largeBytesByDay[10] == 200_000 && p.largeCountByDay[2] == 1)
        #expect(p.smallCount == 1 && p.smallBytes == 100)
        #expect(abs(p.largeShareOfWrites - 2.0 / 3) < 1e-12 && p.largeMeanBytes == 250_000 && p.smallMeanBytes == 100)
        // Of 4 reads, 3 were served by a large newest object: ages 1, 1, 1 (day 9.5 − day 8 = 1.5 → 1).
        #expect(abs(p.readsOnLargeByAge[0] - 0.75) < 1e-12 && abs(p.readsOnLargeByAge[1] - 0.75) < 1e-12 && p.readsOnLargeByAge[2] == 0)
        // Events at or after now change nothing.
        let later = AgeProfiles.make(names: ["a"], writes: [(writes + [now, now + day])[...]], bytes: [(bytes + [1_000_000, 5])[...]],
                                     reads: [(reads + [now + 5])[...]], at: now, pooledWeight: 0)["a"]!
        #expect(later == p)
    }
}
