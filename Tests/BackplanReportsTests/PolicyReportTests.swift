import BackplanCore
import Foundation
import Testing
@testable import BackplanReports

@Suite("Frontier and simulation reports: figures, formats, input errors")
struct PolicyReportTests {
    static let frontier = FrontierInput(split: 0.6, testWrites: 4_965, datasets: 596, budgetOps: 2_704, policies: [
        .init(name: "fixed-24h", ops: 2_685, exposureHours: 14.367794752127667),
        .init(name: "cron-daily", ops: 2_704, exposureHours: 9.916239957480139),
        .init(name: "online", ops: 2_716, exposureHours: 7.452815309024889),
        .init(name: "oracle", ops: 2_704, exposureHours: 1.4377355376523886),
    ])

    /// A 15-day window: dollars per month are twice the window's.
    static let simulation = SimulationInput(scenario: "region-outage.yaml", runs: 20, seed: 7, windowStart: 1_000_000, windowEnd: 1_000_000 + 15 * 86_400,
                                            datasets: 336, writes: 10_681, addedWrites: 0, policies: [
        .init(name: "replanned", backups: 3_829, exposureHours: 1.6474, rpoViolations: 0,
              cost: .init(storage: 0.2125, operations: 0.2360, retrieval: 0.0251, loss: 2.1162, downtime: 0.0253),
              messagesLost: .init(mean: 64, p5: 16, p95: 139)),
        .init(name: "cron-daily", backups: 2_313, exposureHours: 9.4519, rpoViolations: 8_106,
              cost: .init(storage: 0.4444, operations: 0.1357, retrieval: 0, loss: 3.5204, downtime: 0.0003),
              messagesLost: .init(mean: 108.05, p5: 29, p95: 234)),
    ])

    @Test("The frontier's rows: backups against the budget, exposure against cron-daily, the best policy but the oracle")
    func frontierFigures() throws {
        let r = try FrontierReport(Self.frontier, file: "f.json")
        #expect(r.rows.map(\.name) == ["fixed-24h", "cron-daily", "online", "oracle"])
        #expect(r.rows[0].budgetPercent.text == "99.3" && r.rows[2].budgetPercent.text == "100.4")
        #expect(r.rows[2].exposureHours.text == "7.45")
        #expect(r.rows[1].exposureVsCronPercent?.text == "100.0" && r.rows[2].exposureVsCronPercent?.text == "75.2")
        #expect(r.bestRealizable?.name == "online", "the oracle knows the future and is left out")
        var noCron = Self.frontier
        noCron.policies.remove(at: 1)
        #expect(try FrontierReport(noCron, file: "f.json").rows.allSatisfy { $0.exposureVsCronPercent == nil })
    }

    @Test("Every frontier format prints the same rounded exposures and counts")
    func frontierFormats() throws {
        let r = try FrontierReport(Self.frontier, file: "f.json")
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let policies = try #require(json["policies"] as? [[String: Any]])
        #expect(json["report"] as? String == "frontier" && json["budgetOps"] as? Int == 2_704)
        let csv = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(csv[0] == FrontierReport.csvColumns)
        for (i, row) in r.rows.enumerated() {
            let fromJSON = try #require((policies[i]["exposureHours"] as? NSNumber)?.doubleValue)
            #expect(String(format: "%.2f", fromJSON) == row.exposureHours.text)
            #expect(csv[i + 1][0] == row.name && csv[i + 1][3] == row.exposureHours.text && csv[i + 1][1] == String(row.backups))
            #expect(r.text().contains(row.exposureHours.text) && r.markdown().contains("| \(row.name) | \(row.backups) |"))
        }
        #expect(r.text().contains("2,716") && r.text().contains("Least exposure without knowing the future: online, 7.45 h"))
    }

    @Test("Simulated dollars: cents per component, the total from the simulator's, per month by the window's length")
    func simulationFigures() throws {
        let r = try SimulationReport(Self.simulation, file: "s.json")
        let replanned = r.rows[0]
        #expect(replanned.window.storage.text == "0.21" && replanned.window.loss.text == "2.12")
        #expect(replanned.window.total.text == "2.62", "0.2125 + 0.2360 + 0.0251 + 2.1162 + 0.0253 = 2.6151")
        #expect(replanned.monthly.total.text == "5.30", "a 15-day window (360 h) in 730-hour months: 2.6151 × 730 / 360 = 5.303")
        #expect(r.windowDays.text == "15.0")
        #expect(replanned.lost.mean.text == "64.0" && replanned.lost.p5.text == "16.0" && replanned.lost.p95.text == "139.0")
        #expect(r.cheapest?.name == "replanned")
        #expect(r.rows[1].lost.mean.text == "108.1", "108.05 rounds half away from zero")
    }

    @Test("Every simulation format prints each policy's total to the cent, and the band")
    func simulationFormats() throws {
        let r = try SimulationReport(Self.simulation, file: "s.json")
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let policies = try #require(json["policies"] as? [[String: Any]])
        let csv = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let total = try #require(csv[0].firstIndex(of: "total_usd")), monthly = try #require(csv[0].firstIndex(of: "total_usd_per_month"))
        let p95 = try #require(csv[0].firstIndex(of: "lost_p95"))
        for (i, row) in r.rows.enumerated() {
            let window = try #require(((policies[i]["window"] as? [String: Any])?["total"] as? NSNumber)?.doubleValue)
            #expect(String(format: "%.2f", window) == row.window.total.text)
            #expect(csv[i + 1][total] == row.window.total.text && csv[i + 1][monthly] == row.monthly.total.text && csv[i + 1][p95] == row.lost.p95.text)
            let md = try #require(r.markdown().split(separator: "\n").first { $0.hasPrefix("| \(row.name) |") })
            #expect(md.hasSuffix("| \(row.window.total.text) | \(row.monthly.total.text) |"), "\(md)")
            let text = try #require(r.text().split(separator: "\n").first { $0.hasPrefix(row.name + " ") })
            #expect(text.split(separator: " ").suffix(2) == [Substring(row.window.total.grouped), Substring(row.monthly.total.grouped)], "\(text)")
        }
        #expect(r.text().contains("Lowest mean total: replanned, 2.62 dollars for the window (5.30 per month)"))
    }

    @Test("A foreign or broken JSON names the file and the key")
    func inputErrors() throws {
        func failure<T: Decodable>(_ type: T.Type, _ json: String) -> InputError? {
            do {
                _ = try ReportInput.decode(type, from: Data(json.utf8), file: "x.json", what: "backplan simulate --json")
                return nil
            } catch { return error as? InputError }
        }
        let plan = failure(SimulationInput.self, #"{"schemaVersion": 1, "datasets": []}"#)
        #expect(plan?.file == "x.json" && plan?.column == "scenario" && plan?.message.contains("backplan simulate --json") == true)
        var data = try JSONEncoder().encode(Self.simulation)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var policies = try #require(object["policies"] as? [[String: Any]])
        var cost = try #require(policies[1]["cost"] as? [String: Any])
        cost["total"] = "a lot"
        policies[1]["cost"] = cost
        object["policies"] = policies
        data = try JSONSerialization.data(withJSONObject: object)
        let wrongType = failure(SimulationInput.self, String(decoding: data, as: UTF8.self))
        #expect(wrongType?.column == "policies[1].cost.total" && wrongType?.message.hasPrefix("not a number") == true, "\(String(describing: wrongType))")
        #expect(failure(FrontierInput.self, Self.simulationJSON)?.column == "split")
        #expect(failure(FrontierInput.self, "not json")?.message.hasPrefix("not JSON") == true)
        let list = failure(FrontierInput.self, "[1, 2]")
        #expect(list?.column == nil && list?.message.hasPrefix("the top level is not a JSON object") == true)

        var empty = Self.simulation
        empty.policies = []
        #expect(throws: InputError.self) { try SimulationReport(empty, file: "s.json") }
        var backwards = Self.simulation
        backwards.windowEnd = backwards.windowStart
        #expect((try? SimulationReport(backwards, file: "s.json")) == nil)
        var negative = Self.frontier
        negative.policies[0].exposureHours = -1
        #expect(throws: InputError(file: "f.json", column: "policies[0].exposureHours", "not a finite non-negative number of hours")) {
            try FrontierReport(negative, file: "f.json")
        }
    }

    static var simulationJSON: String { String(decoding: (try? JSONEncoder().encode(simulation)) ?? Data(), as: UTF8.self) }

    @Test("Fixed figures round once and print the same digits as their JSON")
    func fixed() throws {
        #expect(Fixed(9.451917, places: 2).text == "9.45" && Fixed(-0.5, places: 2).text == "-0.50" && Fixed(12.4, places: 0).text == "12")
        #expect(Fixed(0.005, places: 2).text == "0.01" && Fixed(.nan, places: 1).text == "0.0" && Fixed(3.05, places: 1).value == 3.1)
        let data = try JSONEncoder().encode([Fixed(7.452815, places: 2)])
        #expect(String(decoding: data, as: UTF8.self) == "[7.45]")
        #expect(try JSONDecoder().decode([Fixed].self, from: data) == [Fixed(7.45, places: 2)])
    }

    @Test("Tier report with a simulation: its rows beside the plan's totals in text, Markdown, CSV and JSON")
    func tiersWithSimulation() throws {
        var report = TierReport(plan: PlanFixture.current, planFile: "plan.json")
        let plain = report.csv()
        report.simulation = TierReport.Simulated(try SimulationReport(Self.simulation, file: "s.json"), input: Self.simulation,
                                                 plan: PlanFixture.current, by: [.tier])
        let csv = report.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(csv[0] == TierReport.csvColumns + TierReport.simulationCSVColumns)
        #expect(csv.allSatisfy { $0.count == TierReport.csvColumns.count + 4 }, "every line has the appended columns")
        let simulated = csv.filter { $0[0] == "simulated" }
        let total = try #require(TierReport.csvColumns.firstIndex(of: "total_usd"))
        #expect(simulated.map { $0[TierReport.csvColumns.count] } == ["replanned", "cron-daily"])
        #expect(simulated[0][total] == "5.30")
        #expect(plain.split(separator: "\n")[0] == Substring(TierReport.csvColumns.joined(separator: ",")), "without --simulation the header is as before")
        #expect(report.text().contains("simulated replanned") && report.text().contains("Per group, planned against simulated"))
        #expect(report.text().contains("no per-dataset shares (run `simulate --json --dataset-costs`)"), "this input has none")
        #expect(report.simulation?.policies.allSatisfy { $0.groups.isEmpty } == true)
        #expect(report.markdown().contains("### Simulated") && report.markdown().contains("| simulated cron-daily |"))
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let sim = try #require(json["simulation"] as? [String: Any])
        let first = try #require((sim["policies"] as? [[String: Any]])?.first)
        #expect(((first["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber)?.doubleValue == 5.30)
        let html = TierReportHTML(report: report, byTier: report, byClass: TierReport(plan: PlanFixture.current, by: [.class])).render()
        #expect(html.contains("id=\"simulated\"") && html.contains("against the simulation"))
    }

    /// One policy over a window of exactly one 730-hour month (window dollars are monthly dollars) and four
    /// runs: "a" fails in runs 0 and 2, "z" is not in the plan.
    static let grouped = SimulationInput(scenario: "x.yaml", runs: 4, seed: 1, windowStart: 0, windowEnd: 730 * 3_600, datasets: 4, writes: 10,
                                         addedWrites: 0, policies: [
        .init(name: "p", backups: 10, exposureHours: 1, rpoViolations: 0,
              cost: .init(storage: 4.35, operations: 0.75, retrieval: 0, loss: 1.625, downtime: 0.375), messagesLost: .init(mean: 1, p5: 0, p95: 2),
              costBand: .init(mean: 7.1, p5: 5.1, p50: 6.1, p95: 10.5), lossBand: .init(mean: 1.625, p5: 0, p50: 0.75, p95: 4.475),
              datasets: [
                .init(name: "a", storage: 1, operations: 0.5, loss: 1.625, downtime: 0.375, failureRuns: [0, 2], failureDollars: [2, 6],
                      failureLoss: [1.5, 5]),
                .init(name: "b", storage: 0.25, operations: 0.25),
                .init(name: "c", storage: 3, operations: 0),
                .init(name: "z", storage: 0.1, operations: 0),
              ], datasetRuns: 4),
    ])

    @Test("Simulated per group: each group's mean and band from its datasets' shares (hand-computed), the totals from all")
    func tiersPerGroup() throws {
        var report = TierReport(plan: PlanFixture.current, planFile: "plan.json", by: [.tier])
        let sim = TierReport.Simulated(try SimulationReport(Self.grouped, file: "g.json"), input: Self.grouped, plan: PlanFixture.current, by: [.tier])
        report.simulation = sim
        let p = try #require(sim.policies.first)
        #expect(p.groups.map { $0.tier } == ["glacier-ir", "standard-ia"])
        let ia = p.groups[1], glacier = p.groups[0]
        // standard-ia = a + b: billed 2.00 a run; runs 4, 2, 8, 2 → sorted 2, 2, 4, 8.
        #expect(ia.datasets == 2 && ia.monthlyDollars.total.text == "4.00" && ia.monthlyDollars.expectedLoss.text == "1.63")
        #expect(ia.band.p5.text == "2.00" && ia.band.p50.text == "3.00" && ia.band.p95.text == "7.40", "h = 2.85: 4 + 0.85 × (8 − 4)")
        #expect(glacier.monthlyDollars.total.text == "3.00" && glacier.band.p5 == glacier.band.p95)
        // All four datasets: runs 7.1, 5.1, 11.1, 5.1; z (0.10) is in the totals but in no group.
        #expect(p.band.p5.text == "5.10" && p.band.p50.text == "6.10" && p.band.p95.text == "10.50" && p.notInPlan.text == "0.10")
        #expect(p.monthlyDollars.total.text == "7.10")
        let csv = report.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let total = try #require(TierReport.csvColumns.firstIndex(of: "total_usd")), n = TierReport.csvColumns.count
        let groupLines = csv.filter { $0[0] == "simulated-group" }
        #expect(groupLines.map { $0[1] } == ["glacier-ir", "standard-ia"] && groupLines[1][total] == "4.00")
        #expect(groupLines[1][n...] == ["p", "2.00", "3.00", "7.40"])
        let cells = report.simulationGroupCells(grouped: true)
        #expect(cells[0] == ["tier", "policy", "planned $", "simulated $", "simulated $ median", "simulated $ 5–95 %"])
        #expect(cells[2] == ["standard-ia", "p", "4.51", "4.00", "3.00", "2.00–7.40"], "planned: 0.005 + 1.25 + 0.5 + 0.005 + 0.75 + 2")
        #expect(cells[3] == ["total", "p", "14.84", "7.10", "6.10", "5.10–10.50"])
        #expect(report.text().contains("standard-ia  p") && report.markdown().contains("| standard-ia | p | 4.51 | 4.00 | 3.00 | 2.00–7.40 |"))
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let groups = try #require(((json["simulation"] as? [String: Any])?["policies"] as? [[String: Any]])?.first?["groups"] as? [[String: Any]])
        #expect(((groups[1]["band"] as? [String: Any])?["p95"] as? NSNumber)?.doubleValue == 7.4)
        let html = TierReportHTML(report: report, byTier: report, byClass: TierReport(plan: PlanFixture.current, by: [.class])).render()
        #expect(html.contains(">2.00–7.40</td>"))
    }
}
