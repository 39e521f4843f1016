import BackplanTestSupport
import Foundation
import Testing

/// `backplan plan` and `explain` run as a user would, on the committed sample, policy and catalogs.
@Suite("backplan plan and explain, end to end")
struct PlanEndToEndTests {
    static func root(_ p: String) -> String { Backplan.packageRoot.appendingPathComponent(p).path }
    static let policy = root("datasets/policies/messaging.yaml")
    static let aws = root("datasets/pricing/aws-s3.yaml")
    static let model = root("models/default")

    static func args(_ dir: TempDir, policy: String = policy, prices: String = aws, out: String = "plan.json") -> [String] {
        ["plan", "--db", dir.file("s.sqlite"), "--model", model, "--policy", policy, "--prices", prices, "--out", dir.file(out)]
    }

    @Test("plan writes the same bytes twice, within each RPO, and explain describes any dataset or names a missing one")
    func planIsDeterministicAndExplained() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let first = try Backplan.run(Self.args(dir))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("monthly cost") && first.stdout.contains("Limit budget"), "\(first.stdout)")
        let second = try Backplan.run(Self.args(dir, out: "again.json"))
        #expect(second.status == 0)
        let a = try #require(dir.bytes("plan.json")), b = try #require(dir.bytes("again.json"))
        #expect(a == b, "same inputs, same bytes")
        #expect(dir.bytes("plan.s3-lifecycle.json") != nil && dir.bytes("plan.restic.txt") != nil)

        let plan = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        let datasets = try #require(plan["datasets"] as? [[String: Any]])
        #expect(datasets.count == 400)
        for d in datasets {
            for key in ["id", "class", "schedule", "backupTier", "dataTier", "copies", "retention", "encrypt", "why"] {
                #expect(d[key] != nil, "\(key) missing")
            }
            let s = try #require(d["schedule"] as? [String: Any])
            #expect((s["intervalSeconds"] as? Int ?? .max) <= (s["rpoSeconds"] as? Int ?? 0))
        }
        let id = try #require(datasets.first?["id"] as? String)
        let explain = try Backplan.run(["explain", dir.file("plan.json"), id])
        #expect(explain.status == 0, "\(explain.stderr)")
        for word in ["Forecast:", "Chosen:", "Runner-up:", "Decided by", "Retention:"] { #expect(explain.stdout.contains(word), "\(word)") }
        let json = try Backplan.run(["explain", dir.file("plan.json"), id, "--json"])
        let entry = try json.stdout.json() as? [String: Any]
        #expect(json.status == 0 && entry?["id"] as? String == id)
        let missing = try Backplan.run(["explain", dir.file("plan.json"), "no-such-dataset"])
        #expect(missing.status == 2 && missing.stderr.contains("no-such-dataset"))
    }

    /// Every catalog plans the sample; with Azure's prices the example budget (sized on AWS) cannot hold for
    /// every dataset, which is exit status 3 unless --allow-infeasible.
    @Test("Every catalog plans the sample, and Azure's prices exit 3 unless --allow-infeasible")
    func everyCatalogPlans() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let azure = try Backplan.run(Self.args(dir, prices: Self.root("datasets/pricing/azure-blob.yaml"), out: "azure.json"))
        #expect(azure.status == 3 && azure.stderr.contains("cannot be planned within the limits"), "\(azure.stderr)")
        for name in ["gcs", "azure-blob"] {
            let r = try Backplan.run(Self.args(dir, prices: Self.root("datasets/pricing/\(name).yaml"), out: "\(name).json")
                                     + ["--json", "--allow-infeasible"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let summary = try #require(try r.stdout.json() as? [String: Any])
            #expect((summary["totals"] as? [String: Any])?["datasets"] as? Int == 400)
        }
    }

    /// Bad policy and price files: exit 2, the file and the key named, no plan written.
    @Test("A bad policy or price file exits 2 naming the file and key, and writes no plan", arguments: [
        ("policy", "    rpoMax: 4h\n", "    rpoMAx: 4h\n", "rpoMAx"),                                    // unknown (misspelt) key
        ("policy", "    rtoMax: 4h\n", "", "rtoMax"),                                                       // missing key
        ("policy", "  minInterval: 5m ", "  minInterval: 2h ", "rpoMax"),                                  // RPO below the executor's minimum
        ("policy", "    lossDollarsPerMessage: 0.02\n", "    lossDollarsPerMessage: -1\n", "lossDollarsPerMessage"),
        ("policy", "    encrypt: true\n    lossDollarsPerMessage: 0.02", "    encrypt: true\n    allowedTiers: [glacier]\n    lossDollarsPerMessage: 0.02", "allowedTiers"),
        ("policy", "    rpoMax: 4h\n", "    rpoMax: soon\n", "rpoMax"),
        ("prices", "storagePerGiBMonth: 0.023,", "storagePerGiBMonth: -0.023,", "storagePerGiBMonth"),   // negative price
        ("prices", "provider: aws-s3\n", "", "provider"),
        ("prices", "minBillableSize: 128KiB", "minBillableSize: lots", "minBillableSize"),
        ("prices", "tiers:", "tiers: [", "YAML"),
    ])
    func badPolicyAndPriceFilesExitTwo(_ which: String, _ from: String, _ to: String, _ named: String) throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let original = try String(contentsOfFile: which == "policy" ? Self.policy : Self.aws, encoding: .utf8)
        try #require(original.contains(from), "fixture text '\(from)' not in the \(which) file")
        let bad = dir.write("bad-\(which).yaml", original.replacingOccurrences(of: from, with: to, options: [], range: original.range(of: from)))
        let r = try Backplan.run(which == "policy" ? Self.args(dir, policy: bad) : Self.args(dir, prices: bad))
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("bad-\(which).yaml") && r.stderr.contains(named), "\(r.stderr)")
        #expect(dir.bytes("plan.json") == nil)
    }

    @Test("A missing policy file or a directory given as the price file exits with status 2")
    func missingFilesExitTwo() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        for args in [Self.args(dir, policy: dir.file("none.yaml")), Self.args(dir, prices: dir.path)] {
            let r = try Backplan.run(args)
            #expect(r.status == 2, "\(r.stderr)")
        }
    }
}
