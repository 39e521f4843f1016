import BackplanCore
import BackplanLinAlg
import Foundation
import Testing
@testable import BackplanModel

@Suite("Poisson GLM by IRLS")
struct PoissonGLMTests {
    @Test("An intercept-only fit gives the log of the mean count") func interceptOnlyIsLogOfTheMean() throws {
        let y: [Double] = [0, 0, 1, 3, 0, 2, 7, 0]
        let fit = try PoissonGLM(lambda: 0).fit(design: Matrix(rows: y.count, columns: 1, repeating: 1), y: y)
        #expect(fit.converged)
        #expect(abs(fit.coefficients[0] - log(13.0 / 8.0)) < 1e-9)
    }

    @Test("One binary feature gives the two group means exactly") func oneBinaryFeatureGivesTheGroupMeans() throws {
        // Group 0: y = 1, 2, 3 (mean 2); group 1: y = 0, 0, 1, 5 (mean 1.5).
        let x: [Double] = [0, 0, 0, 1, 1, 1, 1]
        let y: [Double] = [1, 2, 3, 0, 0, 1, 5]
        // The fit stops on a relative Newton decrement δ, which bounds F − F* (β − β* only as √δ): a tiny one for
        // 10⁻⁸ in β (the decrement is computed from the step, not as a difference of F, so it can go that low).
        let fit = try PoissonGLM(lambda: 0, tolerance: 1e-20).fit(design: designWithIntercept(x.map { [$0] }), y: y)
        #expect(fit.converged)
        #expect(abs(fit.coefficients[0] - log(2.0)) < 1e-8)
        #expect(abs(fit.coefficients[1] - (log(1.5) - log(2.0))) < 1e-8)
    }

    @Test("A fit on 5 000 simulated rows recovers the true coefficients within 0.06",
          arguments: [UInt64(1), 2, 3, 4, 5])
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

    @Test("Rescaling a feature leaves the standardised fit's predictions unchanged", arguments: [UInt64(11), 12, 13])
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

    @Test("All-zero targets give finite coefficients and tiny means") func allZeroTargetsGiveTinyFiniteMeans() throws {
        let x = try designWithIntercept((0..<50).map { [Double($0 % 7), Double($0 % 3)] })
        let fit = try PoissonGLM(lambda: 1).fit(design: x, y: Array(repeating: 0, count: 50))
        let mu = PoissonGLM.linearPredictor(x, fit.coefficients).map { exp($0) }
        #expect(fit.coefficients.allSatisfy { $0.isFinite })
        #expect(mu.allSatisfy { $0.isFinite && $0 < 1e-6 })
    }

    @Test("A singular design is solved through the ridge: copies share the effect, a constant gets nothing")
    func singularDesignIsSolvedThroughTheRidge() throws {
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

    @Test("An empty training set is a clear error naming the target") func emptyTrainingSetIsAClearError() {
        #expect(throws: ModelError.emptyTrainingSet(detail: "no rows to fit 'writes'")) {
            try PoissonGLM().fit(design: Matrix(rows: 0, columns: 3), y: [], target: "writes")
        }
    }

    @Test("A negative target is rejected with its row") func negativeTargetIsRejected() throws {
        #expect(throws: ModelError.invalidTarget(row: 1, value: -1)) {
            try PoissonGLM().fit(design: Matrix(rows: 2, columns: 1, repeating: 1), y: [1, -1])
        }
    }

    @Test("A huge linear predictor is clamped at ±etaLimit") func hugeLinearPredictorIsClamped() throws {
        let x = try designWithIntercept([[1e6], [-1e6]])
        let eta = PoissonGLM.linearPredictor(x, [0, 1])
        #expect(eta == [PoissonGLM.etaLimit, -PoissonGLM.etaLimit])
    }

    /// A tall Poisson problem with `p` standard-normal features and the intercept column first.
    private func tallProblem(rows n: Int, features p: Int, seed: UInt64) -> (Matrix, [Double]) {
        var rng = Xoshiro256StarStar(seed: seed)
        let truth = [-0.5] + (0..<p).map { _ in rng.nextNormal(mean: 0, standardDeviation: 0.3) }
        var elements: [Double] = [], y: [Double] = []
        for _ in 0..<n {
            var eta = truth[0]
            elements.append(1)
            for j in 0..<p {
                let v = rng.nextNormal()
                elements.append(v)
                eta += truth[j + 1] * v
            }
            y.append(Double(rng.nextPoisson(mean: exp(eta))))
        }
        return (Matrix(rows: n, columns: p + 1, elements: elements), y)
    }

    /// The unfused IRLS of the first version (gemv, then weightedGram and weightedCross, Metrics' deviance):
    /// the reference the fused passes must reproduce up to rounding.
    private func unfusedFit(_ x: Matrix, _ y: [Double], lambda: Double, tolerance: Double) throws -> [Double] {
        func objective(_ beta: [Double]) -> Double { penalisedDeviance(x, y, lambda: lambda, beta) }
        var beta = [Double](repeating: 0, count: x.columns)
        beta[0] = log(max(y.reduce(0, +) / Double(y.count), 1e-10))
        var current = objective(beta)
        for _ in 0..<50 {
            let eta = PoissonGLM.linearPredictor(x, beta)
            let w = eta.map { max(exp($0), 1e-300) }
            let z = (0..<eta.count).map { eta[$0] + (y[$0] - exp(eta[$0])) / w[$0] }
            var gram = try weightedGram(x, weights: w)
            for j in 1..<x.columns { gram[j, j] += lambda }
            var candidate = try choleskySolve(gram, weightedCross(x, weights: w, z))
            var next = objective(candidate)
            var halvings = 0
            while !(next <= current) && halvings < 20 {
                for j in candidate.indices { candidate[j] = (candidate[j] + beta[j]) / 2 }
                next = objective(candidate)
                halvings += 1
            }
            if !(next <= current) { break }
            let change = abs(current - next) / (abs(next) + 0.1)
            (beta, current) = (candidate, next)
            if change < tolerance { break }
        }
        return beta
    }

    /// F(β) = D(β) + λ‖β₁…‖² by Metrics' deviance formula.
    private func penalisedDeviance(_ x: Matrix, _ y: [Double], lambda: Double, _ beta: [Double]) -> Double {
        let mu = PoissonGLM.linearPredictor(x, beta).map { exp($0) }
        return Metrics.meanPoissonDeviance(y: y, mu: mu) * Double(y.count)
            + lambda * beta.dropFirst().reduce(0) { $0 + $1 * $1 }
    }

    @Test("The fused IRLS passes reach the unfused reference's optimum and deviance on one or two threads",
          arguments: [UInt64(21), 22, 23])
    func fusedPassesMatchTheUnfusedIRLS(seed: UInt64) throws {
        // 3 000 rows: several blocks of the fused pass, and a share per thread.
        let (x, y) = tallProblem(rows: 3_000, features: 12, seed: seed)
        let expected = try unfusedFit(x, y, lambda: 2, tolerance: 1e-12)
        let optimum = penalisedDeviance(x, y, lambda: 2, expected)
        for threads in [1, 2] {
            let fit = try PoissonGLM(lambda: 2, tolerance: 1e-12, threads: threads).fit(design: x, y: y)
            #expect(fit.converged)
            // The fit stops where the Newton decrement promises F within 10⁻¹² (relative) of the optimum (the
            // reference takes one more full Newton step and is at it to rounding): F agrees to that, β to ~10⁻⁷.
            let reached = penalisedDeviance(x, y, lambda: 2, fit.coefficients)
            #expect(reached - optimum <= 1e-12 * optimum + 1e-9, "seed \(seed) threads \(threads)")
            for j in expected.indices {
                #expect(abs(fit.coefficients[j] - expected[j]) < 1e-6, "β\(j) seed \(seed) threads \(threads)")
            }
            // The deviance the passes accumulate (with log μ = η) is Metrics' formula up to rounding.
            let mu = PoissonGLM.means(x, fit.coefficients)
            let reference = Metrics.meanPoissonDeviance(y: y, mu: mu)
            #expect(abs(fit.meanDeviance - reference) <= 1e-12 * reference)
        }
    }

    @Test("The warm start from a row sample reaches the same optimum in fewer full-data steps, repeatably")
    func warmStartReachesTheSameOptimumInFewerFullDataSteps() throws {
        // Above warmStartMinimumRows: the fit starts from the fit on a 1-in-16 sample of the rows.
        let (x, y) = tallProblem(rows: PoissonGLM.warmStartMinimumRows + 20_000, features: 6, seed: 41)
        let warm = try PoissonGLM(lambda: 3, tolerance: 1e-10).fit(design: x, y: y)
        let cold = try PoissonGLM(lambda: 3, tolerance: 1e-10, warmStart: false).fit(design: x, y: y)
        #expect(warm.converged && cold.converged)
        #expect(warm.iterations < cold.iterations)
        let (fw, fc) = (penalisedDeviance(x, y, lambda: 3, warm.coefficients),
                        penalisedDeviance(x, y, lambda: 3, cold.coefficients))
        #expect(abs(fw - fc) <= 1e-10 * fc)
        for j in warm.coefficients.indices { #expect(abs(warm.coefficients[j] - cold.coefficients[j]) < 1e-5) }
        // Repeatable bit for bit, and the same from the raw features as from the stored design.
        #expect(try PoissonGLM(lambda: 3, tolerance: 1e-10).fit(design: x, y: y) == warm)
        var raw = Matrix.zeros(rows: x.rows, columns: 6)
        for i in 0..<x.rows { for j in 0..<6 { raw[i, j] = x[i, j + 1] } }
        let identity = Scaler(means: [Double](repeating: 0, count: 6), stds: [Double](repeating: 1, count: 6))
        let fromRaw = try PoissonGLM(lambda: 3, tolerance: 1e-10).fit(features: raw, scaler: identity, y: y)
        #expect(fromRaw.iterations == warm.iterations)
        for j in warm.coefficients.indices { #expect(abs(fromRaw.coefficients[j] - warm.coefficients[j]) < 1e-9) }
    }

    @Test("A warm-start sample without events falls back to the intercept-only start")
    func aSampleWithoutEventsFallsBackToTheInterceptOnlyStart() throws {
        // Events only in rows the 1-in-16 sample (runs of 64 rows, one run in 16) leaves out.
        let (x, counts) = tallProblem(rows: PoissonGLM.warmStartMinimumRows, features: 3, seed: 42)
        let y = counts.indices.map { i in (i / 64) % 16 == 0 ? 0 : counts[i] }
        let warm = try PoissonGLM(lambda: 1).fit(design: x, y: y)
        let cold = try PoissonGLM(lambda: 1, warmStart: false).fit(design: x, y: y)
        #expect(warm == cold)
    }

    @Test("The thread count changes only rounding, each count repeats, and zero threads is refused")
    func threadCountChangesRoundingOnlyAndRepeats() throws {
        let (x, y) = tallProblem(rows: 5_000, features: 6, seed: 31)
        let one = try PoissonGLM(lambda: 1, tolerance: 1e-12, threads: 1).fit(design: x, y: y)
        let two = try PoissonGLM(lambda: 1, tolerance: 1e-12, threads: 2).fit(design: x, y: y)
        let again = try PoissonGLM(lambda: 1, tolerance: 1e-12, threads: 2).fit(design: x, y: y)
        #expect(two == again)
        for j in one.coefficients.indices { #expect(abs(one.coefficients[j] - two.coefficients[j]) < 1e-8) }
        #expect(throws: ModelError.invalidArgument("threads 0 must be ≥ 1")) {
            try PoissonGLM(threads: 0).fit(design: x, y: y)
        }
    }

    @Test("Means are exp of the clamped linear predictor on any number of threads")
    func meansAreExpOfTheClampedLinearPredictor() throws {
        let (x, _) = tallProblem(rows: 2_500, features: 5, seed: 41)
        let beta = [0.1, 0.5, -0.25, 40, 0, -0.3]  // 40: some η clamp at ±30
        let expected = PoissonGLM.linearPredictor(x, beta).map { exp($0) }
        for threads in [1, 2, 3] {
            let mu = PoissonGLM.means(x, beta, threads: threads)
            #expect(mu.count == expected.count)
            for i in mu.indices { #expect(abs(mu[i] - expected[i]) <= 1e-13 * expected[i]) }
        }
    }

    @Test("The scaler's design is the same on any number of threads and multiplies by 1/std")
    func scalerDesignIsTheSameOnAnyNumberOfThreads() throws {
        // 140 000 rows: enough for two shares (a share needs ≥ 65 536 rows).
        let (n, p) = (140_000, 3)
        let x = Matrix(rows: n, columns: p, elements: (0..<(n * p)).map { Double($0 % 977) * 0.37 - 50 })
        let scaler = Scaler(fitting: x)
        let one = scaler.design(x), two = scaler.design(x, threads: 2)
        #expect(one == two)
        #expect(one.columns == p + 1)
        #expect(one[n - 1, 0] == 1)
        // Standardised as (x − mean)·(1/std): one multiply (Scaler.interceptDesign), within a rounding of the divide.
        #expect(one[n - 1, 2] == (x[n - 1, 1] - scaler.means[1]) * (1 / scaler.stds[1]))
        let divided = (x[n - 1, 1] - scaler.means[1]) / scaler.stds[1]
        #expect(abs(one[n - 1, 2] - divided) <= 2 * Double.ulpOfOne * abs(divided))
    }

    /// Raw features whose columns have the given means and scales (standard normal times scale plus mean),
    /// a constant column where the scale is 0, and Poisson targets from the standardised design.
    private func rawProblem(
        rows n: Int, means: [Double], scales: [Double], seed: UInt64
    ) -> (Matrix, [Double]) {
        var rng = Xoshiro256StarStar(seed: seed)
        let p = means.count
        let truth = [-0.4] + (0..<p).map { _ in rng.nextNormal(mean: 0, standardDeviation: 0.3) }
        var elements: [Double] = [], y: [Double] = []
        for _ in 0..<n {
            var eta = truth[0]
            for j in 0..<p {
                let z = rng.nextNormal()
                elements.append(means[j] + scales[j] * z)
                if scales[j] != 0 { eta += truth[j + 1] * z }
            }
            y.append(Double(rng.nextPoisson(mean: exp(eta))))
        }
        return (Matrix(rows: n, columns: p, elements: elements), y)
    }

    @Test("A fit from raw features matches the fit on the stored design, even with extreme scales and offsets",
          arguments: [UInt64(51), 52, 53, 54])
    func fitFromFeaturesMatchesFitOnTheStoredDesign(seed: UInt64) throws {
        // Ordinary, constant (scale 0), tiny and huge scales, and large offsets beside small spreads.
        let means = [0, 3, 5, -2e3, 1e6, 0, 7, 1e-9]
        let scales = [1, 0, 1e-7, 1e4, 1e-3, 1e8, 0.5, 1e-12]
        // 2 500 rows: several blocks of the pass and a share per thread.
        let (x, y) = rawProblem(rows: 2_500, means: means, scales: scales, seed: seed)
        let scaler = Scaler(fitting: x)
        let design = scaler.design(x)
        for (lambda, threads) in [(1.0, 1), (0.5, 2), (0, 1)] {
            let glm = PoissonGLM(lambda: lambda, tolerance: 1e-12, threads: threads)
            let stored = try glm.fit(design: design, y: y)
            let raw = try glm.fit(features: x, scaler: scaler, y: y)
            #expect(raw.converged && stored.converged)
            #expect(raw.iterations == stored.iterations)
            #expect(raw.coefficients.count == means.count + 1)
            let size = stored.coefficients.map(abs).max()!
            for j in stored.coefficients.indices {
                #expect(abs(raw.coefficients[j] - stored.coefficients[j]) <= 1e-9 * max(size, 1e-300),
                        "β\(j) seed \(seed) λ \(lambda) threads \(threads): \(raw.coefficients[j]) vs \(stored.coefficients[j])")
            }
            #expect(abs(raw.meanDeviance - stored.meanDeviance) <= 1e-12 * stored.meanDeviance)
            // Repeatable bit for bit.
            #expect(try glm.fit(features: x, scaler: scaler, y: y) == raw)
        }
    }

    @Test("A fit from raw features rejects the inputs the design fit rejects, and fits an intercept alone")
    func fitFromFeaturesChecksItsInputsAsTheDesignFitDoes() throws {
        let x = Matrix(rows: 3, columns: 2, elements: [1, 2, 3, 4, 5, 7])
        let scaler = Scaler(fitting: x)
        #expect(throws: ModelError.invalidTarget(row: 1, value: -1)) {
            try PoissonGLM().fit(features: x, scaler: scaler, y: [1, -1, 0])
        }
        #expect(throws: ModelError.emptyTrainingSet(detail: "no rows to fit 'writes'")) {
            try PoissonGLM().fit(features: Matrix(rows: 0, columns: 2), scaler: scaler, y: [], target: "writes")
        }
        // No features at all: the intercept alone, the log of the mean.
        let none = try PoissonGLM(lambda: 0).fit(
            features: Matrix(rows: 4, columns: 0), scaler: Scaler(means: [], stds: []), y: [0, 1, 2, 5])
        #expect(abs(none.coefficients[0] - log(2)) < 1e-9)
    }

    @Test("Means from raw features equal means on the stored design, bit for bit, on any number of threads")
    func meansFromFeaturesEqualMeansOnTheStoredDesign() throws {
        let (x, _) = rawProblem(rows: 2_600, means: [1e6, 0, -5, 2], scales: [1e-3, 1e5, 0, 1], seed: 61)
        let scaler = Scaler(fitting: x)
        let beta = [0.2, 0.5, -0.25, 3, 40]  // 40: some η clamp at ±30
        let expected = PoissonGLM.means(scaler.design(x), beta)
        for threads in [1, 2, 3] {
            #expect(PoissonGLM.means(features: x, scaler: scaler, beta, threads: threads) == expected)
        }
        #expect(PoissonGLM.means(features: Matrix(rows: 0, columns: 4), scaler: scaler, beta).isEmpty)
    }
}
