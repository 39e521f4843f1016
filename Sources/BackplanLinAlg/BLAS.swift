import BackplanCore
import CBLAS
import Dispatch

// Level-2/3 BLAS over row-major `Matrix` (OpenBLAS's CBLAS, always `CblasRowMajor`).
//
// Conventions shared by every routine here:
// - Shapes are checked first and a mismatch throws `LinAlgError.dimensionMismatch`.
// - When β = 0 the output's previous contents are ignored, NaN included: this module zeroes the output
//   itself rather than rely on the library honouring β = 0 (OpenBLAS versions have differed on 0·NaN).
// - Empty shapes never reach BLAS: an empty output is returned as is, and an empty inner dimension
//   (k = 0) gives C = β·C, the value of an empty sum.
// - Inputs are not checked for NaN/∞ here; they propagate by IEEE rules. The LAPACK solvers check.
// - Results depend on OpenBLAS's thread count (the summation order changes); set `OPENBLAS_NUM_THREADS`
//   for repeatable output.

/// Threads OpenBLAS may use inside one call (`openblas_get_num_threads`: `OPENBLAS_NUM_THREADS`, or the
/// core count when unset), for reports.
public func blasThreadCount() -> Int {
    Int(openblas_get_num_threads())
}

/// Which triangle of a symmetric matrix a routine reads or writes.
public enum Triangle: Sendable, Hashable {
    /// Elements (i, j) with i ≤ j.
    case upper
    /// Elements (i, j) with i ≥ j.
    case lower

    var cblas: CBLAS_UPLO { self == .upper ? CblasUpper : CblasLower }
}

@inline(__always)
private func cblasTranspose(_ transposed: Bool) -> CBLAS_TRANSPOSE {
    transposed ? CblasTrans : CblasNoTrans
}

/// Multiplies every element of `values` by `beta`, writing exact zeros when β = 0.
private func scale(_ values: inout [Double], by beta: Double) {
    if beta == 0 {
        for k in values.indices { values[k] = 0 }
    } else if beta != 1 {
        for k in values.indices { values[k] *= beta }
    }
}

// MARK: - gemm

/// General matrix product in place: C ← α·op(A)·op(B) + β·C.
///
/// op(X) is X or Xᵀ as `transposeA`/`transposeB` say (no copy is made). With op(A) of shape m×k and
/// op(B) of shape k×n, C must be m×n. Calls `cblas_dgemm` (row-major).
///
///     var c = Matrix.zeros(rows: p, columns: p)
///     try gemm(x, x, transposeA: true, into: &c)     // c = XᵀX
///
/// - Throws: `LinAlgError.dimensionMismatch` if op(A).columns ≠ op(B).rows or C is not m×n.
/// - Complexity: O(m·n·k) time, no extra memory.
public func gemm(
    _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
    alpha: Double = 1, beta: Double = 0, into c: inout Matrix
) throws(LinAlgError) {
    let operation = "gemm"
    let opA = opShape(a, transposed: transposeA)
    let opB = opShape(b, transposed: transposeB)
    guard opA.columns == opB.rows else {
        throw .dimensionMismatch(
            operation: operation,
            detail: "\(opName("A", a, transposed: transposeA)) but \(opName("B", b, transposed: transposeB)) "
                + "(inner dimensions \(opA.columns) and \(opB.rows) differ)")
    }
    let (m, n, k) = (opA.rows, opB.columns, opA.columns)
    guard c.rows == m && c.columns == n else {
        throw .dimensionMismatch(
            operation: operation, detail: "op(A)·op(B) is \(m)×\(n) but C is \(c.shape)")
    }
    let (m32, n32, k32) = (try blasInt(m, operation), try blasInt(n, operation), try blasInt(k, operation))
    // k = 0: an empty sum, so C = β·C. β = 0: clear C ourselves so stale NaN cannot survive.
    if beta == 0 || k == 0 { scale(&c.elements, by: k == 0 ? beta : 0) }
    guard m > 0 && n > 0 && k > 0 else { return }
    let (lda, ldb, ldc) = (leadingDimension(a), leadingDimension(b), leadingDimension(c))
    a.elements.withUnsafeBufferPointer { pa in
        b.elements.withUnsafeBufferPointer { pb in
            c.elements.withUnsafeMutableBufferPointer { pc in
                cblas_dgemm(
                    CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    m32, n32, k32, alpha, pa.baseAddress, lda, pb.baseAddress, ldb,
                    beta, pc.baseAddress, ldc)
            }
        }
    }
}

/// General matrix product: returns α·op(A)·op(B).
///
/// With op(A) of shape m×k and op(B) of shape k×n the result is m×n; when k = 0 it is the m×n zero
/// matrix (an empty sum). Calls `cblas_dgemm` (row-major).
///
/// - Throws: `LinAlgError.dimensionMismatch` if op(A).columns ≠ op(B).rows.
/// - Complexity: O(m·n·k) time, O(m·n) memory for the result.
public func gemm(
    _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, alpha: Double = 1
) throws(LinAlgError) -> Matrix {
    var c = Matrix.zeros(
        rows: opShape(a, transposed: transposeA).rows, columns: opShape(b, transposed: transposeB).columns)
    try gemm(a, b, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: 0, into: &c)
    return c
}

// MARK: - gemv

/// Matrix–vector product in place: y ← α·op(A)·x + β·y.
///
/// op(A) is A (m×n; x has n elements, y has m) or, with `transpose`, Aᵀ (x has m elements, y has n).
/// Calls `cblas_dgemv` (row-major, unit strides).
///
/// - Throws: `LinAlgError.dimensionMismatch` if x or y has the wrong length.
/// - Complexity: O(m·n) time, no extra memory.
public func gemv(
    _ a: Matrix, _ x: [Double], transpose: Bool = false, alpha: Double = 1, beta: Double = 0,
    into y: inout [Double]
) throws(LinAlgError) {
    let operation = "gemv"
    let op = opShape(a, transposed: transpose)
    guard x.count == op.columns else {
        throw .dimensionMismatch(
            operation: operation,
            detail: "\(opName("A", a, transposed: transpose)) but x has \(elementCount(x.count))")
    }
    guard y.count == op.rows else {
        throw .dimensionMismatch(
            operation: operation,
            detail: "\(opName("A", a, transposed: transpose)) but y has \(elementCount(y.count))")
    }
    let (m32, n32) = (try blasInt(a.rows, operation), try blasInt(a.columns, operation))
    // Empty x: y = β·y (an empty sum). β = 0: clear y ourselves so stale NaN cannot survive.
    if beta == 0 || x.isEmpty { scale(&y, by: x.isEmpty ? beta : 0) }
    guard !x.isEmpty && !y.isEmpty else { return }
    let lda = leadingDimension(a)
    a.elements.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_dgemv(
                    CblasRowMajor, cblasTranspose(transpose), m32, n32, alpha, pa.baseAddress, lda,
                    px.baseAddress, 1, beta, py.baseAddress, 1)
            }
        }
    }
}

/// Matrix–vector product: returns α·op(A)·x.
///
/// op(A) is A (m×n, x has n elements, result has m) or, with `transpose`, Aᵀ (x has m, result has n).
/// An empty x gives the zero vector. Calls `cblas_dgemv` (row-major).
///
/// - Throws: `LinAlgError.dimensionMismatch` if x has the wrong length.
/// - Complexity: O(m·n) time, O(length of result) memory.
public func gemv(
    _ a: Matrix, _ x: [Double], transpose: Bool = false, alpha: Double = 1
) throws(LinAlgError) -> [Double] {
    var y = [Double](repeating: 0, count: opShape(a, transposed: transpose).rows)
    try gemv(a, x, transpose: transpose, alpha: alpha, beta: 0, into: &y)
    return y
}

// MARK: - syrk

/// Symmetric rank-k update of one triangle in place: C ← α·AᵀA + β·C (`transpose: true`, the default)
/// or C ← α·A·Aᵀ + β·C (`transpose: false`).
///
/// With `transpose: true`, A is k×n (k rows, e.g. datasets; n columns, e.g. features) and C is n×n;
/// with `false`, A is n×k. Only `triangle` of C is read and written, the other triangle is left as it
/// was — call `Matrix.symmetrize(from:)` for the full matrix. Calls `cblas_dsyrk` (row-major), which
/// does about half the work of the equivalent `gemm`.
///
/// - Throws: `LinAlgError.dimensionMismatch` if C is not n×n.
/// - Complexity: O(n²·k) time (≈ n²k flops), no extra memory.
public func syrk(
    _ a: Matrix, transpose: Bool = true, alpha: Double = 1, beta: Double = 0,
    triangle: Triangle = .upper, into c: inout Matrix
) throws(LinAlgError) {
    let operation = "syrk"
    let n = transpose ? a.columns : a.rows
    let k = transpose ? a.rows : a.columns
    guard c.rows == n && c.columns == n else {
        let product = transpose ? "AᵀA" : "A·Aᵀ"
        throw .dimensionMismatch(
            operation: operation, detail: "A is \(a.shape) so \(product) is \(n)×\(n), but C is \(c.shape)")
    }
    let (n32, k32) = (try blasInt(n, operation), try blasInt(k, operation))
    // k = 0: the triangle becomes β·C. β = 0: clear the triangle so stale NaN cannot survive.
    if beta == 0 || k == 0 {
        let factor = k == 0 ? beta : 0
        c.withUnsafeMutableBufferPointer { pc in
            for i in 0..<n {
                let columns = triangle == .upper ? i..<n : 0..<(i + 1)
                for j in columns { pc[i * n + j] = factor == 0 ? 0 : factor * pc[i * n + j] }
            }
        }
    }
    guard n > 0 && k > 0 else { return }
    let (lda, ldc) = (leadingDimension(a), leadingDimension(c))
    a.elements.withUnsafeBufferPointer { pa in
        c.elements.withUnsafeMutableBufferPointer { pc in
            cblas_dsyrk(
                CblasRowMajor, triangle.cblas, cblasTranspose(transpose), n32, k32, alpha,
                pa.baseAddress, lda, beta, pc.baseAddress, ldc)
        }
    }
}

/// Symmetric rank-k product, one triangle: returns α·AᵀA (`transpose: true`, n = A.columns) or
/// α·A·Aᵀ (`transpose: false`, n = A.rows) as an n×n matrix whose other triangle is zero.
///
/// Call `.symmetrize(from: triangle)` on the result for the full symmetric matrix. An A with no
/// rows (k = 0) gives the n×n zero matrix. Calls `cblas_dsyrk` (row-major).
///
/// - Complexity: O(n²·k) time, O(n²) memory for the result.
public func syrk(
    _ a: Matrix, transpose: Bool = true, alpha: Double = 1, triangle: Triangle = .upper
) throws(LinAlgError) -> Matrix {
    let n = transpose ? a.columns : a.rows
    var c = Matrix.zeros(rows: n, columns: n)
    try syrk(a, transpose: transpose, alpha: alpha, beta: 0, triangle: triangle, into: &c)
    return c
}

extension Matrix {
    /// Copies `source`'s triangle onto the other one so the matrix is exactly symmetric:
    /// Aⱼᵢ ← Aᵢⱼ for the (i, j) in `source`. The diagonal is unchanged.
    ///
    /// Use after `syrk`, which fills one triangle only.
    ///
    /// - Precondition: the matrix is square.
    /// - Complexity: O(n²).
    public mutating func symmetrize(from source: Triangle) {
        precondition(isSquare, "symmetrize: matrix is \(shape), not square")
        let n = rows
        withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                for j in (i + 1)..<n {
                    if source == .upper { p[j * n + i] = p[i * n + j] } else { p[i * n + j] = p[j * n + i] }
                }
            }
        }
    }

    /// A copy with `source`'s triangle mirrored onto the other (see `symmetrize(from:)`).
    ///
    /// - Complexity: O(n²).
    public func symmetrized(from source: Triangle) -> Matrix {
        var copy = self
        copy.symmetrize(from: source)
        return copy
    }
}

// MARK: - gemv by blocks of rows

/// Row-major A (rows × columns) and x, shared read-only by the threads of `gemvBlocks`; each share writes
/// only its own rows of y (given to `run`).
private struct GemvBlocksJob: @unchecked Sendable {
    let a: UnsafePointer<Double>?
    let x: UnsafePointer<Double>?
    let columns: Int
    let blockRows: Int

    func run(_ y: UnsafeMutablePointer<Double>, _ range: Range<Int>, transform: @Sendable (UnsafeMutableBufferPointer<Double>) -> Void) {
        let n32 = Int32(truncatingIfNeeded: columns)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = range.upperBound
            let count = min(blockRows, end - start)
            let block = UnsafeMutableBufferPointer(start: y + start, count: count)
            // β = 0 below, but y is uninitialised memory: clear it so no stale NaN can survive (see top).
            block.initialize(repeating: 0)
            if columns > 0 {
                cblas_dgemv(
                    CblasRowMajor, CblasNoTrans, Int32(truncatingIfNeeded: count), n32, 1, a! + start * columns,
                    n32, x, 1, 0, block.baseAddress, 1)
            }
            transform(block)
            start += count
        }
    }
}

/// y = f(A·x), A·x computed block by block of rows (`cblas_dgemv` on about 1024 rows at a time) and `transform`
/// applied to each block of y in place right after its product, while it is still in cache — e.g. a GLM's
/// inverse link on the linear predictor.
///
/// A is m×n row-major, x has n elements, y has m. With `threads` > 1 the rows are cut into that many
/// contiguous shares, one per thread; each yᵢ is a dot product of row i with x whatever the share, so the
/// result does not depend on `threads`. `transform` may be called concurrently (on disjoint blocks) and must
/// only touch the block it is given. An empty x gives transform(0) on every row. Run OpenBLAS single-threaded
/// (`OPENBLAS_NUM_THREADS=1`) when `threads` > 1.
///
/// - Throws: `LinAlgError.dimensionMismatch` if x.count ≠ A.columns; `.invalidArgument` for `threads` < 1.
/// - Complexity: O(m·n) time; O(m) memory for the result, nothing else.
public func gemvBlocks(
    _ a: Matrix, _ x: [Double], threads: Int = 1,
    transform: @Sendable (UnsafeMutableBufferPointer<Double>) -> Void
) throws(LinAlgError) -> [Double] {
    let operation = "gemvBlocks"
    guard x.count == a.columns else {
        throw .dimensionMismatch(operation: operation, detail: "A is \(a.shape) but x has \(elementCount(x.count))")
    }
    guard threads >= 1 else {
        throw .invalidArgument(operation: operation, detail: "threads \(threads) must be ≥ 1")
    }
    _ = try blasInt(a.rows, operation)
    _ = try blasInt(a.columns, operation)
    let (m, n) = (a.rows, a.columns)
    let blockRows = gemvBlockRows(columns: n)
    return a.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            let job = GemvBlocksJob(a: pa.baseAddress, x: px.baseAddress, columns: n, blockRows: blockRows)
            return byShares(rows: m, blockRows: blockRows, threads: threads) { y, range in job.run(y, range, transform: transform) }
        }
    }
}

/// Rows per block of the blocked gemv passes (about 64 KiB of a row-major matrix with `columns` columns).
func gemvBlockRows(columns: Int) -> Int {
    max(64, min(1_024, (1 << 16) / max(1, columns)))
}

/// An m-element result filled by `fill(y, rows)` on contiguous shares of the rows, one per thread (at most
/// `threads`, never fewer than `blockRows` rows each): the scaffolding of the blocked gemv passes.
func byShares(
    rows m: Int, blockRows: Int, threads: Int,
    _ fill: @Sendable (UnsafeMutablePointer<Double>, Range<Int>) -> Void
) -> [Double] {
    let shares = max(1, min(threads, (m + blockRows - 1) / blockRows))
    return [Double](unsafeUninitializedCapacity: m) { py, initialized in
        guard m > 0 else { initialized = 0; return }
        let y = UncheckedSendable(py.baseAddress!)
        if shares == 1 {
            fill(y.value, 0..<m)
        } else {
            DispatchQueue.concurrentPerform(iterations: shares) { share in
                fill(y.value, (m * share / shares)..<(m * (share + 1) / shares))
            }
        }
        initialized = m
    }
}
