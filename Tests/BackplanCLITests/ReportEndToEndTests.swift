import BackplanTestSupport
import Foundation
import Testing

/// `backplan report tiers` run as a user would, on plans of the committed sample.
@Suite("backplan report tiers, end to end")
struct ReportEndToEndTests {
    /// A folder holding the sample's store and two plans of it: `plan.json` (AWS prices) and `gcs.json`.
    static let plans: TempDir? = {
        guard let dir = try? ModelEndToEndTests.sampleStore() else { return nil }
        for (prices, out) in [("aws-s3", "plan.json"), ("gcs", "gcs.json")] {
            let r = try? Backplan.run(PlanEndToEndTests.args(dir, prices: PlanEndToEndTests.root("datasets/pricing/\(prices).yaml"), out: out) + ["--json"])
            guard r?.status == 0 else { return nil }
        }
        return dir
    }()

    static func report(_ extra: [String]) throws -> Backplan.Result {
        let dir = try #require(plans, "the sample plans could not be made")
        return try Backplan.run(["report", "tiers", "--plan", dir.file("plan.json")] + extra)
    }

    /// The monthly total as each format prints it, grouped by `by`, against the GCS plan.
    @Test("The total agrees to the cent across text, Markdown, CSV, JSON and HTML, and with the plan", arguments: ["tier", "class,region", "tier,class,region"])
    func totalsAgree(by: String) throws {
        let dir = try #require(Self.plans)
        let base = ["--by", by, "--baseline", dir.file("gcs.json")]
        let json = try Self.report(base + ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let doc = try #require(try json.stdout.json() as? [String: Any])
        let totals = try #require(doc["totals"] as? [String: Any])
        let total = try #require((totals["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber).doubleValue
        let cents = String(format: "%.2f", total)
        #expect(totals["datasets"] as? Int == 400)

        let planData = try #require(dir.bytes("plan.json"))
        let plan = try #require(try JSONSerialization.jsonObject(with: planData) as? [String: Any])
        let planTotal = try #require((((plan["totals"] as? [String: Any])?["monthlyDollars"]) as? [String: Any])?["total"] as? Double)
        #expect(String(format: "%.2f", planTotal) == cents || abs(planTotal - total) <= 0.005 + 1e-9)

        let csv = try Self.report(base + ["--format", "csv"])
        let lines = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let column = try #require(lines.first?.firstIndex(of: "total_usd"))
        #expect(lines.last?.first == "total" && lines.last?[column] == cents, "\(lines.last ?? [])")

        let text = try Self.report(base)
        #expect(text.stdout.contains("Total: \(Self.grouped(cents)) dollars per month"), "\(text.stdout)")
        let md = try Self.report(base + ["--format", "md"])
        #expect(md.stdout.contains("**Total: \(cents) dollars per month**"))
        let html = try Self.report(base + ["--format", "html"])
        #expect(html.stdout.contains("id=\"total-dollars\">$\(Self.grouped(cents))<"))
        #expect(text.stdout.contains("moved tier") && md.stdout.contains("### Top movers"))
    }

    /// `1234.50` → `1,234.50`.
    static func grouped(_ s: String) -> String {
        let parts = s.split(separator: ".")
        var whole = String(parts[0])
        var out = ""
        while whole.count > 3 { out = "," + whole.suffix(3) + out; whole = String(whole.dropLast(3)) }
        return whole + out + "." + parts[1]
    }

    @Test("JSON keys are the ones report-tiers.schema.json lists")
    func schema() throws {
        let json = try Self.report(["--format", "json", "--baseline", #require(Self.plans).file("gcs.json")])
        let doc = try #require(try json.stdout.json() as? [String: Any])
        let schemaData = try #require(FileManager.default.contents(atPath: Backplan.packageRoot.appendingPathComponent("report-tiers.schema.json").path))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(doc.keys).isSubset(of: Set(properties.keys)), "\(doc.keys.sorted())")
        #expect(Set(schema["required"] as? [String] ?? []).isSubset(of: Set(doc.keys)))
        let defs = try #require(schema["$defs"] as? [String: Any])
        let rowKeys = Set(((defs["row"] as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
        for row in (doc["rows"] as? [[String: Any]] ?? []) { #expect(Set(row.keys).isSubset(of: rowKeys), "\(row.keys.sorted())") }
        let changeKeys = Set(((defs["change"] as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
        #expect(Set((doc["change"] as? [String: Any] ?? [:]).keys) == changeKeys)
    }

    @Test("--out writes through a temporary file; the plan itself is refused as --out and left unchanged")
    func output() throws {
        let dir = try #require(Self.plans)
        let before = dir.bytes("plan.json")
        let r = try Self.report(["--format", "csv", "--out", dir.file("tiers.csv")])
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stderr)")
        #expect(String(decoding: try #require(dir.bytes("tiers.csv")), as: UTF8.self).hasPrefix("row,tier,class,region,datasets,"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
        for target in [dir.file("plan.json"), dir.path + "/./plan.json"] {
            let refused = try Self.report(["--format", "html", "--out", target])
            #expect(refused.status == 2 && refused.stderr.contains("--out is the input file"), "\(refused.stderr)")
        }
        let baseline = try Self.report(["--baseline", dir.file("gcs.json"), "--out", dir.file("gcs.json")])
        #expect(baseline.status == 2)
        #expect(dir.bytes("plan.json") == before)
    }

    @Test("Bad input: unknown grouping, missing plan, wrong format; exit 2 with the option or file named")
    func badInput() throws {
        let by = try Self.report(["--by", "tier,colour"])
        #expect(by.status == 2 && by.stderr.contains("--by") && by.stderr.contains("colour"), "\(by.stderr)")
        let missing = try Backplan.run(["report", "tiers", "--plan", "/nonexistent/plan.json"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/plan.json"))
        let format = try Self.report(["--format", "pdf"])
        #expect(format.status == 2 && format.stderr.contains("pdf"))
        let dir = try #require(Self.plans)
        let notPlan = try Backplan.run(["report", "tiers", "--plan", dir.file("plan.restic.txt")])
        #expect(notPlan.status == 2 && notPlan.stderr.contains("plan.restic.txt"))
    }
}
