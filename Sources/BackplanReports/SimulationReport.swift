import BackplanCore
import Foundation

/// The simulation report (`backplan report simulation`): what `backplan simulate --json` measured, per policy —
/// cost by component and messages lost with their 5–95 % band over the failure samples, backups, exposure and
/// RPO misses.
///
/// Money is the simulator's mean over runs for the simulated window, held in cents (``Cents``, rounded once per
/// figure; the total from the simulator's own exact total), plus the same total per 730-hour month
/// (window dollars × 730 h / window length). The dollars of one run (total and loss) have their 5th, 50th and
/// 95th percentiles over the failure samples as the simulator computed them (linear interpolation between
/// closest ranks); `series` holds each policy's cumulative dollars over the window.
///
/// ```swift
/// let input = try ReportInput.load(SimulationInput.self, file: "sim.json", what: "backplan simulate --json")
/// let report = try SimulationReport(input, file: "sim.json")
/// report.rows[0].window.total.text      // "2.62" (dollars for the window)
/// report.rows[0].monthlyTotal.text      // dollars per month
/// report.rows[0].lost.p95.text          // "139.0" (messages)
/// ```
public struct SimulationReport: Sendable, Equatable {
    /// Dollars by component, cents.
    public struct Money: Sendable, Equatable, Encodable {
        public var storage: Cents
        public var operations: Cents
        public var retrieval: Cents
        public var loss: Cents
        public var downtime: Cents
        public var total: Cents

        /// Each of `cost`'s components divided by `per` and rounded to the cent; the total from `cost.total`.
        public init(_ cost: SimulationInput.Cost, per: Double = 1) {
            storage = Cents(dollars: cost.storage / per)
            operations = Cents(dollars: cost.operations / per)
            retrieval = Cents(dollars: cost.retrieval / per)
            loss = Cents(dollars: cost.loss / per)
            downtime = Cents(dollars: cost.downtime / per)
            total = Cents(dollars: cost.total / per)
        }

        /// The components with their names, in report order (the total not included).
        public var components: [(name: String, value: Cents)] {
            [("storage", storage), ("operations", operations), ("retrieval", retrieval), ("loss", loss), ("downtime", downtime)]
        }
    }

    /// Dollars of one run for the window: mean and 5th, 50th, 95th percentiles over the failure samples, cents.
    public struct MoneyBand: Sendable, Equatable, Codable {
        public var mean: Cents
        public var p5: Cents
        public var p50: Cents
        public var p95: Cents

        public init(_ b: SimulationInput.Band) {
            mean = Cents(dollars: b.mean)
            p5 = Cents(dollars: b.p5)
            p50 = Cents(dollars: b.p50)
            p95 = Cents(dollars: b.p95)
        }
    }

    /// One policy's cumulative dollars (all components) at the end of each step of the window.
    public struct SeriesLine: Sendable, Equatable, Encodable {
        public var name: String
        /// End of each step, Unix seconds.
        public var times: [Int64]
        /// Cumulative dollars by component and in total, per step, unrounded (as the simulator wrote them).
        public var storage: [Double]
        public var operations: [Double]
        public var retrieval: [Double]
        public var loss: [Double]
        public var downtime: [Double]
        public var total: [Double]
    }

    /// Messages lost per run: mean and 5th/95th percentiles, one decimal.
    public struct Band: Sendable, Equatable, Codable {
        public var mean: Fixed
        public var p5: Fixed
        public var p95: Fixed
    }

    public struct Row: Sendable, Equatable, Encodable {
        public var name: String
        public var backups: Int
        public var exposureHours: Fixed
        public var rpoViolations: Int
        /// Mean dollars for the window.
        public var window: Money
        /// The mean monthly equivalent: window dollars per 730-hour month.
        public var monthly: Money
        public var lost: Band
        /// Total and loss dollars of one run for the window, over the failure samples.
        public var costBand: MoneyBand
        public var lossBand: MoneyBand
        /// Restores per run (mean) that took longer than the class RTO.
        public var rtoViolations: Fixed

        /// Mean monthly total (spend and risk).
        public var monthlyTotal: Cents { monthly.total }
    }

    public var file: String
    public var scenario: String
    public var runs: Int
    public var seed: UInt64
    public var windowStart: Int64
    public var windowEnd: Int64
    public var datasets: Int
    public var writes: Int
    public var addedWrites: Int
    public var rows: [Row]
    /// Each policy's cumulative dollars over the window, in row order.
    public var series: [SeriesLine]

    /// The report of `input`, read from `file`.
    ///
    /// - Throws: ``InputError`` naming `file` and the key when there are no policies, the window is empty or a
    ///   figure is negative or not finite.
    public init(_ input: SimulationInput, file: String) throws {
        guard !input.policies.isEmpty else { throw InputError(file: file, column: "policies", "empty: no policy to report") }
        guard input.windowEnd > input.windowStart else {
            throw InputError(file: file, column: "windowEnd", "not after windowStart (\(input.windowStart)): an empty window")
        }
        for (i, p) in input.policies.enumerated() {
            let c = p.cost
            for (key, v) in [("cost.storage", c.storage), ("cost.operations", c.operations), ("cost.retrieval", c.retrieval),
                             ("cost.loss", c.loss), ("cost.downtime", c.downtime), ("cost.total", c.total),
                             ("messagesLost.mean", p.messagesLost.mean), ("messagesLost.p5", p.messagesLost.p5),
                             ("messagesLost.p95", p.messagesLost.p95), ("exposureHours", p.exposureHours)] where !(v.isFinite && v >= 0) {
                throw InputError(file: file, column: "policies[\(i)].\(key)", "not a finite non-negative number: \(v)")
            }
            for (key, b) in [("costBand", p.costBand), ("lossBand", p.lossBand)] {
                for (q, v) in [("mean", b.mean), ("p5", b.p5), ("p50", b.p50), ("p95", b.p95)] where !(v.isFinite && v >= 0) {
                    throw InputError(file: file, column: "policies[\(i)].\(key).\(q)", "not a finite non-negative number: \(v)")
                }
                guard b.p5 <= b.p50 + 1e-9 && b.p50 <= b.p95 + 1e-9 else {
                    throw InputError(file: file, column: "policies[\(i)].\(key)", "percentiles out of order: p5 \(b.p5), p50 \(b.p50), p95 \(b.p95)")
                }
            }
            let sr = p.series
            let n = sr.times.count
            for (key, a) in [("storage", sr.storage), ("operations", sr.operations), ("retrieval", sr.retrieval), ("loss", sr.loss),
                             ("downtime", sr.downtime), ("total", sr.total)] {
                guard a.count == n else {
                    throw InputError(file: file, column: "policies[\(i)].series.\(key)", "\(a.count) values for \(n) times")
                }
                if let v = a.first(where: { !($0.isFinite && $0 >= 0) }) {
                    throw InputError(file: file, column: "policies[\(i)].series.\(key)", "not a finite non-negative number: \(v)")
                }
            }
            guard n > 0, zip(sr.times, sr.times.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw InputError(file: file, column: "policies[\(i)].series.times", "empty or not increasing")
            }
            guard p.datasets.isEmpty || (1...max(1, input.runs)).contains(p.datasetRuns) else {
                throw InputError(file: file, column: "policies[\(i)].datasetRuns", "must be 1 … runs (\(input.runs)), got \(p.datasetRuns)")
            }
            try Self.check(p.datasets, runs: p.datasetRuns, policy: i, file: file)
        }
        self.file = file
        scenario = input.scenario
        runs = input.runs
        seed = input.seed
        windowStart = input.windowStart
        windowEnd = input.windowEnd
        datasets = input.datasets
        writes = input.writes
        addedWrites = input.addedWrites
        let months = input.windowMonths
        rows = input.policies.map { p in
            Row(name: p.name, backups: p.backups, exposureHours: Fixed(p.exposureHours, places: 2), rpoViolations: p.rpoViolations,
                window: Money(p.cost), monthly: Money(p.cost, per: months),
                lost: Band(mean: Fixed(p.messagesLost.mean, places: 1), p5: Fixed(p.messagesLost.p5, places: 1),
                           p95: Fixed(p.messagesLost.p95, places: 1)),
                costBand: MoneyBand(p.costBand), lossBand: MoneyBand(p.lossBand),
                rtoViolations: Fixed(p.rtoViolations, places: 2))
        }
        series = input.policies.map { p in
            let s = p.series
            return SeriesLine(name: p.name, times: s.times, storage: s.storage, operations: s.operations, retrieval: s.retrieval,
                              loss: s.loss, downtime: s.downtime, total: s.total)
        }
    }

    /// Checks each dataset's share: finite non-negative dollars, failure runs ascending within `0..<runs` (the
    /// runs the lists cover), one figure per failure run.
    ///
    /// - Throws: ``InputError`` naming `file` and the key (`policies[0].datasets[3].failureRuns`).
    static func check(_ datasets: [SimulationInput.DatasetCost], runs: Int, policy i: Int, file: String) throws {
        for (k, d) in datasets.enumerated() {
            let at = "policies[\(i)].datasets[\(k)]"
            for (key, v) in [("storage", d.storage), ("operations", d.operations), ("liveRetrieval", d.liveRetrieval),
                             ("restoreRetrieval", d.restoreRetrieval), ("loss", d.loss), ("downtime", d.downtime)] where !(v.isFinite && v >= 0) {
                throw InputError(file: file, column: "\(at).\(key)", "not a finite non-negative number: \(v)")
            }
            guard d.failureDollars.count == d.failureRuns.count, d.failureLoss.count == d.failureRuns.count else {
                throw InputError(file: file, column: "\(at).failureDollars", "one figure per failure run expected (\(d.failureRuns.count) runs)")
            }
            guard d.failureRuns.allSatisfy({ $0 >= 0 && $0 < runs }), zip(d.failureRuns, d.failureRuns.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw InputError(file: file, column: "\(at).failureRuns", "runs must be ascending, each in 0 … \(runs - 1)")
            }
            if let v = (d.failureDollars + d.failureLoss).first(where: { !($0.isFinite && $0 >= 0) }) {
                throw InputError(file: file, column: "\(at).failureDollars", "not a finite non-negative number: \(v)")
            }
        }
    }

    /// The window's length in days, one decimal.
    public var windowDays: Fixed { Fixed(Double(windowEnd - windowStart) / 86_400, places: 1) }

    /// The policy with the lowest mean total (ties: fewer messages lost, then input order).
    public var cheapest: Row? {
        rows.enumerated().min { ($0.element.window.total, $0.element.lost.mean, $0.offset) < ($1.element.window.total, $1.element.lost.mean, $1.offset) }?.element
    }
}
