import BackplanCore
import BackplanPlan
import Foundation

extension TierReport {
    /// What a simulation (`backplan simulate --json`) measured, set beside the plan's own monthly figures by
    /// `report tiers --simulation`: per policy, the totals and each group's figures (the group of each of the
    /// simulation's datasets is that of the plan's dataset at the same location, by the report's `--by`).
    ///
    /// Money is the simulator's mean dollars for its window turned into dollars per 730-hour month (window
    /// dollars / months in the window) and rounded to the cent once per figure, in the plan's components: the
    /// simulator's `loss` is the plan's expected loss, its `downtime` the plan's downtime. Bands are the 5th,
    /// 50th and 95th percentiles over the failure samples of a run's monthly total (linear interpolation between
    /// closest ranks, as the simulator computes them): the totals' are the simulator's own; a group's run total
    /// is its datasets' billed dollars plus their failures' dollars in that run, over the runs the simulation's
    /// per-dataset lists cover (`datasetRuns`: all of them up to 1,000).
    ///
    /// ```swift
    /// var report = TierReport(plan: plan, planFile: "plan.json")
    /// report.simulation = try TierReport.Simulated(try SimulationReport(input, file: "sim.json"), input: input, plan: plan, by: [.tier])
    /// report.simulation?.policies[0].monthlyDollars.total   // Cents, per month
    /// report.simulation?.policies[0].groups[0].band.p95     // the first group's 95th percentile, per month
    /// ```
    public struct Simulated: Sendable, Equatable {
        /// One group's simulated figures under one policy.
        public struct Group: Sendable, Equatable, Codable {
            public var tier: String?
            public var `class`: String?
            public var region: String?
            /// The simulation's datasets in the group.
            public var datasets: Int
            /// Mean dollars per month, by the plan's components.
            public var monthlyDollars: Dollars
            /// The monthly total over the failure samples (the first ``Simulated/Policy/groupRuns``).
            public var band: SimulationReport.MoneyBand

            public var key: Key { Key(tier: tier, class: `class`, region: region) }
        }

        public struct Policy: Sendable, Equatable, Codable {
            public var name: String
            /// Mean dollars per month, by the plan's components.
            public var monthlyDollars: Dollars
            /// The monthly total over the failure samples (the simulator's band per month).
            public var band: SimulationReport.MoneyBand
            /// The runs the groups' bands are over (the simulation's `datasetRuns`).
            public var groupRuns: Int
            public var messagesLost: SimulationReport.Band
            /// Per group of the report, in the report's row order (groups with no simulated dataset left out).
            public var groups: [Group]
            /// Mean monthly dollars of the simulation's datasets the plan does not have (zero when it has them all).
            public var notInPlan: Cents
        }

        public var file: String
        public var scenario: String
        public var runs: Int
        public var windowDays: Fixed
        public var policies: [Policy]

        /// The figures of `s` (made from `input`) grouped by `plan`'s datasets under `by`.
        public init(_ s: SimulationReport, input: SimulationInput, plan: Plan, by: [Dimension]) {
            file = s.file
            scenario = s.scenario
            runs = s.runs
            windowDays = s.windowDays
            var keys: [String: Key] = [:]
            for d in plan.datasets { keys[d.location] = TierReport.key(d, by: by) }
            let months = input.windowMonths
            policies = zip(s.rows, input.policies).map { r, p in
                let runs = max(1, p.datasetRuns)
                var sums: [Key: (count: Int, exact: Sum, perRun: [Double])] = [:]
                var missing = 0.0
                for d in p.datasets {
                    var perRun = [Double](repeating: d.spend, count: runs)
                    for (run, dollars) in zip(d.failureRuns, d.failureDollars) where run >= 0 && run < runs { perRun[run] += dollars }
                    guard let key = keys[d.name] else {
                        missing += d.spend + d.restoreRetrieval + d.loss + d.downtime
                        continue
                    }
                    var g = sums[key] ?? (0, Sum(), [Double](repeating: 0, count: runs))
                    g.count += 1
                    g.exact.storage += d.storage / months
                    g.exact.operations += d.operations / months
                    g.exact.retrieval += (d.liveRetrieval + d.restoreRetrieval) / months
                    g.exact.expectedLoss += d.loss / months
                    g.exact.downtime += d.downtime / months
                    g.exact.total += (d.spend + d.restoreRetrieval + d.loss + d.downtime) / months
                    for k in 0..<runs { g.perRun[k] += perRun[k] }
                    sums[key] = g
                }
                let groups = sums.keys.sorted().map { key -> Group in
                    let g = sums[key]!
                    return Group(tier: key.tier, class: key.class, region: key.region, datasets: g.count, monthlyDollars: Dollars(g.exact),
                                 band: Self.band(g.perRun, per: months))
                }
                let m = r.monthly
                var d = Dollars(Sum())
                d.storage = m.storage
                d.operations = m.operations
                d.retrieval = m.retrieval
                d.expectedLoss = m.loss
                d.downtime = m.downtime
                d.total = m.total
                let band = SimulationReport.MoneyBand(SimulationInput.Band(
                    mean: p.costBand.mean / months, p5: p.costBand.p5 / months, p50: p.costBand.p50 / months, p95: p.costBand.p95 / months))
                return Policy(name: r.name, monthlyDollars: d, band: band, groupRuns: p.datasetRuns, messagesLost: r.lost, groups: groups,
                              notInPlan: Cents(dollars: missing / months))
            }
        }

        /// The band of per-run dollars `values`, each divided by `per`.
        static func band(_ values: [Double], per: Double) -> SimulationReport.MoneyBand {
            let s = values.map { $0 / per }.sorted()
            return SimulationReport.MoneyBand(SimulationInput.Band(
                mean: s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count), p5: SimulationInput.percentile(s, 0.05),
                p50: SimulationInput.percentile(s, 0.5), p95: SimulationInput.percentile(s, 0.95)))
        }
    }

    /// The plan's totals and each simulated policy as cells (header first), dollars per month by component and
    /// the simulated total's 5–95 % band.
    public func simulationCells(grouped: Bool) -> [[String]] {
        guard let sim = simulation else { return [] }
        let money = { (c: Cents) in grouped ? c.grouped : c.text }
        var rows = [["source", "storage $", "operations $", "retrieval $", "expected loss $", "downtime $", "total $", "total $ 5–95 %",
                     "lost (mean)", "lost p5", "lost p95"]]
        let t = totals.dollars
        rows.append(["plan (as priced)"] + [t.storage, t.operations, t.retrieval, t.expectedLoss, t.downtime, t.total].map(money) + ["", "", "", ""])
        for p in sim.policies {
            let d = p.monthlyDollars
            rows.append(["simulated \(p.name)"] + [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime, d.total].map(money)
                        + [money(p.band.p5) + "–" + money(p.band.p95), p.messagesLost.mean.text, p.messagesLost.p5.text, p.messagesLost.p95.text])
        }
        return rows
    }

    /// Per group and policy (header first): the plan's monthly total for the group beside the simulated mean,
    /// median and 5–95 % band; each policy's totals last.
    public func simulationGroupCells(grouped: Bool) -> [[String]] {
        guard let sim = simulation else { return [] }
        let money = { (c: Cents) in grouped ? c.grouped : c.text }
        var rows = [by.map(\.rawValue) + ["policy", "planned $", "simulated $", "simulated $ median", "simulated $ 5–95 %"]]
        let planned = Dictionary(uniqueKeysWithValues: self.rows.map { ($0.key, $0.dollars.total) })
        for p in sim.policies {
            for g in p.groups {
                let keys = by.map { dim in
                    switch dim {
                    case .tier: g.tier ?? ""
                    case .class: g.class ?? ""
                    case .region: g.region ?? ""
                    }
                }
                rows.append(keys + [p.name, planned[g.key].map(money) ?? "", money(g.monthlyDollars.total), money(g.band.p50),
                                    money(g.band.p5) + "–" + money(g.band.p95)])
            }
            rows.append(["total"] + Array(repeating: "", count: by.count - 1)
                        + [p.name, money(totals.dollars.total), money(p.monthlyDollars.total), money(p.band.p50), money(p.band.p5) + "–" + money(p.band.p95)])
        }
        return rows
    }

    /// The sentence introducing the simulated figures; `nil` without a simulation.
    public var simulationSentence: String? {
        guard let s = simulation else { return nil }
        let missing = s.policies.contains { $0.notInPlan != Cents(0) }
        let noShares = s.policies.allSatisfy { $0.groups.isEmpty }
        return "Simulated in \(s.file) (scenario \(s.scenario), \(s.windowDays.text)-day window, \(Format.count(s.runs)) failure samples): "
            + "mean dollars per 730-hour month (window dollars / months in the window), in total and per group of the plan's datasets, "
            + "with the 5–95 % band of a run's monthly total over the failure samples (linear interpolation between closest ranks), and "
            + "messages lost per run."
            + (missing ? " Some simulated datasets are not in the plan: their dollars count in the totals, in no group." : "")
            + (noShares ? " The simulation has no per-dataset shares (run `simulate --json --dataset-costs`), so there are no per-group figures." : "")
    }

    /// The CSV lines of the simulated policies, or nothing: per policy one line per group (kind
    /// `simulated-group`, the group's columns and money per month) and the totals (kind `simulated`); the
    /// appended `policy`, `total_usd_p5`, `total_usd_p50`, `total_usd_p95` columns name the policy and give the band.
    func simulationCSVLines() -> String {
        guard let sim = simulation else { return "" }
        var s = ""
        func line(_ kind: String, _ key: Key, datasets: String, _ d: Dollars, _ p: String, _ b: SimulationReport.MoneyBand) {
            var cells = [kind, key.tier ?? "", key.class ?? "", key.region ?? "", datasets, "", ""]
            cells += [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime, d.total].map(\.text)
            cells += ["", "", "", "", "", "", p, b.p5.text, b.p50.text, b.p95.text]
            s += cells.map(Self.csvCell).joined(separator: ",") + "\n"
        }
        for p in sim.policies {
            for g in p.groups { line("simulated-group", g.key, datasets: String(g.datasets), g.monthlyDollars, p.name, g.band) }
            line("simulated", Key(), datasets: "", p.monthlyDollars, p.name, p.band)
        }
        return s
    }

    /// The CSV columns appended with `--simulation`.
    public static let simulationCSVColumns = ["policy", "total_usd_p5", "total_usd_p50", "total_usd_p95"]

    /// The simulation in the JSON document.
    public struct DocumentSimulation: Codable, Sendable, Equatable {
        public var input: String
        public var scenario: String
        public var runs: Int
        public var windowDays: Fixed
        public var policies: [Simulated.Policy]

        init(_ s: Simulated) {
            input = s.file
            scenario = s.scenario
            runs = s.runs
            windowDays = s.windowDays
            policies = s.policies
        }
    }
}
