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
/// Newton's method in its IRLS form (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §2.5; the
/// penalised form as in glmnet, Friedman, Hastie, Tibshirani, J. Stat. Softw. 2010).
///
/// The objective is the penalised deviance F(β) = D(β) + λ‖β₁…‖², D = 2·Σ[y·log(y/μ) − (y − μ)], μ = e^η,
/// η = Xβ (clamped to ±``etaLimit``). Its Hessian is 2G with G = XᵀWX + λI₀ (W = diag(μ), I₀ the identity
/// without its intercept entry) and the Newton step d solves G·d = Xᵀ(y − μ) − λI₀β, i.e. β + d solves the
/// IRLS normal equations G·β' = XᵀWz with z = η + (y − μ)/μ.
///
/// Each step's pass over X (`irlsPass`, BackplanLinAlg: one read of X in L2-sized blocks of rows) returns the
/// objective at the candidate β, which decides whether the step is accepted (else it is halved, as R's
/// glm.fit does), and what the next step needs:
/// - far from the optimum, the normal equations at β (XᵀWX by `dgemm` panels): a Newton step, G solved by
///   `dpotrf`/`dpotrs` with a ridge fallback;
/// - once the Newton decrement is small (relative to F, below ``chordBelow``), only the score Xᵀ(y − μ) (two
///   `dgemv` per block instead of the O(p²) Gram panels), the step solved with the last G: a chord step (simplified
///   Newton; Kelley, Iterative Methods for Linear and Nonlinear Equations, SIAM 1995, §5.4), which converges
///   linearly at the rate ‖G⁻¹(G − G(β))‖, tiny that close; if a chord step contracts too little, the next
///   pass builds the equations again.
///
/// It stops at the first β where the Newton decrement dᵀGd (the decrease of F the full step would bring on
/// its quadratic model; Boyd & Vandenberghe, Convex Optimization, §9.5.1) is below ``tolerance`` × (|F| + 0.1),
/// and returns that β with its evaluated deviance.
///
/// With ``warmStart`` and at least ``warmStartMinimumRows`` rows, the fit starts from the same fit on a
/// systematic sample of about one row in ``warmStartStride`` (`Matrix.sampledRows(every:run:)`; λ scaled by
/// the sample's share of the rows, tolerance 10⁻⁵ or the fit's own if looser), which leaves one Newton and one
/// or two chord steps on the full data: the result is the full data's optimum, reached in fewer passes over X
/// (a subsampled start for Newton's method, as in Roosta-Khorasani & Mahoney, Math. Program. 2019).
public struct PoissonGLM: Sendable {
    /// L2 penalty λ (on the standardised scale, in units of the log-likelihood's Hessian).
    public var lambda: Double
    public var maxIterations: Int
    /// Relative Newton decrement at which the fit stops (see the type's documentation).
    public var tolerance: Double
    /// Threads for the passes over X (≥ 1). Results depend on it through rounding only, and are bit-for-bit
    /// repeatable for a given value; keep OpenBLAS single-threaded (`OPENBLAS_NUM_THREADS=1`) when > 1.
    public var threads: Int
    /// Whether large fits start from a fit on a systematic sample of the rows (see the type's documentation).
    public var warmStart: Bool
    /// |η| limit: e^30 ≈ 10¹³ events, far past any real count, and no overflow in μ or w.
    public static let etaLimit = 30.0
    /// Rows from which ``warmStart`` applies: below it a full pass is cheap and the sample would be small.
    public static let warmStartMinimumRows = 100_000
    /// The warm start fits about one row in k for this k. Its four passes cost about a quarter of one
    /// full-data pass, and it lands within the sample's statistical error of the optimum (relative decrement
    /// ≈ 5·10⁻⁴ on the 1 M × 32 benchmark), where one Newton and two chord steps finish: one normal-equations
    /// pass and two score passes over the full data instead of four and one (0.19 s against 0.34 s there).
    public static let warmStartStride = 16
    /// Relative Newton decrement below which the next pass computes only the score (a chord step). At 10⁻³ the
    /// Hessian moves little over the remaining steps (on the benchmark each chord step cut the decrement by
    /// 10⁻³ to 10⁻⁴); from farther out chord steps contract too little and a Newton pass is cheaper.
    public static let chordBelow = 1e-3

    public init(lambda: Double = 1, maxIterations: Int = 50, tolerance: Double = 1e-9, threads: Int = 1,
                warmStart: Bool = true) {
        self.lambda = lambda
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.threads = threads
        self.warmStart = warmStart
    }

    /// The result of one fit.
    public struct Fit: Codable, Sendable, Equatable {
        /// Intercept first, then one coefficient per design column.
        public var coefficients: [Double]
        /// Steps taken on the full data (the warm start's own steps are not counted).
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
        try fit(rows: x.rows, columns: x.columns, y: y, target: target) { glm, every throws(ModelError) in
            try glm.fit(design: x.sampledRows(every: every), y: Self.sampled(y, every: every), target: target)
        } run: { beta, output, step throws(LinAlgError) in
            try irlsPass(x, coefficients: beta, output: output, threads: threads, step: step)
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
        return try fit(rows: x.rows, columns: design.columns, y: y, target: target) { glm, every throws(ModelError) in
            try glm.fit(features: x.sampledRows(every: every), scaler: scaler, y: Self.sampled(y, every: every),
                        target: target)
        } run: { beta, output, step throws(LinAlgError) in
            try irlsPass(x, design: design, coefficients: beta, output: output, threads: threads, step: step)
        }
    }

    /// y's elements in the rows `Matrix.sampledRows(every:)` takes: the sample's targets.
    private static func sampled(_ y: [Double], every k: Int) -> [Double] {
        Matrix.sampledRanges(rows: y.count, every: k).flatMap { y[$0] }
    }

    /// Newton/chord iterations on a design of `rows`×`columns` (intercept first) that `run` makes one pass
    /// over; `sample` fits the same problem on a 1-in-k sample of the rows (the warm start).
    private func fit(
        rows n: Int, columns p: Int, y: [Double], target: String,
        sample: (_ glm: PoissonGLM, _ every: Int) throws(ModelError) -> Fit,
        run: (_ beta: [Double], _ output: IRLSPassOutput, _ step: IRLSBlockStep) throws(LinAlgError) -> IRLSPassResult
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
        func pass(_ beta: [Double], _ output: IRLSPassOutput, iteration: Int) throws(ModelError) -> Pass {
            do throws(LinAlgError) {
                let result = try run(beta, output, step)
                let deviance = 2 * (fixed + result.objective)
                return Pass(deviance: deviance, objective: deviance + lambda * Self.penalty(beta),
                            normalEquations: result.normalEquations, score: result.score)
            } catch {
                throw .solverFailed(target: target, iteration: iteration, cause: error)
            }
        }

        var beta: [Double]
        if let start = warmStartCoefficients(rows: n, y: y, sample: sample), start.count == p {
            beta = start
        } else {
            // The intercept-only fit: log of the mean, floored so an all-zero target starts finite.
            beta = [Double](repeating: 0, count: p)
            beta[0] = log(max(meanY, 1e-10))
        }
        var current = try pass(beta, .normalEquations, iteration: 0)
        // G = XᵀWX + λI₀ from the last pass that built the normal equations.
        var hessian = Matrix.zeros(rows: p, columns: p)
        var converged = false
        var iteration = 0
        var lastDecrement = Double.infinity
        while iteration < maxIterations {
            let direction: [Double]
            let chordStep: Bool
            if let equations = current.normalEquations {
                hessian = penalised(equations.gram)
                let solution = try solve(hessian, equations.cross, target: target, iteration: iteration + 1)
                direction = (0..<p).map { solution[$0] - beta[$0] }
                chordStep = false
            } else if var score = current.score {
                // The penalised score Xᵀ(y − μ) − λI₀β, solved with the kept G.
                for j in 1..<max(p, 1) where j < p { score[j] -= lambda * beta[j] }
                direction = try solve(hessian, score, target: target, iteration: iteration + 1)
                chordStep = true
            } else {
                // A halved step was accepted on an objective-only pass: build the equations at β first.
                current = try pass(beta, .normalEquations, iteration: iteration)
                continue
            }
            iteration += 1
            let decrement = Self.quadraticForm(hessian, direction) / (abs(current.objective) + 0.1)
            if decrement < tolerance { converged = true; break }
            // Chord next once close to the optimum, unless the chord step just taken contracted too little
            // (the decrement falls as the square of the error: 10⁻² is a contraction of 10⁻¹).
            let chordNext = decrement < Self.chordBelow && !(chordStep && decrement > 1e-2 * lastDecrement)
            lastDecrement = decrement
            var candidate = (0..<p).map { beta[$0] + direction[$0] }
            var next = try pass(candidate, chordNext ? .score : .normalEquations, iteration: iteration)
            var halvings = 0
            while !(next.objective <= current.objective) && halvings < 20 {
                for j in 0..<p { candidate[j] = (candidate[j] + beta[j]) / 2 }
                next = try pass(candidate, .objective, iteration: iteration)
                halvings += 1
            }
            // No step lowers the objective: β is the optimum to rounding.
            if !(next.objective <= current.objective) { converged = true; break }
            beta = candidate
            current = next
        }
        return Fit(coefficients: beta, iterations: iteration, converged: converged,
                   meanDeviance: current.deviance / Double(n))
    }

    /// The warm start for a fit on `rows` rows: the coefficients `sample` fits on a 1-in-``warmStartStride``
    /// sample of the rows, or `nil` when ``warmStart`` is off, the data is small, the sample has no events, or
    /// its fit fails (the full fit then starts from the intercept-only fit and reports any error itself).
    private func warmStartCoefficients(
        rows n: Int, y: [Double], sample: (_ glm: PoissonGLM, _ every: Int) throws(ModelError) -> Fit
    ) -> [Double]? {
        let every = Self.warmStartStride
        guard warmStart, n >= Self.warmStartMinimumRows else { return nil }
        let rows = Matrix.sampledRanges(rows: n, every: every)
        guard rows.contains(where: { y[$0].contains { $0 > 0 } }) else { return nil }
        var glm = self
        glm.warmStart = false
        glm.lambda = lambda * Double(rows.reduce(0) { $0 + $1.count }) / Double(n)
        glm.tolerance = max(tolerance, 1e-5)
        guard let fit = try? sample(glm, every), fit.coefficients.allSatisfy(\.isFinite) else { return nil }
        return fit.coefficients
    }

    /// One pass's figures at some β: the deviance, the penalised deviance, and what else the pass computed.
    private struct Pass {
        var deviance: Double
        var objective: Double
        var normalEquations: NormalEquations?
        var score: [Double]?
    }

    /// The Poisson family's block step for `irlsPass`: clamps η, μ = e^η, adds Σ[m − y·log m] with m = max(μ,
    /// ``Metrics/muFloor``) (the non-constant half of the deviance, as ``Metrics/meanPoissonDeviance(y:mu:)``
    /// floors it) and, as the pass asks, writes the score term u = y − μ, or w = max(μ, 10⁻³⁰⁰) and
    /// z = η + (y − μ)/w.
    private static func blockStep(_ y: [Double]) -> IRLSBlockStep {
        let limit = etaLimit
        let floor = Metrics.muFloor
        let logFloor = log(floor)
        return { rows, eta, request in
            y.withUnsafeBufferPointer { py in
                let target = py.baseAddress! + rows.lowerBound
                // Per row: the clamped η, μ = e^η and the row's term Σ[m − y·log m] of the deviance.
                @inline(__always) func row(_ r: Int) -> (e: Double, mu: Double, term: Double) {
                    let e = min(max(eta[r], -limit), limit)
                    let mu = exp(e)
                    return (e, mu, mu >= floor ? mu - target[r] * e : floor - target[r] * logFloor)
                }
                var sum = 0.0
                switch request {
                case .weights(let w):
                    for r in 0..<eta.count {
                        let (e, mu, term) = row(r)
                        sum += term
                        // w = μ ≥ e^-30 keeps XᵀWX finite; z's residual is bounded by the same floor.
                        let wr = max(mu, 1e-300)
                        w[r] = wr
                        eta[r] = e + (target[r] - mu) / wr
                    }
                case .score:
                    for r in 0..<eta.count {
                        let (_, mu, term) = row(r)
                        sum += term
                        eta[r] = target[r] - mu
                    }
                case .objective:
                    for r in 0..<eta.count { sum += row(r).term }
                }
                return sum
            }
        }
    }

    /// G = XᵀWX + λI₀: the Gram matrix with λ on the diagonal but for the intercept.
    private func penalised(_ gram: Matrix) -> Matrix {
        var g = gram
        for j in 1..<max(g.rows, 1) where j < g.rows { g[j, j] += lambda }
        return g
    }

    /// dᵀGd.
    private static func quadraticForm(_ g: Matrix, _ d: [Double]) -> Double {
        var sum = 0.0
        for i in d.indices {
            var row = 0.0
            for j in d.indices { row += g[i, j] * d[j] }
            sum += d[i] * row
        }
        return sum
    }

    /// Solves G·x = b; when the factorisation fails, retries with a growing ridge on every coefficient
    /// (near-singular designs: duplicate or constant columns with λ = 0).
    private func solve(_ g: Matrix, _ b: [Double], target: String, iteration: Int) throws(ModelError) -> [Double] {
        let p = g.rows
        do throws(LinAlgError) {
            var trace = 0.0
            for j in 0..<p { trace += g[j, j] }
            var jitter = 0.0
            var attempt = 0
            while true {
                do throws(LinAlgError) {
                    return try choleskySolve(g, b, ridge: jitter)
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
