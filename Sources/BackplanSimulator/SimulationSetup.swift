import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanStore
import Foundation
import GRDB

/// Builds a ``Simulation`` from the files a user names: stats store, policy, prices, scenario, model.
public enum SimulationSetup {
    /// Everything `simulate` runs on.
    public struct Prepared: Sendable {
        public var simulation: Simulation
        public var adaptive: AdaptiveSchedule?
        public var oracleLambda: Double
        /// Writes the access shift added (0 without one).
        public var addedWrites: Int
    }

    /// Loads the store (a shifted copy of it when the scenario shifts access), the datasets' classes and
    /// sizes, the adaptive schedule (re-planned every cadence with `model`) and the oracle's price.
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
            try? FileManager.default.removeItem(atPath: copy)
            let target = try DatabaseQueue(path: copy)
            try store.dbQueue.backup(to: target)
            store = try StatsStore.open(path: copy, create: false)
            added = try applyShift(shift, split: scenario.split, to: store, seed: seed)
        }
        progress?("loading the write log")
        let log = try WriteLog.load(from: store)
        let reads = try WriteLog.load(from: store, op: 0)
        let frontier = try Frontier(log: log, split: scenario.split)
        guard frontier.testWriteCount > 0 else {
            throw InputError(file: scenario.file, "no writes after the split \(scenario.split): choose a smaller split")
        }
        let meta: [String: (String, Double, Double, Double)] = try store.dbQueue.read { db in
            var out: [String: (String, Double, Double, Double)] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT d.name, d.class, d.size_bytes,
                       coalesce(sum(b.bytes_written) * 1.0 / nullif(sum(b.writes), 0), 0),
                       coalesce(sum(b.bytes_read) * 1.0 / nullif(sum(b.reads), 0), 0)
                FROM datasets d LEFT JOIN buckets b ON b.dataset_id = d.id GROUP BY d.id
                """)
            while let r = try rows.next() { out[r[0]] = (r[1], r[2], r[3], r[4]) }
            return out
        }
        // Retention as the plan would set it: from the policy's failure model, not the scenario's (a scenario
        // whose corruption is found later than retention reaches shows what that costs).
        var datasets: [SimulatedDataset] = []
        for name in log.names {
            let m = meta[name] ?? ("default", 0, 0, 0)
            guard let (_, c) = policy.policy(forClass: m.0) else {
                throw InputError(file: policy.file, "dataset '\(name)' has class '\(m.0)' and the policy has no 'default' class")
            }
            let keep = DatasetPlan.Retention.rule(for: c, in: policy)
            datasets.append(SimulatedDataset(name: name, classPolicy: c, sizeBytes: m.1, bytesPerWrite: m.2, bytesPerRead: m.3,
                                             retentionSeconds: Double(keep.spanSeconds)))
        }
        let costModel = CostModel(policy: policy, catalog: catalog)
        let simulation = Simulation(frontier: frontier, datasets: datasets, reads: reads, model: costModel, scenario: scenario,
                                    runs: runs, seed: seed)
        var adaptive: AdaptiveSchedule?
        if let cadence = policies.compactMap({ p -> Int64? in if case .adaptive(let c) = p { return c } else { return nil } }).first {
            guard let model else { throw InputError(column: "--model", "the adaptive policy needs a model: pass --model DIR") }
            adaptive = try adaptiveSchedule(store: store, model: model, policy: policy, catalog: catalog, frontier: frontier,
                                            datasets: datasets, cadenceSeconds: cadence, progress: progress)
        }
        var lambda = 0.0
        if policies.contains(.oracle) {
            progress?("solving the hindsight oracle")
            lambda = frontier.oracleWithPrice(budget: frontier.cronDaily().ops).lambda
        }
        return Prepared(simulation: simulation, adaptive: adaptive, oracleLambda: lambda, addedWrites: added)
    }

    /// Re-plans every `cadence` from the window's start: forecasts from events before each re-planning time
    /// only, then the planner, without global limits (they are monthly and the periods are shorter).
    static func adaptiveSchedule(store: StatsStore, model: ForecastModel, policy: Policy, catalog: PriceCatalog, frontier: Frontier,
                                 datasets: [SimulatedDataset], cadenceSeconds: Int64, progress: (@Sendable (String) -> Void)?) throws -> AdaptiveSchedule {
        var unlimited = policy
        unlimited.budgetDollarsPerMonth = nil
        unlimited.backupWindowBytesPerDay = nil
        let planner = Planner(policy: unlimited, catalog: catalog)
        let tierIndex = Dictionary(uniqueKeysWithValues: catalog.tiers.enumerated().map { ($1.name, $0) })
        let names = frontier.log.names
        var schedule = AdaptiveSchedule(starts: [], intervals: [], backupTiers: [], dataTiers: [])
        var t = frontier.cut
        let inputs = Plan.Inputs(statsStore: .init(path: store.path, sha256: ""), model: .init(path: "", sha256: ""),
                                 policy: .init(path: policy.file, sha256: ""), prices: .init(path: catalog.file, sha256: ""))
        while t < Double(frontier.t1) {
            progress?("re-planning at Unix time \(Int64(t))")
            let at = Int64(t.rounded(.up))
            let (forecasts, _) = try Forecasts.make(store: store, model: model, at: at)
            let plan = try planner.plan(forecasts, generatedAt: at, inputs: inputs)
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

    /// Adds `writesFactor − 1` extra writes (the fraction by a coin) after each write of the chosen datasets
    /// from the shift time on, each within 10 minutes after the write it echoes. Returns the writes added.
    static func applyShift(_ shift: Scenario.AccessShift, split: Double, to store: StatsStore, seed: UInt64) throws -> Int {
        try store.dbQueue.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(at), max(at) FROM events WHERE op = 1"),
                  let first: Int64 = row[0], let last: Int64 = row[1] else { return 0 }
            let cut = Double(first) + split * Double(last - first)
            let from = Int64((cut + shift.at * (Double(last) - cut)).rounded(.up))
            let ids = try Int64.fetchAll(db, sql: "SELECT DISTINCT dataset_id FROM events WHERE op = 1 ORDER BY dataset_id")
            var rng = Xoshiro256StarStar(seed: seed ^ 0xA11C_E5)
            let chosen = ids.filter { _ in rng.nextUnitDouble() < shift.datasetShare }
            var added = 0
            let insert = try db.makeStatement(sql: "INSERT INTO events(dataset_id, at, seq, op, bytes) VALUES (?, ?, ?, 1, ?)")
            var seq: Int64 = 1 << 62
            for id in chosen {
                let writes = try Row.fetchAll(db, sql: "SELECT at, bytes FROM events WHERE dataset_id = ? AND op = 1 AND at >= ?",
                                              arguments: [id, from])
                for w in writes {
                    let at: Int64 = w[0]
                    let bytes: Int64 = w[1]
                    let extra = shift.writesFactor - 1
                    var k = Int(extra)
                    if rng.nextUnitDouble() < extra - Double(k) { k += 1 }
                    for _ in 0..<k {
                        let t = min(last, at + Int64(rng.nextIndex(below: 600)))
                        seq += 1
                        try insert.execute(arguments: [id, t, seq, bytes])
                        added += 1
                    }
                }
            }
            return added
        }
    }
}
