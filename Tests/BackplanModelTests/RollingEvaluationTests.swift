import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanModel

@Suite("Rolling-origin evaluation with bootstrap intervals over datasets")
struct RollingEvaluationTests {
    static let day: Int64 = 86_400

    static func trained(seed: UInt64, in dir: TempDir) throws -> (ForecastModel, StatsStore) {
        let s = try store(simulatedMailboxLines(seed: seed, mailboxes: 40, days: 110), in: dir)
        var o = TrainingOptions()
        o.split = .fraction(0.6)
        o.warmupSeconds = 14 * day
        o.gbdt.rounds = 50
        return (try Trainer.train(store: s, options: o), s)
    }

    @Test("Rolling cutoffs cover every whole horizon before the last event and no more")
    func cutoffsCoverEveryWholeHorizonAndNoMore() {
        let c = RollingEvaluator.cutoffs(from: 100, everySeconds: 10, horizonSeconds: 30, lastEventAt: 159)
        #expect(c == [100, 110, 120, 130])
        #expect(RollingEvaluator.cutoffs(from: 100, everySeconds: 10, horizonSeconds: 30, lastEventAt: 128).isEmpty)
    }

    @Test("Bootstrap intervals contain the means, and the same seed repeats while another moves only the bounds",
          arguments: [UInt64(51), 52])
    func intervalsContainTheMeansAndTheBootstrapIsSeeded(seed: UInt64) throws {
        let dir = TempDir()
        let (model, s) = try Self.trained(seed: seed, in: dir)
        let r = try RollingEvaluator.evaluate(
            model: model, store: s, from: model.training.cutAt, everySeconds: 7 * Self.day, replicates: 60, seed: 9)
        let span = try #require(try FeatureExtractor.eventSpan(of: s))
        #expect(r.cutoffs.count == RollingEvaluator.cutoffs(
            from: model.training.cutAt, everySeconds: 7 * Self.day, horizonSeconds: model.horizonSeconds,
            lastEventAt: span.last).count)
        #expect(r.cutoffs.count >= 3)
        #expect(r.cutoffs.allSatisfy { $0.cutoffAt + r.horizonSeconds <= span.last + 1 })
        #expect(r.targets.map(\.target) == ["writes", "reads"])
        #expect(r.targets[0].predictors.map(\.name) == ["model", "glm", "gbdt", "ewma", "last-window", "recency-30d"])
        for t in r.targets {
            for p in t.predictors {
                #expect(p.poissonDevianceLow <= p.poissonDeviance && p.poissonDeviance <= p.poissonDevianceHigh, "\(t.target) \(p.name)")
                #expect(p.maeLow <= p.mae && p.mae <= p.maeHigh, "\(t.target) \(p.name)")
                #expect(p.cutoffDevianceMin <= p.poissonDeviance * (1 + 1e-12) && p.poissonDeviance <= p.cutoffDevianceMax * (1 + 1e-12))
                #expect(p.devianceRatioLow <= p.devianceRatioHigh)
            }
            // The mean over cutoffs is the mean of the single-cutoff numbers.
            let index = t.target == "writes" ? 0 : 1
            let single = r.cutoffs.map { $0.targets[index].predictors[0].poissonDeviance }
            #expect(abs(t.predictors[0].poissonDeviance - single.reduce(0, +) / Double(single.count)) < 1e-12)
            // The best baseline's ratio to itself is 1.
            #expect(t.predictors.contains { RollingEvaluator.baselineNames.contains($0.name) && $0.devianceRatio == 1 })
        }
        let again = try RollingEvaluator.evaluate(
            model: model, store: s, from: model.training.cutAt, everySeconds: 7 * Self.day, replicates: 60, seed: 9)
        #expect(again == r)
        let other = try RollingEvaluator.evaluate(
            model: model, store: s, from: model.training.cutAt, everySeconds: 7 * Self.day, replicates: 60, seed: 10)
        #expect(other.targets[0].predictors[0].poissonDeviance == r.targets[0].predictors[0].poissonDeviance)
        #expect(other.targets[0].predictors[0].poissonDevianceLow != r.targets[0].predictors[0].poissonDevianceLow)
    }

    @Test("Each rolling cutoff matches the one-cutoff evaluation at that time")
    func singleCutoffsMatchTheOneCutoffEvaluation() throws {
        let dir = TempDir()
        let (model, s) = try Self.trained(seed: 53, in: dir)
        let r = try RollingEvaluator.evaluate(model: model, store: s, from: model.training.cutAt, replicates: 10)
        let first = try #require(r.cutoffs.first)
        let single = try Trainer.evaluate(model: model, store: s, cutoffAt: first.cutoffAt)
        #expect(first.datasets == single.datasets)
        for (a, b) in zip(first.targets, single.targets) {
            #expect(a.rows == b.rows && a.total == b.total)
            let rolling = Dictionary(uniqueKeysWithValues: a.predictors.map { ($0.name, $0) })
            for p in b.predictors { #expect(rolling[p.name] == p) }
        }
    }

    @Test("Datasets without history at a cutoff are left out, and their rows and events are counted")
    func leftOutRowsAreDatasetsWithoutHistoryAndTheirEventsAreCounted() throws {
        let dir = TempDir()
        // Two mailboxes with history; a third first appears inside the first rolling horizon.
        let t0: Int64 = 1_000_000_000
        var lines: [String] = []
        for d in 0..<60 {
            for k in 0..<3 { lines.append("9 1 \(t0 + Int64(d) * Self.day + Int64(k) * 600)") }
            lines.append("9 2 \(t0 + Int64(d) * Self.day + 7_200)")
        }
        let newcomerStart = t0 + 40 * Self.day + 3_600
        for k in 0..<5 { lines.append("9 3 \(newcomerStart + Int64(k) * 60)") }
        let s = try store(lines.sorted { $0.split(separator: " ")[2] < $1.split(separator: " ")[2] }, in: dir)
        var o = TrainingOptions()
        o.split = .at(t0 + 40 * Self.day)
        o.warmupSeconds = 7 * Self.day
        o.gbdt.rounds = 25
        let model = try Trainer.train(store: s, options: o)
        let r = try RollingEvaluator.evaluate(model: model, store: s, from: t0 + 40 * Self.day, replicates: 5)
        let writes = try #require(r.targets.first)
        #expect(r.cutoffs[0].leftOutRows["writes"] == 1 && r.cutoffs[0].leftOutTotal["writes"] == 5)
        #expect(writes.leftOutRows == 1 && writes.leftOutTotal == 5)
        #expect(r.cutoffs.dropFirst().allSatisfy { $0.leftOutRows["writes"] == 0 })
    }

    @Test("CollegeMsg, rolling weekly writes: the chosen model is never worse than the best baseline",
          .realData("CollegeMsg.txt"))
    func collegeMsgRollingNeverLosesToTheBestBaseline() throws {
        let path = RealData.file("CollegeMsg.txt")
        let dir = TempDir()
        let s = try StatsStore.open(path: dir.file("college.sqlite"), create: true)
        _ = try Ingestor(store: s, options: IngestOptions(format: .snapTemporal)).ingest(path: path)
        var o = TrainingOptions()
        o.split = .fraction(0.6)
        let model = try Trainer.train(store: s, options: o)
        let r = try RollingEvaluator.evaluate(
            model: model, store: s, from: model.training.cutAt, everySeconds: 7 * Self.day, replicates: 20, seed: 3)
        let writes = try #require(r.targets.first { $0.target == "writes" })
        let m = try #require(writes.predictors.first { $0.name == "model" })
        #expect(m.devianceRatio <= 1.0, "model / best baseline = \(m.devianceRatio)")
        #expect(r.cutoffs.count >= 10)
    }

    @Test("Starting too late for one whole horizon is a clear error") func noWholeHorizonIsAClearError() throws {
        let dir = TempDir()
        let (model, s) = try Self.trained(seed: 54, in: dir)
        let span = try #require(try FeatureExtractor.eventSpan(of: s))
        #expect {
            try RollingEvaluator.evaluate(model: model, store: s, from: span.last - Self.day, replicates: 5)
        } throws: { error in
            guard case .emptyTrainingSet(let detail)? = error as? ModelError else { return false }
            return detail.contains("no whole")
        }
    }
}
