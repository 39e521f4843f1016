import BackplanCore
import BackplanLinAlg

// Seeded inputs come from BackplanCore's SplitMix64, the generator every Backplan module uses.

/// Seeds every randomized test loops over.
let testSeeds: [UInt64] = [1, 42, 20_260_101]

/// A rows×columns matrix with elements uniform in [-1, 1).
func randomMatrix(_ rows: Int, _ columns: Int, _ rng: inout SplitMix64) -> Matrix {
    Matrix(
        rows: rows, columns: columns,
        elements: (0..<(rows * columns)).map { _ in Double.random(in: -1..<1, using: &rng) })
}

func randomVector(_ count: Int, _ rng: inout SplitMix64, in range: Range<Double> = -1..<1) -> [Double] {
    (0..<count).map { _ in Double.random(in: range, using: &rng) }
}

/// op(A)ᵢⱼ without BLAS.
func element(_ m: Matrix, _ i: Int, _ j: Int, transposed: Bool) -> Double {
    transposed ? m[j, i] : m[i, j]
}

/// α·op(A)·op(B) + β·C by the textbook triple loop.
func naiveGemm(
    _ a: Matrix, _ b: Matrix, transposeA: Bool, transposeB: Bool,
    alpha: Double = 1, beta: Double = 0, c: Matrix? = nil
) -> Matrix {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    var out = Matrix.zeros(rows: m, columns: n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for l in 0..<k {
                sum += element(a, i, l, transposed: transposeA) * element(b, l, j, transposed: transposeB)
            }
            out[i, j] = alpha * sum + (beta == 0 ? 0 : beta * (c?[i, j] ?? 0))
        }
    }
    return out
}

/// α·op(A)·x + β·y by loops.
func naiveGemv(
    _ a: Matrix, _ x: [Double], transpose: Bool, alpha: Double = 1, beta: Double = 0, y: [Double]? = nil
) -> [Double] {
    let m = transpose ? a.columns : a.rows
    let n = transpose ? a.rows : a.columns
    return (0..<m).map { i in
        var sum = 0.0
        for j in 0..<n { sum += element(a, i, j, transposed: transpose) * x[j] }
        return alpha * sum + (beta == 0 ? 0 : beta * (y?[i] ?? 0))
    }
}

/// Σᵢ wᵢ·xᵢxᵢᵀ by loops (full symmetric p×p).
func naiveWeightedGram(_ x: Matrix, _ w: [Double]) -> Matrix {
    var g = Matrix.zeros(rows: x.columns, columns: x.columns)
    for i in 0..<x.rows {
        for a in 0..<x.columns {
            for b in 0..<x.columns { g[a, b] += w[i] * x[i, a] * x[i, b] }
        }
    }
    return g
}

/// Largest |aᵢ − bᵢ|; the shapes must agree.
func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "shapes \(a.shape) and \(b.shape)")
    return maxAbsDifference(a.elements, b.elements)
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Round-off bound for sums of `terms` products of numbers of size ≤ `scale`: generous but far below
/// any real error (a wrong index or transpose gives differences of order `scale`).
func tolerance(terms: Int, scale: Double = 1) -> Double {
    1e-13 * Double(max(terms, 1)) * scale * scale + 1e-15
}
