import BackplanCore
import Foundation
import Testing
@testable import BackplanReports

/// `report simulation`: the dollar bands and the cost series in every format.
@Suite("Simulation report: dollar bands and the cost series in every format")
struct SimulationReportTests {
    /// Two policies over a 3-day window with their bands and daily series.
    static let input: SimulationInput = {
        var s = PolicyReportTests.simulation
        s.windowEnd = s.windowStart + 3 * 86_400
        let t = [s.windowStart + 86_400, s.windowStart + 2 * 86_400, s.windowEnd]
        s.policies[0].costBand = .init(mean: 2.6151, p5: 0.4821, p50: 1.904, p95: 7.256)
        s.policies[0].lossBand = .init(mean: 2.1162, p5: 0, p50: 1.5, p95: 6.7)
        s.policies[0].series = .init(stepSeconds: 86_400, times: t, total: [0.5, 1.25, 2.6151])
        s.policies[1].costBand = .init(mean: 4.1008, p5: 1.004, p50: 3.333, p95: 9.996)
        s.policies[1].series = .init(stepSeconds: 86_400, times: t, total: [1, 2, 4.1008])
        return s
    }()

    static func csv(_ text: String) -> [[String]] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test("Bands are rounded to the cent once and read the same in text, Markdown, CSV, JSON and HTML")
    func bands() throws {
        let r = try SimulationReport(Self.input, file: "s.json")
        let row = r.rows[0]
        #expect(row.costBand.p5.text == "0.48" && row.costBand.p50.text == "1.90" && row.costBand.p95.text == "7.26")
        #expect(row.lossBand.p95.text == "6.70")
        let header = r.cells(grouped: true)[0]
        #expect(Array(header.suffix(4)) == ["total $ median", "total $ 5–95 %", "total $", "total $/month"])
        #expect(r.cells(grouped: true)[1].suffix(4) == ["1.90", "0.48–7.26", "2.62", "26.51"])
        #expect(r.text().contains("0.48–7.26") && r.markdown().contains("| 1.90 | 0.48–7.26 | 2.62 |") && r.markdown().contains("| 0.00–6.70 |"))
        let lines = Self.csv(r.csv())
        #expect(lines[0] == SimulationReport.csvColumns)
        let c = { (name: String) in lines[0].firstIndex(of: name)! }
        #expect(lines[1][c("cost_p5_usd")] == "0.48" && lines[1][c("cost_p50_usd")] == "1.90" && lines[1][c("cost_p95_usd")] == "7.26")
        #expect(lines[1][c("loss_p95_usd")] == "6.70" && lines[2][c("cost_p95_usd")] == "10.00")
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let p = try #require((json["policies"] as? [[String: Any]])?.first)
        #expect(((p["costBand"] as? [String: Any])?["p95"] as? NSNumber)?.doubleValue == 7.26)
        #expect(((p["lossBand"] as? [String: Any])?["p50"] as? NSNumber)?.doubleValue == 1.5)
        let html = PolicyReportHTML.page(simulation: r)
        #expect(html.contains(">0.48–7.26</td>") && html.contains("Cost against exposure, per policy, 5–95 % band"))
    }

    @Test("The series: a compact table in text and Markdown, every step in CSV and JSON, a line chart with a table in HTML")
    func series() throws {
        let r = try SimulationReport(Self.input, file: "s.json")
        let cells = r.seriesCells(grouped: true)
        #expect(cells[0] == ["day", "ends (UTC)", "replanned $", "cron-daily $"])
        #expect(cells.count == 4 && cells[3] == ["3.0", "1970-01-15", "2.62", "4.10"] && cells[1][0] == "1.0")
        #expect(r.text().contains("Cumulative dollars over the window") && r.markdown().contains("### Cost over the window"))
        #expect(r.markdown().contains("| 2.0 | 1970-01-14 | 1.25 | 2.00 |"))
        let lines = Self.csv(r.csv())
        let blank = try #require(lines.firstIndex(of: [""]))
        #expect(blank == 3 && lines[blank + 1] == SimulationReport.seriesCSVColumns)
        #expect(lines[blank + 2] == ["replanned", "1.0", "1086400", "0.50", "0.00", "0.00", "0.00", "0.00", "0.50"])
        #expect(lines[blank + 7].first == "cron-daily" && lines[blank + 7][8] == "4.10")
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let series = try #require(json["series"] as? [[String: Any]])
        #expect(series.map { $0["name"] as? String } == ["replanned", "cron-daily"] && (series[0]["total"] as? [Double])?.last == 2.6151)
        let chart = r.seriesChart
        #expect(chart.lines.map(\.xs) == [[1, 2, 3], [1, 2, 3]] && chart.lines[1].ys == [1, 2, 4.1008])
        let html = PolicyReportHTML.page(simulation: r)
        #expect(html.contains("Cost over the simulated window, per policy") && html.contains("<polyline"))
        #expect(html.contains("Table: Cost over the simulated window") && html.contains(">1970-01-15</td>"))
    }

    @Test("Compact tables keep at most eight evenly spread steps, the last always")
    func compact() {
        #expect(SimulationReport.compactIndices(3) == [0, 1, 2])
        #expect(SimulationReport.compactIndices(36) == [4, 8, 13, 17, 22, 26, 31, 35])
        #expect(SimulationReport.compactIndices(9).count == 8 && SimulationReport.compactIndices(9).last == 8)
        #expect(SimulationReport.compactIndices(0).isEmpty)
    }

    @Test("Broken bands or series name the key")
    func badInput() throws {
        var s = Self.input
        s.policies[1].costBand.p5 = 11
        #expect(throws: InputError(file: "s.json", column: "policies[1].costBand", "percentiles out of order: p5 11.0, p50 3.333, p95 9.996")) {
            try SimulationReport(s, file: "s.json")
        }
        s = Self.input
        s.policies[0].series.total.removeLast()
        #expect(throws: InputError(file: "s.json", column: "policies[0].series.total", "2 values for 3 times")) { try SimulationReport(s, file: "s.json") }
        s = Self.input
        s.policies[0].lossBand.p95 = .infinity
        #expect((try? SimulationReport(s, file: "s.json")) == nil)
        s = Self.input
        s.policies[0].series.times = [3, 2, 1]
        #expect(throws: InputError(file: "s.json", column: "policies[0].series.times", "empty or not increasing")) { try SimulationReport(s, file: "s.json") }
    }
}
