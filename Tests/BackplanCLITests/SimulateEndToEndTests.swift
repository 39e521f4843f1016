import BackplanTestSupport
import Foundation
import Testing

/// `backplan simulate` run as a user would, on the committed sample.
@Suite("backplan simulate, end to end")
struct SimulateEndToEndTests {
    static func root(_ p: String) -> String { Backplan.packageRoot.appendingPathComponent(p).path }

    static func args(_ dir: TempDir, scenario: String = root("datasets/scenarios/viral-group.yaml")) -> [String] {
        ["simulate", "--db", dir.file("s.sqlite"), "--scenario", scenario,
         "--policy", root("datasets/policies/messaging.yaml"), "--prices", root("datasets/pricing/aws-s3.yaml")]
    }

    @Test("The JSON is clean, deterministic and covers every policy") func jsonIsCleanDeterministicAndCoversEveryPolicy() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let a = try Backplan.run(Self.args(dir) + ["--model", Self.root("models/default"), "--runs", "8", "--seed", "3", "--json",
                                                   "--policies", "replanned,fixed-1h,cron-daily,intelligent-tiering,all-hot,oracle"])
        #expect(a.status == 0, "\(a.stderr)")
        let report = try #require(try a.stdout.json() as? [String: Any])
        let policies = try #require(report["policies"] as? [[String: Any]])
        #expect(policies.map { $0["name"] as? String ?? "" } == ["replanned", "fixed-1h", "cron-daily", "intelligent-tiering", "all-hot", "oracle"])
        #expect((report["addedWrites"] as? Int ?? 0) > 0, "the viral scenario adds writes")
        for p in policies {
            let lost = try #require(p["messagesLost"] as? [String: Any])
            #expect(lost["mean"] != nil && lost["p5"] != nil && lost["p95"] != nil)
            #expect((p["cost"] as? [String: Any])?["total"] != nil)
        }
        // The re-planned plan keeps every class RPO; a daily cron cannot for hourly classes.
        #expect(policies[0]["rpoViolations"] as? Int == 0)
        #expect((policies[2]["rpoViolations"] as? Int ?? 0) > 0)
        let b = try Backplan.run(Self.args(dir) + ["--model", Self.root("models/default"), "--runs", "8", "--seed", "3", "--json",
                                                   "--policies", "replanned,fixed-1h,cron-daily,intelligent-tiering,all-hot,oracle"])
        #expect(a.stdout == b.stdout, "same seed, same results")
        // Without --dataset-costs: no per-dataset shares, but every run's dollars, the bands and the series.
        for p in policies {
            #expect((p["datasets"] as? [Any])?.isEmpty == true && p["datasetRuns"] as? Int == 0)
            #expect((p["costPerRun"] as? [Double])?.count == 8 && (p["series"] as? [String: Any])?["total"] != nil)
            let band = try #require(p["costBand"] as? [String: Double])
            #expect(band["p5"]! <= band["p50"]! && band["p50"]! <= band["p95"]!)
        }
        let table = try Backplan.run(Self.args(dir, scenario: Self.root("datasets/scenarios/baseline.yaml")) + ["--runs", "4"])
        #expect(table.status == 0 && table.stdout.contains("lost 5-95%"), "\(table.stderr)")
    }

    @Test("The cost table lists per component what it bills and leaves out, in text and JSON, and the components add up")
    func costComponentsAreListed() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let base = Self.args(dir, scenario: Self.root("datasets/scenarios/baseline.yaml")) + ["--runs", "4", "--policies", "cron-daily,intelligent-tiering"]
        let json = try Backplan.run(base + ["--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try json.stdout.json() as? [String: Any])
        let components = try #require(report["costComponents"] as? [[String: Any]])
        let names = components.compactMap { $0["name"] as? String }
        #expect(names.count == 11 && names.contains("liveRequests") && names.contains("monitoring") && names.contains("earlyDeletion"))
        #expect(components.allSatisfy { ($0["bills"] as? String)?.isEmpty == false && ($0["leavesOut"] as? String)?.isEmpty == false })
        for p in try #require(report["policies"] as? [[String: Any]]) {
            let cost = try #require(p["cost"] as? [String: Any])
            let sum = names.reduce(0.0) { $0 + (cost[$1] as? Double ?? .nan) }
            let total = try #require(cost["total"] as? Double)
            #expect(abs(sum - total) <= 1e-9 * max(1, total), "\(p["name"] ?? "")")
            #expect((cost["liveRequests"] as? Double ?? 0) > 0, "live-data requests are billed")
        }
        let text = try Backplan.run(base)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Cost by component"))
        for name in names { #expect(text.stdout.contains("\(name): bills "), "\(name)") }
        #expect(text.stdout.contains("leaves out"))
    }

    @Test("Bad input exits with code 2") func badInputExitsTwo() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let bad = dir.write("bad.yaml", "failures:\n  disk: { mtbf: never }\n")
        let cases: [[String]] = [
            Self.args(dir, scenario: bad),
            Self.args(dir, scenario: dir.file("missing.yaml")),
            Self.args(dir) + ["--policies", "fixed-1h,weekly-ish"],
            Self.args(dir) + ["--policies", "replanned"],           // needs --model
            Self.args(dir) + ["--runs", "0"],
            Self.args(dir) + ["--replan", "7x"],
            Self.args(dir) + ["--policies", "fixed-1.5h"],
        ]
        for c in cases {
            let r = try Backplan.run(c)
            #expect(r.status == 2, "\(c.suffix(2)): \(r.stderr)")
        }
        let r = try Backplan.run(Self.args(dir, scenario: bad))
        #expect(r.stderr.contains("bad.yaml") && r.stderr.contains("mtbf"))
        let duration = try Backplan.run(Self.args(dir) + ["--replan", "12h1d"])
        #expect(duration.status == 2 && duration.stderr.contains("largest to the smallest"), "\(duration.stderr)")
    }

    @Test("The old policy name 'adaptive' still works, with a deprecation warning")
    func deprecatedPolicyName() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        // Without --model the run stops (exit 2) after the warning: the alias was read as `replanned`.
        let r = try Backplan.run(Self.args(dir) + ["--policies", "adaptive,cron-daily"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("'adaptive' is deprecated") && r.stderr.contains("replanned"), "\(r.stderr)")
        #expect(r.stderr.contains("replanned policy needs a model"), "\(r.stderr)")
    }
}
