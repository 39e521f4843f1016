import BackplanCore
import Testing
import BackplanLinAlg

/// (m, k, n): op(A) is m×k, op(B) is k×n. Covers 1×1, tall, wide, vectors and sizes past OpenBLAS's
/// small-matrix kernels.
let productShapes: [(Int, Int, Int)] = [
    (1, 1, 1), (6, 2, 3), (2, 7, 9), (1, 8, 1), (8, 1, 8), (17, 9, 13), (70, 45, 33),
]

@Suite("gemm")
struct GemmTests {
    @Test("matches the triple loop for every transpose combination", arguments: productShapes)
    func matchesNaive(m: Int, k: Int, n: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = transposeA ? randomMatrix(k, m, &rng) : randomMatrix(m, k, &rng)
                let b = transposeB ? randomMatrix(n, k, &rng) : randomMatrix(k, n, &rng)
                let c = try gemm(a, b, transposeA: transposeA, transposeB: transposeB)
                let expected = naiveGemm(a, b, transposeA: transposeA, transposeB: transposeB)
                #expect(c.rows == m && c.columns == n)
                #expect(maxAbsDifference(c, expected) <= tolerance(terms: k),
                        "seed \(seed) transposeA \(transposeA) transposeB \(transposeB)")
            }
        }
    }

    @Test("α and β accumulate into C", arguments: productShapes)
    func alphaBeta(m: Int, k: Int, n: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed &+ 7)
            let a = randomMatrix(k, m, &rng)
            let b = randomMatrix(k, n, &rng)
            let c0 = randomMatrix(m, n, &rng)
            var c = c0
            try gemm(a, b, transposeA: true, alpha: -1.5, beta: 0.25, into: &c)
            let expected = naiveGemm(a, b, transposeA: true, transposeB: false, alpha: -1.5, beta: 0.25, c: c0)
            #expect(maxAbsDifference(c, expected) <= tolerance(terms: k, scale: 1.5))
        }
    }

    @Test("β = 0 ignores NaN already in C")
    func betaZeroIgnoresNaN() throws {
        let a = Matrix.identity(2)
        var c = Matrix(rows: 2, columns: 2, repeating: .nan)
        try gemm(a, a, into: &c)
        #expect(c == Matrix.identity(2))
    }

    @Test("empty shapes: k = 0 gives β·C, m = 0 or n = 0 give empty results")
    func emptyShapes() throws {
        let a = Matrix.zeros(rows: 3, columns: 0)
        let b = Matrix.zeros(rows: 0, columns: 2)
        #expect(try gemm(a, b) == Matrix.zeros(rows: 3, columns: 2))
        var c = Matrix(rows: 3, columns: 2, repeating: 4)
        try gemm(a, b, beta: 0.5, into: &c)
        #expect(c == Matrix(rows: 3, columns: 2, repeating: 2))
        try gemm(a, b, beta: 0, into: &c)
        #expect(c == Matrix.zeros(rows: 3, columns: 2))
        let wide = try gemm(Matrix.zeros(rows: 0, columns: 4), Matrix(rows: 4, columns: 5, repeating: 1))
        #expect(wide.rows == 0 && wide.columns == 5)
        let thin = try gemm(Matrix(rows: 2, columns: 4, repeating: 1), Matrix.zeros(rows: 4, columns: 0))
        #expect(thin.rows == 2 && thin.columns == 0)
    }

    @Test("shape mismatches throw, naming the shapes")
    func mismatch() throws {
        let a = Matrix.zeros(rows: 3, columns: 4)
        let b = Matrix.zeros(rows: 5, columns: 2)
        let error = try #require(throws: LinAlgError.self) { try gemm(a, b) }
        #expect(error.description == "gemm: A is 3×4 but B is 5×2 (inner dimensions 4 and 5 differ)")
        let transposed = try #require(throws: LinAlgError.self) { try gemm(a, b, transposeA: true) }
        #expect(transposed.description == "gemm: Aᵀ is 4×3 but B is 5×2 (inner dimensions 3 and 5 differ)")
        var wrongC = Matrix.zeros(rows: 2, columns: 2)
        let cError = try #require(throws: LinAlgError.self) {
            try gemm(a, a, transposeB: true, into: &wrongC)
        }
        #expect(cError == .dimensionMismatch(operation: "gemm", detail: "op(A)·op(B) is 3×3 but C is 2×2"))
    }
}

@Suite("gemv")
struct GemvTests {
    @Test("matches loops, both orientations, with α and β", arguments: [(1, 1), (5, 3), (3, 8), (40, 17)])
    func matchesNaive(rows: Int, columns: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            let a = randomMatrix(rows, columns, &rng)
            for transpose in [false, true] {
                let x = randomVector(transpose ? rows : columns, &rng)
                let y0 = randomVector(transpose ? columns : rows, &rng)
                let y = try gemv(a, x, transpose: transpose)
                #expect(maxAbsDifference(y, naiveGemv(a, x, transpose: transpose))
                        <= tolerance(terms: x.count))
                var acc = y0
                try gemv(a, x, transpose: transpose, alpha: 2, beta: -1, into: &acc)
                let expected = naiveGemv(a, x, transpose: transpose, alpha: 2, beta: -1, y: y0)
                #expect(maxAbsDifference(acc, expected) <= tolerance(terms: x.count, scale: 2))
            }
        }
    }

    @Test("gemv handles empty shapes and rejects mismatched ones") func emptyAndMismatch() throws {
        #expect(try gemv(Matrix.zeros(rows: 3, columns: 0), []) == [0, 0, 0])
        #expect(try gemv(Matrix.zeros(rows: 0, columns: 3), [1, 2, 3]) == [])
        var y: [Double] = [.nan, 2]
        try gemv(Matrix.zeros(rows: 2, columns: 0), [], beta: 0, into: &y)
        #expect(y == [0, 0])
        #expect(throws: LinAlgError.dimensionMismatch(operation: "gemv", detail: "A is 2×3 but x has 2 elements")) {
            try gemv(Matrix.zeros(rows: 2, columns: 3), [1, 2])
        }
        var short = [0.0]
        #expect(throws: LinAlgError.dimensionMismatch(operation: "gemv", detail: "Aᵀ is 3×2 but y has 1 element")) {
            try gemv(Matrix.zeros(rows: 2, columns: 3), [1, 2], transpose: true, into: &short)
        }
    }
}

@Suite("syrk")
struct SyrkTests {
    @Test("one triangle of α·AᵀA or α·AAᵀ, other triangle untouched", arguments: [(1, 1), (9, 4), (4, 9), (50, 23)])
    func matchesNaive(rows: Int, columns: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            let a = randomMatrix(rows, columns, &rng)
            for transpose in [true, false] {
                let full = naiveGemm(a, a, transposeA: transpose, transposeB: !transpose, alpha: 0.5)
                let n = full.rows
                let k = transpose ? rows : columns
                for triangle in [Triangle.upper, .lower] {
                    var c = Matrix(rows: n, columns: n, repeating: 99)
                    try syrk(a, transpose: transpose, alpha: 0.5, triangle: triangle, into: &c)
                    for i in 0..<n {
                        for j in 0..<n {
                            let inTriangle = triangle == .upper ? i <= j : i >= j
                            if inTriangle {
                                #expect(abs(c[i, j] - full[i, j]) <= tolerance(terms: k))
                            } else {
                                #expect(c[i, j] == 99)
                            }
                        }
                    }
                    let symmetric = try syrk(a, transpose: transpose, alpha: 0.5, triangle: triangle)
                        .symmetrized(from: triangle)
                    #expect(maxAbsDifference(symmetric, full) <= tolerance(terms: k))
                }
            }
        }
    }

    @Test("β accumulates, and k = 0 gives β·C in the triangle")
    func betaAndEmpty() throws {
        var rng = SplitMix64(seed: 5)
        let a = randomMatrix(6, 3, &rng)
        let c0 = Matrix.identity(3)
        var c = c0
        try syrk(a, beta: 2, into: &c)
        let expected = naiveGemm(a, a, transposeA: true, transposeB: false, beta: 2, c: c0)
        #expect(maxAbsDifference(c.symmetrized(from: .upper), expected) <= tolerance(terms: 6))

        var e = Matrix(rows: 2, columns: 2, repeating: 3)
        try syrk(Matrix.zeros(rows: 0, columns: 2), beta: 0.5, triangle: .lower, into: &e)
        #expect(e.elements == [1.5, 3, 1.5, 1.5])
        #expect(try syrk(Matrix.zeros(rows: 0, columns: 2)) == Matrix.zeros(rows: 2, columns: 2))
        #expect(try syrk(Matrix.zeros(rows: 4, columns: 0)).rows == 0)
    }

    @Test("syrk rejects mismatched shapes") func mismatch() {
        var c = Matrix.zeros(rows: 3, columns: 3)
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "syrk", detail: "A is 5×2 so AᵀA is 2×2, but C is 3×3")) {
            try syrk(Matrix.zeros(rows: 5, columns: 2), into: &c)
        }
    }
}
