import BackplanCore
import Foundation

extension TierReport {
    /// The CSV columns, in order. Stable: new columns are only ever appended (docs in README, "Reports").
    ///
    /// `row` is `group` for a group and `total` for the last row (all datasets); `tier`, `class`, `region` are
    /// the group's values (empty when not grouped by that dimension, and on the total row); money columns are
    /// US dollars per month with two decimals; `baseline_total_usd` and `change_usd` are empty without
    /// `--baseline`; `transitions_usd`, `monitoring_usd` (parts of `operations_usd`) and `early_deletion_usd` (part
    /// of `storage_usd`) are ``Billing``'s components as the plan records them, empty for plans that predate them.
    /// With `--simulation`, four more columns (``simulationCSVColumns``: `policy` and the band
    /// `total_usd_p5`, `total_usd_p50`, `total_usd_p95`) and, per simulated policy after the total, one
    /// `simulated-group` line per group and one `simulated` line for all datasets: money columns are the
    /// simulation's mean dollars per month (`expected_loss_usd` is the simulator's loss), the sizes, exposure
    /// and baseline columns empty (see ``simulationCSVLines()``).
    public static let csvColumns = [
        "row", "tier", "class", "region", "datasets", "live_gib", "backup_gib", "storage_usd", "operations_usd",
        "retrieval_usd", "expected_loss_usd", "downtime_usd", "total_usd", "exposed_writes", "baseline_total_usd",
        "change_usd", "transitions_usd", "monitoring_usd", "early_deletion_usd",
    ]

    /// The report as CSV (RFC 4180: comma-separated, CRLF-free `\n` lines, cells quoted when they hold a comma,
    /// quote or newline): the header ``csvColumns``, one line per group, the `total` line last.
    ///
    /// ```text
    /// row,tier,class,region,datasets,live_gib,backup_gib,storage_usd,…
    /// group,standard-ia,,,212,1.2500,3.7500,10.52,…
    /// total,,,,400,…
    /// ```
    public func csv() -> String {
        func line(_ kind: String, _ r: Row) -> String {
            let d = r.dollars
            var cells = [kind, r.key.tier ?? "", r.key.class ?? "", r.key.region ?? "", String(r.datasets),
                         String(format: "%.4f", r.liveGiB), String(format: "%.4f", r.backupGiB)]
            cells += [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime, d.total].map(\.text)
            cells += [String(format: "%.3f", r.exposedWrites), r.baselineTotal?.text ?? "", r.delta?.text ?? ""]
            cells += [d.transitions, d.monitoring, d.earlyDeletion].map { $0?.text ?? "" }
            return cells.map(Self.csvCell).joined(separator: ",")
        }
        let extra = simulation == nil ? "" : String(repeating: ",", count: Self.simulationCSVColumns.count)
        var s = Self.csvColumns.joined(separator: ",")
            + (simulation == nil ? "" : "," + Self.simulationCSVColumns.joined(separator: ",")) + "\n"
        for r in rows { s += line("group", r) + extra + "\n" }
        s += line("total", totals) + extra + "\n"
        return s + simulationCSVLines()
    }

    static func csvCell(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The JSON document of the report (``TierReport/Document``), described by `report-tiers.schema.json`.
    public var document: Document { Document(self) }

    /// The report as canonical JSON (sorted keys, two-space indentation, one trailing newline).
    public func json() throws -> Data { try CanonicalJSON.data(document) }

    /// The JSON layout of the report; `report-tiers.schema.json` at the package root describes it. Money is
    /// dollars per month as exact decimals with at most two places.
    public struct Document: Codable, Sendable, Equatable {
        public static let currentSchemaVersion = 1

        public var schemaVersion: Int
        public var report: String
        public var plan: String
        /// The plan's "now", Unix seconds.
        public var generatedAt: Int64
        public var by: [Dimension]
        public var rows: [DocumentRow]
        public var totals: DocumentRow
        public var change: DocumentChange?
        public var simulation: DocumentSimulation?

        init(_ r: TierReport) {
            schemaVersion = Self.currentSchemaVersion
            report = "tiers"
            plan = r.planFile
            generatedAt = r.generatedAt
            by = r.by
            rows = r.rows.map(DocumentRow.init)
            totals = DocumentRow(r.totals)
            change = r.change.map(DocumentChange.init)
            simulation = r.simulation.map(DocumentSimulation.init)
        }
    }

    /// One group (or the totals) in the JSON document.
    public struct DocumentRow: Codable, Sendable, Equatable {
        public var tier: String?
        public var `class`: String?
        public var region: String?
        public var datasets: Int
        public var liveGiB: Double
        public var backupGiB: Double
        public var monthlyDollars: Dollars
        public var exposedWrites: Double
        public var baselineTotal: Cents?
        public var change: Cents?

        init(_ r: Row) {
            tier = r.key.tier
            self.class = r.key.class
            region = r.key.region
            datasets = r.datasets
            liveGiB = r.liveGiB
            backupGiB = r.backupGiB
            monthlyDollars = r.dollars
            exposedWrites = r.exposedWrites
            baselineTotal = r.baselineTotal
            change = r.delta
        }
    }

    /// The change against the baseline in the JSON document.
    public struct DocumentChange: Codable, Sendable, Equatable {
        public var baseline: String
        public var movedTier: Int
        public var added: Int
        public var removed: Int
        public var baselineTotal: Cents
        public var change: Cents
        public var topMovers: [Mover]

        init(_ c: Change) {
            baseline = c.baselineFile
            movedTier = c.movedTier
            added = c.added
            removed = c.removed
            baselineTotal = c.baselineTotals.dollars.total
            change = c.delta
            topMovers = c.topMovers
        }
    }
}
