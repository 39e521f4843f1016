import BackplanCore
import Foundation

extension SimulationReport {
    /// The main table as cells (header first): per policy backups, exposure, RPO misses, messages lost (mean and
    /// 5–95 % band), dollars for the window by component, the 5–95 % band of one run's loss dollars, the median
    /// and 5–95 % band of one run's total dollars, the mean total, and the total per month. `grouped` puts
    /// thousands separators in counts and money.
    ///
    /// ```swift
    /// report.cells(grouped: true)[0]
    /// // ["policy", "backups", "exposure h", "RPO misses", "lost (mean)", "lost p5", "lost p95", "storage $", …,
    /// //  "loss $", "loss $ 5–95 %", "downtime $", "total $ median", "total $ 5–95 %", "total $", "total $/month"]
    /// ```
    public func cells(grouped: Bool) -> [[String]] {
        let count = { (n: Int) in grouped ? Format.count(n) : String(n) }
        let money = { (c: Cents) in grouped ? c.grouped : c.text }
        let band = { (b: MoneyBand) in money(b.p5) + "–" + money(b.p95) }
        var out = [["policy", "backups", "exposure h", "RPO misses", "lost (mean)", "lost p5", "lost p95",
                    "storage $", "operations $", "retrieval $", "loss $", "loss $ 5–95 %", "downtime $",
                    "total $ median", "total $ 5–95 %", "total $", "total $/month"]]
        for r in rows {
            let w = r.window
            out.append([r.name, count(r.backups), r.exposureHours.text, count(r.rpoViolations), r.lost.mean.text, r.lost.p5.text, r.lost.p95.text]
                       + [w.storage, w.operations, w.retrieval, w.loss].map(money) + [band(r.lossBand), money(w.downtime)]
                       + [money(r.costBand.p50), band(r.costBand), money(w.total), money(r.monthly.total)])
        }
        return out
    }

    var summary: String {
        "scenario \(scenario), \(Format.time(windowStart)) to \(Format.time(windowEnd)) (\(windowDays.text) days), "
            + "\(Format.count(writes)) writes in \(Format.count(datasets)) datasets"
            + (addedWrites > 0 ? " (\(Format.count(addedWrites)) added by the access shift)" : "")
            + ", \(Format.count(runs)) failure samples, seed \(seed)"
    }

    static let unitsSentence = "Dollars are the mean over the failure samples for the whole window, by component (loss: messages lost "
        + "priced by their class; downtime: restores); total $/month is the window's total per 730-hour month. The bands are over the failure samples: the "
        + "5th–95th percentile (and median) of one run's dollars, and of the messages one run loses (percentiles by linear interpolation "
        + "between closest ranks)."

    /// One sentence naming the cheapest policy.
    public var cheapestSentence: String? {
        guard let c = cheapest else { return nil }
        return "Lowest mean total: \(c.name), \(c.window.total.grouped) dollars for the window (\(c.monthly.total.grouped) per month), "
            + "\(c.lost.mean.text) messages lost per run (\(c.lost.p5.text)–\(c.lost.p95.text))."
    }

    /// The report for a terminal; no trailing newline.
    public func text() -> String {
        var s = "Simulation report of \(file): \(summary)\n" + Self.unitsSentence + "\n\n"
        s += Format.table(cells(grouped: true))
        if let c = cheapestSentence { s += "\n\n" + c }
        s += "\n\n" + Self.seriesSentence + "\n\n" + Format.table(seriesCells(grouped: true))
        return s
    }

    /// The report as GitHub-flavoured Markdown; ends with a newline.
    public func markdown() -> String {
        var s = "## Simulation report of `\(file)`\n\n" + summary.prefix(1).uppercased() + summary.dropFirst() + ". " + Self.unitsSentence + "\n\n"
        s += ReportTable.markdown(cells(grouped: false), leftColumns: 1)
        if let c = cheapestSentence { s += "\n" + c + "\n" }
        s += "\n### Cost over the window\n\n" + Self.seriesSentence + "\n\n" + ReportTable.markdown(seriesCells(grouped: false), leftColumns: 2)
        return s
    }

    /// The CSV columns, in order (stable; new ones only appended). Money is US dollars with two decimals: the
    /// `*_usd` columns for the whole window, `total_usd_per_month` per 730-hour month; `lost_*` are messages per run;
    /// `cost_p*_usd` and `loss_p*_usd` the percentiles of one run's total and loss dollars over the failure samples.
    public static let csvColumns = [
        "policy", "backups", "exposure_hours", "rpo_violations", "lost_mean", "lost_p5", "lost_p95", "storage_usd", "operations_usd",
        "retrieval_usd", "loss_usd", "downtime_usd", "total_usd", "total_usd_per_month", "rto_violations_per_run",
        "cost_p5_usd", "cost_p50_usd", "cost_p95_usd", "loss_p5_usd", "loss_p50_usd", "loss_p95_usd",
    ]

    /// The columns of the CSV's second table, the cumulative dollars over the window (one line per policy and
    /// step; `day` is days from the window's start to the step's end, `end_unix` that end in Unix seconds).
    public static let seriesCSVColumns = [
        "policy", "day", "end_unix", "storage_usd", "operations_usd", "retrieval_usd", "loss_usd", "downtime_usd", "total_usd",
    ]

    /// One line per policy under ``csvColumns``; then an empty line and the cumulative dollars of every step under
    /// ``seriesCSVColumns``.
    public func csv() -> String {
        let policies = ReportTable.csv([Self.csvColumns] + rows.map { r in
            [r.name, String(r.backups), r.exposureHours.text, String(r.rpoViolations), r.lost.mean.text, r.lost.p5.text, r.lost.p95.text]
                + r.window.components.map { $0.value.text } + [r.window.total.text, r.monthly.total.text, r.rtoViolations.text]
                + [r.costBand.p5, r.costBand.p50, r.costBand.p95, r.lossBand.p5, r.lossBand.p50, r.lossBand.p95].map(\.text)
        })
        var lines = [Self.seriesCSVColumns]
        for line in series {
            for (k, t) in line.times.enumerated() {
                lines.append([line.name, day(t).text, String(t)]
                             + [line.storage[k], line.operations[k], line.retrieval[k], line.loss[k], line.downtime[k], line.total[k]]
                    .map { Cents(dollars: $0).text })
            }
        }
        return policies + "\n" + ReportTable.csv(lines)
    }

    /// The JSON document (report-simulation.schema.json): the run's identity, one entry per policy with
    /// `window` and `monthly` dollars by component, the `lost`, `costBand` and `lossBand` bands, and `series`.
    public struct Document: Encodable, Sendable {
        public var schemaVersion = 1
        public var report = "simulation"
        public var input: String
        public var scenario: String
        public var runs: Int
        public var seed: UInt64
        public var windowStart: Int64
        public var windowEnd: Int64
        public var windowDays: Fixed
        public var datasets: Int
        public var writes: Int
        public var addedWrites: Int
        public var policies: [Row]
        /// Each policy's cumulative dollars at every step of the window.
        public var series: [SeriesLine]
    }

    public var document: Document {
        Document(input: file, scenario: scenario, runs: runs, seed: seed, windowStart: windowStart, windowEnd: windowEnd, windowDays: windowDays,
                 datasets: datasets, writes: writes, addedWrites: addedWrites, policies: rows,
                 series: series)
    }

    /// Canonical JSON (sorted keys, two-space indentation, one trailing newline).
    public func json() throws -> Data { try CanonicalJSON.data(document) }
}
