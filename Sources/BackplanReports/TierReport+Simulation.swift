import BackplanCore
import Foundation

extension TierReport {
    /// What a simulation (`backplan simulate --json`) measured, set beside the plan's own monthly figures by
    /// `report tiers --simulation`. The simulator writes totals per policy only — no per-tier, per-class or
    /// per-region figures — so the comparison is with the report's totals row, not with each group.
    ///
    /// Money is the simulator's mean dollars for its window turned into dollars per month (× 30 days / window
    /// length) and rounded to the cent once per figure, in the plan's components: the simulator's `loss` is the
    /// plan's expected loss, its `downtime` the plan's downtime.
    ///
    /// ```swift
    /// var report = TierReport(plan: plan, planFile: "plan.json")
    /// report.simulation = try TierReport.Simulated(try SimulationReport(input, file: "sim.json"))
    /// report.simulation?.policies[0].monthlyDollars.total   // Cents, per month
    /// ```
    public struct Simulated: Sendable, Equatable {
        public struct Policy: Sendable, Equatable, Codable {
            public var name: String
            /// Mean dollars per month, by the plan's components.
            public var monthlyDollars: Dollars
            public var messagesLost: SimulationReport.Band
        }

        public var file: String
        public var scenario: String
        public var runs: Int
        public var windowDays: Fixed
        public var policies: [Policy]

        public init(_ s: SimulationReport) {
            file = s.file
            scenario = s.scenario
            runs = s.runs
            windowDays = s.windowDays
            policies = s.rows.map { r in
                let m = r.monthly
                var d = Dollars(Sum())
                d.storage = m.storage
                d.operations = m.operations
                d.retrieval = m.retrieval
                d.expectedLoss = m.loss
                d.downtime = m.downtime
                d.total = m.total
                return Policy(name: r.name, monthlyDollars: d, messagesLost: r.lost)
            }
        }
    }

    /// The plan's totals and each simulated policy as cells (header first), dollars per month by component.
    public func simulationCells(grouped: Bool) -> [[String]] {
        guard let sim = simulation else { return [] }
        let money = { (c: Cents) in grouped ? c.grouped : c.text }
        var rows = [["source", "storage $", "operations $", "retrieval $", "expected loss $", "downtime $", "total $", "lost (mean)", "lost p5", "lost p95"]]
        let t = totals.dollars
        rows.append(["plan (as priced)"] + [t.storage, t.operations, t.retrieval, t.expectedLoss, t.downtime, t.total].map(money) + ["", "", ""])
        for p in sim.policies {
            let d = p.monthlyDollars
            rows.append(["simulated \(p.name)"] + [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime, d.total].map(money)
                        + [p.messagesLost.mean.text, p.messagesLost.p5.text, p.messagesLost.p95.text])
        }
        return rows
    }

    /// The sentence introducing the simulated figures; `nil` without a simulation.
    public var simulationSentence: String? {
        guard let s = simulation else { return nil }
        return "Simulated in \(s.file) (scenario \(s.scenario), \(s.windowDays.text)-day window, \(Format.count(s.runs)) failure samples): "
            + "mean dollars per month (window dollars × 30 days / window) for all datasets together (the simulation has no per-group "
            + "figures), and messages lost per run with the 5–95 % band."
    }

    /// The CSV lines of the simulated policies (kind `simulated`; money columns per month; the appended
    /// `policy` column names the policy), or nothing.
    func simulationCSVLines() -> String {
        guard let sim = simulation else { return "" }
        var s = ""
        for p in sim.policies {
            let d = p.monthlyDollars
            var cells = ["simulated", "", "", "", "", "", ""]
            cells += [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime, d.total].map(\.text)
            cells += ["", "", "", p.name]
            s += cells.map(Self.csvCell).joined(separator: ",") + "\n"
        }
        return s
    }

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
