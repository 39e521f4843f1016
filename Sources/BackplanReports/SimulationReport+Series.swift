import BackplanCore
import Foundation

extension SimulationReport {
    /// Days from the window's start to Unix time `t`, one decimal.
    func day(_ t: Int64) -> Fixed { Fixed(Double(t - windowStart) / 86_400, places: 1) }

    /// At most ``seriesRows`` step indices of the series, evenly spread, the last step always included.
    ///
    /// ```swift
    /// SimulationReport.compactIndices(36)    // [4, 8, 13, 17, 22, 26, 31, 35]
    /// SimulationReport.compactIndices(3)     // [0, 1, 2]
    /// ```
    public static func compactIndices(_ n: Int) -> [Int] {
        guard n > seriesRows else { return Array(0..<n) }
        return (1...seriesRows).map { Int((Double($0 * n) / Double(seriesRows)).rounded()) - 1 }
    }

    /// Rows of the compact series table in text and Markdown.
    public static let seriesRows = 8

    static let seriesSentence = "Cumulative dollars over the window (all components; failures as the mean over the samples), "
        + "at the end of the day shown (days from the window's start); the JSON has every step by component."

    /// The compact series table (header first): day, the step's end (UTC date), each policy's cumulative total
    /// at ``compactIndices(_:)`` of the longest series.
    public func seriesCells(grouped: Bool) -> [[String]] {
        let money = { (d: Double) in grouped ? Cents(dollars: d).grouped : Cents(dollars: d).text }
        var out = [["day", "ends (UTC)"] + series.map { "\($0.name) $" }]
        guard let longest = series.max(by: { $0.times.count < $1.times.count }) else { return out }
        for k in Self.compactIndices(longest.times.count) {
            let t = longest.times[k]
            out.append([day(t).text, String(Format.time(t).prefix(10))]
                       + series.map { s in s.times.firstIndex(of: t).map { money(s.total[$0]) } ?? "" })
        }
        return out
    }

    /// The series as a line chart: each policy's cumulative total against days into the window.
    public var seriesChart: LineChart {
        LineChart(title: "Cost over the simulated window, per policy", xLabel: "days from the window's start",
                  yLabel: "US dollars so far (cumulative mean)",
                  lines: series.map { s in .init(name: s.name, points: zip(s.times, s.total).map { (Double($0 - windowStart) / 86_400, $1) }) })
    }
}
