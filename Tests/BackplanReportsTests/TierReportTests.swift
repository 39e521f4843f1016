import BackplanCore
import BackplanPlan
import Foundation
import Testing
@testable import BackplanReports

@Suite("Tier cost report")
struct TierReportTests {
    @Test("Cents round once, half away from zero, and print with two decimals")
    func cents() throws {
        #expect(Cents(dollars: 12.345).value == 1_235)
        #expect(Cents(dollars: -0.005).value == -1)
        #expect(Cents(dollars: .nan).value == 0)
        #expect(Cents(1_234_567).grouped == "12,345.67")
        #expect(Cents(-5).text == "-0.05")
        #expect(Cents(500).signed == "+5.00")
        #expect(Cents(-5).signedDollars == "-$0.05" && Cents(120).signedDollars == "+$1.20" && Cents(0).signedDollars == "$0.00")
        let data = try JSONEncoder().encode([Cents(1_235), Cents(-7)])
        #expect(String(decoding: data, as: UTF8.self) == "[12.35,-0.07]")
        #expect(try JSONDecoder().decode([Cents].self, from: data) == [Cents(1_235), Cents(-7)])
    }

    @Test("Groups by tier sum their datasets and round each figure once")
    func byTier() throws {
        let r = TierReport(plan: PlanFixture.current, by: [.tier])
        #expect(r.rows.map(\.key.tier) == ["glacier-ir", "standard-ia"])
        let ia = try #require(r.rows.last)
        #expect(ia.datasets == 2)
        #expect(ia.dollars.storage == Cents(1), "0.005 + 0.005 rounds once to 0.01")
        #expect(ia.dollars.operations == Cents(200))
        #expect(ia.dollars.expectedLoss == Cents(50) && ia.dollars.downtime == Cents(200))
        #expect(ia.dollars.total == Cents(451))
        #expect(abs(ia.liveGiB - 2) < 1e-12 && abs(ia.backupGiB - 4) < 1e-12)
        let glacier = try #require(r.rows.first)
        #expect(glacier.dollars.retrieval == Cents(33) && abs(glacier.backupGiB - 1.5) < 1e-12 && glacier.exposedWrites == 4)
        #expect(r.totals.datasets == 3)
        #expect(r.totals.dollars.total == Cents(dollars: PlanFixture.current.totals.monthlyDollars.total))
        #expect(r.totals.dollars.total == Cents(1_484), "0.01 + 2 + 2.5 + 10.333 = 14.843")
    }

    @Test("Groups by class and region use the dataset's class and its first copy's region")
    func byClassAndRegion() {
        let r = TierReport(plan: PlanFixture.current, by: [.class, .region, .class])
        #expect(r.by == [.class, .region], "duplicates dropped")
        #expect(r.rows.map(\.key.label) == ["private / region-1", "private / region-2", "public / region-1"])
        #expect(r.rows.map(\.datasets) == [1, 1, 1])
        #expect(r.rows.allSatisfy { $0.key.tier == nil })
    }

    @Test("Against a baseline: tier moves, additions, removals, movers by size of change")
    func baseline() throws {
        let r = TierReport(plan: PlanFixture.current, planFile: "new.json", by: [.tier], baseline: PlanFixture.baseline, baselineFile: "old.json")
        let c = try #require(r.change)
        #expect(c.movedTier == 1 && c.added == 1 && c.removed == 1)
        #expect(c.baselineTotals.dollars.total == Cents(1_383))
        #expect(c.delta == Cents(1_484 - 1_383))
        #expect(c.topMovers.map(\.id) == ["a"], "c is unchanged; b and d are not in both plans")
        #expect(c.topMovers.first?.delta == Cents(dollars: PlanFixture.current.datasets[0].why.chosen.monthlyDollars.total) - Cents(50))
        let standard = try #require(r.rows.first { $0.key.tier == "standard" })
        #expect(standard.datasets == 0 && standard.baselineTotal == Cents(300) && standard.delta == Cents(-300))
        #expect(r.changeSentence?.contains("1 dataset moved tier, 1 added, 1 removed") == true)
    }

    /// The total as each format prints it.
    static func totals(_ r: TierReport) throws -> [String: String] {
        var out: [String: String] = [:]
        let textTotal = try #require(r.text().split(separator: "\n").first { $0.hasPrefix("total ") })
        // "total", then datasets, live, backup, five components: the total is the 10th word (empty key cells vanish).
        out["text"] = textTotal.split(separator: " ").map(String.init)[9]
        let mdTotal = try #require(r.markdown().split(separator: "\n").first { $0.hasPrefix("| total |") })
        out["md"] = mdTotal.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }[1 + r.by.count + 8]
        let csv = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let column = try #require(csv.first?.firstIndex(of: "total_usd"))
        out["csv"] = try #require(csv.last { $0.first == "total" })[column]
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let money = try #require(((json["totals"] as? [String: Any])?["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber)
        out["json"] = String(format: "%.2f", money.doubleValue)
        return out
    }

    @Test("The total reads the same to the cent in text, Markdown, CSV and JSON", arguments: [[TierReport.Dimension.tier], [.class, .region], [.tier, .class, .region]])
    func totalsAgree(by: [TierReport.Dimension]) throws {
        var plans = [PlanFixture.current]
        var random = SplitMix(seed: 7)
        plans.append(PlanFixture.plan((0..<300).map { i in
            PlanFixture.entry("d\(i)", tier: ["standard", "standard-ia", "glacier-ir"][i % 3], class: ["private", "public"][i % 2],
                              region: "region-\(i % 2 + 1)", storage: random.next() * 3, operations: random.next(), retrieval: random.next() * 0.01,
                              loss: random.next() * 5, downtime: random.next())
        }))
        for plan in plans {
            let r = TierReport(plan: plan, by: by)
            let t = try Self.totals(r)
            let expected = r.totals.dollars.total.text
            #expect(t["md"] == expected && t["csv"] == expected && t["json"] == expected, "\(t)")
            #expect(t["text"]?.replacingOccurrences(of: ",", with: "") == expected, "\(t)")
            #expect(abs(r.totals.dollars.total.dollars - plan.totals.monthlyDollars.total) <= 0.005 + 1e-9)
        }
    }

    @Test("CSV: the documented header, one line per group and a total line, cells quoted when needed")
    func csv() {
        let r = TierReport(plan: PlanFixture.current, by: [.tier], baseline: PlanFixture.baseline)
        let lines = r.csv().split(separator: "\n").map(String.init)
        #expect(lines.first == TierReport.csvColumns.joined(separator: ","))
        #expect(lines.count == 1 + r.rows.count + 1)
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == TierReport.csvColumns.count })
        #expect(lines.last?.hasPrefix("total,,,,3,") == true)
        #expect(lines.last?.hasSuffix(",14.84,6.000,13.83,1.01,0.00,0.00,0.00") == true, "\(lines.last ?? "")")
        #expect(TierReport.csvCell("a,b") == "\"a,b\"" && TierReport.csvCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}

/// A seeded generator of doubles in [0, 1) for the tests (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / 9_007_199_254_740_992
    }
}

@Suite("Tier report: billing components as columns")
struct TierReportComponentTests {
    /// The fixture's plan with transitions, monitoring and early deletion recorded on two entries.
    static var plan: Plan {
        var p = PlanFixture.current
        p.datasets[0].why.chosen.monthlyDollars.transitions = 0.004
        p.datasets[0].why.chosen.monthlyDollars.earlyDeletion = 0.002
        p.datasets[1].why.chosen.monthlyDollars.transitions = 0.004
        p.datasets[1].why.chosen.monthlyDollars.monitoring = 0.25
        p.datasets[2].why.chosen.monthlyDollars.earlyDeletion = 1.5
        return p
    }

    @Test("Each group's transitions, monitoring and early deletion are its exact sums rounded once, the same in every format")
    func components() throws {
        let r = TierReport(plan: Self.plan, planFile: "plan.json", by: [.tier])
        let ia = try #require(r.rows.first { $0.key.tier == "standard-ia" })
        #expect(ia.dollars.transitions?.text == "0.01", "0.004 + 0.004 rounds once to 0.01, not twice to 0.00")
        #expect(ia.dollars.monitoring?.text == "0.25" && ia.dollars.earlyDeletion?.text == "0.00")
        #expect(r.totals.dollars.earlyDeletion?.text == "1.50" && r.totals.dollars.transitions?.text == "0.01")
        let cells = r.componentCells(grouped: true)
        #expect(cells[0] == ["tier", "storage $", "early deletion $", "operations $", "transitions $", "monitoring $", "retrieval $"])
        #expect(cells.last == ["total", "10.01", "1.50", "2.00", "0.01", "0.25", "0.33"])
        let csv = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(Array(csv[0].suffix(3)) == ["transitions_usd", "monitoring_usd", "early_deletion_usd"])
        #expect(Array(csv.last!.suffix(3)) == ["0.01", "0.25", "1.50"] && csv.last?.first == "total")
        #expect(r.text().contains("Billing components") && r.markdown().contains("| total | 10.01 | 1.50 | 2.00 | 0.01 | 0.25 | 0.33 |"))
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let totals = try #require((json["totals"] as? [String: Any])?["monthlyDollars"] as? [String: Any])
        #expect((totals["earlyDeletion"] as? NSNumber)?.doubleValue == 1.5 && (totals["monitoring"] as? NSNumber)?.doubleValue == 0.25)
        let html = TierReportHTML(report: r, byTier: r, byClass: TierReport(plan: Self.plan, by: [.class])).render()
        #expect(html.contains("Billing components per group") && html.contains(">1.50</td>"))
    }

    @Test("A plan that predates the parts leaves their cells empty and says so")
    func olderPlan() throws {
        var p = PlanFixture.current
        for i in p.datasets.indices {
            p.datasets[i].why.chosen.monthlyDollars.transitions = nil
            p.datasets[i].why.chosen.monthlyDollars.monitoring = nil
            p.datasets[i].why.chosen.monthlyDollars.earlyDeletion = nil
        }
        let r = TierReport(plan: p, planFile: "plan.json")
        #expect(r.totals.dollars.transitions == nil && r.componentCells(grouped: false).last?.suffix(4) == ["2.00", "", "", "0.33"])
        #expect(r.componentSentence.contains("predates"))
        let csv = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(Array(csv.last!.suffix(3)) == ["", "", ""])
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        #expect(((json["totals"] as? [String: Any])?["monthlyDollars"] as? [String: Any])?["transitions"] == nil)
    }
}
