import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanStore
import Foundation

/// Builds a ``Simulation`` from the files a user names: stats store, policy, prices, scenario, model.
public enum SimulationSetup {
    /// Everything `simulate` runs on.
    public struct Prepared: Sendable {
        public var simulation: Simulation
        /// The `replanned` policy's schedule, when it is among the policies.
        public var replanSchedule: ReplanSchedule?
        public var oracleLambda: Double
        /// Writes the access shift added (0 without one).
        public var addedWrites: Int
    }

    /// Loads the store (a shifted copy of it when the scenario shifts access), the datasets' classes and
    /// sizes, the `replanned` policy's schedule (re-planned every cadence with `model`) and the oracle's price.
    ///
    /// - Throws: ``InputError`` for a store without writes after the split, or a model/store mismatch.
    public static func prepare(
        storePath: String, policy: Policy, catalog: PriceCatalog, scenario: Scenario, model: ForecastModel?,
        policies: [SimulatedPolicy], runs: Int, seed: UInt64, workDirectory: String,
        progress: (@Sendable (String) -> Void)? = nil
    ) throws -> Prepared {
        var store = try StatsStore.open(path: storePath, create: false)
        var added = 0
        if let shift = scenario.accessShift {
            progress?("applying the access shift to a copy of the store")
            let copy = URL(fileURLWithPath: workDirectory).appendingPathComponent("shifted-\(seed).sqlite").path
            store = try store.copy(to: copy)
            added = try applyShift(shift, split: scenario.split, to: store, seed: seed, file: scenario.file)
        }
        progress?("loading the write log")
        let log = try WriteLog.load(from: store)
        let reads = try WriteLog.load(from: store, op: .read)
        let frontier = try Frontier(log: log, split: scenario.split)
        guard frontier.testWriteCount > 0 else {
            throw InputError(file: scenario.file, "no writes after the split \(scenario.split): choose a smaller split")
        }
        let profiles = try store.datasetProfiles()
        // Sizes come from the write log's bytes as of each moment (Simulation.size(_:at:)); the fixed size kept
        // per dataset is its size at the cut, never `datasets.size_bytes` (the size at the store's end).
        let cut = frontier.cut
        func sizeAtCut(_ d: Int) -> Double {
            var bytes = 0.0
            for k in log.offsets[d]..<log.offsets[d + 1] where Double(log.times[k]) < cut { bytes += Double(log.bytes[k]) }
            return bytes
        }
        // Retention as the plan would set it: from the policy's failure model, not the scenario's (a scenario
        // whose corruption is found later than retention reaches shows what that costs).
        var datasets: [SimulatedDataset] = []
        for (d, name) in log.names.enumerated() {
            let m = profiles[name] ?? DatasetProfile(dataClass: "default", sizeBytes: 0, bytesPerWrite: 0, bytesPerRead: 0)
            guard let (_, c) = policy.policy(forClass: m.dataClass) else {
                throw InputError(file: policy.file, "dataset '\(name)' has class '\(m.dataClass)' and the policy has no 'default' class")
            }
            let keep = DatasetPlan.Retention.rule(for: c, in: policy)
            datasets.append(SimulatedDataset(name: name, classPolicy: c, sizeBytes: sizeAtCut(d), bytesPerWrite: m.bytesPerWrite,
                                             bytesPerRead: m.bytesPerRead, retentionSeconds: Double(keep.spanSeconds)))
        }
        let costModel = CostModel(policy: policy, catalog: catalog)
        let simulation = Simulation(frontier: frontier, datasets: datasets, reads: reads, model: costModel, scenario: scenario,
                                    runs: runs, seed: seed)
        var schedule: ReplanSchedule?
        if let cadence = policies.compactMap({ p -> Int64? in if case .replanned(let c) = p { return c } else { return nil } }).first {
            guard let model else { throw InputError(column: "--model", "the replanned policy needs a model: pass --model DIR") }
            let replans = (Double(frontier.t1) - frontier.cut) / Double(cadence)
            guard replans <= Double(maximumReplans) else {
                throw InputError(column: "--replan", "\(DurationText.format(cadence)) re-plans \(Int(replans.rounded(.up))) times over the "
                                 + "replayed window, more than the \(maximumReplans) allowed: use a longer --replan")
            }
            schedule = try replanSchedule(store: store, model: model, policy: policy, catalog: catalog, frontier: frontier,
                                            datasets: datasets, cadenceSeconds: cadence, progress: progress)
        }
        var lambda = 0.0
        if policies.contains(.oracle) {
            progress?("solving the hindsight oracle")
            lambda = frontier.oracleWithPrice(budget: frontier.cronDaily().ops).lambda
        }
        return Prepared(simulation: simulation, replanSchedule: schedule, oracleLambda: lambda, addedWrites: added)
    }

    /// Re-plans every `cadence` from the window's start: forecasts from events before each re-planning time
    /// only, then the planner, without global limits (they are monthly and the periods are shorter), told each
    /// dataset's data tier in force (``DatasetForecast/currentTiering``) so that it moves data only when the
    /// saving exceeds the move's cost.
    static func replanSchedule(store: StatsStore, model: ForecastModel, policy: Policy, catalog: PriceCatalog, frontier: Frontier,
                                 datasets: [SimulatedDataset], cadenceSeconds: Int64, progress: (@Sendable (String) -> Void)?) throws -> ReplanSchedule {
        var unlimited = policy
        unlimited.budgetDollarsPerMonth = nil
        unlimited.budgetDollarsPerDatasetMonth = nil
        unlimited.backupWindowBytesPerDay = nil
        let planner = Planner(policy: unlimited, catalog: catalog)
        let tierIndex = Dictionary(uniqueKeysWithValues: catalog.tiers.enumerated().map { ($1.name, $0) })
        let names = frontier.log.names
        var schedule = ReplanSchedule(starts: [], intervals: [], backupTiers: [], dataTiers: [])
        var t = frontier.cut
        var inForce: [String: String] = [:]
        let inputs = Plan.Inputs(statsStore: .init(path: store.path, sha256: ""), model: .init(path: "", sha256: ""),
                                 policy: .init(path: policy.file, sha256: ""), prices: .init(path: catalog.file, sha256: ""))
        while t < Double(frontier.t1) {
            progress?("re-planning at Unix time \(Int64(t))")
            let at = Int64(t.rounded(.up))
            var (forecasts, _) = try Forecasts.make(store: store, model: model, at: at)
            // Hysteresis: each dataset's data tier in force, so a re-plan moves data only when the month's saving
            // exceeds the move (transitions, early deletion, retrieval back to a warmer tier).
            for i in forecasts.indices { forecasts[i].currentTiering = inForce[forecasts[i].name].map { .single($0) } }
            let plan = try planner.plan(forecasts, generatedAt: at, inputs: inputs)
            for p in plan.datasets { inForce[p.id] = p.dataTier }
            let byName = Dictionary(uniqueKeysWithValues: plan.datasets.map { ($0.id, $0) })
            var intervals: [Double] = [], backup: [Int] = [], data: [Int] = []
            for (d, name) in names.enumerated() {
                if let p = byName[name] {
                    intervals.append(Double(p.schedule.intervalSeconds))
                    backup.append(tierIndex[p.backupTier] ?? 0)
                    data.append(tierIndex[p.dataTier] ?? 0)
                } else {
                    // No history yet: back up at the class RPO, hot tiers.
                    intervals.append(Double(datasets[d].classPolicy.rpoMaxSeconds))
                    backup.append(0)
                    data.append(0)
                }
            }
            schedule.starts.append(t)
            schedule.intervals.append(intervals)
            schedule.backupTiers.append(backup)
            schedule.dataTiers.append(data)
            t += Double(cadenceSeconds)
        }
        return schedule
    }

    /// Most re-plannings of the `replanned` policy over one replayed window (each runs the planner on every dataset).
    public static let maximumReplans = 1_000

    /// Most writes an access shift may add (the shifted copy of the store holds them all).
    public static let maximumAddedWrites = 20_000_000

    /// Adds `writesFactor − 1` extra writes (the fraction by a coin) after each write of the chosen datasets
    /// from the shift time on, each within 10 minutes after the write it echoes, as one appended source (so
    /// `seq` and the hourly roll-up stay right). Returns the writes added.
    static func applyShift(_ shift: Scenario.AccessShift, split: Double, to store: StatsStore, seed: UInt64, file: String) throws -> Int {
        guard let span = try store.eventSpan(of: .write) else { return 0 }
        let first = span.lowerBound, last = span.upperBound
        let cut = Double(first) + split * Double(last - first)
        let from = Int64((cut + shift.at * (Double(last) - cut)).rounded(.up))
        var rng = Xoshiro256StarStar(seed: seed ^ 0xA11C_E5)
        let chosen = try store.datasetNames(withEventsOf: .write).filter { _ in rng.nextUnitDouble() < shift.datasetShare }
        var added: [AppendedEvent] = []
        for name in chosen {
            for w in try store.writes(of: name, from: from) {
                let extra = shift.writesFactor - 1
                var k = Int(extra)
                if rng.nextUnitDouble() < extra - Double(k) { k += 1 }
                guard added.count + k <= maximumAddedWrites else {
                    throw InputError(file: file, "key 'accessShift.writesFactor': the access shift (×\(shift.writesFactor) on \(shift.datasetShare) of the "
                                     + "datasets) would add more than \(maximumAddedWrites) writes: use a smaller writesFactor or datasets share")
                }
                for _ in 0..<k {
                    let t = min(last, w.at + Int64(rng.nextIndex(below: 600)))
                    added.append(AppendedEvent(dataset: name, at: t, op: .write, bytes: w.bytes))
                }
            }
        }
        return try store.appendEvents(added, source: "scenario access shift (seed \(seed))")
    }
}
