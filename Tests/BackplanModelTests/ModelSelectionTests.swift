import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanModel

@Suite("Choosing between GLM, gradient-boosted trees and EWMA on an inner time split")
struct ModelSelectionTests {
    static let day: Int64 = 86_400

    static func options() -> TrainingOptions {
        var o = TrainingOptions()
        o.split = .fraction(0.7)
        o.warmupSeconds = 14 * day
        o.strideSeconds = 3 * day
        o.gbdt.rounds = 100
        return o
    }

    @Test("The chosen candidate never loses to GLM, trees or EWMA on its own inner validation",
          arguments: [UInt64(41), 42, 43])
    func theChoiceNeverLosesOnItsOwnValidation(seed: UInt64) throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: seed, mailboxes: 40, days: 100), in: dir)
        let model = try Trainer.train(store: s, options: Self.options())
        let selection = try #require(model.selection)
        let from = try #require(selection.validationFromAt)
        #expect(from < model.training.cutAt && selection.innerTrainingRows > 0 && selection.validationRows > 0)
        #expect(selection.choices.map(\.target) == ["writes", "reads"])
        for choice in selection.choices {
            let candidates = choice.validation.filter { ForecastCandidate(rawValue: $0.name) != nil }
            #expect(Set(candidates.map(\.name)) == ["glm", "gbdt", "ewma"])
            let chosen = try #require(choice.validation.first { $0.name == choice.chosen.rawValue })
            for other in candidates { #expect(chosen.poissonDeviance <= other.poissonDeviance) }
            #expect(ModelSelector.roundGrid(100).contains(choice.gbdt.rounds))
        }
        #expect(model.boosters.keys.sorted() == ["reads", "writes"])
    }

    @Test("The model forecasts with the means of whichever candidate is chosen")
    func theModelForecastsWithTheChosenCandidate() throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: 44, mailboxes: 30, days: 90), in: dir)
        var model = try Trainer.train(store: s, options: Self.options())
        let rows = try FeatureExtractor(horizonSeconds: model.horizonSeconds)
            .extract(from: s, cutoffs: [model.training.cutAt], schema: model.features)
        for candidate in ForecastCandidate.allCases {
            var selection = try #require(model.selection)
            for k in selection.choices.indices { selection.choices[k].chosen = candidate }
            model.selection = selection
            let predicted = try model.predict(rows)
            let fit = try #require(model.targets.first { $0.target == "writes" })
            #expect(predicted[.writes] == (try model.means(of: candidate, fit: fit, target: .writes, rows: rows)))
        }
    }

    @Test("Saved and loaded models predict the same bit for bit, and a corrupt tree file is named")
    func savedAndLoadedModelsPredictTheSameBitForBit() throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: 45, mailboxes: 30, days: 90), in: dir)
        let model = try Trainer.train(store: s, options: Self.options())
        let out = dir.file("model")
        try model.save(directory: out)
        for target in ["reads", "writes"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + ForecastModel.boosterFileName(target: target)))
        }
        let loaded = try ForecastModel.load(directory: out)
        #expect(loaded == model)
        let rows = try FeatureExtractor(horizonSeconds: model.horizonSeconds)
            .extract(from: s, cutoffs: [model.training.cutAt], schema: model.features)
        #expect(try loaded.predict(rows) == model.predict(rows))
        for (a, b) in zip(try loaded.candidateMeans(rows), try model.candidateMeans(rows)) {
            #expect(a.name == b.name && a.mu == b.mu)
        }
        let card = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        #expect(card.contains("## Model choice") && card.contains("| writes | gbdt |"))

        // A corrupt tree file is a clear error naming the file.
        let treeFile = out + "/" + ForecastModel.boosterFileName(target: "writes")
        try "{ broken".write(toFile: treeFile, atomically: true, encoding: .utf8)
        #expect {
            try ForecastModel.load(directory: out)
        } throws: { error in
            guard case .badModelFile(let path, _)? = error as? ModelError else { return false }
            return path == treeFile
        }
    }

    @Test("With one training cutoff the GLM is kept and the reason says there is no inner validation")
    func oneTrainingCutoffKeepsTheGLMAndSaysWhy() throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: 46, mailboxes: 20, days: 60), in: dir)
        var o = Self.options()
        o.strideSeconds = 60 * Self.day
        let model = try Trainer.train(store: s, options: o)
        let selection = try #require(model.selection)
        #expect(model.training.cutoffs == 1)
        #expect(selection.validationFromAt == nil)
        #expect(selection.choices.allSatisfy { $0.chosen == .glm && $0.reason.contains("no inner validation") })
    }

    @Test("The committed default model reproduces its held-out metrics within 1e-9 on the sample")
    func committedDefaultModelReproducesItsHeldOutMetricsWithinTolerance() throws {
        let root = Checkout.root
        let modelDir = root.appendingPathComponent("models/default").path
        let sample = root.appendingPathComponent("datasets/sample/chat-sample.sqlite").path
        let model = try ForecastModel.load(directory: modelDir)
        let heldOut = try #require(model.heldOut)
        let dir = TempDir()
        let s = try StatsStore.open(path: dir.file("sample.sqlite"), create: true)
        _ = try Ingestor(store: s, options: IngestOptions(format: .messageStore)).ingest(path: sample)
        // The files may come from another machine: compare numbers with a tolerance, not bytes.
        let again = try Trainer.evaluate(model: model, store: s, cutoffAt: heldOut.cutoffAt)
        for (a, b) in zip(again.targets, heldOut.targets) {
            for (p, q) in zip(a.predictors, b.predictors) {
                #expect(p.name == q.name)
                #expect(abs(p.poissonDeviance - q.poissonDeviance) <= 1e-9 * max(1, abs(q.poissonDeviance)))
                #expect(abs(p.mae - q.mae) <= 1e-9 * max(1, abs(q.mae)))
            }
        }
    }
}
