import BackplanLinAlg
import Foundation

/// Per-feature standardisation x' = (x − mean) / std, fitted on training rows and saved with the model.
/// A constant feature gets std 1, so its standardised column is all zeros and the ridge sets its weight to 0.
public struct Scaler: Codable, Sendable, Equatable {
    public var means: [Double]
    public var stds: [Double]

    public init(means: [Double], stds: [Double]) {
        self.means = means
        self.stds = stds
    }

    /// Column means and (population) standard deviations of `x`.
    public init(fitting x: Matrix) {
        let (n, p) = (x.rows, x.columns)
        var means = [Double](repeating: 0, count: p)
        var squares = [Double](repeating: 0, count: p)
        x.withUnsafeBufferPointer { px in
            for i in 0..<n { for j in 0..<p { means[j] += px[i * p + j] } }
            for j in 0..<p { means[j] /= Double(max(n, 1)) }
            for i in 0..<n {
                for j in 0..<p {
                    let d = px[i * p + j] - means[j]
                    squares[j] += d * d
                }
            }
        }
        let stds = squares.enumerated().map { j, s -> Double in
            let sd = (s / Double(max(n, 1))).squareRoot()
            // Relative test so a feature that is constant up to rounding counts as constant.
            return sd > 1e-12 * max(1, abs(means[j])) ? sd : 1
        }
        self.init(means: means, stds: stds)
    }

    /// `[1, (x − mean)/std …]` for each row: the design matrix with its intercept column first.
    public func design(_ x: Matrix) -> Matrix {
        let (n, p) = (x.rows, x.columns)
        var out = [Double](repeating: 1, count: n * (p + 1))
        x.withUnsafeBufferPointer { px in
            for i in 0..<n {
                for j in 0..<p { out[i * (p + 1) + j + 1] = (px[i * p + j] - means[j]) / stds[j] }
            }
        }
        return Matrix(rows: n, columns: p + 1, elements: out)
    }
}

/// Poisson regression with log link and an L2 penalty on every coefficient but the intercept, fitted by
/// iteratively reweighted least squares (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §2.5; the
/// penalised form as in glmnet, Friedman, Hastie, Tibshirani, J. Stat. Softw. 2010).
///
/// Each iteration: η = Xβ (clamped to ±``etaLimit``), μ = e^η, w = μ, z = η + (y − μ)/μ, then
/// (XᵀWX + λ·I₀)β = XᵀWz with I₀ the identity without its intercept entry; XᵀWX by `dsyrk`, the solve by
/// `dpotrf`/`dpotrs`. Stops when the relative change of the penalised deviance is below ``tolerance``.
public struct PoissonGLM: Sendable {
    /// L2 penalty λ (on the standardised scale, in units of the log-likelihood's Hessian).
    public var lambda: Double
    public var maxIterations: Int
    public var tolerance: Double
    /// |η| limit: e^30 ≈ 10¹³ events, far past any real count, and no overflow in μ or w.
    public static let etaLimit = 30.0

    public init(lambda: Double = 1, maxIterations: Int = 50, tolerance: Double = 1e-9) {
        self.lambda = lambda
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// The result of one fit.
    public struct Fit: Codable, Sendable, Equatable {
        /// Intercept first, then one coefficient per design column.
        public var coefficients: [Double]
        public var iterations: Int
        public var converged: Bool
        /// Mean Poisson deviance on the training rows at the final coefficients.
        public var meanDeviance: Double
    }

    /// Fits y ~ Poisson(exp(Xβ)), X a design matrix whose column 0 is the intercept (all ones).
    ///
    /// - Throws: ``ModelError/emptyTrainingSet(detail:)`` when X has no rows, ``ModelError/invalidTarget(row:value:)``
    ///   for a negative or non-finite y, ``ModelError/solverFailed(target:iteration:cause:)`` when the normal
    ///   equations stay indefinite even after adding a ridge.
    public func fit(design x: Matrix, y: [Double], target: String = "y") throws(ModelError) -> Fit {
        let (n, p) = (x.rows, x.columns)
        guard n > 0 else { throw .emptyTrainingSet(detail: "no rows to fit '\(target)'") }
        guard y.count == n else { throw .invalidArgument("\(n) design rows but \(y.count) targets") }
        if let bad = y.firstIndex(where: { !$0.isFinite || $0 < 0 }) { throw .invalidTarget(row: bad, value: y[bad]) }
        guard lambda.isFinite && lambda >= 0 else { throw .invalidArgument("lambda \(lambda) must be finite and ≥ 0") }

        let meanY = y.reduce(0, +) / Double(n)
        var beta = [Double](repeating: 0, count: p)
        // Start at the intercept-only fit: log of the mean, floored so an all-zero target starts finite.
        beta[0] = log(max(meanY, 1e-10))
        var objective = penalisedDeviance(x, y, beta)
        var converged = false
        var iteration = 0
        while iteration < maxIterations {
            iteration += 1
            let eta = linearPredictor(x, beta)
            var w = [Double](repeating: 0, count: n)
            var z = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let mu = exp(eta[i])
                // w = μ ≥ e^-30 keeps XᵀWX finite; z's residual is bounded by the same floor.
                w[i] = max(mu, 1e-300)
                z[i] = eta[i] + (y[i] - mu) / w[i]
            }
            let proposal = try solve(x, w, z, target: target, iteration: iteration)
            // Step halving (as R's glm.fit) when the full step does not lower the penalised deviance.
            var candidate = proposal
            var candidateObjective = penalisedDeviance(x, y, candidate)
            var halvings = 0
            while !(candidateObjective <= objective) && halvings < 20 {
                for j in 0..<p { candidate[j] = (candidate[j] + beta[j]) / 2 }
                candidateObjective = penalisedDeviance(x, y, candidate)
                halvings += 1
            }
            if !(candidateObjective <= objective) { converged = true; break }
            let change = abs(objective - candidateObjective) / (abs(candidateObjective) + 0.1)
            beta = candidate
            objective = candidateObjective
            if change < tolerance { converged = true; break }
        }
        let mu = linearPredictor(x, beta).map { exp($0) }
        return Fit(coefficients: beta, iterations: iteration, converged: converged,
                   meanDeviance: Metrics.meanPoissonDeviance(y: y, mu: mu))
    }

    /// Solves (XᵀWX + λI₀)β = XᵀWz; when the factorisation fails, retries with a growing ridge on every
    /// coefficient (near-singular designs: duplicate or constant columns with λ = 0).
    private func solve(_ x: Matrix, _ w: [Double], _ z: [Double], target: String, iteration: Int) throws(ModelError) -> [Double] {
        let p = x.columns
        do throws(LinAlgError) {
            var gram = try weightedGram(x, weights: w)
            let rhs = try weightedCross(x, weights: w, z)
            for j in 1..<max(p, 1) where j < p { gram[j, j] += lambda }
            var trace = 0.0
            for j in 0..<p { trace += gram[j, j] }
            var jitter = 0.0
            var attempt = 0
            while true {
                do throws(LinAlgError) {
                    return try choleskySolve(gram, rhs, ridge: jitter)
                } catch {
                    guard case .lapack(routine: "dpotrf", _) = error, attempt < 8 else { throw error }
                    attempt += 1
                    jitter = jitter == 0 ? 1e-10 * max(trace / Double(p), 1e-300) : jitter * 100
                }
            }
        } catch {
            throw .solverFailed(target: target, iteration: iteration, cause: error)
        }
    }

    /// Penalised deviance Σ dev(yᵢ, μᵢ) + λ‖β₁…‖², the quantity IRLS lowers.
    private func penalisedDeviance(_ x: Matrix, _ y: [Double], _ beta: [Double]) -> Double {
        let mu = linearPredictor(x, beta).map { exp($0) }
        var penalty = 0.0
        for j in 1..<max(beta.count, 1) where j < beta.count { penalty += beta[j] * beta[j] }
        return Metrics.meanPoissonDeviance(y: y, mu: mu) * Double(y.count) + lambda * penalty
    }

    /// η = Xβ clamped to ±``etaLimit``, through BLAS `dgemv`.
    ///
    /// - Precondition: `beta.count == x.columns`.
    public static func linearPredictor(_ x: Matrix, _ beta: [Double]) -> [Double] {
        precondition(beta.count == x.columns, "linearPredictor: \(x.shape) design, \(beta.count) coefficients")
        var eta = [Double](repeating: 0, count: x.rows)
        do { try gemv(x, beta, into: &eta) } catch { preconditionFailure("gemv: \(error)") }
        for i in eta.indices { eta[i] = min(max(eta[i], -etaLimit), etaLimit) }
        return eta
    }

    private func linearPredictor(_ x: Matrix, _ beta: [Double]) -> [Double] {
        Self.linearPredictor(x, beta)
    }
}
