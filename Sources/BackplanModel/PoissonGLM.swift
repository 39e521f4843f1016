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

    /// The standardised design `[1, (x − mean)·(1/std) …]` as an `InterceptDesign` (shifts = means,
    /// scales = 1/stds), for the fused passes that build its rows block by block from raw features.
    ///
    /// The scale is the reciprocal of the std (one multiply per element rather than a divide); it is the
    /// same standardisation, up to one rounding, as (x − mean)/std, and every path (``design(_:threads:)``,
    /// ``PoissonGLM/fit(features:scaler:y:target:)``, ``PoissonGLM/means(features:scaler:_:threads:)``)
    /// uses it, so they all see the same design elements bit for bit.
    public var interceptDesign: InterceptDesign {
        InterceptDesign(shifts: means, scales: stds.map { 1 / $0 })
    }

    /// `[1, (x − mean)/std …]` for each row: the design matrix with its intercept column first (see
    /// ``interceptDesign`` for the exact arithmetic). Fitting and scoring no longer need it stored
    /// (``PoissonGLM/fit(features:scaler:y:target:)``); it is kept for tests and callers that want D itself.
    ///
    /// Each element is written once (no fill first); with `threads` > 1 the rows are cut into that many
    /// contiguous shares, one per thread; the result does not depend on `threads`.
    ///
    /// - Precondition: `x.columns` equals the scaler's feature count; `threads ≥ 1`.
    public func design(_ x: Matrix, threads: Int = 1) -> Matrix {
        precondition(means.count == x.columns && stds.count == x.columns,
                     "design: \(x.shape) features, scaler for \(means.count)")
        return interceptDesign.matrix(x, threads: threads)
    }
}

/// Poisson regression with log link and an L2 penalty on every coefficient but the intercept, fitted by
/// iteratively reweighted least squares (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §2.5; the
/// penalised form as in glmnet, Friedman, Hastie, Tibshirani, J. Stat. Softw. 2010).
///
/// Each iteration: η = Xβ (clamped to ±``etaLimit``), μ = e^η, w = μ, z = η + (y − μ)/μ, then
/// (XᵀWX + λ·I₀)β = XᵀWz with I₀ the identity without its intercept entry, solved by `dpotrf`/`dpotrs`.
/// Stops when the relative change of the penalised deviance is below ``tolerance``.
///
/// Each iteration reads X once: `irlsPass` (BackplanLinAlg) goes through X in L2-sized blocks of rows and,
/// at the candidate β, returns both the penalised deviance that decides whether the step is accepted and
/// XᵀWX, XᵀWz for the next step. Only a halved step costs an extra, objective-only, pass.
public struct PoissonGLM: Sendable {
    /// L2 penalty λ (on the standardised scale, in units of the log-likelihood's Hessian).
    public var lambda: Double
    public var maxIterations: Int
    public var tolerance: Double
    /// Threads for the passes over X (≥ 1). Results depend on it through rounding only, and are bit-for-bit
    /// repeatable for a given value; keep OpenBLAS single-threaded (`OPENBLAS_NUM_THREADS=1`) when > 1.
    public var threads: Int
    /// |η| limit: e^30 ≈ 10¹³ events, far past any real count, and no overflow in μ or w.
    public static let etaLimit = 30.0

    public init(lambda: Double = 1, maxIterations: Int = 50, tolerance: Double = 1e-9, threads: Int = 1) {
        self.lambda = lambda
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.threads = threads
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
        try fit(rows: x.rows, columns: x.columns, y: y, target: target) { beta, normalEquations, step
            throws(LinAlgError) in
            try irlsPass(x, coefficients: beta, normalEquations: normalEquations, threads: threads, step: step)
        }
    }

    /// Fits y ~ Poisson(exp(Dβ)) with D = `scaler.design(features)`, the standardised design with its intercept
    /// column, without building D: each pass standardises a block of raw rows into its L2-resident scratch
    /// block (``Scaler/interceptDesign``) and works on it there. The coefficients are on the standardised
    /// scale, intercept first, as ``fit(design:y:target:)`` returns for D; they agree with it to rounding
    /// (only the leading dimension `dgemv` sees differs).
    ///
    /// - Precondition: `features.columns` equals the scaler's feature count.
    /// - Throws: as ``fit(design:y:target:)``.
    public func fit(features x: Matrix, scaler: Scaler, y: [Double], target: String = "y") throws(ModelError) -> Fit {
        precondition(scaler.means.count == x.columns && scaler.stds.count == x.columns,
                     "fit: \(x.shape) features, scaler for \(scaler.means.count)")
        let design = scaler.interceptDesign
        return try fit(rows: x.rows, columns: design.columns, y: y, target: target) { beta, normalEquations, step
            throws(LinAlgError) in
            try irlsPass(
                x, design: design, coefficients: beta, normalEquations: normalEquations, threads: threads, step: step)
        }
    }

    /// IRLS on a design of `rows`×`columns` (intercept first) that `run` makes one pass over.
    private func fit(
        rows n: Int, columns p: Int, y: [Double], target: String,
        run: (_ beta: [Double], _ normalEquations: Bool, _ step: IRLSBlockStep) throws(LinAlgError) -> IRLSPassResult
    ) throws(ModelError) -> Fit {
        guard n > 0 else { throw .emptyTrainingSet(detail: "no rows to fit '\(target)'") }
        guard y.count == n else { throw .invalidArgument("\(n) design rows but \(y.count) targets") }
        if let bad = y.firstIndex(where: { !$0.isFinite || $0 < 0 }) { throw .invalidTarget(row: bad, value: y[bad]) }
        guard lambda.isFinite && lambda >= 0 else { throw .invalidArgument("lambda \(lambda) must be finite and ≥ 0") }
        guard threads >= 1 else { throw .invalidArgument("threads \(threads) must be ≥ 1") }

        // The deviance 2·Σ[y·log(y/μ) − (y − μ)] splits into 2·Σ[y·log y − y] (fixed) + 2·Σ[μ − y·log μ], and
        // log μ is η itself: the passes need no logarithm.
        var sumY = 0.0
        var fixed = 0.0
        for v in y {
            sumY += v
            if v > 0 { fixed += v * log(v) - v }
        }
        let meanY = sumY / Double(n)
        let step = Self.blockStep(y)
        func pass(_ beta: [Double], normalEquations: Bool, iteration: Int) throws(ModelError) -> Pass {
            do throws(LinAlgError) {
                let result = try run(beta, normalEquations, step)
                let deviance = 2 * (fixed + result.objective)
                return Pass(deviance: deviance, objective: deviance + lambda * Self.penalty(beta),
                            normalEquations: result.normalEquations)
            } catch {
                throw .solverFailed(target: target, iteration: iteration, cause: error)
            }
        }

        var beta = [Double](repeating: 0, count: p)
        // Start at the intercept-only fit: log of the mean, floored so an all-zero target starts finite.
        beta[0] = log(max(meanY, 1e-10))
        var current = try pass(beta, normalEquations: true, iteration: 0)
        var converged = false
        var iteration = 0
        // Whether the next candidate's pass should build the normal equations for the step after it. Newton's
        // method converges quadratically (the relative change goes 0.16, 5·10⁻³, 5·10⁻⁶, 7·10⁻¹² on the
        // benchmark), so once change² < tolerance the next step is expected to be the last and its pass is
        // objective-only; if it is not the last after all, the equations are built at the top of the loop.
        // Either way the iterates are the same: this only decides which passes also accumulate XᵀWX.
        var buildNext = true
        while iteration < maxIterations {
            iteration += 1
            // After a halved step the accepted pass was objective-only: build the equations at β now.
            let equations: NormalEquations
            if let built = current.normalEquations {
                equations = built
            } else {
                current = try pass(beta, normalEquations: true, iteration: iteration)
                equations = current.normalEquations!
            }
            let proposal = try solve(equations, target: target, iteration: iteration)
            // Step halving (as R's glm.fit) when the full step does not lower the penalised deviance.
            var candidate = proposal
            var next = try pass(candidate, normalEquations: buildNext, iteration: iteration)
            var halvings = 0
            while !(next.objective <= current.objective) && halvings < 20 {
                for j in 0..<p { candidate[j] = (candidate[j] + beta[j]) / 2 }
                next = try pass(candidate, normalEquations: false, iteration: iteration)
                halvings += 1
            }
            if !(next.objective <= current.objective) { converged = true; break }
            let change = abs(current.objective - next.objective) / (abs(next.objective) + 0.1)
            beta = candidate
            current = next
            if change < tolerance { converged = true; break }
            buildNext = !(change * change < tolerance)
        }
        return Fit(coefficients: beta, iterations: iteration, converged: converged,
                   meanDeviance: current.deviance / Double(n))
    }

    /// One pass's figures at some β: the deviance, the penalised deviance, and the normal equations if built.
    private struct Pass {
        var deviance: Double
        var objective: Double
        var normalEquations: NormalEquations?
    }

    /// The Poisson family's block step for `irlsPass`: clamps η, μ = e^η, adds Σ[m − y·log m] with m = max(μ,
    /// ``Metrics/muFloor``) (the non-constant half of the deviance, as ``Metrics/meanPoissonDeviance(y:mu:)``
    /// floors it) and, for a full pass, w = max(μ, 10⁻³⁰⁰) and z = η + (y − μ)/w.
    private static func blockStep(_ y: [Double]) -> IRLSBlockStep {
        let limit = etaLimit
        let floor = Metrics.muFloor
        let logFloor = log(floor)
        return { rows, eta, weights in
            y.withUnsafeBufferPointer { py in
                let target = py.baseAddress! + rows.lowerBound
                var sum = 0.0
                if let w = weights {
                    for r in 0..<eta.count {
                        let e = min(max(eta[r], -limit), limit)
                        let mu = exp(e)
                        let yr = target[r]
                        sum += mu >= floor ? mu - yr * e : floor - yr * logFloor
                        // w = μ ≥ e^-30 keeps XᵀWX finite; z's residual is bounded by the same floor.
                        let wr = max(mu, 1e-300)
                        w[r] = wr
                        eta[r] = e + (yr - mu) / wr
                    }
                } else {
                    for r in 0..<eta.count {
                        let e = min(max(eta[r], -limit), limit)
                        let mu = exp(e)
                        let yr = target[r]
                        sum += mu >= floor ? mu - yr * e : floor - yr * logFloor
                    }
                }
                return sum
            }
        }
    }

    /// Solves (XᵀWX + λI₀)β = XᵀWz; when the factorisation fails, retries with a growing ridge on every
    /// coefficient (near-singular designs: duplicate or constant columns with λ = 0).
    private func solve(_ equations: NormalEquations, target: String, iteration: Int) throws(ModelError) -> [Double] {
        var gram = equations.gram
        let rhs = equations.cross
        let p = gram.rows
        do throws(LinAlgError) {
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

    /// ‖β₁…‖², the penalised part of β (all but the intercept).
    private static func penalty(_ beta: [Double]) -> Double {
        var penalty = 0.0
        for j in 1..<max(beta.count, 1) where j < beta.count { penalty += beta[j] * beta[j] }
        return penalty
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

    /// Predicted means μ = exp(clamp(Xβ, ±``etaLimit``)), one per row of the design `x` (intercept column
    /// first), in the units of the target (events per horizon).
    ///
    /// Equal to `linearPredictor(x, beta).map { exp($0) }` element for element, but computed block by block
    /// (`dgemv` on an L2-sized block of rows, then exp on the block while it is in cache) into one output
    /// array, on `threads` threads (each a contiguous share of the rows; the result does not depend on it).
    ///
    /// - Precondition: `beta.count == x.columns`, `threads ≥ 1`.
    /// - Complexity: O(n·p) time, O(n) memory for the result.
    public static func means(_ x: Matrix, _ beta: [Double], threads: Int = 1) -> [Double] {
        precondition(beta.count == x.columns, "means: \(x.shape) design, \(beta.count) coefficients")
        let limit = etaLimit
        do {
            return try gemvBlocks(x, beta, threads: threads) { block in
                for i in block.indices { block[i] = exp(min(max(block[i], -limit), limit)) }
            }
        } catch {
            preconditionFailure("means: \(error)")
        }
    }

    /// Predicted means μ = exp(clamp(Dβ, ±``etaLimit``)) for D = `scaler.design(features)`, without building
    /// D: each block of raw rows is standardised into a scratch block, multiplied by β and exponentiated in
    /// cache. Equal, bit for bit, to `means(scaler.design(features), beta, threads:)`; does not depend on
    /// `threads`.
    ///
    /// - Precondition: `features.columns` equals the scaler's feature count, `beta.count` is one more,
    ///   `threads ≥ 1`.
    /// - Complexity: O(n·p) time, O(n) memory for the result.
    public static func means(features x: Matrix, scaler: Scaler, _ beta: [Double], threads: Int = 1) -> [Double] {
        precondition(scaler.means.count == x.columns && scaler.stds.count == x.columns,
                     "means: \(x.shape) features, scaler for \(scaler.means.count)")
        precondition(beta.count == x.columns + 1, "means: \(x.shape) features, \(beta.count) coefficients")
        let limit = etaLimit
        do {
            return try gemvBlocks(x, design: scaler.interceptDesign, beta, threads: threads) { block in
                for i in block.indices { block[i] = exp(min(max(block[i], -limit), limit)) }
            }
        } catch {
            preconditionFailure("means: \(error)")
        }
    }
}
