import CLAPACKE

// Solves A·X = B for symmetric positive definite A by Cholesky: A = UᵀU (`dpotrf`), then the two
// triangular solves UᵀY = B, UX = Y (`dpotrs`). Golub & Van Loan, Matrix Computations, 4th ed., §4.2.
//
// Calls use LAPACK_ROW_MAJOR with uplo 'U', matching `Matrix`'s storage; LAPACKE transposes to
// column-major internally (an O(n²) copy, small beside the O(n³) factorization).

/// LAPACK's uplo character.
private let upper = CChar(UInt8(ascii: "U"))

/// Solves A·x = b for a symmetric positive definite A, optionally regularised: (A + λI)·x = b.
///
/// A is n×n; only its upper triangle (i ≤ j) is used, though every element must be finite. b has n
/// elements. `ridge` λ ≥ 0 is added to the diagonal first — the L2 penalty of a ridge regression, and a
/// way to make a positive semi-definite (singular) A solvable. Calls `LAPACKE_dpotrf` then
/// `LAPACKE_dpotrs` (row-major, upper). A and b are not modified.
///
///     let beta = try choleskySolve(weightedGram(x, weights: w), weightedCross(x, weights: w, z), ridge: 1e-6)
///
/// A 0×0 system with an empty b has the empty solution.
///
/// - Throws: `LinAlgError.dimensionMismatch` if A is not square or b has the wrong length;
///   `.nonFinite` for NaN/∞ in A or b; `.invalidArgument` for a negative or non-finite ridge;
///   `.lapack(routine: "dpotrf", info: k)` with k > 0 when the leading k×k minor of A + λI is not
///   positive definite (A is singular, indefinite, or too ill-conditioned).
/// - Complexity: O(n³/3) for the factorization plus O(n²) for the solve; O(n²) memory.
public func choleskySolve(_ a: Matrix, _ b: [Double], ridge: Double = 0) throws(LinAlgError) -> [Double] {
    let operation = "choleskySolve"
    guard b.count == a.rows else {
        throw .dimensionMismatch(
            operation: operation, detail: "A is \(a.shape) but b has \(elementCount(b.count)) (expected \(a.rows))")
    }
    try requireFinite(b, operation, argument: "b")
    let x = try solve(a, Matrix(rows: b.count, columns: 1, elements: b), ridge: ridge, operation: operation)
    return x.elements
}

/// Solves A·X = B for several right-hand sides at once (the columns of B), optionally regularised:
/// (A + λI)·X = B.
///
/// A is n×n symmetric positive definite (upper triangle used, all elements must be finite), B is
/// n×r; the result X is n×r. One factorization serves every column. Calls `LAPACKE_dpotrf` then
/// `LAPACKE_dpotrs` (row-major, upper). With r = 0, A is still factored (so a non-positive-definite A
/// still throws) and the n×0 result is returned.
///
/// - Throws: as `choleskySolve(_:_:ridge:)`, with B's rows checked against A.
/// - Complexity: O(n³/3 + n²·r) time, O(n² + n·r) memory.
public func choleskySolve(_ a: Matrix, _ b: Matrix, ridge: Double = 0) throws(LinAlgError) -> Matrix {
    let operation = "choleskySolve"
    guard b.rows == a.rows else {
        throw .dimensionMismatch(
            operation: operation, detail: "A is \(a.shape) but B is \(b.shape) (expected \(a.rows) rows)")
    }
    try requireFinite(b, operation, argument: "B")
    return try solve(a, b, ridge: ridge, operation: operation)
}

/// Shared body: checks A and λ, factors A + λI, solves in place on a copy of B.
private func solve(_ a: Matrix, _ b: Matrix, ridge: Double, operation: String) throws(LinAlgError) -> Matrix {
    guard a.isSquare else {
        throw .dimensionMismatch(operation: operation, detail: "A is \(a.shape), not square")
    }
    guard ridge.isFinite && ridge >= 0 else {
        throw .invalidArgument(operation: operation, detail: "ridge \(ridge) must be finite and ≥ 0")
    }
    try requireFinite(a, operation, argument: "A")
    let n = a.rows
    let nrhs = b.columns
    let n32 = try blasInt(n, operation)
    let nrhs32 = try blasInt(nrhs, operation)
    guard n > 0 else { return b }

    var factor = a
    if ridge > 0 {
        factor.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i * n + i] += ridge }
        }
    }
    let lda = leadingDimension(factor)
    let factorInfo = factor.withUnsafeMutableBufferPointer { p in
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, upper, n32, p.baseAddress, lda)
    }
    guard factorInfo == 0 else { throw .lapack(routine: "dpotrf", info: factorInfo) }
    guard nrhs > 0 else { return b }

    var x = b
    let ldb = leadingDimension(x)
    let solveInfo = factor.withUnsafeBufferPointer { pa in
        x.withUnsafeMutableBufferPointer { px in
            LAPACKE_dpotrs(LAPACK_ROW_MAJOR, upper, n32, nrhs32, pa.baseAddress, lda, px.baseAddress, ldb)
        }
    }
    guard solveInfo == 0 else { throw .lapack(routine: "dpotrs", info: solveInfo) }
    return x
}
