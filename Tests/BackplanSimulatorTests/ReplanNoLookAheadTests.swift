import BackplanCore
import BackplanModel
import BackplanPlanner
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

/// The `replanned` policy re-plans from the data before each re-planning moment only, sizes included.
@Suite("What-if simulation: re-planning without look-ahead")
struct ReplanNoLookAheadTests {
    static let day: Int64 = 86_400
    static let start: Int64 = 1_000_000_000

    /// CSV lines (time, dataset, bytes) of 40 mailboxes writing at drifting Poisson rates over 120 days.
    static func lines(seed: UInt64) -> [String] {
        var rng = Xoshiro256StarStar(seed: seed)
        var out: [(Int64, String)] = []
        for m in 0..<40 {
            var logRate = rng.nextNormal(mean: 0, standardDeviation: 1)
            for d in 0..<120 {
                logRate += rng.nextNormal(mean: 0, standardDeviation: 0.2)
                for _ in 0..<rng.nextPoisson(mean: exp(logRate)) {
                    let t = start + Int64(d) * day + Int64(rng.nextIndex(below: 86_400))
                    out.append((t, "\(t),m\(m),\(1_000 + rng.nextIndex(below: 9_000))"))
                }
            }
        }
        return out.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func store(_ dir: TempDir, seed: UInt64) throws -> StatsStore {
        let file = dir.write("log.csv", "time,dataset,bytes\n" + lines(seed: seed).joined(separator: "\n") + "\n")
        let store = try StatsStore.open(path: dir.file("s.sqlite"), create: true)
        var options = IngestOptions(format: .csv)
        options.map = ColumnMap(time: "time", dataset: "dataset", bytes: "bytes")
        _ = try Ingestor(store: store, options: options).ingest(path: file)
        return store
    }

    @Test("Events after a re-planning moment change nothing decided at or before it; the forecast size is the bytes written before it",
          arguments: [UInt64(3), 4])
    func eventsAfterAMomentChangeNothingBeforeIt(seed: UInt64) throws {
        let dir = TempDir()
        let store = try Self.store(dir, seed: seed)
        var options = TrainingOptions()
        options.split = .fraction(0.5)
        options.warmupSeconds = 14 * Self.day
        let model = try Trainer.train(store: store, options: options)
        let policy = try Policy.load(SimulationTests.policyFile), catalog = try PriceCatalog.load(SimulationTests.pricesFile)
        func schedule() throws -> (ReplanSchedule, [DatasetForecast]) {
            let log = try WriteLog.load(from: store)
            let frontier = try Frontier(log: log, split: 0.6)
            let c = try #require(policy.policy(forClass: "default")?.policy)
            let datasets = log.names.map { SimulatedDataset(name: $0, classPolicy: c, sizeBytes: 0, bytesPerWrite: 0, bytesPerRead: 0, retentionSeconds: 0) }
            let s = try SimulationSetup.replanSchedule(store: store, model: model, policy: policy, catalog: catalog, frontier: frontier,
                                                        datasets: datasets, cadenceSeconds: 7 * Self.day, progress: nil)
            let at = Int64(s.starts[2].rounded(.up))
            return (s, try Forecasts.make(store: store, model: model, at: at).forecasts)
        }
        let (before, forecastsBefore) = try schedule()
        #expect(before.starts.count >= 4)
        // Heavy writes into every dataset after the third re-planning moment (inside the window, before its end).
        let t = Int64(before.starts[2].rounded(.up)) + 3_600
        let names = try store.datasetNames(withEventsOf: .write)
        let extra = names.flatMap { name in (0..<20).map { AppendedEvent(dataset: name, at: t + Int64($0) * 600, op: .write, bytes: 50_000_000) } }
        #expect(try store.appendEvents(extra, source: "later writes") == extra.count)
        let (after, forecastsAfter) = try schedule()
        #expect(forecastsBefore == forecastsAfter, "forecasts at the third moment ignore later events, sizes included")
        for k in 0...2 {
            #expect(before.intervals[k] == after.intervals[k] && before.backupTiers[k] == after.backupTiers[k]
                    && before.dataTiers[k] == after.dataTiers[k], "period \(k)")
        }
        #expect(before.intervals[3] != after.intervals[3] || before.dataTiers[3] != after.dataTiers[3]
                || before.backupTiers[3] != after.backupTiers[3], "the later writes do reach the next re-plan")
        // Size at a moment: the bytes written before it, plus half the horizon's forecast growth.
        let at = Int64(before.starts[2].rounded(.up))
        let writes = try WriteLog.load(from: store)
        for f in forecastsBefore {
            let d = try #require(writes.names.firstIndex(of: f.name))
            let written = (writes.offsets[d]..<writes.offsets[d + 1]).filter { writes.times[$0] < at }.reduce(0.0) { $0 + Double(writes.bytes[$1]) }
            let growth = f.writesPerDay * f.bytesPerWrite * Double(model.horizonSeconds) / 86_400 / 2
            #expect(abs(f.sizeBytes - (written + growth)) <= 1e-6 * max(1, f.sizeBytes), "\(f.name)")
        }
    }
}
