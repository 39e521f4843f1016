import BackplanCore
import BackplanLinAlg
import Foundation
import Testing
@testable import BackplanModel

@Suite("Poisson GLM by IRLS")
struct PoissonGLMTests {
    @Test func interceptOnlyIsLogOfTheMean() throws {
        let y: [Double] = [0, 0, 1, 3, 0, 2, 7, 0]
        let fit = try PoissonGLM(lambda: 0).fit(design: Matrix(rows: y.count, columns: 1, repeating: 1), y: y)
        #expect(fit.converged)
        #expect(abs(fit.coefficients[0] - log(13.0 / 8.0)) < 1e-9)
    }

    @Test func oneBinaryFeatureGivesTheGroupMeans() throws {
        // Group 0: y = 1, 2, 3 (mean 2); group 1: y = 0, 0, 1, 5 (mean 1.5).
        let x: [Double] = [0, 0, 0, 1, 1, 1, 1]
        let y: [Double] = [1, 2, 3, 0, 0, 1, 5]
        let fit = try PoissonGLM(lambda: 0).fit(design: designWithIntercept(x.map { [$0] }), y: y)
        #expect(fit.converged)
        #expect(abs(fit.coefficients[0] - log(2.0)) < 1e-8)
        #expect(abs(fit.coefficients[1] - (log(1.5) - log(2.0))) < 1e-8)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func recoversKnownCoefficients(seed: UInt64) throws {
        var rng = Xoshiro256StarStar(seed: seed)
        let truth: [Double] = [0.3, 0.8, -0.5, 0.25]
        var rows: [[Double]] = []
        var y: [Double] = []
        for _ in 0..<5_000 {
            let x = (0..<3).map { _ in rng.nextNormal(mean: 0, standardDeviation: 1) }
            let eta = truth[0] + zip(truth.dropFirst(), x).map(*).reduce(0, +)
            rows.append(x)
            y.append(Double(rng.nextPoisson(mean: exp(eta))))
        }
        let fit = try PoissonGLM(lambda: 0).fit(design: designWithIntercept(rows), y: y)
        #expect(fit.converged)
        for j in truth.indices { #expect(abs(fit.coefficients[j] - truth[j]) < 0.06, "β\(j) seed \(seed)") }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func predictionsDoNotDependOnFeatureScale(seed: UInt64) throws {
        var rng = Xoshiro256StarStar(seed: seed)
        var rows: [[Double]] = []
        var y: [Double] = []
        for _ in 0..<800 {
            let a = rng.nextNormal(mean: 2, standardDeviation: 1), b = rng.nextExponential(rate: 1)
            rows.append([a, b])
            y.append(Double(rng.nextPoisson(mean: exp(-1 + 0.5 * a - 0.3 * b))))
        }
        let scaled = rows.map { [$0[0] * 1000, $0[1]] }
        func predictions(_ raw: [[Double]]) throws -> [Double] {
            let x = try Matrix(rowArrays: raw)
            let design = Scaler(fitting: x).design(x)
            let fit = try PoissonGLM(lambda: 5).fit(design: design, y: y)
            return PoissonGLM.linearPredictor(design, fit.coefficients).map { exp($0) }
        }
        let p1 = try predictions(rows), p2 = try predictions(scaled)
        for i in p1.indices { #expect(abs(p1[i] - p2[i]) <= 1e-8 * max(1, p1[i])) }
    }

    @Test func allZeroTargetsGiveTinyFiniteMeans() throws {
        let x = try designWithIntercept((0..<50).map { [Double($0 % 7), Double($0 % 3)] })
        let fit = try PoissonGLM(lambda: 1).fit(design: x, y: Array(repeating: 0, count: 50))
        let mu = PoissonGLM.linearPredictor(x, fit.coefficients).map { exp($0) }
        #expect(fit.coefficients.allSatisfy { $0.isFinite })
        #expect(mu.allSatisfy { $0.isFinite && $0 < 1e-6 })
    }

    @Test func singularDesignIsSolvedThroughTheRidge() throws {
        // Two identical columns and a constant one, with λ = 0: XᵀWX is singular; the jitter ridge still solves it.
        var rng = Xoshiro256StarStar(seed: 7)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<200 {
            let a = rng.nextNormal(mean: 0, standardDeviation: 1)
            rows.append([a, a, 4])
            y.append(Double(rng.nextPoisson(mean: exp(0.5 * a))))
        }
        let raw = try Matrix(rowArrays: rows)
        let scaler = Scaler(fitting: raw)
        #expect(scaler.stds[2] == 1)
        let fit = try PoissonGLM(lambda: 0).fit(design: scaler.design(raw), y: y)
        #expect(fit.coefficients.allSatisfy { $0.isFinite })
        // The two copies share the effect; the constant column gets (almost) nothing.
        #expect(abs(fit.coefficients[1] - fit.coefficients[2]) < 1e-6)
        #expect(abs(fit.coefficients[3]) < 1e-6)
    }

    @Test func emptyTrainingSetIsAClearError() {
        #expect(throws: ModelError.emptyTrainingSet(detail: "no rows to fit 'writes'")) {
            try PoissonGLM().fit(design: Matrix(rows: 0, columns: 3), y: [], target: "writes")
        }
    }

    @Test func negativeTargetIsRejected() throws {
        #expect(throws: ModelError.invalidTarget(row: 1, value: -1)) {
            try PoissonGLM().fit(design: Matrix(rows: 2, columns: 1, repeating: 1), y: [1, -1])
        }
    }

    @Test func hugeLinearPredictorIsClamped() throws {
        let x = try designWithIntercept([[1e6], [-1e6]])
        let eta = PoissonGLM.linearPredictor(x, [0, 1])
        #expect(eta == [PoissonGLM.etaLimit, -PoissonGLM.etaLimit])
    }
}
