import BackplanCore
import BackplanPlan
import Foundation

/// The tier cost report (`backplan report tiers`, DESIGN §6): a plan's datasets grouped by backup tier, class
/// and/or region, with their sizes, monthly dollars by component and exposure, and the change against a
/// baseline plan.
///
/// Money is held in whole cents (``Cents``): every group's figures are its exact sum over datasets rounded to
/// the cent once, and the totals are the exact sum over all datasets rounded once (so they equal the plan's
/// own totals to the cent whatever the grouping). Every format prints these same integers, so a total reads
/// the same in text, Markdown, CSV, JSON and HTML.
///
/// ```swift
/// let report = TierReport(plan: try Plan.load("out/plan.json"), by: [.tier])
/// report.rows[0].key.tier                 // "standard-ia"
/// report.totals.dollars.total.text        // "412.37"
/// print(TierReport.Text.render(report))
/// ```
///
/// Units: dollars per month (730 hours, the billing month) as the plan has them, sizes in GiB (2³⁰ bytes), exposure in messages.
public struct TierReport: Sendable, Equatable {
    /// What rows are grouped by, in the order given on the command line.
    public enum Dimension: String, Sendable, CaseIterable, Codable {
        /// The dataset's backup tier (where its online backup copy is kept).
        case tier
        /// The dataset's data class (policy class).
        case `class`
        /// The region of the dataset's first backup copy (the plan does not split costs between copies).
        case region
    }

    /// A group's identity: the value of each grouping dimension, `nil` for dimensions not grouped by.
    public struct Key: Sendable, Equatable, Hashable, Comparable, Codable {
        public var tier: String?
        public var `class`: String?
        public var region: String?

        public init(tier: String? = nil, class: String? = nil, region: String? = nil) {
            self.tier = tier
            self.class = `class`
            self.region = region
        }

        /// The key's values joined by " / " in tier, class, region order, e.g. `standard-ia / private`.
        public var label: String { [tier, `class`, region].compactMap { $0 }.joined(separator: " / ") }

        public static func < (a: Key, b: Key) -> Bool {
            (a.tier ?? "", a.class ?? "", a.region ?? "") < (b.tier ?? "", b.class ?? "", b.region ?? "")
        }
    }

    /// Monthly dollars by component in cents, as the plan's ``Plan/Components`` has them.
    public struct Dollars: Sendable, Equatable, Codable {
        public var storage: Cents
        public var operations: Cents
        public var retrieval: Cents
        public var expectedLoss: Cents
        public var downtime: Cents
        public var total: Cents
        /// Parts of `operations` (transitions, monitoring) and of `storage` (early deletion) by ``Billing``'s
        /// components, as the plan records them (``Plan/Components``); `nil` when no dataset's entry has them
        /// (plans written before they were recorded, and simulated figures).
        public var transitions: Cents?
        public var monitoring: Cents?
        public var earlyDeletion: Cents?

        /// Each component of the exact sum rounded to the cent (the total too, from its own exact sum).
        public init(_ sum: Sum) {
            storage = Cents(dollars: sum.storage)
            operations = Cents(dollars: sum.operations)
            retrieval = Cents(dollars: sum.retrieval)
            expectedLoss = Cents(dollars: sum.expectedLoss)
            downtime = Cents(dollars: sum.downtime)
            total = Cents(dollars: sum.total)
            if sum.partsKnown > 0 {
                transitions = Cents(dollars: sum.transitions)
                monitoring = Cents(dollars: sum.monitoring)
                earlyDeletion = Cents(dollars: sum.earlyDeletion)
            }
        }

        /// The components in report order with their display names (the total last).
        public var named: [(name: String, value: Cents)] {
            [("storage", storage), ("operations", operations), ("retrieval", retrieval), ("expected loss", expectedLoss),
             ("downtime", downtime), ("total", total)]
        }
    }

    /// Exact (unrounded) sums over datasets, from which a row's rounded figures are made.
    public struct Sum: Sendable, Equatable {
        public var datasets = 0
        public var liveBytes = 0.0
        public var backupBytes = 0.0
        public var storage = 0.0, operations = 0.0, retrieval = 0.0, expectedLoss = 0.0, downtime = 0.0, total = 0.0
        public var exposedWrites = 0.0
        /// Parts of operations and storage (``Dollars/transitions``), and the datasets whose entries record them.
        public var transitions = 0.0, monitoring = 0.0, earlyDeletion = 0.0
        public var partsKnown = 0

        public init() {}

        /// Adds one dataset's chosen option: live bytes are the forecast size, backup bytes one full copy per
        /// backup copy (the plan's copies; retention's incremental history is not in the plan).
        public mutating func add(_ d: DatasetPlan) {
            let m = d.why.chosen.monthlyDollars
            datasets += 1
            liveBytes += d.why.forecast.sizeBytes
            backupBytes += d.why.forecast.sizeBytes * Double(d.copies.count)
            storage += m.storage
            operations += m.operations
            retrieval += m.retrieval
            expectedLoss += m.expectedLoss
            downtime += m.downtime
            total += m.total
            exposedWrites += d.why.chosen.exposedWrites
            if m.transitions != nil || m.monitoring != nil || m.earlyDeletion != nil { partsKnown += 1 }
            transitions += m.transitions ?? 0
            monitoring += m.monitoring ?? 0
            earlyDeletion += m.earlyDeletion ?? 0
        }
    }

    /// One group's figures.
    public struct Row: Sendable, Equatable {
        public var key: Key
        public var datasets: Int
        /// Live data and backup copies, GiB.
        public var liveGiB: Double
        public var backupGiB: Double
        public var dollars: Dollars
        /// Expected unprotected writes at a random failure, messages.
        public var exposedWrites: Double
        /// The same group in the baseline plan (`nil` without a baseline; zero figures when the group is new).
        public var baselineTotal: Cents?
        public var baselineDatasets: Int?

        public init(key: Key, sum: Sum) {
            self.key = key
            datasets = sum.datasets
            liveGiB = sum.liveBytes / 1_073_741_824
            backupGiB = sum.backupBytes / 1_073_741_824
            dollars = Dollars(sum)
            exposedWrites = sum.exposedWrites
        }

        /// Total cost change against the baseline, cents (`nil` without a baseline).
        public var delta: Cents? { baselineTotal.map { dollars.total - $0 } }
    }

    /// One dataset whose plan changed against the baseline.
    public struct Mover: Sendable, Equatable, Codable {
        public var id: String
        public var fromTier: String
        public var toTier: String
        public var fromDataTier: String
        public var toDataTier: String
        /// Monthly total (spend and risk) before and after, and the change.
        public var before: Cents
        public var after: Cents
        public var delta: Cents

        public init(id: String, fromTier: String, toTier: String, fromDataTier: String, toDataTier: String, before: Cents, after: Cents) {
            self.id = id
            self.fromTier = fromTier
            self.toTier = toTier
            self.fromDataTier = fromDataTier
            self.toDataTier = toDataTier
            self.before = before
            self.after = after
            delta = after - before
        }
    }

    /// The comparison with a baseline plan.
    public struct Change: Sendable, Equatable {
        /// The baseline plan's file, as given.
        public var baselineFile: String
        /// Datasets in both plans whose backup or data tier differs.
        public var movedTier: Int
        /// Datasets only in this plan, and only in the baseline.
        public var added: Int
        public var removed: Int
        /// The baseline's totals, exact sum rounded once.
        public var baselineTotals: Row
        /// Up to ``TierReport/topMovers`` datasets with the largest absolute change of monthly total, exact dollars
        /// before rounding (ties by id).
        public var topMovers: [Mover]
        /// This plan's total minus the baseline's, cents.
        public var delta: Cents
    }

    /// How many movers the report lists.
    public static let topMovers = 10

    /// The plan file, as given.
    public var planFile: String
    public var generatedAt: Int64
    public var by: [Dimension]
    /// Groups in key order (tier, class, region by name).
    public var rows: [Row]
    /// Every dataset together: exact sums rounded once.
    public var totals: Row
    public var change: Change?
    /// A simulation's figures beside the totals (`report tiers --simulation`), or `nil`.
    public var simulation: Simulated?

    /// Groups `plan`'s datasets by `by` (at least one dimension; duplicates ignored) and compares with `baseline`.
    ///
    /// - Parameters:
    ///   - planFile, baselineFile: the files' paths as given, shown in the report.
    public init(plan: Plan, planFile: String = "plan.json", by: [Dimension] = [.tier], baseline: Plan? = nil,
                baselineFile: String = "baseline.json") {
        var seen = Set<Dimension>()
        let by = by.filter { seen.insert($0).inserted }
        self.planFile = planFile
        generatedAt = plan.generatedAt
        self.by = by.isEmpty ? [.tier] : by
        let current = Self.group(plan, by: self.by)
        var all = Sum()
        for d in plan.datasets { all.add(d) }
        totals = Row(key: Key(), sum: all)
        guard let baseline else {
            rows = current.keys.sorted().map { Row(key: $0, sum: current[$0] ?? Sum()) }
            change = nil
            return
        }
        let before = Self.group(baseline, by: self.by)
        rows = Set(current.keys).union(before.keys).sorted().map { key in
            var row = Row(key: key, sum: current[key] ?? Sum())
            let b = Row(key: key, sum: before[key] ?? Sum())
            row.baselineTotal = b.dollars.total
            row.baselineDatasets = b.datasets
            return row
        }
        var baseAll = Sum()
        for d in baseline.datasets { baseAll.add(d) }
        let baseTotals = Row(key: Key(), sum: baseAll)
        totals.baselineTotal = baseTotals.dollars.total
        totals.baselineDatasets = baseTotals.datasets
        change = Self.compare(plan, baseline, baselineFile: baselineFile, baselineTotals: baseTotals,
                              delta: totals.dollars.total - baseTotals.dollars.total)
    }

    static func key(_ d: DatasetPlan, by: [Dimension]) -> Key {
        var k = Key()
        for dim in by {
            switch dim {
            case .tier: k.tier = d.backupTier
            case .class: k.class = d.class
            case .region: k.region = d.copies.first?.region ?? "none"
            }
        }
        return k
    }

    static func group(_ plan: Plan, by: [Dimension]) -> [Key: Sum] {
        var out: [Key: Sum] = [:]
        for d in plan.datasets { out[key(d, by: by), default: Sum()].add(d) }
        return out
    }

    static func compare(_ plan: Plan, _ baseline: Plan, baselineFile: String, baselineTotals: Row, delta: Cents) -> Change {
        var old: [String: DatasetPlan] = [:]
        for d in baseline.datasets { old[d.id] = d }
        var moved = 0, added = 0
        var movers: [(mover: Mover, exact: Double)] = []
        var ids = Set<String>()
        for d in plan.datasets {
            ids.insert(d.id)
            guard let b = old[d.id] else { added += 1; continue }
            if b.backupTier != d.backupTier || b.dataTier != d.dataTier { moved += 1 }
            let m = Mover(id: d.id, fromTier: b.backupTier, toTier: d.backupTier, fromDataTier: b.dataTier, toDataTier: d.dataTier,
                          before: Cents(dollars: b.why.chosen.monthlyDollars.total), after: Cents(dollars: d.why.chosen.monthlyDollars.total))
            let exact = d.why.chosen.monthlyDollars.total - b.why.chosen.monthlyDollars.total
            if exact != 0 || m.fromTier != m.toTier || m.fromDataTier != m.toDataTier { movers.append((m, exact)) }
        }
        let removed = baseline.datasets.filter { !ids.contains($0.id) }.count
        // Largest exact change first (cents would tie the many sub-cent changes), ties by id.
        movers.sort { (abs($0.exact), $1.mover.id) > (abs($1.exact), $0.mover.id) }
        return Change(baselineFile: baselineFile, movedTier: moved, added: added, removed: removed, baselineTotals: baselineTotals,
                      topMovers: movers.prefix(topMovers).map(\.mover), delta: delta)
    }
}
