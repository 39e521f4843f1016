import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanModel

@Suite("Training, evaluation and model files")
struct ModelFileTests {
    static let day: Int64 = 86_400

    func options() -> TrainingOptions {
        var o = TrainingOptions()
        o.split = .fraction(0.7)
        o.warmupSeconds = 14 * Self.day
        return o
    }

    @Test("A trained model beats the worst baseline, loads back unchanged and re-evaluates to its held-out metrics",
          arguments: [UInt64(31), 32])
    func trainsEvaluatesAndRoundTrips(seed: UInt64) throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: seed), in: dir)
        let model = try Trainer.train(store: s, options: options())
        #expect(model.targets.map(\.target) == ["reads", "writes"])
        #expect(model.targets.allSatisfy { $0.converged })
        #expect(model.training.lastCutoffAt + model.horizonSeconds <= model.training.cutAt)
        let heldOut = try #require(model.heldOut)
        #expect(heldOut.cutoffAt == model.training.cutAt)
        #expect(heldOut.targets.map(\.target) == ["writes", "reads"])
        #expect(heldOut.targets[0].predictors.map(\.name) == ["model", "ewma", "last-window", "recency-30d"])
        let writes = heldOut.targets[0].predictors
        // On drifting Poisson traffic the model should at least match the worst baseline.
        #expect(writes[0].poissonDeviance < writes.dropFirst().map(\.poissonDeviance).max()!)
        #expect(writes.allSatisfy { $0.poissonDeviance.isFinite && $0.spearman.isFinite })
        #expect(model.store.sha256.count == 64)

        let out = dir.file("model")
        try model.save(directory: out)
        let loaded = try ForecastModel.load(directory: out)
        #expect(loaded == model)
        let first = try #require(FileManager.default.contents(atPath: out + "/model.json"))
        try loaded.save(directory: out)
        #expect(FileManager.default.contents(atPath: out + "/model.json") == first)
        let card = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        #expect(card.contains("| writes | model |") && card.contains("recency-30d") && card.contains("## Limits"))

        // Re-evaluating the loaded model at the cut reproduces the held-out metrics.
        let again = try Trainer.evaluate(model: loaded, store: s, cutoffAt: model.training.cutAt)
        #expect(again == heldOut)
    }

    @Test("Training twice on one store gives the same model bytes") func trainingTwiceGivesTheSameBytes() throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: 5, mailboxes: 30, days: 80), in: dir)
        let a = try Trainer.train(store: s, options: options()).jsonData()
        let b = try Trainer.train(store: s, options: options()).jsonData()
        #expect(a == b)
    }

    @Test("A model file with another feature schema, version or no content fails to load with a clear error")
    func schemaMismatchOnLoadIsAClearError() throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: 9, mailboxes: 20, days: 80), in: dir)
        let out = dir.file("model")
        try Trainer.train(store: s, options: options()).save(directory: out)
        let path = out + "/model.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)

        try text.replacingOccurrences(of: "\"log1p_reads_6h\"", with: "\"log1p_reads_5h\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ForecastModel.load(directory: out)
            Issue.record("a renamed feature must not load")
        } catch {
            guard case .schemaMismatch(let expected, let found) = error else { Issue.record("\(error)"); return }
            #expect(expected.contains("log1p_reads_6h") && found.contains("log1p_reads_5h"))
        }

        try text.replacingOccurrences(of: "\"\(FeatureSchema.currentVersion)\"", with: "\"features-v0\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ModelError.schemaMismatch(expected: "version \(FeatureSchema.currentVersion)", found: "version features-v0")) {
            try ForecastModel.load(directory: out)
        }

        try "{}".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try ForecastModel.load(directory: out)
        } throws: { error in
            guard case .badModelFile(let p, _)? = error as? ModelError else { return false }
            return p == path
        }
        #expect {
            try ForecastModel.load(directory: dir.file("nowhere"))
        } throws: { error in
            guard case .badModelFile? = error as? ModelError else { return false }
            return "\(error)".contains("no such model file")
        }
    }

    @Test("An empty store and a history too short for a training cutoff are clear errors")
    func emptyStoreAndTooShortWindowAreClearErrors() throws {
        let dir = TempDir()
        let empty = try StatsStore.open(path: dir.file("empty.sqlite"), create: true)
        #expect {
            try Trainer.train(store: empty, options: options())
        } throws: { error in
            guard case .emptyTrainingSet(let detail)? = error as? ModelError else { return false }
            return detail.contains("has no events")
        }
        let short = try store(["1 2 1000000000", "1 2 1000086400"], in: dir)
        #expect {
            try Trainer.train(store: short, options: options())
        } throws: { error in
            guard case .emptyTrainingSet(let detail)? = error as? ModelError else { return false }
            return detail.contains("no training cutoff fits")
        }
    }

    @Test("A model trains on CollegeMsg with finite held-out deviance over more than 1 000 datasets",
          .realData("CollegeMsg.txt"))
    func collegeMsgTrainsWhenPresent() throws {
        let path = RealData.file("CollegeMsg.txt")
        let dir = TempDir()
        let s = try StatsStore.open(path: dir.file("college.sqlite"), create: true)
        _ = try Ingestor(store: s, options: IngestOptions(format: .snapTemporal)).ingest(path: path)
        var o = TrainingOptions()
        o.split = .fraction(0.6)
        let model = try Trainer.train(store: s, options: o)
        let heldOut = try #require(model.heldOut)
        #expect(heldOut.datasets > 1_000)
        #expect(heldOut.targets[0].predictors.allSatisfy { $0.poissonDeviance.isFinite })
        for t in heldOut.targets {
            for p in t.predictors {
                print("CollegeMsg \(t.target) \(p.name): deviance \(p.poissonDeviance) MAE \(p.mae) Spearman \(p.spearman) F1 \(p.f1)")
            }
        }
    }
}
