import BackplanTestSupport
import Foundation
import Testing

/// `backplan tiers` run as a user would, on the committed sample.
@Suite("backplan tiers, end to end")
struct TiersEndToEndTests {
    static func root(_ p: String) -> String { Backplan.packageRoot.appendingPathComponent(p).path }

    @Test("The JSON lists every policy; hindsight rows are lowest among per-dataset single-tier policies; bad input exits 2")
    func jsonListsEveryPolicy() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let args = ["tiers", "--db", dir.file("s.sqlite"), "--split", "0.6", "--prices", Self.root("datasets/pricing/aws-s3.yaml"),
                    "--policy", Self.root("datasets/policies/messaging.yaml"), "--model", Self.root("models/default")]
        let r = try Backplan.run(args + ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try r.stdout.json() as? [String: Any])
        let rows = try #require(report["policies"] as? [[String: Any]])
        let totals = Dictionary(uniqueKeysWithValues: rows.compactMap { row -> (String, Double)? in
            guard let p = row["policy"] as? String, let t = row["total"] as? Double else { return nil }
            return (p, t)
        })
        #expect(Set(totals.keys) == ["all-hot", "intelligent-tiering", "lifecycle-by-age", "lifecycle-per-object", "backplan",
                                     "backplan-actual-activity", "best-single-tier", "best-monthly"])
        let oracle = try #require(totals["best-monthly"]), single = try #require(totals["best-single-tier"])
        #expect(oracle > 0 && oracle <= single * (1 + 1e-12))
        // Per-dataset single tiers: the hindsight rows bound them. Backplan's tier schedules move objects by
        // age, finer than any per-dataset tier, so they may go below both hindsight rows.
        for p in ["all-hot", "intelligent-tiering"] {
            #expect(single <= (totals[p] ?? 0) * (1 + 1e-12), "\(p)")
        }
        #expect((totals["backplan"] ?? 0) > 0 && (totals["backplan-actual-activity"] ?? 0) > 0)
        let text = try Backplan.run(args)
        #expect(text.status == 0 && text.stdout.contains("vs best-monthly") && text.stdout.contains("lifecycle-by-age"), "\(text.stderr)")
        for bad in [args + ["--split", "1.5"], ["tiers", "--db", dir.file("missing.sqlite")], args + ["--prices", dir.file("none.yaml")]] {
            let b = try Backplan.run(bad)
            #expect(b.status == 2, "\(bad.suffix(2)): \(b.stderr)")
        }
    }
}
