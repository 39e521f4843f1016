/// A dense matrix of `Double`, stored **row-major**: element (i, j) lives at `elements[i * columns + j]`.
///
/// Row-major matches how Backplan builds design matrices — one row per dataset (or per training
/// cutoff), one column per feature — so a feature row is one contiguous slice. Every BLAS call in this
/// module passes `CblasRowMajor` and every LAPACK call `LAPACK_ROW_MAJOR`, with the leading dimension
/// equal to `columns` (at least 1, as BLAS requires even for empty matrices).
///
///     var x = Matrix(rows: 2, columns: 3, elements: [1, 2, 3,
///                                                  4, 5, 6])
///     x[1, 2]            // 6
///     x.transposed()     // 3×2
///
/// Shapes may be empty (0×n, n×0, 0×0); the operations in this module document what they return then.
/// A `Matrix` is a value: copies share storage until one is written (copy-on-write through `Array`).
public struct Matrix: Sendable, Hashable {
    /// Number of rows (m).
    public let rows: Int
    /// Number of columns (n).
    public let columns: Int
    /// The `rows × columns` elements in row-major order.
    public internal(set) var elements: [Double]

    /// Wraps `elements`, read row by row, as a `rows × columns` matrix.
    ///
    /// - Precondition: `rows >= 0`, `columns >= 0` and `elements.count == rows * columns`.
    /// - Complexity: O(1) (the array is not copied).
    public init(rows: Int, columns: Int, elements: [Double]) {
        precondition(rows >= 0 && columns >= 0, "Matrix: negative shape \(rows)×\(columns)")
        precondition(
            elements.count == rows * columns,
            "Matrix: \(elements.count) elements cannot fill \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A `rows × columns` matrix with every element equal to `value` (0 by default).
    ///
    /// - Complexity: O(rows·columns).
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, elements: Array(repeating: value, count: rows * columns))
    }

    /// A `rows × columns` matrix of zeros.
    ///
    /// - Complexity: O(rows·columns).
    public static func zeros(rows: Int, columns: Int) -> Matrix {
        Matrix(rows: rows, columns: columns)
    }

    /// The `n × n` identity matrix I (Iᵢⱼ = 1 if i = j, else 0).
    ///
    /// - Complexity: O(n²).
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.elements[i * n + i] = 1 }
        return m
    }

    /// Builds a matrix from an array of equally long rows: `Matrix(rowArrays: [[1, 2], [3, 4]])`.
    ///
    /// An empty array gives a 0×0 matrix. Meant for tests and small literals; hot paths should fill
    /// `elements` directly.
    ///
    /// - Throws: `LinAlgError.dimensionMismatch` when the rows differ in length.
    /// - Complexity: O(rows·columns).
    public init(rowArrays: [[Double]]) throws(LinAlgError) {
        let columns = rowArrays.first?.count ?? 0
        var flat: [Double] = []
        flat.reserveCapacity(rowArrays.count * columns)
        for (i, row) in rowArrays.enumerated() {
            guard row.count == columns else {
                throw .dimensionMismatch(
                    operation: "Matrix(rowArrays:)",
                    detail: "row 0 has \(columns) elements but row \(i) has \(row.count)")
            }
            flat.append(contentsOf: row)
        }
        self.init(rows: rowArrays.count, columns: columns, elements: flat)
    }

    /// Element (i, j), 0-based.
    ///
    /// - Precondition: `0 <= i < rows` and `0 <= j < columns`.
    /// - Complexity: O(1).
    public subscript(i: Int, j: Int) -> Double {
        get {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "Matrix: index (\(i), \(j)) outside \(shape)")
            return elements[i * columns + j]
        }
        set {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "Matrix: index (\(i), \(j)) outside \(shape)")
            elements[i * columns + j] = newValue
        }
    }

    /// Row i as a new array of `columns` elements.
    ///
    /// - Complexity: O(columns).
    public func row(_ i: Int) -> [Double] {
        precondition(i >= 0 && i < rows, "Matrix: row \(i) outside \(shape)")
        return Array(elements[(i * columns)..<((i + 1) * columns)])
    }

    /// The shape as text, `"3×4"`, as used in error messages.
    public var shape: String { "\(rows)×\(columns)" }

    /// Whether the matrix is square (`rows == columns`).
    public var isSquare: Bool { rows == columns }

    /// Whether any element is NaN or ±∞.
    ///
    /// - Complexity: O(rows·columns).
    public var hasNonFiniteElements: Bool {
        firstNonFinite() != nil
    }

    /// The transpose Aᵀ, (Aᵀ)ᵢⱼ = Aⱼᵢ, as a new `columns × rows` matrix.
    ///
    /// BLAS routines in this module take `transposeA:`/`transposeB:` flags instead, which cost nothing;
    /// use this only when a transposed copy is really needed.
    ///
    /// - Complexity: O(rows·columns) time and memory.
    public func transposed() -> Matrix {
        var out = [Double](repeating: 0, count: elements.count)
        let (m, n) = (rows, columns)
        elements.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<m {
                    for j in 0..<n { dst[j * m + i] = src[i * n + j] }
                }
            }
        }
        return Matrix(rows: n, columns: m, elements: out)
    }

    /// A systematic sample of the rows: runs of `run` consecutive rows, one run in every `k`, i.e. the rows
    /// whose index i has (i / run) divisible by k, in order: about rows/k of them, e.g. of a design matrix to fit
    /// a cheap starting point on. Runs, not single rows, so the copy streams through memory (rows k apart can
    /// be a page apart, and hardware prefetchers stop at page boundaries).
    ///
    /// - Precondition: `k ≥ 1`, `run ≥ 1`.
    /// - Complexity: O(rows·columns/k) time and memory.
    public func sampledRows(every k: Int, run: Int = 64) -> Matrix {
        precondition(k >= 1 && run >= 1, "sampledRows: every \(k), run \(run) must be ≥ 1")
        let ranges = Self.sampledRanges(rows: rows, every: k, run: run)
        let count = ranges.reduce(0) { $0 + $1.count }
        var out = [Double]()
        out.reserveCapacity(count * columns)
        elements.withUnsafeBufferPointer { src in
            for range in ranges {
                out.append(contentsOf: UnsafeBufferPointer(
                    rebasing: src[(range.lowerBound * columns)..<(range.upperBound * columns)]))
            }
        }
        return Matrix(rows: count, columns: columns, elements: out)
    }

    /// The row ranges ``sampledRows(every:run:)`` takes from a matrix of `rows` rows.
    public static func sampledRanges(rows: Int, every k: Int, run: Int = 64) -> [Range<Int>] {
        precondition(k >= 1 && run >= 1, "sampledRanges: every \(k), run \(run) must be ≥ 1")
        return stride(from: 0, to: rows, by: k * run).map { $0..<min($0 + run, rows) }
    }

    /// Calls `body` with the row-major elements, for hot loops without bounds checks.
    ///
    /// The buffer is valid only inside `body`. Element (i, j) is at offset `i * columns + j`.
    public func withUnsafeBufferPointer<R, E: Error>(
        _ body: (UnsafeBufferPointer<Double>) throws(E) -> R
    ) throws(E) -> R {
        try elements.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the row-major elements, mutable, for hot loops without bounds checks.
    ///
    /// The buffer is valid only inside `body`; the shape cannot change. Element (i, j) is at offset
    /// `i * columns + j`.
    public mutating func withUnsafeMutableBufferPointer<R, E: Error>(
        _ body: (inout UnsafeMutableBufferPointer<Double>) throws(E) -> R
    ) throws(E) -> R {
        try elements.withUnsafeMutableBufferPointer(body)
    }

    /// Index (row, column) of the first NaN or ±∞ in row-major order, or `nil` if all are finite.
    func firstNonFinite() -> (row: Int, column: Int)? {
        guard let k = elements.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (k / columns, k % columns)
    }
}

extension Matrix: CustomStringConvertible {
    /// The shape followed by the rows, e.g. `"2×2 [[1.0, 2.0], [3.0, 4.0]]"`.
    public var description: String {
        let body = (0..<rows).map { "[" + row($0).map { "\($0)" }.joined(separator: ", ") + "]" }
        return "\(shape) [" + body.joined(separator: ", ") + "]"
    }
}
