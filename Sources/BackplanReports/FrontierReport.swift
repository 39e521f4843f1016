import BackplanCore
import Foundation

/// The policy frontier report (`backplan report frontier`): what `backplan frontier --json` measured, per
/// policy — backups made in the held-out window and the mean exposure of a write (how long it waited for
/// its backup) — with each policy's backups against the budget (cron-daily's count) and its exposure against
/// cron-daily's.
///
/// Figures are rounded once (``Fixed``) and every format prints those same digits.
///
/// ```swift
/// let input = try ReportInput.load(FrontierInput.self, file: "frontier.json", what: "backplan frontier --json")
/// let report = try FrontierReport(input, file: "frontier.json")
/// report.rows[2].name              // "online"
/// report.rows[2].exposureHours     // Fixed 7.45 (hours)
/// print(report.text())
/// ```
///
/// Units: exposure in hours, backups as counts in the held-out window, shares in percent.
public struct FrontierReport: Sendable, Equatable {
    public struct Row: Sendable, Equatable, Encodable {
        public var name: String
        public var backups: Int
        /// Backups as a percentage of the budget, one decimal.
        public var budgetPercent: Fixed
        /// Mean exposure of a held-out write, hours, two decimals.
        public var exposureHours: Fixed
        /// Exposure as a percentage of cron-daily's, one decimal; `nil` when the input has no cron-daily.
        public var exposureVsCronPercent: Fixed?
        /// The 95% interval of that percentage from the input's paired bootstrap over datasets (`exposureRatioLow`
        /// / `exposureRatioHigh`, the online policy's), one decimal; `nil` when the input has none.
        public var exposureVsCronLowPercent: Fixed?
        public var exposureVsCronHighPercent: Fixed?

        /// "low–high" of the interval, or empty.
        var intervalText: String {
            guard let low = exposureVsCronLowPercent, let high = exposureVsCronHighPercent else { return "" }
            return "\(low.text)–\(high.text)"
        }
    }

    public var file: String
    public var split: Double
    public var testWrites: Int
    public var datasets: Int
    public var budgetOps: Int
    public var rows: [Row]

    /// The report of `input`, read from `file`.
    ///
    /// - Throws: ``InputError`` naming `file` and the key when there are no policies, a count is negative or an
    ///   exposure is not a finite non-negative number.
    public init(_ input: FrontierInput, file: String) throws {
        guard !input.policies.isEmpty else { throw InputError(file: file, column: "policies", "empty: no policy to report") }
        for (i, p) in input.policies.enumerated() {
            guard p.ops >= 0 else { throw InputError(file: file, column: "policies[\(i)].ops", "negative: \(p.ops)") }
            guard p.exposureHours.isFinite, p.exposureHours >= 0 else {
                throw InputError(file: file, column: "policies[\(i)].exposureHours", "not a finite non-negative number of hours")
            }
            try Self.checkInterval(p, index: i, file: file)
        }
        self.file = file
        split = input.split
        testWrites = input.testWrites
        datasets = input.datasets
        budgetOps = input.budgetOps
        let cron = input.policies.first { $0.name == "cron-daily" }?.exposureHours
        rows = input.policies.map { p in
            Row(name: p.name, backups: p.ops,
                budgetPercent: Fixed(input.budgetOps > 0 ? 100 * Double(p.ops) / Double(input.budgetOps) : 0, places: 1),
                exposureHours: Fixed(p.exposureHours, places: 2),
                exposureVsCronPercent: cron.flatMap { $0 > 0 ? Fixed(100 * p.exposureHours / $0, places: 1) : nil },
                exposureVsCronLowPercent: p.exposureRatioLow.map { Fixed(100 * $0, places: 1) },
                exposureVsCronHighPercent: p.exposureRatioHigh.map { Fixed(100 * $0, places: 1) })
        }
    }

    /// Ratios are finite, non-negative and at most 1,000 (×), and an interval has both ends with low ≤ high.
    static func checkInterval(_ p: FrontierInput.Policy, index i: Int, file: String) throws {
        for (key, value) in [("exposureRatio", p.exposureRatio), ("exposureRatioLow", p.exposureRatioLow),
                             ("exposureRatioHigh", p.exposureRatioHigh)] {
            guard let v = value else { continue }
            guard v.isFinite, v >= 0, v <= 1_000 else {
                throw InputError(file: file, column: "policies[\(i)].\(key)", "not a finite ratio in 0 … 1000: \(v)")
            }
        }
        switch (p.exposureRatioLow, p.exposureRatioHigh) {
        case (nil, nil): break
        case (let low?, let high?) where low <= high: break
        case (_?, _?):
            throw InputError(file: file, column: "policies[\(i)].exposureRatioLow", "above exposureRatioHigh: not an interval")
        default:
            throw InputError(file: file, column: "policies[\(i)].exposureRatioLow",
                             "exposureRatioLow and exposureRatioHigh come together: one is missing")
        }
    }

    /// The least exposure among the policies that are not the oracle (which knows the future), or `nil`.
    public var bestRealizable: Row? {
        rows.filter { $0.name != "oracle" }.min { ($0.exposureHours, $0.backups) < ($1.exposureHours, $1.backups) }
    }

    // MARK: - Formats

    /// The table as cells (header first); `grouped` puts thousands separators in counts.
    public func cells(grouped: Bool) -> [[String]] {
        let count = { (n: Int) in grouped ? Format.count(n) : String(n) }
        let intervals = rows.contains { $0.exposureVsCronLowPercent != nil }
        var out = [["policy", "backups", "% of budget", "exposure h", "% of cron-daily"] + (intervals ? ["95% interval"] : [])]
        for r in rows {
            out.append([r.name, count(r.backups), r.budgetPercent.text, r.exposureHours.text, r.exposureVsCronPercent?.text ?? ""]
                       + (intervals ? [r.intervalText] : []))
        }
        return out
    }

    /// Whether any row carries an interval; then the text and Markdown say what it is.
    var intervalNote: String {
        rows.contains { $0.exposureVsCronLowPercent != nil }
            ? " The 95% interval of the exposure against cron-daily's is a paired bootstrap over datasets." : ""
    }

    var summary: String {
        "split \(split): \(Format.count(testWrites)) held-out writes in \(Format.count(datasets)) datasets; "
            + "budget \(Format.count(budgetOps)) backups (cron-daily's)"
    }

    /// One sentence naming the policy with the least exposure, oracle aside.
    public var bestSentence: String? {
        guard let b = bestRealizable else { return nil }
        return "Least exposure without knowing the future: \(b.name), \(b.exposureHours.text) h at \(Format.count(b.backups)) backups."
    }

    /// The report for a terminal; no trailing newline.
    public func text() -> String {
        var s = "Policy frontier of \(file) (\(summary))\n"
        s += "Exposure is the mean time a held-out write waits for its backup, in hours.\(intervalNote)\n\n"
        s += Format.table(cells(grouped: true))
        if let b = bestSentence { s += "\n\n" + b }
        return s
    }

    /// The report as GitHub-flavoured Markdown; ends with a newline.
    public func markdown() -> String {
        var s = "## Policy frontier of `\(file)`\n\n" + summary.prefix(1).uppercased() + summary.dropFirst() + ". "
        s += "Exposure is the mean time a held-out write waits for its backup, in hours.\(intervalNote)\n\n"
        s += ReportTable.markdown(cells(grouped: false), leftColumns: 1)
        if let b = bestSentence { s += "\n" + b + "\n" }
        return s
    }

    /// The CSV columns, in order (stable; new ones only appended): `policy`, `backups`, `budget_percent`,
    /// `exposure_hours`, `exposure_vs_cron_daily_percent` (empty without a cron-daily row), then the bounds of its
    /// 95% bootstrap interval `exposure_vs_cron_daily_low_percent`, `exposure_vs_cron_daily_high_percent` (empty
    /// where the input has none).
    public static let csvColumns = ["policy", "backups", "budget_percent", "exposure_hours", "exposure_vs_cron_daily_percent",
                                    "exposure_vs_cron_daily_low_percent", "exposure_vs_cron_daily_high_percent"]

    /// One line per policy under ``csvColumns``.
    public func csv() -> String {
        ReportTable.csv([Self.csvColumns] + rows.map {
            [$0.name, String($0.backups), $0.budgetPercent.text, $0.exposureHours.text, $0.exposureVsCronPercent?.text ?? "",
             $0.exposureVsCronLowPercent?.text ?? "", $0.exposureVsCronHighPercent?.text ?? ""]
        })
    }

    /// The JSON document: `{schemaVersion, report: "frontier", input, split, testWrites, datasets, budgetOps,
    /// policies: [{name, backups, budgetPercent, exposureHours, exposureVsCronPercent?}]}`
    /// (report-frontier.schema.json).
    public struct Document: Encodable, Sendable {
        public var schemaVersion = 1
        public var report = "frontier"
        public var input: String
        public var split: Double
        public var testWrites: Int
        public var datasets: Int
        public var budgetOps: Int
        public var policies: [Row]
    }

    public var document: Document {
        Document(input: file, split: split, testWrites: testWrites, datasets: datasets, budgetOps: budgetOps, policies: rows)
    }

    /// Canonical JSON (sorted keys, two-space indentation, one trailing newline).
    public func json() throws -> Data { try CanonicalJSON.data(document) }
}
