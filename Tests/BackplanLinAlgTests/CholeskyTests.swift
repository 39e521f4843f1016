import BackplanCore
import Testing
import BackplanLinAlg

/// A = MᵀM + I for a random m×n M: symmetric positive definite with eigenvalues ≥ 1.
private func spdMatrix(_ n: Int, _ rng: inout SplitMix64) throws -> Matrix {
    let m = randomMatrix(n + 3, n, &rng)
    var a = try syrk(m).symmetrized(from: .upper)
    for i in 0..<n { a[i, i] += 1 }
    return a
}

@Suite("choleskySolve")
struct CholeskyTests {
    @Test("recovers x from b = A·x", arguments: [1, 2, 5, 20, 60])
    func recoversSolution(n: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            let a = try spdMatrix(n, &rng)
            let x = randomVector(n, &rng)
            let b = try gemv(a, x)
            let solved = try choleskySolve(a, b)
            let residual = maxAbsDifference(try gemv(a, solved), b)
            #expect(residual <= 1e-10 * Double(n), "seed \(seed) residual \(residual)")
            // A's eigenvalues lie in [1, ~2n+4], so the error in x is bounded by the condition number.
            #expect(maxAbsDifference(solved, x) <= 1e-9 * Double(n))
        }
    }

    @Test("several right-hand sides match column-by-column solves")
    func multipleRightHandSides() throws {
        var rng = SplitMix64(seed: 11)
        let a = try spdMatrix(8, &rng)
        let b = randomMatrix(8, 3, &rng)
        let x = try choleskySolve(a, b)
        #expect(x.rows == 8 && x.columns == 3)
        #expect(maxAbsDifference(try gemm(a, x), b) <= 1e-11)
        for j in 0..<3 {
            let column = (0..<8).map { b[$0, j] }
            let single = try choleskySolve(a, column)
            #expect(maxAbsDifference((0..<8).map { x[$0, j] }, single) <= 1e-12)
        }
    }

    @Test("only the upper triangle is read")
    func upperTriangleOnly() throws {
        var rng = SplitMix64(seed: 12)
        let a = try spdMatrix(6, &rng)
        var scrambled = a
        for i in 0..<6 { for j in 0..<i { scrambled[i, j] = 1000 * Double(i - j) } }
        let b = randomVector(6, &rng)
        #expect(try choleskySolve(scrambled, b) == choleskySolve(a, b))
    }

    @Test("a singular matrix fails in dpotrf with info > 0")
    func singular() throws {
        let a = Matrix(rows: 2, columns: 2, elements: [1, 1, 1, 1])
        let error = try #require(throws: LinAlgError.self) { try choleskySolve(a, [1, 2]) }
        guard case let .lapack(routine, info) = error else {
            Issue.record("expected a LAPACK error, got \(error)")
            return
        }
        #expect(routine == "dpotrf")
        #expect(info == 2)
        #expect(error.description == "dpotrf: leading minor 2 is not positive definite (info 2)")
    }

    @Test("an indefinite matrix reports the failing minor")
    func indefinite() {
        let a = Matrix(rows: 4, columns: 4, elements: [
            4, 1, 0, 0,
            1, 3, 0, 0,
            0, 0, -1, 0,
            0, 0, 0, 2,
        ])
        #expect(throws: LinAlgError.lapack(routine: "dpotrf", info: 3)) {
            try choleskySolve(a, [1, 1, 1, 1])
        }
        #expect(LinAlgError.lapack(routine: "dpotrf", info: 3).description
                == "dpotrf: leading minor 3 is not positive definite (info 3)")
        // The zero matrix fails at the first minor.
        #expect(throws: LinAlgError.lapack(routine: "dpotrf", info: 1)) {
            try choleskySolve(Matrix.zeros(rows: 3, columns: 3), [0, 0, 0])
        }
    }

    @Test("a ridge makes a singular system solvable: (A + λI)·x = b")
    func ridge() throws {
        var rng = SplitMix64(seed: 13)
        let m = randomMatrix(3, 6, &rng)  // rank 3, so MᵀM (6×6) is singular
        let a = try syrk(m).symmetrized(from: .upper)
        let b = randomVector(6, &rng)
        let x = try choleskySolve(a, b, ridge: 0.1)
        var regularised = a
        for i in 0..<6 { regularised[i, i] += 0.1 }
        #expect(maxAbsDifference(try gemv(regularised, x), b) <= 1e-10)
        // λ = −0 is λ = 0.
        let identity = Matrix.identity(2)
        #expect(try choleskySolve(identity, [3, 4], ridge: -0.0) == [3, 4])
    }

    @Test("invalid ridge, shapes and non-finite input throw before LAPACK")
    func invalidInputs() {
        let a = Matrix.identity(3)
        #expect(throws: LinAlgError.invalidArgument(operation: "choleskySolve", detail: "ridge -1.0 must be finite and ≥ 0")) {
            try choleskySolve(a, [1, 2, 3], ridge: -1)
        }
        #expect(throws: LinAlgError.invalidArgument(operation: "choleskySolve", detail: "ridge nan must be finite and ≥ 0")) {
            try choleskySolve(a, [1, 2, 3], ridge: .nan)
        }
        #expect(throws: LinAlgError.dimensionMismatch(operation: "choleskySolve", detail: "A is 2×3, not square")) {
            try choleskySolve(Matrix.zeros(rows: 2, columns: 3), [1, 2])
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "choleskySolve", detail: "A is 3×3 but b has 2 elements (expected 3)")) {
            try choleskySolve(a, [1, 2])
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "choleskySolve", detail: "A is 3×3 but B is 4×2 (expected 3 rows)")) {
            try choleskySolve(a, Matrix.zeros(rows: 4, columns: 2))
        }
        var nanA = a
        nanA[2, 0] = .nan
        let nanError = LinAlgError.nonFinite(operation: "choleskySolve", argument: "A", row: 2, column: 0, value: "nan")
        #expect(throws: nanError) { try choleskySolve(nanA, [1, 2, 3]) }
        #expect(nanError.description == "choleskySolve: A[2, 0] is not finite (nan)")
        #expect(throws: LinAlgError.nonFinite(operation: "choleskySolve", argument: "b", row: 1, column: nil, value: "inf")) {
            try choleskySolve(a, [1, .infinity, 3])
        }
        #expect(throws: LinAlgError.nonFinite(operation: "choleskySolve", argument: "B", row: 0, column: 1, value: "-inf")) {
            try choleskySolve(a, Matrix(rows: 3, columns: 2, elements: [0, -.infinity, 0, 0, 0, 0]))
        }
    }

    @Test("empty systems: 0×0 gives the empty solution, n×0 right-hand sides give n×0")
    func empty() throws {
        #expect(try choleskySolve(Matrix.zeros(rows: 0, columns: 0), []) == [])
        let none = try choleskySolve(Matrix.zeros(rows: 0, columns: 0), Matrix.zeros(rows: 0, columns: 2))
        #expect(none.rows == 0 && none.columns == 2)
        let noColumns = try choleskySolve(Matrix.identity(3), Matrix.zeros(rows: 3, columns: 0))
        #expect(noColumns.rows == 3 && noColumns.columns == 0)
        // A is still factored, so a bad A is reported even with nothing to solve.
        #expect(throws: LinAlgError.lapack(routine: "dpotrf", info: 1)) {
            try choleskySolve(Matrix.zeros(rows: 3, columns: 3), Matrix.zeros(rows: 3, columns: 0))
        }
    }
}
