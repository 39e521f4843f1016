// Checks run in Swift before any BLAS/LAPACK call, so that C never sees a shape it would reject (its
// `xerbla` prints to stderr) or a NaN it would silently spread.

/// A dimension as BLAS/LAPACK's 32-bit integer (`blasint`, `lapack_int` are `int` in this build).
@inline(__always)
func blasInt(_ n: Int, _ operation: String) throws(LinAlgError) -> Int32 {
    guard let value = Int32(exactly: n) else {
        throw .invalidArgument(operation: operation, detail: "dimension \(n) exceeds BLAS's 32-bit limit")
    }
    return value
}

/// Leading dimension of a row-major matrix: its column count, but never below 1 (BLAS rejects 0).
@inline(__always)
func leadingDimension(_ m: Matrix) -> Int32 {
    Int32(truncatingIfNeeded: max(1, m.columns))
}

/// `"nan"`, `"inf"` or `"-inf"`.
func nonFiniteText(_ x: Double) -> String {
    x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf")
}

func requireFinite(_ m: Matrix, _ operation: String, argument: String) throws(LinAlgError) {
    if let (i, j) = m.firstNonFinite() {
        throw .nonFinite(
            operation: operation, argument: argument, row: i, column: j, value: nonFiniteText(m[i, j]))
    }
}

func requireFinite(_ v: [Double], _ operation: String, argument: String) throws(LinAlgError) {
    if let k = v.firstIndex(where: { !$0.isFinite }) {
        throw .nonFinite(operation: operation, argument: argument, row: k, column: nil, value: nonFiniteText(v[k]))
    }
}

/// Weights must be finite and ≥ 0 (they are IRLS weights, and √w is taken).
func requireWeights(_ w: [Double], _ operation: String) throws(LinAlgError) {
    try requireFinite(w, operation, argument: "w")
    if let k = w.firstIndex(where: { $0 < 0 }) {
        throw .invalidArgument(operation: operation, detail: "weight w[\(k)] = \(w[k]) is negative")
    }
}

/// The shape of op(A): A's own shape, or swapped when transposed.
@inline(__always)
func opShape(_ m: Matrix, transposed: Bool) -> (rows: Int, columns: Int) {
    transposed ? (m.columns, m.rows) : (m.rows, m.columns)
}

/// Text for op(A) in messages: `"A"` or `"Aᵀ"`, with its shape.
func opName(_ name: String, _ m: Matrix, transposed: Bool) -> String {
    let s = opShape(m, transposed: transposed)
    return transposed ? "\(name)ᵀ is \(s.rows)×\(s.columns)" : "\(name) is \(s.rows)×\(s.columns)"
}

/// `"1 element"`, `"3 elements"`.
func elementCount(_ n: Int) -> String {
    n == 1 ? "1 element" : "\(n) elements"
}
