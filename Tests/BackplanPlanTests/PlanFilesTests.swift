import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlan

/// A small plan of two datasets, one on an S3 tier with an offline copy.
func samplePlan(tier: String = "standard-ia") -> Plan {
    var cost = CostBreakdown()
    cost.storage = 1.5
    cost.expectedLoss = 0.25
    let option = DatasetPlan.Option(intervalSeconds: 3_600, backupTier: tier, dataTier: "standard",
                                    monthlyDollars: .init(cost), exposedWrites: 2.5, restoreSeconds: 42)
    func entry(_ id: String, erase: Bool) -> DatasetPlan {
        DatasetPlan(
            id: id, class: "private", location: id,
            schedule: .init(intervalSeconds: 3_600, timeOfDaySeconds: nil, quietSeconds: 1_800, maxDirtyWrites: nil,
                            rpoSeconds: 14_400, fullEverySeconds: nil),
            backupTier: tier, dataTier: "standard",
            copies: [.init(tier: tier, region: "region-1", offline: false), .init(tier: "deep-archive", region: "region-2", offline: true)],
            retention: .rule(minimumSeconds: 30 * 86_400, maximumSeconds: 365 * 86_400, erase: erase), encrypt: true,
            why: .init(forecast: .init(sizeBytes: 1e6, writesPerDay: 10, readsPerDay: 20, meanSessionSeconds: nil, meanQuietGapSeconds: 600),
                       chosen: option, runnerUp: nil, decidedBy: "price"))
    }
    let digest = Plan.Digest(path: "x", sha256: String(repeating: "0", count: 64))
    return Plan(
        schemaVersion: Plan.currentSchemaVersion, generatedAt: 1_700_000_000,
        inputs: .init(statsStore: digest, model: digest, policy: digest, prices: digest),
        totals: .init(datasets: 2, monthlyDollars: .init(cost + cost), expectedExposedWrites: 5, backupsPerDay: 48,
                      backupBytesPerDay: 1e6, datasetsPerBackupTier: [tier: 2], datasetsPerDataTier: ["standard": 2]),
        limits: [], infeasible: [.init(id: "big", reason: "no allowed tier restores it within the class RTO 1h")],
        datasets: [entry("a", erase: false), entry("b", erase: true)])
}

/// The S3 tiers of `datasets/pricing/aws-s3.yaml` with their minimum billed days (prices do not matter here),
/// plus a non-S3 tier.
func sampleCatalog() -> PriceCatalog {
    func tier(_ name: String, _ days: Double) -> Tier {
        Tier(name: name, storageDollarsPerGiBMonth: 0.01, retrievalDollarsPerGiB: 0, putDollarsPer1000: 0, getDollarsPer1000: 0,
             minStorageDays: days, minBillableBytes: 0, firstByteSeconds: 0, offline: name == "deep-archive")
    }
    return PriceCatalog(file: "prices.yaml", provider: "aws", region: "us-east-1", source: "test", asOf: "2025-01-01",
                        tiers: [tier("standard", 0), tier("standard-ia", 30), tier("glacier-ir", 90), tier("glacier-flexible", 90),
                                tier("deep-archive", 180), tier("nearline", 30)])
}

@Suite("Plan files: reading, writing, exports, digests")
struct PlanFilesTests {
    @Test("The exports' names derive from the plan's path")
    func exportNames() {
        let files = Plan.Files(plan: "out/plan.json")
        #expect(files.s3Lifecycle == "out/plan.s3-lifecycle.json" && files.restic == "out/plan.restic.txt")
        #expect(files.kubernetes == "out/plan.k8s-cronjobs.yaml" && files.awsBackup == "out/plan.aws-backup.json")
        #expect(Plan.Files(plan: "p").restic == "p.restic.txt")
        #expect(Set(files.all).count == 5)
    }

    @Test("A written plan reads back equal, and writing it again gives the same bytes")
    func writeAndLoad() throws {
        let dir = TempDir()
        let plan = samplePlan()
        let written = try plan.write(to: dir.file("plan.json"), catalog: sampleCatalog())
        #expect(written.paths == [dir.file("plan.json"), dir.file("plan.s3-lifecycle.json"), dir.file("plan.aws-backup.json"),
                                  dir.file("plan.restic.txt"), dir.file("plan.k8s-cronjobs.yaml")])
        #expect(try Plan.load(dir.file("plan.json")) == plan)
        let first = try #require(dir.bytes("plan.json"))
        try plan.write(to: dir.file("again.json"), catalog: sampleCatalog())
        #expect(dir.bytes("again.json") == first)
        #expect(first.last == UInt8(ascii: "\n"))
        let restic = String(decoding: try #require(dir.bytes("plan.restic.txt")), as: UTF8.self)
        #expect(restic.contains("\nrestic forget --tag 'dataset=a' --group-by tags --keep-within-daily 7d --keep-within-weekly 45d\n"))
        #expect(restic.hasSuffix("\nrestic prune\n"))
    }

    @Test("A plan read without its reasons equals the plan but for them, still needs them in the file, and is never written")
    func loadWithoutReasons() throws {
        let dir = TempDir()
        let plan = samplePlan()
        try plan.write(to: dir.file("plan.json"), catalog: sampleCatalog())
        let slim = try Plan.load(dir.file("plan.json"), reasons: false)
        var expected = plan
        for i in expected.datasets.indices { expected.datasets[i].why = .notRead }
        #expect(slim == expected && !slim.datasets.isEmpty)
        #expect(throws: InputError.self) { try slim.jsonData() }
        #expect(throws: InputError.self) { try slim.write(to: dir.file("slim.json"), catalog: sampleCatalog()) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("slim.json")))
        // The file must still be a whole plan: an entry without `why` is refused either way.
        let bytes = try #require(dir.bytes("plan.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        var datasets = try #require(json["datasets"] as? [[String: Any]])
        datasets[0]["why"] = nil
        json["datasets"] = datasets
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir.file("cut.json")))
        for reasons in [true, false] {
            #expect { try Plan.load(dir.file("cut.json"), reasons: reasons) } throws: { ($0 as? InputError)?.file == dir.file("cut.json") }
        }
    }

    @Test("No S3 Lifecycle file for a catalog whose tiers are not S3 storage classes")
    func noLifecycleOffS3() throws {
        let dir = TempDir()
        let written = try samplePlan(tier: "nearline").write(to: dir.file("plan.json"), catalog: sampleCatalog())
        #expect(written.paths == [dir.file("plan.json"), dir.file("plan.restic.txt"), dir.file("plan.k8s-cronjobs.yaml")])
        #expect(try samplePlan(tier: "nearline").s3Lifecycle(catalog: sampleCatalog()) == nil)
    }

    @Test("Bad plan files are input errors naming the file")
    func badFiles() throws {
        let dir = TempDir()
        #expect(throws: InputError(file: dir.file("none.json"), "no such plan file")) { try Plan.load(dir.file("none.json")) }
        dir.write("junk.json", "{ not json")
        #expect { try Plan.load(dir.file("junk.json")) } throws: { ($0 as? InputError)?.file == dir.file("junk.json") }
        var future = samplePlan()
        future.schemaVersion = 99
        try future.write(to: dir.file("future.json"), catalog: sampleCatalog())
        #expect { try Plan.load(dir.file("future.json")) } throws: {
            ($0 as? InputError)?.message == "plan schema version 99; this Backplan reads 1 to 2"
        }
    }

    @Test("An entry by id, or why there is none")
    func entries() throws {
        let plan = samplePlan()
        #expect(try plan.entry("b", file: "p.json").id == "b")
        #expect { try plan.entry("big", file: "p.json") } throws: { ($0 as? InputError)?.message.contains("has no plan") ?? false }
        #expect { try plan.entry("zzz", file: "p.json") } throws: {
            ($0 as? InputError)?.message == "no dataset 'zzz' in the plan (2 datasets; ids look like 'a')"
        }
    }

    @Test("Input digests: a file's SHA-256, and which inputs changed")
    func inputDigests() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("m"), withIntermediateDirectories: true)
        dir.write("m/model.json", "{}")
        dir.write("policy.yaml", "abc")
        dir.write("prices.yaml", "")
        let store = Plan.Digest(path: "s.sqlite", sha256: String(repeating: "f", count: 64))
        let inputs = try Plan.Inputs.files(statsStore: store, modelDirectory: dir.file("m"), policy: dir.file("policy.yaml"),
                                           prices: dir.file("prices.yaml"))
        #expect(inputs.model.path == dir.file("m/model.json"))
        #expect(inputs.policy.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(inputs.prices.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(inputs.changed(from: inputs).isEmpty)
        var other = inputs
        other.policy.sha256 = String(repeating: "0", count: 64)
        other.prices.path = "elsewhere.yaml"
        #expect(inputs.changed(from: other) == ["policy"])
        #expect(throws: InputError.self) { try Plan.Digest(file: dir.file("missing")) }
    }
}
