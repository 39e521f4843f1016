import BackplanCore
import Foundation
import Testing
@testable import BackplanReports

/// `report frontier` with the online policy's exposure-ratio interval (issue 14 item 5).
@Suite("Frontier report: the online policy's bootstrap interval")
struct FrontierIntervalReportTests {
    static var withInterval: FrontierInput {
        var f = PolicyReportTests.frontier
        f.policies[2].exposureRatio = 7.452815309024889 / 9.916239957480139
        f.policies[2].exposureRatioLow = 0.70123
        f.policies[2].exposureRatioHigh = 0.80456
        return f
    }

    @Test("The interval is shown beside the online row in every format, as percent of cron-daily's exposure")
    func intervalInEveryFormat() throws {
        let r = try FrontierReport(Self.withInterval, file: "f.json")
        #expect(r.rows[2].exposureVsCronLowPercent?.text == "70.1" && r.rows[2].exposureVsCronHighPercent?.text == "80.5")
        #expect(r.rows[1].exposureVsCronLowPercent == nil && r.rows[3].exposureVsCronHighPercent == nil)
        #expect(r.text().contains("70.1–80.5") && r.text().contains("paired bootstrap over datasets"))
        #expect(r.markdown().contains("70.1–80.5"))
        let csv = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(csv[0] == FrontierReport.csvColumns && csv[3][5] == "70.1" && csv[3][6] == "80.5" && csv[2][5] == "")
        let json = try #require(try JSONSerialization.jsonObject(with: r.json()) as? [String: Any])
        let online = try #require((json["policies"] as? [[String: Any]])?[2])
        #expect((online["exposureVsCronLowPercent"] as? NSNumber)?.doubleValue == 70.1)
        #expect((online["exposureVsCronHighPercent"] as? NSNumber)?.doubleValue == 80.5)
        // Without an interval in the input the text has no interval column.
        #expect(!(try FrontierReport(PolicyReportTests.frontier, file: "f.json")).text().contains("95% interval"))
    }

    @Test("A bad interval is refused naming the key: reversed, one end missing, negative, not finite")
    func badIntervals() throws {
        var reversed = Self.withInterval
        reversed.policies[2].exposureRatioLow = 0.9
        #expect(throws: InputError(file: "f.json", column: "policies[2].exposureRatioLow", "above exposureRatioHigh: not an interval")) {
            try FrontierReport(reversed, file: "f.json")
        }
        var half = Self.withInterval
        half.policies[2].exposureRatioHigh = nil
        #expect(throws: InputError.self) { try FrontierReport(half, file: "f.json") }
        for bad in [-0.1, Double.nan, Double.infinity, 1e6] {
            var f = Self.withInterval
            f.policies[2].exposureRatioHigh = bad
            do {
                _ = try FrontierReport(f, file: "f.json")
                Issue.record("accepted \(bad)")
            } catch let e as InputError {
                #expect(e.column == "policies[2].exposureRatioHigh", "\(bad): \(e)")
            }
        }
    }
}
