import BackplanCore
import BackplanTestSupport
import Crypto
import Foundation
import Testing
@testable import BackplanPlan

@Suite("The executor's plan cache")
struct PlanCacheTests {
    /// `samplePlan()` with every optional field of a dataset set in one entry and unset in the other.
    static func fullPlan() -> Plan {
        var plan = samplePlan()
        plan.datasets[0].schedule = .init(intervalSeconds: 86_400, timeOfDaySeconds: 7_200, quietSeconds: nil, maxDirtyWrites: 12,
                                          rpoSeconds: 172_800, fullEverySeconds: 604_800)
        plan.datasets[0].dataSchedule = TierSchedule(steps: [.init(afterDays: 0, tier: "standard"), .init(afterDays: 30, tier: "glacier-ir")],
                                                     minObjectBytes: 4_096)
        plan.datasets[0].copies[0].objectTag = .init(key: "backplan-rule", value: "backplan-standard-ia-45d")
        plan.datasets[0].id = "conversation=\"é\" \u{0}\n,../x"
        plan.datasets[1].schedule.quietSeconds = nil
        return plan
    }

    static func notRead(_ plan: Plan) -> Plan {
        var p = plan
        for i in p.datasets.indices { p.datasets[i].why = .notRead }
        return p
    }

    @Test("The cache reads back the plan as Plan.load(reasons: false) does, every field, and is used for the same bytes only")
    func roundTrip() throws {
        let dir = TempDir()
        let plan = Self.fullPlan()
        try plan.write(to: dir.file("plan.json"), catalog: sampleCatalog())
        let cache = dir.file("state.sqlite-plan")
        let want = try Plan.load(dir.file("plan.json"), reasons: false)
        #expect(want == Self.notRead(plan))
        #expect(try PlanCache.load(dir.file("plan.json"), cache: cache) == want, "from the JSON")
        let bytes = try #require(FileManager.default.contents(atPath: cache))
        let digest = Array(SHA256.hash(data: try #require(dir.bytes("plan.json"))))
        #expect(PlanCache.read(bytes, digest: digest) == want, "from the cache")
        #expect(try PlanCache.load(dir.file("plan.json"), cache: cache) == want)
        #expect(PlanCache.read(bytes, digest: Array(SHA256.hash(data: Data("other".utf8)))) == nil, "another plan's cache")
        for cut in [1, 9, bytes.count / 2] {
            #expect(PlanCache.read(bytes.dropLast(cut), digest: digest) == nil, "cut by \(cut)")
        }
        // Another plan at the same path (a re-plan): read from its JSON, and the cache follows it.
        var other = plan
        other.datasets[1].retention.spanSeconds += 86_400
        try other.write(to: dir.file("plan.json"), catalog: sampleCatalog())
        #expect(try PlanCache.load(dir.file("plan.json"), cache: cache) == Self.notRead(other))
        #expect(FileManager.default.contents(atPath: cache) != bytes)
    }

    @Test("A cache path that is the plan itself, or holds another file, is never written; a dry run writes none")
    func neverOverwrites() throws {
        let dir = TempDir()
        try Self.fullPlan().write(to: dir.file("plan.json"), catalog: sampleCatalog())
        let before = try #require(dir.bytes("plan.json"))
        _ = try PlanCache.load(dir.file("plan.json"), cache: dir.file("plan.json"))
        #expect(dir.bytes("plan.json") == before)
        let foreign = dir.write("state-plan", "my notes\n")
        #expect(try PlanCache.load(dir.file("plan.json"), cache: foreign) == (try Plan.load(dir.file("plan.json"), reasons: false)))
        #expect(dir.bytes("state-plan") == Data("my notes\n".utf8))
        _ = try PlanCache.load(dir.file("plan.json"), cache: dir.file("dry-plan"), write: false)
        #expect(!FileManager.default.fileExists(atPath: dir.file("dry-plan")))
        #expect(throws: InputError.self) { try PlanCache.load(dir.file("none.json"), cache: dir.file("c")) }
    }

    @Test("Every stored field of a dataset's plan is one the cache writes (a new field fails here until the cache stores it)")
    func everyField() {
        let d = Self.fullPlan().datasets[0]
        func labels(_ v: Any) -> [String] { Mirror(reflecting: v).children.compactMap(\.label) }
        #expect(labels(d) == ["id", "class", "location", "schedule", "backupTier", "dataTier", "dataSchedule", "copies", "retention", "encrypt", "why"])
        #expect(labels(d.schedule) == ["intervalSeconds", "timeOfDaySeconds", "quietSeconds", "maxDirtyWrites", "rpoSeconds", "fullEverySeconds"])
        #expect(labels(d.copies[0]) == ["tier", "region", "offline", "objectTag"])
        #expect(labels(d.copies[0].objectTag!) == ["key", "value"])
        #expect(labels(d.retention) == ["daily", "weekly", "monthly", "yearly", "spanSeconds", "deleteAfterSeconds", "restic"])
        #expect(labels(d.dataSchedule!) == ["steps", "minObjectBytes"])
        #expect(labels(d.dataSchedule!.steps[0]) == ["afterDays", "tier"])
    }
}
