import CBLAS
import Dispatch

// One pass over the rows of X per IRLS iteration (McCullagh & Nelder, Generalized Linear Models, 2nd ed.,
// §2.5): for each block of rows, η = X_b·β (`dgemv`), a family-specific step turns η into the block's
// objective terms, its weights w and its working response z, and the rows √wᵢ·[xᵢ, zᵢ] are accumulated into
// the augmented Gram matrix [X z]ᵀW[X z] (`dgemm` panels). XᵀWX, XᵀWz and zᵀWz come out of that one product,
// and the objective at β comes out of the same pass, so a step's acceptance test and the next step's normal
// equations cost one read of X. The block stays in L2 while it is used three times (gemv, scaling, Gram).

/// The normal equations of one weighted least-squares step: (XᵀWX)·β = XᵀWz, W = diag(w).
public struct NormalEquations: Sendable, Equatable {
    /// XᵀWX = Σᵢ wᵢ·xᵢxᵢᵀ, p×p, exactly symmetric.
    public var gram: Matrix
    /// XᵀWz = Σᵢ wᵢzᵢ·xᵢ, p elements.
    public var cross: [Double]
    /// zᵀWz = Σᵢ wᵢzᵢ², the weighted residual sum of squares at β = 0.
    public var weightedSquares: Double

    public init(gram: Matrix, cross: [Double], weightedSquares: Double) {
        self.gram = gram
        self.cross = cross
        self.weightedSquares = weightedSquares
    }
}

/// What an `irlsPass` computes at β besides the objective.
public enum IRLSPassOutput: Sendable, Equatable {
    /// The objective only: one `dgemv` per block.
    case objective
    /// The objective and the score Xᵀu, uᵢ = ∂ℓᵢ/∂ηᵢ (the log-likelihood's derivative in the linear
    /// predictor; for a canonical link yᵢ − μᵢ): one more `dgemv` per block. With a Hessian kept from an earlier
    /// pass this is all a chord (simplified Newton) step needs.
    case score
    /// The objective and the normal equations XᵀWX, XᵀWz, zᵀWz (the Gram panels: O(p²) per row).
    case normalEquations
}

/// The result of one `irlsPass`.
public struct IRLSPassResult: Sendable {
    /// Σ over blocks of what the block step returned (e.g. the deviance at β), in row order within each
    /// thread's share of the rows, the shares then added in order.
    public var objective: Double
    /// XᵀWX, XᵀWz and zᵀWz at β; `nil` unless the pass was asked for `.normalEquations`.
    public var normalEquations: NormalEquations?
    /// Xᵀu at β (p elements, see `IRLSPassOutput.score`); `nil` unless the pass was asked for `.score`.
    public var score: [Double]?
}

/// What a block step must write besides returning the block's objective.
public enum IRLSBlockRequest {
    /// Nothing: an objective-only pass.
    case objective
    /// Overwrite η with uᵢ = ∂ℓᵢ/∂ηᵢ (finite), the log-likelihood's derivative in ηᵢ.
    case score
    /// Write wᵢ (finite, ≥ 0) into the buffer and overwrite η with the working response zᵢ.
    case weights(UnsafeMutableBufferPointer<Double>)
}

/// The family-specific part of an IRLS pass, called once per block of rows (possibly from several threads at
/// once, each with its own buffers).
///
/// - `rows`: the block's row indices in X (so the step can read its targets yᵢ).
/// - `eta`: on entry η = X_b·β for those rows, unclamped; the request says what the step overwrites it with.
/// - `request`: what the pass needs from the block (see `IRLSBlockRequest`).
///
/// Returns the block's contribution to the objective.
public typealias IRLSBlockStep = @Sendable (
    _ rows: Range<Int>, _ eta: UnsafeMutableBufferPointer<Double>, _ request: IRLSBlockRequest
) -> Double

/// Rows per block of `irlsPass`: X's block, the scaled copy and the vectors (≈ 2·rows·(p + 1) doubles) stay
/// well inside a 1 MiB L2, and each `dgemm` panel is short enough to be packed once (k ≤ 512).
func defaultPassRowsPerBlock(columns: Int) -> Int {
    max(16, min(512, (1 << 16) / max(1, columns + 1)))
}

/// One blocked pass over X for an iteratively reweighted least-squares step: the objective at β and,
/// as `output` asks, the score Xᵀu or the normal equations (XᵀWX, XᵀWz, zᵀWz) at β, from a single read of X.
///
/// For each block of rows: η_b = X_b·β (`cblas_dgemv`); `step` returns the block's objective terms and (for
/// a full pass) the weights w and working response z; the rows √wᵢ·[xᵢ, zᵢ] (p + 1 columns) go into a scratch
/// block, and [X z]ᵀW[X z] is accumulated from it by `dgemm` on column panels of 8 (upper block triangle
/// only: about (p + 1)²/2 + 4(p + 1) multiply–adds per row, against (p + 1)² for a full `dgemm`, and about
/// twice the rate of `dsyrk` at this shape). The upper triangle is then mirrored. Units are those of X,
/// w and z (for a GLM: XᵀWX is the Fisher information of β, McCullagh & Nelder §2.5).
///
/// With `threads` > 1 the rows are cut into that many contiguous shares, each processed on its own thread
/// with its own scratch and accumulators, and the results added in share order: the output depends on
/// `threads` and `rowsPerBlock` (through rounding only) and is bit-for-bit repeatable for fixed values of
/// both. Run OpenBLAS single-threaded (`OPENBLAS_NUM_THREADS=1`) when `threads` > 1; the blocks are small
/// enough that OpenBLAS would not split them anyway.
///
/// With n = 0 the objective is 0 and the normal equations are zero; with p = 0 the Gram matrix is 0×0.
///
/// - Parameters:
///   - x: the n×p design, row-major.
///   - beta: p coefficients.
///   - output: what to compute besides the objective (`IRLSPassOutput`): nothing (one `dgemv` per block), the
///     score (two), or the normal equations.
///   - threads: number of threads (≥ 1); more than the blocks available is capped.
///   - step: the family's per-block function (see `IRLSBlockStep`).
/// - Throws: `LinAlgError.dimensionMismatch` if `beta.count != x.columns`; `.invalidArgument` for
///   `threads` < 1 or a negative weight; `.nonFinite` for a NaN/∞ weight, working response or score term (row
///   given).
/// - Complexity: O(n·p²) time for the normal equations, O(n·p) otherwise; O(p² + threads·block·p)
///   memory, whatever n is.
public func irlsPass(
    _ x: Matrix, coefficients beta: [Double], output: IRLSPassOutput, threads: Int = 1,
    step: IRLSBlockStep
) throws(LinAlgError) -> IRLSPassResult {
    try irlsPass(
        x, coefficients: beta, output: output, threads: threads,
        rowsPerBlock: defaultPassRowsPerBlock(columns: x.columns), step: step)
}

/// `irlsPass` with an explicit block height (tests use small ones to cross block boundaries).
func irlsPass(
    _ x: Matrix, coefficients beta: [Double], output: IRLSPassOutput, threads: Int = 1, rowsPerBlock: Int,
    step: IRLSBlockStep
) throws(LinAlgError) -> IRLSPassResult {
    guard beta.count == x.columns else {
        throw .dimensionMismatch(
            operation: "irlsPass",
            detail: "X is \(x.shape) but β has \(elementCount(beta.count)) (expected \(x.columns))")
    }
    return try runPass(
        x, design: nil, coefficients: beta, output: output, threads: threads,
        rowsPerBlock: rowsPerBlock, step: step)
}

/// `irlsPass` on the design D of a raw feature matrix X (see `InterceptDesign`: D = [1, (X − shift)·scale]),
/// without storing D: each block of X is turned into design rows in the scratch block (where the fused pass
/// copies its rows anyway), then η = D_b·β, the family step, √w·[d, z] in place and the Gram panels run on
/// it as on a stored design. The design elements are those `design.matrix(x)` would store, bit for bit, so
/// this is the same computation as `irlsPass(design.matrix(x), …)` except for the leading dimension the
/// `dgemv` sees (p + 2 instead of p + 1), which can change η by rounding only.
///
/// - Parameters:
///   - x: the raw n×p matrix, row-major (no intercept column).
///   - design: shifts and scales of its p columns.
///   - beta: p + 1 coefficients, the intercept first, on the design's scale.
/// - Throws: as `irlsPass(_:coefficients:…)`; `.dimensionMismatch` also when `x.columns != design.features`.
/// - Complexity: as `irlsPass(_:coefficients:…)`, plus O(n·p) for the design rows.
public func irlsPass(
    _ x: Matrix, design: InterceptDesign, coefficients beta: [Double], output: IRLSPassOutput, threads: Int = 1,
    step: IRLSBlockStep
) throws(LinAlgError) -> IRLSPassResult {
    try irlsPass(
        x, design: design, coefficients: beta, output: output, threads: threads,
        rowsPerBlock: defaultPassRowsPerBlock(columns: design.columns), step: step)
}

/// `irlsPass(_:design:…)` with an explicit block height.
func irlsPass(
    _ x: Matrix, design: InterceptDesign, coefficients beta: [Double], output: IRLSPassOutput, threads: Int = 1,
    rowsPerBlock: Int, step: IRLSBlockStep
) throws(LinAlgError) -> IRLSPassResult {
    try design.checkShapes(x, coefficients: beta.count, operation: "irlsPass")
    return try runPass(
        x, design: design, coefficients: beta, output: output, threads: threads,
        rowsPerBlock: rowsPerBlock, step: step)
}

/// Both `irlsPass` forms; β's length is already checked against the design's columns.
private func runPass(
    _ x: Matrix, design: InterceptDesign?, coefficients beta: [Double], output: IRLSPassOutput, threads: Int,
    rowsPerBlock: Int, step: IRLSBlockStep
) throws(LinAlgError) -> IRLSPassResult {
    let operation = "irlsPass"
    guard threads >= 1 else {
        throw .invalidArgument(operation: operation, detail: "threads \(threads) must be ≥ 1")
    }
    guard rowsPerBlock >= 1 else {
        throw .invalidArgument(operation: operation, detail: "rowsPerBlock \(rowsPerBlock) must be ≥ 1")
    }
    // p: the design's columns (the raw columns plus the intercept when `design` is given).
    let (n, p) = (x.rows, beta.count)
    let q = p + 1
    _ = try blasInt(n, operation)
    _ = try blasInt(q, operation)
    let blockRows = min(max(n, 1), rowsPerBlock)
    let shares = max(1, min(threads, (n + blockRows - 1) / blockRows))

    // Each share writes only its own slot; the slots are read after every share has finished.
    var partials = [SharePartial](repeating: SharePartial(), count: shares)
    let shifts = design?.shifts ?? [], scales = design?.scales ?? []
    x.withUnsafeBufferPointer { px in
        beta.withUnsafeBufferPointer { pb in
            shifts.withUnsafeBufferPointer { shift in
                scales.withUnsafeBufferPointer { scale in
                    partials.withUnsafeMutableBufferPointer { slots in
                        let job = PassJob(
                            x: px, beta: pb, rows: n, columns: p, blockRows: blockRows, shares: shares,
                            output: output, slots: slots, designed: design != nil,
                            shift: shift, scale: scale)
                        if shares == 1 {
                            job.run(share: 0, step: step)
                        } else {
                            DispatchQueue.concurrentPerform(iterations: shares) { job.run(share: $0, step: step) }
                        }
                    }
                }
            }
        }
    }

    var objective = 0.0
    for share in partials {
        if let bad = share.badRow {
            let value = share.badValue
            if value.isFinite {
                throw .invalidArgument(operation: operation, detail: "weight w[\(bad)] = \(value) is negative")
            }
            throw .nonFinite(
                operation: operation, argument: share.badArgument, row: bad, column: nil,
                value: nonFiniteText(value))
        }
        objective += share.objective
    }
    switch output {
    case .objective:
        return IRLSPassResult(objective: objective)
    case .score:
        var score = partials[0].score
        for share in partials.dropFirst() {
            for j in score.indices { score[j] += share.score[j] }
        }
        return IRLSPassResult(objective: objective, score: score)
    case .normalEquations:
        break
    }

    var augmented = partials[0].gram
    for share in partials.dropFirst() {
        for k in augmented.indices { augmented[k] += share.gram[k] }
    }
    var gram = Matrix.zeros(rows: p, columns: p)
    var cross = [Double](repeating: 0, count: p)
    gram.withUnsafeMutableBufferPointer { pg in
        for i in 0..<p {
            for j in i..<p {
                pg[i * p + j] = augmented[i * q + j]
                pg[j * p + i] = augmented[i * q + j]
            }
            cross[i] = augmented[i * q + p]
        }
    }
    return IRLSPassResult(
        objective: objective,
        normalEquations: NormalEquations(gram: gram, cross: cross, weightedSquares: augmented[p * q + p]))
}

/// One share's results: objective, upper triangle of the augmented Gram matrix or the score, and the first bad
/// row (with the argument it was bad in: "w", "z" or "u").
private struct SharePartial {
    var objective = 0.0
    var gram: [Double] = []
    var score: [Double] = []
    var badRow: Int?
    var badValue = 0.0
    var badArgument = "w"
}

/// Everything a share needs, shared read-only across threads; each share writes only `slots[share]`.
///
/// `columns` is the design's column count p. When `designed`, X is the raw matrix with p − 1 columns and each
/// block's design rows [1, (x − shift)·scale] are built in the scratch block first; otherwise X is the design.
private struct PassJob: @unchecked Sendable {
    let x: UnsafeBufferPointer<Double>
    let beta: UnsafeBufferPointer<Double>
    let rows: Int
    let columns: Int
    let blockRows: Int
    let shares: Int
    let output: IRLSPassOutput
    let slots: UnsafeMutableBufferPointer<SharePartial>
    let designed: Bool
    let shift: UnsafeBufferPointer<Double>
    let scale: UnsafeBufferPointer<Double>

    func run(share: Int, step: IRLSBlockStep) {
        let (p, q) = (columns, columns + 1)
        let first = rows * share / shares
        let end = rows * (share + 1) / shares
        var result = SharePartial()
        let eta = UnsafeMutableBufferPointer<Double>.allocate(capacity: blockRows)
        eta.initialize(repeating: 0)
        let weights = UnsafeMutableBufferPointer<Double>.allocate(capacity: blockRows)
        weights.initialize(repeating: 0)
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(
            capacity: output == .normalEquations || designed ? blockRows * q : 0)
        var gram = [Double](repeating: 0, count: output == .normalEquations ? q * q : 0)
        var score = [Double](repeating: 0, count: output == .score ? p : 0)
        defer {
            eta.deallocate()
            weights.deallocate()
            scratch.deallocate()
        }
        let staging = UnsafeMutablePointer<Double>.allocate(capacity: designed ? blockRows * max(p - 1, 0) : 0)
        defer { staging.deallocate() }
        let p32 = Int32(truncatingIfNeeded: p)
        let q32 = Int32(truncatingIfNeeded: q)
        let features = p - 1
        gram.withUnsafeMutableBufferPointer { pg in
            var start = first
            while start < end {
                let count = min(blockRows, end - start)
                let block = UnsafeMutableBufferPointer(rebasing: eta[0..<count])
                // β = 0 below; clear the block ourselves so no stale NaN can survive (see BLAS.swift).
                block.update(repeating: 0)
                if designed {
                    // The block's design rows, with the z column (index p) left for later.
                    let target = scratch.baseAddress!
                    if features > 0 {
                        // One contiguous copy of the raw block first (libc's memcpy streams it from memory
                        // faster than the element loop below reads it), then the design rows from that copy.
                        let from = UnsafePointer(staging)
                        staging.update(from: x.baseAddress! + start * features, count: count * features)
                        let (sh, sc) = (shift.baseAddress!, scale.baseAddress!)
                        for r in 0..<count {
                            InterceptDesign.writeRow(
                                from + r * features, shift: sh, scale: sc, features: features, to: target + r * q)
                        }
                    } else {
                        for r in 0..<count { target[r * q] = 1 }
                    }
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(truncatingIfNeeded: count), p32, 1, target, q32,
                        beta.baseAddress, 1, 0, block.baseAddress, 1)
                } else if p > 0 {
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(truncatingIfNeeded: count), p32, 1,
                        x.baseAddress! + start * p, p32, beta.baseAddress, 1, 0, block.baseAddress, 1)
                }
                if output == .objective {
                    result.objective += step(start..<(start + count), block, .objective)
                    start += count
                    continue
                }
                if output == .score {
                    result.objective += step(start..<(start + count), block, .score)
                    for r in 0..<count where result.badRow == nil && !block[r].isFinite {
                        result.badRow = start + r
                        result.badArgument = "u"
                        result.badValue = block[r]
                    }
                    // score += X_bᵀu, on the design rows in the scratch block or on X's own rows.
                    let (rows32, rowsOf) = designed
                        ? (q32, UnsafePointer(scratch.baseAddress!)) : (p32, x.baseAddress! + start * p)
                    if p > 0 {
                        score.withUnsafeMutableBufferPointer { ps in
                            cblas_dgemv(
                                CblasRowMajor, CblasTrans, Int32(truncatingIfNeeded: count), p32, 1, rowsOf, rows32,
                                block.baseAddress, 1, 1, ps.baseAddress, 1)
                        }
                    }
                    start += count
                    continue
                }
                let w = UnsafeMutableBufferPointer(rebasing: weights[0..<count])
                result.objective += step(start..<(start + count), block, .weights(w))
                for r in 0..<count where result.badRow == nil {
                    let (wr, zr) = (w[r], block[r])
                    if !(wr.isFinite && wr >= 0) || !zr.isFinite {
                        result.badRow = start + r
                        let badWeight = !(wr.isFinite && wr >= 0)
                        result.badArgument = badWeight ? "w" : "z"
                        result.badValue = badWeight ? wr : zr
                    }
                }
                let target = scratch.baseAddress!
                if designed {
                    // In place: the design rows are already in the scratch block.
                    for r in 0..<count {
                        let s = w[r].squareRoot()
                        let to = target + r * q
                        for j in 0..<p { to[j] = s * to[j] }
                        to[p] = s * block[r]
                    }
                } else {
                    let source = x.baseAddress! + start * p
                    for r in 0..<count {
                        let s = w[r].squareRoot()
                        let from = source + r * p
                        let to = target + r * q
                        for j in 0..<p { to[j] = s * from[j] }
                        to[p] = s * block[r]
                    }
                }
                accumulateUpperGram(target, rows: count, columns: q, into: pg.baseAddress!)
                start += count
            }
        }
        result.gram = gram
        result.score = score
        slots[share] = result
    }
}

/// Panel width of `accumulateUpperGram` (measured: 8 beats 4, 16 and 32 on AVX-512 OpenBLAS for p ≈ 32).
private let gramPanel = 8

/// C ← C + SᵀS on C's upper triangle (entries below the diagonal inside the 8×8 diagonal blocks are written
/// too, with the mirrored values; the rest of the lower triangle is untouched). S is `rows`×`columns`
/// row-major, C is `columns`×`columns` row-major.
///
/// One `dgemm` per panel of 8 columns: C[a..<b, a...] += S[:, a..<b]ᵀ·S[:, a...]. Against `dsyrk` on this
/// shape (a few dozen columns, a block of ≤ 512 rows) it runs at about twice the useful rate (measured on
/// OpenBLAS 0.3.21, AVX-512: 41 against 19 GFLOP/s at 34 columns); against one full `dgemm` it skips most of
/// the lower triangle.
func accumulateUpperGram(
    _ s: UnsafePointer<Double>, rows: Int, columns: Int, into c: UnsafeMutablePointer<Double>
) {
    guard rows > 0 && columns > 0 else { return }
    let (k32, ld) = (Int32(truncatingIfNeeded: rows), Int32(truncatingIfNeeded: columns))
    var a = 0
    while a < columns {
        let width = min(gramPanel, columns - a)
        cblas_dgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(truncatingIfNeeded: width),
            Int32(truncatingIfNeeded: columns - a), k32, 1, s + a, ld, s + a, ld, 1, c + a * columns + a, ld)
        a += width
    }
}
