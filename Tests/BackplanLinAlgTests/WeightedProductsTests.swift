import BackplanCore
import Testing
@testable import BackplanLinAlg

@Suite("weightedGram and weightedCross")
struct WeightedProductsTests {
    @Test("XᵀWX matches Σ wᵢ·xᵢxᵢᵀ and is exactly symmetric", arguments: [(1, 1), (12, 3), (3, 7), (200, 11), (700, 35)])
    func gramMatchesNaive(rows: Int, columns: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            let x = randomMatrix(rows, columns, &rng)
            var w = randomVector(rows, &rng, in: 0..<3)
            if rows > 2 { w[1] = 0; w[2] = -0.0 }  // zero weights (and −0) drop their rows
            let g = try weightedGram(x, weights: w)
            #expect(maxAbsDifference(g, naiveWeightedGram(x, w)) <= tolerance(terms: rows, scale: 2))
            #expect(g == g.transposed())
        }
    }

    @Test("block-by-block accumulation does not change the result", arguments: [1, 3, 7, 64])
    func blocks(rowsPerBlock: Int) throws {
        var rng = SplitMix64(seed: 99)
        let x = randomMatrix(50, 6, &rng)
        let w = randomVector(50, &rng, in: 0..<2)
        let blocked = try weightedGram(x, weights: w, rowsPerBlock: rowsPerBlock)
        #expect(maxAbsDifference(blocked, naiveWeightedGram(x, w)) <= tolerance(terms: 50, scale: 2))
    }

    @Test("unit weights give XᵀX")
    func unitWeights() throws {
        var rng = SplitMix64(seed: 3)
        let x = randomMatrix(30, 5, &rng)
        let g = try weightedGram(x, weights: [Double](repeating: 1, count: 30))
        let xtx = try gemm(x, x, transposeA: true)
        #expect(maxAbsDifference(g, xtx) <= tolerance(terms: 30))
    }

    @Test("empty: no rows gives the p×p zero matrix; no columns gives 0×0")
    func empty() throws {
        #expect(try weightedGram(Matrix.zeros(rows: 0, columns: 4), weights: []) == Matrix.zeros(rows: 4, columns: 4))
        #expect(try weightedGram(Matrix.zeros(rows: 3, columns: 0), weights: [1, 2, 3]).rows == 0)
        #expect(try weightedCross(Matrix.zeros(rows: 0, columns: 3), weights: [], []) == [0, 0, 0])
        #expect(try weightedCross(Matrix.zeros(rows: 2, columns: 0), weights: [1, 1], [1, 1]) == [])
    }

    @Test("bad weights and shapes throw before BLAS")
    func invalidInputs() {
        let x = Matrix(rows: 3, columns: 2, repeating: 1)
        #expect(throws: LinAlgError.invalidArgument(operation: "weightedGram", detail: "weight w[1] = -0.5 is negative")) {
            try weightedGram(x, weights: [1, -0.5, 2])
        }
        #expect(throws: LinAlgError.nonFinite(operation: "weightedGram", argument: "w", row: 2, column: nil, value: "nan")) {
            try weightedGram(x, weights: [1, 1, .nan])
        }
        #expect(throws: LinAlgError.nonFinite(operation: "weightedGram", argument: "w", row: 0, column: nil, value: "inf")) {
            try weightedGram(x, weights: [.infinity, 1, 1])
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "weightedGram", detail: "X is 3×2 but w has 2 elements (expected 3)")) {
            try weightedGram(x, weights: [1, 1])
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "weightedCross", detail: "X is 3×2 but w has 3 and z has 4 elements (expected 3)")) {
            try weightedCross(x, weights: [1, 1, 1], [1, 2, 3, 4])
        }
        #expect(throws: LinAlgError.nonFinite(operation: "weightedCross", argument: "z", row: 1, column: nil, value: "-inf")) {
            try weightedCross(x, weights: [1, 1, 1], [0, -.infinity, 0])
        }
        #expect(throws: LinAlgError.invalidArgument(operation: "weightedCross", detail: "weight w[0] = -1.0 is negative")) {
            try weightedCross(x, weights: [-1, 1, 1], [0, 0, 0])
        }
    }

    @Test("Xᵀ(w∘z) matches loops", arguments: [(1, 1), (15, 4), (4, 9), (300, 12)])
    func crossMatchesNaive(rows: Int, columns: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            let x = randomMatrix(rows, columns, &rng)
            let w = randomVector(rows, &rng, in: 0..<3)
            let z = randomVector(rows, &rng, in: -5..<5)
            let c = try weightedCross(x, weights: w, z)
            let expected = (0..<columns).map { j in (0..<rows).reduce(0.0) { $0 + x[$1, j] * w[$1] * z[$1] } }
            #expect(maxAbsDifference(c, expected) <= tolerance(terms: rows, scale: 15))
        }
    }
}
