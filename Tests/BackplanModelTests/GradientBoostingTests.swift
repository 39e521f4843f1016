import BackplanCore
import BackplanLinAlg
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanModel

@Suite("Gradient-boosted Poisson trees on XGBoost")
struct GradientBoostingTests {
    /// Seeded rows whose log mean is nonlinear in the features.
    static func data(seed: UInt64, rows n: Int = 2_000, columns p: Int = 5) -> (Matrix, [Double]) {
        var rng = Xoshiro256StarStar(seed: seed)
        var x = [Double](repeating: 0, count: n * p)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<p { x[i * p + j] = rng.nextNormal() }
            let eta = -0.3 + 0.8 * x[i * p] - 0.5 * x[i * p + 1] * x[i * p + 1]
            y[i] = Double(rng.nextPoisson(mean: exp(eta)))
        }
        return (Matrix(rows: n, columns: p, elements: x), y)
    }

    static func parameters(rounds: Int = 60) -> GBDTParameters {
        var p = GBDTParameters()
        p.rounds = rounds
        p.seed = 3
        p.threads = 1
        return p
    }

    @Test("The linked library is XGBoost 1.7") func theLinkedLibraryIsXGBoost17() {
        #expect(XGBooster.version.hasPrefix("1.7."))
    }

    @Test("Trees beat the constant mean, and saved and loaded boosters predict the same bit for bit")
    func trainSaveLoadGivesTheSamePredictionsBitForBit() throws {
        let (x, y) = Self.data(seed: 11)
        let booster = try XGBooster.train(features: x, y: y, parameters: Self.parameters())
        let mu = try booster.predict(features: x)
        #expect(mu.count == y.count && mu.allSatisfy { $0 > 0 && $0.isFinite })
        // Better than the constant mean on its own training rows (the trees learned something).
        let constant = [Double](repeating: y.reduce(0, +) / Double(y.count), count: y.count)
        #expect(Metrics.meanPoissonDeviance(y: y, mu: mu) < 0.9 * Metrics.meanPoissonDeviance(y: y, mu: constant))

        let dir = TempDir()
        let path = dir.file("gbdt-writes.json")
        try booster.save(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("{") && text.contains("count:poisson"))
        let loaded = try XGBooster.load(path: path)
        #expect(try loaded.predict(features: x) == mu)
        let fromBytes = try XGBooster.load(json: booster.jsonData())
        #expect(try fromBytes.predict(features: x) == mu)
        #expect(try fromBytes.jsonData() == loaded.jsonData())
    }

    @Test("Training twice with one seed gives the same model bytes") func trainingIsDeterministicForOneSeed() throws {
        let (x, y) = Self.data(seed: 12, rows: 800)
        let a = try XGBooster.train(features: x, y: y, parameters: Self.parameters(rounds: 30)).jsonData()
        let b = try XGBooster.train(features: x, y: y, parameters: Self.parameters(rounds: 30)).jsonData()
        #expect(a == b)
    }

    @Test("Predicting with fewer rounds uses only the first trees, as a shorter training would")
    func fewerRoundsPredictWithTheFirstTreesOnly() throws {
        let (x, y) = Self.data(seed: 13, rows: 800)
        let full = try XGBooster.train(features: x, y: y, parameters: Self.parameters(rounds: 40))
        let short = try XGBooster.train(features: x, y: y, parameters: Self.parameters(rounds: 20))
        let a = try full.predict(features: x, rounds: 20), b = try short.predict(features: x)
        for i in a.indices { #expect(abs(a[i] - b[i]) <= 1e-9 * max(1, abs(b[i]))) }
    }

    @Test("In-place and DMatrix predictions agree, and two threads predict the same")
    func inPlaceAndDMatrixPredictionsAgree() throws {
        let (x, y) = Self.data(seed: 15, rows: 600)
        let booster = try XGBooster.train(features: x, y: y, parameters: Self.parameters(rounds: 30))
        let inPlace = try booster.predict(features: x)
        // count:poisson's default base_score 0.5 is the margin log 0.5: the same start through base_margin.
        let viaMatrix = try booster.predict(features: x, baseMargin: [Double](repeating: log(0.5), count: x.rows))
        for i in inPlace.indices { #expect(abs(inPlace[i] - viaMatrix[i]) <= 1e-6 * inPlace[i]) }
        #expect(try booster.predict(features: x, threads: 2) == inPlace)
    }

    @Test("Errors from XGBoost carry the failing call and its message") func errorsCarryXGBoostsMessage() throws {
        let dir = TempDir()
        let bad = dir.write("broken.json", "{ not a model")
        #expect {
            try XGBooster.load(path: bad)
        } throws: { error in
            guard case .boosterFailed(let call, let detail)? = error as? ModelError else { return false }
            return call.contains("XGBoosterLoadModel") && !detail.isEmpty
        }
        var p = Self.parameters()
        p.maxDepth = -1
        let (x, y) = Self.data(seed: 14, rows: 50)
        #expect(throws: ModelError.self) { try XGBooster.train(features: x, y: y, parameters: p) }
    }
}
