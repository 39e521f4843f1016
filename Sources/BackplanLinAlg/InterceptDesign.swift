import CBLAS
import Dispatch

/// A design matrix with an intercept column, described rather than stored: row i of the design of a raw
/// n×p matrix X is [1, (xᵢ₁ − shift₁)·scale₁, …, (xᵢₚ − shiftₚ)·scaleₚ] (p + 1 columns). A GLM's
/// standardised design is `InterceptDesign(shifts: means, scales: 1/stds)`.
///
/// `irlsPass(_:design:…)` and `gemvBlocks(_:design:…)` build the design rows block by block, in an
/// L2-sized scratch block, from the same `writeRow` that `matrix(_:threads:)` uses to store the whole design:
/// every design element is bit-for-bit the same whichever is used, and no n×(p + 1) copy is ever made.
public struct InterceptDesign: Sendable, Equatable {
    /// Subtracted from each raw column (p values).
    public let shifts: [Double]
    /// Then multiplied into it (p values).
    public let scales: [Double]

    /// - Precondition: `shifts.count == scales.count`.
    public init(shifts: [Double], scales: [Double]) {
        precondition(shifts.count == scales.count, "InterceptDesign: \(shifts.count) shifts, \(scales.count) scales")
        self.shifts = shifts
        self.scales = scales
    }

    /// Raw columns p.
    public var features: Int { shifts.count }
    /// Design columns p + 1 (intercept first).
    public var columns: Int { shifts.count + 1 }

    /// Throws `LinAlgError.dimensionMismatch` for `operation` unless `x` has this design's features as its
    /// columns and β (`coefficients` elements) one per design column.
    func checkShapes(_ x: Matrix, coefficients: Int, operation: String) throws(LinAlgError) {
        guard x.columns == features else {
            throw .dimensionMismatch(
                operation: operation, detail: "X is \(x.shape) but the design is for \(features) features")
        }
        guard coefficients == columns else {
            throw .dimensionMismatch(
                operation: operation,
                detail: "the design has \(columns) columns but β has \(elementCount(coefficients))")
        }
    }

    /// Writes the design row of one raw row: `to[0] = 1`, `to[j + 1] = (from[j] − shift[j])·scale[j]`.
    @inline(__always)
    static func writeRow(
        _ from: UnsafePointer<Double>, shift: UnsafePointer<Double>, scale: UnsafePointer<Double>, features p: Int,
        to: UnsafeMutablePointer<Double>
    ) {
        to[0] = 1
        let body = to + 1
        for j in 0..<p { body[j] = (from[j] - shift[j]) * scale[j] }
    }

    /// The whole n×(p + 1) design of `x`, row-major.
    ///
    /// Each element is written once (no fill first): for a tall X the copy costs the page faults of its new
    /// memory and one read of X. With `threads` > 1 the rows are cut into that many contiguous shares, one per
    /// thread (the page faults of a fresh array are most of the cost, and they run in parallel); the result
    /// does not depend on `threads`.
    ///
    /// - Precondition: `x.columns == features`, `threads ≥ 1`.
    public func matrix(_ x: Matrix, threads: Int = 1) -> Matrix {
        let (n, p) = (x.rows, x.columns)
        precondition(p == features, "InterceptDesign.matrix: \(x.shape) features, design for \(features)")
        precondition(threads >= 1, "InterceptDesign.matrix: threads \(threads) must be ≥ 1")
        // Below ~64k rows a second thread costs more than it saves.
        let shares = max(1, min(threads, n / 65_536))
        let out = [Double](unsafeUninitializedCapacity: n * (p + 1)) { buffer, initialized in
            x.withUnsafeBufferPointer { px in
                shifts.withUnsafeBufferPointer { shift in
                    scales.withUnsafeBufferPointer { scale in
                        let job = DesignCopyJob(
                            x: px, shift: shift, scale: scale, out: buffer, rows: n, columns: p, shares: shares)
                        if shares == 1 {
                            job.run(share: 0)
                        } else {
                            DispatchQueue.concurrentPerform(iterations: shares) { job.run(share: $0) }
                        }
                    }
                }
            }
            initialized = n * (p + 1)
        }
        return Matrix(rows: n, columns: p + 1, elements: out)
    }
}

/// One share of `InterceptDesign.matrix`'s rows; shares write disjoint rows of `out`.
private struct DesignCopyJob: @unchecked Sendable {
    let x: UnsafeBufferPointer<Double>
    let shift: UnsafeBufferPointer<Double>
    let scale: UnsafeBufferPointer<Double>
    let out: UnsafeMutableBufferPointer<Double>
    let rows: Int
    let columns: Int
    let shares: Int

    func run(share: Int) {
        let p = columns
        guard let shift = shift.baseAddress, let scale = scale.baseAddress, let from = x.baseAddress,
              let to = out.baseAddress
        else {
            // p = 0: the design is the intercept column alone.
            for i in (rows * share / shares)..<(rows * (share + 1) / shares) { out[i] = 1 }
            return
        }
        for i in (rows * share / shares)..<(rows * (share + 1) / shares) {
            InterceptDesign.writeRow(from + i * p, shift: shift, scale: scale, features: p, to: to + i * (p + 1))
        }
    }
}

/// Row-major raw X (rows × features) and β (features + 1), shared read-only by the threads of
/// `gemvBlocks(_:design:…)`; each share writes only its own rows of y.
private struct DesignGemvBlocksJob: @unchecked Sendable {
    let x: UnsafePointer<Double>?
    let shift: UnsafePointer<Double>?
    let scale: UnsafePointer<Double>?
    let beta: UnsafePointer<Double>
    let features: Int
    let blockRows: Int

    func run(_ y: UnsafeMutablePointer<Double>, _ range: Range<Int>, transform: @Sendable (UnsafeMutableBufferPointer<Double>) -> Void) {
        let (p, d) = (features, features + 1)
        let (first, end) = (range.lowerBound, range.upperBound)
        let d32 = Int32(truncatingIfNeeded: d)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * d)
        let staging = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * p)
        defer {
            scratch.deallocate()
            staging.deallocate()
        }
        var start = first
        while start < end {
            let count = min(blockRows, end - start)
            if p > 0 {
                // A contiguous copy of the raw block first (libc's memcpy streams it from memory faster than
                // the element loop reads it), then the design rows from the copy, in cache.
                staging.update(from: x! + start * p, count: count * p)
                for r in 0..<count {
                    InterceptDesign.writeRow(staging + r * p, shift: shift!, scale: scale!, features: p, to: scratch + r * d)
                }
            } else {
                for r in 0..<count { scratch[r] = 1 }
            }
            let block = UnsafeMutableBufferPointer(start: y + start, count: count)
            // β = 0 below, but y is uninitialised memory: clear it so no stale NaN can survive (see BLAS.swift).
            block.initialize(repeating: 0)
            cblas_dgemv(
                CblasRowMajor, CblasNoTrans, Int32(truncatingIfNeeded: count), d32, 1, scratch, d32, beta, 1, 0,
                block.baseAddress, 1)
            transform(block)
            start += count
        }
    }
}

/// y = f(D·β) for the design D of the raw matrix `x` (see `InterceptDesign`), without storing D: each block
/// of rows is turned into design rows in a scratch block, multiplied by β (`cblas_dgemv`) and `transform`ed
/// in place while in cache, as `gemvBlocks(_:_:threads:transform:)` does on a stored design — with the same
/// blocks, so the result equals `gemvBlocks(design.matrix(x), β, …)` bit for bit, and does not depend on
/// `threads`. Run OpenBLAS single-threaded (`OPENBLAS_NUM_THREADS=1`) when `threads` > 1.
///
/// - Throws: `LinAlgError.dimensionMismatch` if `x.columns != design.features` or
///   `beta.count != design.columns`; `.invalidArgument` for `threads` < 1.
/// - Complexity: O(n·p) time; O(n) memory for the result and O(threads·block·p) scratch.
public func gemvBlocks(
    _ x: Matrix, design: InterceptDesign, _ beta: [Double], threads: Int = 1,
    transform: @Sendable (UnsafeMutableBufferPointer<Double>) -> Void
) throws(LinAlgError) -> [Double] {
    let operation = "gemvBlocks"
    try design.checkShapes(x, coefficients: beta.count, operation: operation)
    guard threads >= 1 else {
        throw .invalidArgument(operation: operation, detail: "threads \(threads) must be ≥ 1")
    }
    _ = try blasInt(x.rows, operation)
    _ = try blasInt(design.columns, operation)
    let (m, d) = (x.rows, design.columns)
    // The same blocks as gemvBlocks on the stored design.
    let blockRows = gemvBlockRows(columns: d)
    return x.withUnsafeBufferPointer { px in
        design.shifts.withUnsafeBufferPointer { shift in
            design.scales.withUnsafeBufferPointer { scale in
                beta.withUnsafeBufferPointer { pb in
                    let job = DesignGemvBlocksJob(
                        x: px.baseAddress, shift: shift.baseAddress, scale: scale.baseAddress, beta: pb.baseAddress!,
                        features: x.columns, blockRows: blockRows)
                    return byShares(rows: m, blockRows: blockRows, threads: threads) { y, range in
                        job.run(y, range, transform: transform)
                    }
                }
            }
        }
    }
}
