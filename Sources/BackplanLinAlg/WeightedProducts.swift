import CBLAS

// The two products of an IRLS step for a GLM (Poisson with log link in BackplanModel): with weights
// wᵢ = μᵢ and working response zᵢ, each iteration solves (XᵀWX + λI)·β = XᵀWz, W = diag(w)
// (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §2.5).

/// Rows of X scaled per block in `weightedGram`: the scaled block (about 512 KiB at most) stays in L2 and each
/// `dgemm` panel is packed once (k ≤ 512), however tall X is.
func defaultRowsPerBlock(columns: Int) -> Int {
    max(16, min(512, (1 << 16) / max(1, columns)))
}

/// Weighted Gram matrix G = Xᵀ·diag(w)·X = Σᵢ wᵢ·xᵢxᵢᵀ, the XᵀWX of an IRLS step, as a full symmetric
/// p×p matrix.
///
/// X is n×p (rows = observations, e.g. datasets at a cutoff; columns = features) and w has n
/// elements, each finite and ≥ 0. The rows are scaled by √wᵢ and the products accumulated block by block
/// into the upper triangle, C ← C + SᵀS, by `cblas_dgemm` on panels of 8 columns (`accumulateUpperGram`:
/// about twice the rate of `dsyrk` at this tall-and-skinny shape), so the scratch memory stays under
/// 512 KiB whatever n is; the upper triangle is then mirrored. Since (√w)² equals w only up to
/// rounding, G matches the direct sum to a few ulps per term. X itself is not checked for NaN/∞ (they
/// propagate; `choleskySolve` rejects the result).
///
/// With n = 0 the result is the p×p zero matrix (an empty sum); with p = 0 it is 0×0.
///
/// - Throws: `LinAlgError.dimensionMismatch` if `w.count != X.rows`; `.nonFinite` for a NaN/∞ weight;
///   `.invalidArgument` for a negative weight.
/// - Complexity: O(n·p²) time (≈ n·p² flops, half of `gemm`), O(p² + min(n, block)·p) memory.
public func weightedGram(_ x: Matrix, weights w: [Double]) throws(LinAlgError) -> Matrix {
    try weightedGram(x, weights: w, rowsPerBlock: defaultRowsPerBlock(columns: x.columns))
}

/// `weightedGram` with an explicit block height (tests use a small one to cross block boundaries).
func weightedGram(_ x: Matrix, weights w: [Double], rowsPerBlock: Int) throws(LinAlgError) -> Matrix {
    let operation = "weightedGram"
    guard w.count == x.rows else {
        throw .dimensionMismatch(
            operation: operation, detail: "X is \(x.shape) but w has \(elementCount(w.count)) (expected \(x.rows))")
    }
    try requireWeights(w, operation)
    let (n, p) = (x.rows, x.columns)
    var gram = Matrix.zeros(rows: p, columns: p)
    guard n > 0 && p > 0 else { return gram }
    _ = try blasInt(p, operation)
    let blockRows = min(n, max(1, rowsPerBlock))
    _ = try blasInt(blockRows, operation)
    var block = [Double](repeating: 0, count: blockRows * p)

    x.withUnsafeBufferPointer { px in
        w.withUnsafeBufferPointer { pw in
            block.withUnsafeMutableBufferPointer { pb in
                gram.withUnsafeMutableBufferPointer { pg in
                    var start = 0
                    while start < n {
                        let count = min(blockRows, n - start)
                        for r in 0..<count {
                            let s = pw[start + r].squareRoot()
                            let source = (start + r) * p
                            for j in 0..<p { pb[r * p + j] = s * px[source + j] }
                        }
                        // G starts at zero, so adding from the first block on is exact.
                        accumulateUpperGram(pb.baseAddress!, rows: count, columns: p, into: pg.baseAddress!)
                        start += count
                    }
                }
            }
        }
    }
    gram.symmetrize(from: .upper)
    return gram
}

/// Weighted cross product c = Xᵀ·(w∘z), i.e. cⱼ = Σᵢ xᵢⱼ·wᵢ·zᵢ — the XᵀWz of an IRLS step.
///
/// X is n×p, w and z have n elements each; w must be finite and ≥ 0 and z finite (a NaN working
/// response means the previous step overflowed, and is reported here rather than carried along).
/// Forms w∘z and calls `cblas_dgemv` (row-major, transposed). With n = 0 the result is p zeros.
///
/// - Throws: `LinAlgError.dimensionMismatch` if w or z do not have X.rows elements; `.nonFinite` for
///   NaN/∞ in w or z; `.invalidArgument` for a negative weight.
/// - Complexity: O(n·p) time, O(n + p) memory.
public func weightedCross(_ x: Matrix, weights w: [Double], _ z: [Double]) throws(LinAlgError) -> [Double] {
    let operation = "weightedCross"
    guard w.count == x.rows && z.count == x.rows else {
        throw .dimensionMismatch(
            operation: operation,
            detail: "X is \(x.shape) but w has \(w.count) and z has \(z.count) elements (expected \(x.rows))")
    }
    try requireWeights(w, operation)
    try requireFinite(z, operation, argument: "z")
    var wz = [Double](repeating: 0, count: w.count)
    for i in wz.indices { wz[i] = w[i] * z[i] }
    return try gemv(x, wz, transpose: true)
}
