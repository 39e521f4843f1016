import BackplanTestSupport
import Foundation
import Testing

/// `backplan report frontier` and `report simulation` on what `frontier --json` and `simulate --json` wrote for
/// the committed sample: the commands' own output is the input, so the report's types must match them.
@Suite("backplan report frontier and report simulation, end to end")
struct ReportPolicyEndToEndTests {
    /// The sample's store with `frontier.json` and `sim.json` (region outage, 4 runs) beside it.
    static let inputs: TempDir? = {
        guard let dir = try? ModelEndToEndTests.sampleStore() else { return nil }
        let frontier = try? Backplan.run(["frontier", "--db", dir.file("s.sqlite"), "--json"])
        let sim = try? Backplan.run(SimulateEndToEndTests.args(dir, scenario: SimulateEndToEndTests.root("datasets/scenarios/region-outage.yaml"))
                                    + ["--policies", "fixed-1h,cron-daily,all-hot,oracle", "--runs", "4", "--seed", "3", "--json", "--dataset-costs"])
        guard let frontier, let sim, frontier.status == 0, sim.status == 0 else { return nil }
        _ = dir.write("frontier.json", frontier.stdout)
        _ = dir.write("sim.json", sim.stdout)
        return dir
    }()

    static func report(_ kind: String, _ file: String, _ extra: [String] = []) throws -> Backplan.Result {
        let dir = try #require(inputs, "the sample's frontier and simulation could not be made")
        return try Backplan.run(["report", kind, "--input", dir.file(file)] + extra)
    }

    static func csv(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test("Frontier: every policy's backups and exposure read the same in text, Markdown, CSV, JSON and HTML")
    func frontierAgrees() throws {
        let json = try Self.report("frontier", "frontier.json", ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let doc = try #require(try json.stdout.json() as? [String: Any])
        let policies = try #require(doc["policies"] as? [[String: Any]])
        #expect(policies.map { $0["name"] as? String } == ["fixed-24h", "cron-daily", "online", "oracle"])
        let sourceData = try #require(Self.inputs?.bytes("frontier.json"))
        let source = try #require(try String(decoding: sourceData, as: UTF8.self).json() as? [String: Any])
        let sourcePolicies = try #require(source["policies"] as? [[String: Any]])
        let text = try Self.report("frontier", "frontier.json")
        let md = try Self.report("frontier", "frontier.json", ["--format", "md"])
        let csv = Self.csv(try Self.report("frontier", "frontier.json", ["--format", "csv"]).stdout)
        let html = try Self.report("frontier", "frontier.json", ["--format", "html"])
        #expect(csv.first == ["policy", "backups", "budget_percent", "exposure_hours", "exposure_vs_cron_daily_percent",
                              "exposure_vs_cron_daily_low_percent", "exposure_vs_cron_daily_high_percent"])
        // The online policy's paired bootstrap interval (issue 14): in the source, and as percent in the report.
        let low = try #require(sourcePolicies[2]["exposureRatioLow"] as? Double)
        let high = try #require(sourcePolicies[2]["exposureRatioHigh"] as? Double)
        #expect(csv[3][5] == String(format: "%.1f", 100 * low) && csv[3][6] == String(format: "%.1f", 100 * high), "\(csv[3])")
        #expect(text.stdout.contains(String(format: "%.1f–%.1f", 100 * low, 100 * high)), "\(text.stdout)")
        for (i, p) in policies.enumerated() {
            let name = try #require(p["name"] as? String)
            let hours = String(format: "%.2f", try #require(p["exposureHours"] as? NSNumber).doubleValue)
            let backups = try #require(p["backups"] as? Int)
            #expect(backups == sourcePolicies[i]["ops"] as? Int)
            #expect(hours == String(format: "%.2f", try #require(sourcePolicies[i]["exposureHours"] as? Double)), "rounded once from the input")
            #expect(csv[i + 1][0] == name && csv[i + 1][1] == String(backups) && csv[i + 1][3] == hours)
            #expect(md.stdout.contains("| \(name) | \(backups) |") && md.stdout.contains(" | \(hours) |"))
            let line = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") }, "\(text.stdout)")
            #expect(line.contains(ReportEndToEndTests.grouped(String(backups) + ".0").dropLast(2)) && line.contains(" \(hours) "), "\(line)")
            #expect(html.stdout.contains("<td class=\"l\">\(name)</td>") && html.stdout.contains(">\(hours)</td>"))
        }
        #expect(html.stdout.contains("<svg") && html.stdout.contains("Exposure against backups") && !html.stdout.contains("<script"))
    }

    @Test("Simulation: each policy's total (window and per month) and band read the same in every format")
    func simulationAgrees() throws {
        let json = try Self.report("simulation", "sim.json", ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let doc = try #require(try json.stdout.json() as? [String: Any])
        let policies = try #require(doc["policies"] as? [[String: Any]])
        #expect(policies.map { $0["name"] as? String } == ["fixed-1h", "cron-daily", "all-hot", "oracle"])
        let sourceData = try #require(Self.inputs?.bytes("sim.json"))
        let source = try #require(try String(decoding: sourceData, as: UTF8.self).json() as? [String: Any])
        let sourcePolicies = try #require(source["policies"] as? [[String: Any]])
        let text = try Self.report("simulation", "sim.json")
        let md = try Self.report("simulation", "sim.json", ["--format", "md"])
        let csv = Self.csv(try Self.report("simulation", "sim.json", ["--format", "csv"]).stdout)
        let html = try Self.report("simulation", "sim.json", ["--format", "html"])
        let total = try #require(csv.first?.firstIndex(of: "total_usd")), monthly = try #require(csv.first?.firstIndex(of: "total_usd_per_month"))
        let p95 = try #require(csv.first?.firstIndex(of: "lost_p95"))
        for (i, p) in policies.enumerated() {
            let name = try #require(p["name"] as? String)
            let window = String(format: "%.2f", try #require((p["window"] as? [String: Any])?["total"] as? NSNumber).doubleValue)
            let perMonth = String(format: "%.2f", try #require((p["monthly"] as? [String: Any])?["total"] as? NSNumber).doubleValue)
            let band = String(format: "%.1f", try #require((p["lost"] as? [String: Any])?["p95"] as? NSNumber).doubleValue)
            let sourceTotal = try #require((sourcePolicies[i]["cost"] as? [String: Any])?["total"] as? Double)
            #expect(abs(Double(window)! - sourceTotal) <= 0.005 + 1e-9, "the simulator's own total, rounded once")
            #expect(csv[i + 1][0] == name && csv[i + 1][total] == window && csv[i + 1][monthly] == perMonth && csv[i + 1][p95] == band)
            let mdLine = try #require(md.stdout.split(separator: "\n").first { $0.hasPrefix("| \(name) |") })
            #expect(mdLine.hasSuffix("| \(window) | \(perMonth) |"), "\(mdLine)")
            let textLine = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") })
            #expect(textLine.split(separator: " ").suffix(2) == [Substring(ReportEndToEndTests.grouped(window)), Substring(ReportEndToEndTests.grouped(perMonth))],
                    "\(textLine)")
            #expect(html.stdout.contains(">\(ReportEndToEndTests.grouped(window))</td><td class=\"n\">\(ReportEndToEndTests.grouped(perMonth))</td>"))
        }
        #expect(html.stdout.contains("Cost against exposure") && html.stdout.contains("5–95 % band"))
        // The dollar bands: the simulator's per-run dollars → its band → the report's cents, the same in CSV and JSON.
        let cost95 = try #require(csv.first?.firstIndex(of: "cost_p95_usd")), loss5 = try #require(csv.first?.firstIndex(of: "loss_p5_usd"))
        for (i, p) in policies.enumerated() {
            let runs = try #require(sourcePolicies[i]["costPerRun"] as? [Double])
            #expect(runs.count == 4)
            let sorted = runs.sorted(), h = 3 * 0.95, lo = Int(h)
            let expected = sorted[lo] + (h - Double(lo)) * (sorted[lo + 1] - sorted[lo])
            let source = try #require((sourcePolicies[i]["costBand"] as? [String: Any])?["p95"] as? Double)
            #expect(abs(source - expected) < 1e-9, "type-7 percentile of the runs' dollars")
            let band = try #require(p["costBand"] as? [String: Any]), lossBand = try #require(p["lossBand"] as? [String: Any])
            #expect(csv[i + 1][cost95] == String(format: "%.2f", try #require(band["p95"] as? NSNumber).doubleValue))
            #expect(csv[i + 1][loss5] == String(format: "%.2f", try #require(lossBand["p5"] as? NSNumber).doubleValue))
            #expect(abs(Double(csv[i + 1][cost95])! - source) <= 0.005 + 1e-9)
        }
        let series = try #require(doc["series"] as? [[String: Any]])
        #expect(series.count == policies.count && html.stdout.contains("Cost over the simulated window"))
        for (i, line) in series.enumerated() {
            let last = try #require((line["total"] as? [Double])?.last)
            let sourceTotal = try #require((sourcePolicies[i]["cost"] as? [String: Any])?["total"] as? Double)
            #expect(abs(last - sourceTotal) < 1e-9, "the series ends at the window's total")
        }
    }

    @Test("JSON keys are the ones report-frontier.schema.json and report-simulation.schema.json list", arguments: ["frontier", "simulation"])
    func schema(kind: String) throws {
        let json = try Self.report(kind, kind == "frontier" ? "frontier.json" : "sim.json", ["--format", "json"])
        let doc = try #require(try json.stdout.json() as? [String: Any])
        let schemaData = try #require(FileManager.default.contents(atPath: Backplan.packageRoot.appendingPathComponent("report-\(kind).schema.json").path))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(doc.keys) == Set(properties.keys), "\(doc.keys.sorted())")
        #expect(Set(schema["required"] as? [String] ?? []).isSubset(of: Set(doc.keys)))
        let policy = try #require((schema["$defs"] as? [String: Any])?["policy"] as? [String: Any])
        let policyKeys = Set((policy["properties"] as? [String: Any] ?? [:]).keys)
        for p in doc["policies"] as? [[String: Any]] ?? [] {
            #expect(Set(p.keys).isSubset(of: policyKeys) && Set(policy["required"] as? [String] ?? []).isSubset(of: Set(p.keys)), "\(p.keys.sorted())")
        }
    }

    @Test("report tiers --simulation sets the simulated policies beside the plan's totals")
    func tiersWithSimulation() throws {
        let plans = try #require(ReportEndToEndTests.plans)
        let sim = try #require(Self.inputs).file("sim.json")
        let r = try Backplan.run(["report", "tiers", "--plan", plans.file("plan.json"), "--simulation", sim, "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = Self.csv(r.stdout)
        let policy = try #require(lines.first?.firstIndex(of: "policy"))
        #expect(Array(lines.first?[policy...] ?? []) == ["policy", "total_usd_p5", "total_usd_p50", "total_usd_p95"])
        #expect(lines.filter { $0.first == "simulated" }.map { $0[policy] } == ["fixed-1h", "cron-daily", "all-hot", "oracle"])
        let json = try Backplan.run(["report", "tiers", "--plan", plans.file("plan.json"), "--simulation", sim, "--format", "json"])
        let doc = try #require(try json.stdout.json() as? [String: Any])
        let policies = try #require((doc["simulation"] as? [String: Any])?["policies"] as? [[String: Any]])
        let totalColumn = try #require(lines.first?.firstIndex(of: "total_usd"))
        for (p, line) in zip(policies, lines.filter { $0.first == "simulated" }) {
            let t = try #require((p["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber).doubleValue
            #expect(String(format: "%.2f", t) == line[totalColumn])
        }
        // Per group: the groups' simulated dollars and the datasets not in the plan add up to the policy's total
        // (to the cent per figure: one cent of rounding per group at most); the band brackets the median.
        let groupLines = lines.filter { $0.first == "simulated-group" }
        let planGroups = lines.filter { $0.first == "group" }.map { $0[1] }
        for p in policies {
            let name = try #require(p["name"] as? String)
            let groups = try #require(p["groups"] as? [[String: Any]])
            let mine = groupLines.filter { $0[policy] == name }
            #expect(mine.count == groups.count && !mine.isEmpty && Set(mine.map { $0[1] }).isSubset(of: Set(planGroups)))
            let sum = mine.reduce(0.0) { $0 + Double($1[totalColumn])! }
            let notInPlan = try #require(p["notInPlan"] as? NSNumber).doubleValue
            let total = try #require((p["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber).doubleValue
            #expect(abs(sum + notInPlan - total) <= 0.01 * Double(groups.count + 2), "\(name): \(sum) + \(notInPlan) vs \(total)")
            for g in mine { #expect(Double(g[policy + 1])! <= Double(g[policy + 2])! && Double(g[policy + 2])! <= Double(g[policy + 3])!) }
        }
        let text = try Backplan.run(["report", "tiers", "--plan", plans.file("plan.json"), "--simulation", sim])
        #expect(text.stdout.contains("simulated oracle") && text.stdout.contains("plan (as priced)"))
        #expect(text.stdout.contains("Per group, planned against simulated"))
    }

    @Test("A foreign JSON is exit 2 naming the file and the key; --out and --chart are never an input")
    func badInput() throws {
        let dir = try #require(Self.inputs)
        let plans = try #require(ReportEndToEndTests.plans)
        let plan = try Backplan.run(["report", "simulation", "--input", plans.file("plan.json")])
        #expect(plan.status == 2 && plan.stderr.contains("plan.json") && plan.stderr.contains("'scenario'"), "\(plan.stderr)")
        let swapped = try Self.report("frontier", "sim.json")
        #expect(swapped.status == 2 && swapped.stderr.contains("sim.json") && swapped.stderr.contains("'split'"), "\(swapped.stderr)")
        let tiers = try Backplan.run(["report", "tiers", "--plan", plans.file("plan.json"), "--simulation", dir.file("frontier.json")])
        #expect(tiers.status == 2 && tiers.stderr.contains("frontier.json") && tiers.stderr.contains("'scenario'"), "\(tiers.stderr)")
        let broken = dir.write("broken.json", "{\"split\": 0.6, \"testWrites\": \"many\"}")
        let r = try Backplan.run(["report", "frontier", "--input", broken])
        #expect(r.status == 2 && r.stderr.contains("broken.json") && r.stderr.contains("'testWrites'"), "\(r.stderr)")
        // Damaged bands, series and per-dataset shares: exit 2 naming the file and the key, in both commands that read them.
        let simData = try #require(dir.bytes("sim.json"))
        let sim = try #require(try JSONSerialization.jsonObject(with: simData) as? [String: Any])
        func damaged(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var policies = try #require(sim["policies"] as? [[String: Any]])
            change(&policies[1])
            var doc = sim
            doc["policies"] = policies
            return dir.write(name, String(decoding: try JSONSerialization.data(withJSONObject: doc), as: UTF8.self))
        }
        let cases: [(String, String, (inout [String: Any]) -> Void)] = [
            ("band.json", "policies[1].costBand", { $0["costBand"] = ["mean": 1, "p5": 3, "p50": 2, "p95": 4] }),
            ("band-missing.json", "policies[1].lossBand", { $0["lossBand"] = nil }),
            ("series.json", "policies[1].series.total", { p in
                var s = p["series"] as? [String: Any] ?? [:]
                s["total"] = [1.0]
                p["series"] = s
            }),
            ("runs.json", "policies[1].datasets[0].failureRuns", { p in
                var ds = p["datasets"] as? [[String: Any]] ?? []
                ds[0]["failureRuns"] = [99]
                ds[0]["failureDollars"] = [1.0]
                ds[0]["failureLoss"] = [1.0]
                p["datasets"] = ds
            }),
        ]
        for (name, key, change) in cases {
            let file = try damaged(name, change)
            for command in [["report", "simulation", "--input", file], ["report", "tiers", "--plan", plans.file("plan.json"), "--simulation", file]] {
                let r = try Backplan.run(command)
                #expect(r.status == 2 && r.stderr.contains(name) && r.stderr.contains("'\(key)'"), "\(command): \(r.stderr)")
            }
        }
        let missing = try Backplan.run(["report", "frontier", "--input", dir.file("none.json")])
        #expect(missing.status == 2 && missing.stderr.contains("none.json"))

        let before = dir.bytes("sim.json")
        let onto = try Self.report("simulation", "sim.json", ["--format", "html", "--out", dir.file("sim.json")])
        #expect(onto.status == 2 && onto.stderr.contains("--out is the input file"), "\(onto.stderr)")
        let chartOnto = try Self.report("simulation", "sim.json", ["--chart", dir.path + "/./sim.json"])
        #expect(chartOnto.status == 2)
        #expect(dir.bytes("sim.json") == before)
        let same = try Self.report("frontier", "frontier.json", ["--out", dir.file("f.svg"), "--chart", dir.file("f.svg")])
        #expect(same.status == 2 && same.stderr.contains("--chart"))

        let ok = try Self.report("simulation", "sim.json", ["--format", "md", "--out", dir.file("sim.md"), "--chart", dir.file("sim.svg")])
        #expect(ok.status == 0 && ok.stdout.isEmpty, "\(ok.stderr)")
        let svg = String(decoding: try #require(dir.bytes("sim.svg")), as: UTF8.self)
        #expect(svg.hasPrefix("<svg xmlns=") && svg.contains("<style>") && svg.contains("Cost against exposure"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }.isEmpty)
    }
}
