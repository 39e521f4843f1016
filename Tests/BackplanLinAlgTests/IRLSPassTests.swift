import Foundation
import BackplanCore
import Testing
@testable import BackplanLinAlg

/// A Poisson-like step (log link): μ = e^η, w = μ, z = η + (y − μ)/μ, objective Σ(μ − y·η). Also used for the
/// unfused reference below, so the two paths see the same per-row arithmetic.
private func poissonStep(_ y: [Double]) -> IRLSBlockStep {
    { rows, eta, request in
        var sum = 0.0
        for r in 0..<eta.count {
            let mu = exp(eta[r])
            let yr = y[rows.lowerBound + r]
            sum += mu - yr * eta[r]
            switch request {
            case .weights(let w):
                w[r] = mu
                eta[r] = eta[r] + (yr - mu) / mu
            case .score:
                eta[r] = yr - mu
            case .objective:
                break
            }
        }
        return sum
    }
}

/// The unfused path: η = Xβ by gemv, then w, z, the objective, `weightedGram`, `weightedCross` and zᵀWz by loops.
private func unfused(_ x: Matrix, _ beta: [Double], _ y: [Double]) throws -> (Double, NormalEquations) {
    let eta = try gemv(x, beta)
    var w = [Double](repeating: 0, count: x.rows), z = w
    var objective = 0.0
    for i in 0..<x.rows {
        let mu = exp(eta[i])
        objective += mu - y[i] * eta[i]
        w[i] = mu
        z[i] = eta[i] + (y[i] - mu) / mu
    }
    let zwz = (0..<x.rows).reduce(0.0) { $0 + w[$1] * z[$1] * z[$1] }
    return (objective, NormalEquations(
        gram: try weightedGram(x, weights: w), cross: try weightedCross(x, weights: w, z), weightedSquares: zwz))
}

/// X (first column all ones), β and counts y for a small Poisson problem.
private func problem(rows: Int, columns: Int, seed: UInt64) -> (Matrix, [Double], [Double]) {
    var rng = SplitMix64(seed: seed)
    var x = randomMatrix(rows, columns, &rng)
    for i in 0..<rows where columns > 0 { x[i, 0] = 1 }
    let beta = randomVector(columns, &rng, in: -0.5..<0.5)
    let y = (0..<rows).map { _ in Double(Int.random(in: 0..<4, using: &rng)) }
    return (x, beta, y)
}

@Suite("irlsPass: the fused IRLS pass")
struct IRLSPassTests {
    @Test("matches gemv + weightedGram + weightedCross", arguments: [(1, 1), (7, 3), (50, 6), (200, 11), (333, 34)])
    func matchesUnfused(rows: Int, columns: Int) throws {
        for seed in testSeeds {
            let (x, beta, y) = problem(rows: rows, columns: columns, seed: seed)
            let (objective, expected) = try unfused(x, beta, y)
            let pass = try irlsPass(x, coefficients: beta, output: .normalEquations, step: poissonStep(y))
            let got = try #require(pass.normalEquations)
            let scale = 15.0  // |xᵢⱼ| ≤ 1, w ≤ e^(0.5·p), |z| modest
            #expect(abs(pass.objective - objective) <= tolerance(terms: rows, scale: scale))
            #expect(maxAbsDifference(got.gram, expected.gram) <= tolerance(terms: rows, scale: scale))
            #expect(maxAbsDifference(got.cross, expected.cross) <= tolerance(terms: rows, scale: scale))
            #expect(abs(got.weightedSquares - expected.weightedSquares) <= tolerance(terms: rows, scale: scale))
            #expect(got.gram == got.gram.transposed())
        }
    }

    @Test("block boundaries and thread shares change rounding only",
          arguments: [(1, 1), (3, 1), (7, 2), (64, 3), (1_000, 1), (5, 4)])
    func blocksAndThreads(rowsPerBlock: Int, threads: Int) throws {
        for seed in testSeeds {
            let (x, beta, y) = problem(rows: 157, columns: 19, seed: seed)
            let (objective, expected) = try unfused(x, beta, y)
            let pass = try irlsPass(
                x, coefficients: beta, output: .normalEquations, threads: threads, rowsPerBlock: rowsPerBlock,
                step: poissonStep(y))
            let got = try #require(pass.normalEquations)
            #expect(abs(pass.objective - objective) <= tolerance(terms: 157, scale: 15))
            #expect(maxAbsDifference(got.gram, expected.gram) <= tolerance(terms: 157, scale: 15))
            #expect(maxAbsDifference(got.cross, expected.cross) <= tolerance(terms: 157, scale: 15))
            #expect(abs(got.weightedSquares - expected.weightedSquares) <= tolerance(terms: 157, scale: 15))
        }
    }

    @Test("repeatable bit for bit for a given thread count", arguments: [1, 2, 3])
    func repeatable(threads: Int) throws {
        let (x, beta, y) = problem(rows: 5_000, columns: 9, seed: 5)
        let run = { () throws -> IRLSPassResult in
            try irlsPass(x, coefficients: beta, output: .normalEquations, threads: threads, rowsPerBlock: 100,
                         step: poissonStep(y))
        }
        let (a, b) = (try run(), try run())
        #expect(a.objective == b.objective)
        #expect(a.normalEquations == b.normalEquations)
    }

    @Test("an objective-only pass gives the same objective and no equations")
    func objectiveOnly() throws {
        let (x, beta, y) = problem(rows: 300, columns: 5, seed: 8)
        let full = try irlsPass(x, coefficients: beta, output: .normalEquations, rowsPerBlock: 32, step: poissonStep(y))
        let only = try irlsPass(x, coefficients: beta, output: .objective, rowsPerBlock: 32, step: poissonStep(y))
        #expect(only.normalEquations == nil)
        #expect(only.objective == full.objective)
    }

    @Test("empty: no rows gives zeros; no columns gives η = 0 and a 0×0 Gram matrix")
    func empty() throws {
        let none = try irlsPass(Matrix.zeros(rows: 0, columns: 3), coefficients: [1, 2, 3], output: .normalEquations,
                                step: poissonStep([]))
        #expect(none.objective == 0)
        #expect(none.normalEquations == NormalEquations(gram: .zeros(rows: 3, columns: 3), cross: [0, 0, 0], weightedSquares: 0))
        let flat = try irlsPass(Matrix.zeros(rows: 2, columns: 0), coefficients: [], output: .normalEquations,
                                step: poissonStep([1, 2]))
        // η = 0: μ = 1, objective Σ(1 − 0) = 2; z = 0 + (y − 1), zᵀWz = 0 + 1.
        #expect(flat.objective == 2)
        #expect(flat.normalEquations == NormalEquations(gram: .zeros(rows: 0, columns: 0), cross: [], weightedSquares: 1))
    }

    @Test("bad shapes, thread counts and weights throw")
    func invalidInputs() {
        let x = Matrix(rows: 3, columns: 2, repeating: 1)
        let step: IRLSBlockStep = { _, eta, request in
            if case .weights(let w) = request { for r in 0..<eta.count { w[r] = 1 } }
            return 0
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "irlsPass", detail: "X is 3×2 but β has 1 element (expected 2)")) {
            try irlsPass(x, coefficients: [1], output: .normalEquations, step: step)
        }
        #expect(throws: LinAlgError.invalidArgument(operation: "irlsPass", detail: "threads 0 must be ≥ 1")) {
            try irlsPass(x, coefficients: [1, 1], output: .normalEquations, threads: 0, step: step)
        }
        let negative: IRLSBlockStep = { rows, eta, request in
            if case .weights(let w) = request { for r in 0..<eta.count { w[r] = rows.lowerBound + r == 1 ? -2 : 1 } }
            return 0
        }
        #expect(throws: LinAlgError.invalidArgument(operation: "irlsPass", detail: "weight w[1] = -2.0 is negative")) {
            try irlsPass(x, coefficients: [1, 1], output: .normalEquations, step: negative)
        }
        let nanZ: IRLSBlockStep = { rows, eta, request in
            if case .weights(let w) = request {
                for r in 0..<eta.count { w[r] = 1; eta[r] = rows.lowerBound + r == 2 ? .nan : 0 }
            }
            return 0
        }
        #expect(throws: LinAlgError.nonFinite(operation: "irlsPass", argument: "z", row: 2, column: nil, value: "nan")) {
            try irlsPass(x, coefficients: [1, 1], output: .normalEquations, step: nanZ)
        }
        let infU: IRLSBlockStep = { rows, eta, request in
            if case .score = request { for r in 0..<eta.count { eta[r] = rows.lowerBound + r == 1 ? .infinity : 0 } }
            return 0
        }
        #expect(throws: LinAlgError.nonFinite(operation: "irlsPass", argument: "u", row: 1, column: nil, value: "inf")) {
            try irlsPass(x, coefficients: [1, 1], output: .score, step: infU)
        }
    }

    @Test("a score pass gives Xᵀ(y − μ) and the same objective as an objective-only pass",
          arguments: [(1, 1), (7, 3), (64, 2)])
    func score(rowsPerBlock: Int, threads: Int) throws {
        for seed in testSeeds {
            let (x, beta, y) = problem(rows: 157, columns: 7, seed: seed)
            let eta = try gemv(x, beta)
            var expected = [Double](repeating: 0, count: 7)
            for i in 0..<x.rows {
                let u = y[i] - exp(eta[i])
                for j in 0..<7 { expected[j] += x[i, j] * u }
            }
            let pass = try irlsPass(x, coefficients: beta, output: .score, threads: threads, rowsPerBlock: rowsPerBlock,
                                    step: poissonStep(y))
            let only = try irlsPass(x, coefficients: beta, output: .objective, threads: threads,
                                    rowsPerBlock: rowsPerBlock, step: poissonStep(y))
            #expect(pass.normalEquations == nil)
            #expect(pass.objective == only.objective)
            #expect(maxAbsDifference(try #require(pass.score), expected) <= tolerance(terms: 157, scale: 15))
        }
    }
}

@Suite("InterceptDesign: the design [1, (x − shift)·scale] built block by block")
struct InterceptDesignTests {
    /// Raw features (the columns after problem()'s intercept) with offsets and spreads far from 0 and 1.
    private func raw(rows: Int, features: Int, seed: UInt64) -> (Matrix, InterceptDesign, [Double], [Double]) {
        let (x, beta, y) = problem(rows: rows, columns: features + 1, seed: seed)
        var elements: [Double] = []
        for i in 0..<rows { for j in 0..<features { elements.append(x[i, j + 1] * 1e3 + 5e4) } }
        let design = InterceptDesign(
            shifts: [Double](repeating: 5e4, count: features), scales: [Double](repeating: 1e-3, count: features))
        return (Matrix(rows: rows, columns: features, elements: elements), design, beta, y)
    }

    @Test("matrix writes [1, (x − shift)·scale]")
    func matrix() {
        let x = Matrix(rows: 2, columns: 2, elements: [1, 2, 3, 4])
        let d = InterceptDesign(shifts: [1, 10], scales: [0.5, 4]).matrix(x)
        #expect(d == Matrix(rows: 2, columns: 3, elements: [1, 0, -32, 1, 1, -24]))
        #expect(InterceptDesign(shifts: [], scales: []).matrix(Matrix(rows: 3, columns: 0)) == Matrix(rows: 3, columns: 1, repeating: 1))
    }

    @Test("irlsPass on the raw matrix equals irlsPass on the stored design up to rounding",
          arguments: [(1, 1), (37, 1), (64, 2), (1_000, 1), (50, 3)])
    func passMatchesStoredDesign(rowsPerBlock: Int, threads: Int) throws {
        for seed in testSeeds {
            for features in [0, 1, 6, 33] {
                let (x, design, beta, y) = raw(rows: 211, features: features, seed: seed)
                let stored = design.matrix(x)
                for output in [IRLSPassOutput.normalEquations, .objective, .score] {
                    let a = try irlsPass(
                        x, design: design, coefficients: beta, output: output, threads: threads,
                        rowsPerBlock: rowsPerBlock, step: poissonStep(y))
                    let b = try irlsPass(
                        stored, coefficients: beta, output: output, threads: threads,
                        rowsPerBlock: rowsPerBlock, step: poissonStep(y))
                    #expect(abs(a.objective - b.objective) <= 1e-13 * max(abs(b.objective), 1))
                    if let ea = a.normalEquations, let eb = b.normalEquations {
                        #expect(maxAbsDifference(ea.gram, eb.gram) <= 1e-13 * eb.gram.elements.map(abs).max()!)
                        #expect(maxAbsDifference(ea.cross, eb.cross) <= 1e-13 * (eb.cross.map(abs).max()! + 1))
                        #expect(abs(ea.weightedSquares - eb.weightedSquares) <= 1e-13 * eb.weightedSquares)
                    } else {
                        #expect(a.normalEquations == nil && b.normalEquations == nil && output != .normalEquations)
                    }
                    if let sa = a.score, let sb = b.score {
                        #expect(maxAbsDifference(sa, sb) <= 1e-12 * (sb.map(abs).max()! + 1))
                    } else {
                        #expect(a.score == nil && b.score == nil && output != .score)
                    }
                }
            }
        }
    }

    @Test("gemvBlocks on the raw matrix equals gemvBlocks on the stored design bit for bit", arguments: [1, 2, 3])
    func gemvMatchesStoredDesign(threads: Int) throws {
        for features in [0, 1, 5, 40] {
            let (x, design, beta, _) = raw(rows: 3_001, features: features, seed: 9)
            let expected = try gemvBlocks(design.matrix(x), beta, threads: threads) { _ in }
            #expect(try gemvBlocks(x, design: design, beta, threads: threads) { _ in } == expected)
        }
    }

    @Test("shapes are checked")
    func shapes() {
        let x = Matrix(rows: 3, columns: 2, repeating: 1)
        let design = InterceptDesign(shifts: [0, 0], scales: [1, 1])
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "irlsPass", detail: "the design has 3 columns but β has 2 elements")) {
            try irlsPass(x, design: design, coefficients: [1, 1], output: .normalEquations, step: poissonStep([0, 0, 0]))
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "irlsPass", detail: "X is 3×2 but the design is for 1 features")) {
            try irlsPass(x, design: InterceptDesign(shifts: [0], scales: [1]), coefficients: [1, 1],
                         output: .normalEquations, step: poissonStep([0, 0, 0]))
        }
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "gemvBlocks", detail: "the design has 3 columns but β has 1 element")) {
            try gemvBlocks(x, design: design, [1]) { _ in }
        }
    }
}

@Suite("gemvBlocks")
struct GemvBlocksTests {
    @Test("equals gemv then the transform", arguments: [(1, 1), (5, 3), (2_000, 7), (3_001, 40), (4, 0)])
    func matchesGemv(rows: Int, columns: Int) throws {
        for seed in testSeeds {
            var rng = SplitMix64(seed: seed)
            let a = randomMatrix(rows, columns, &rng)
            let x = randomVector(columns, &rng)
            let expected = try gemv(a, x).map { exp($0) }
            for threads in [1, 2, 3] {
                let got = try gemvBlocks(a, x, threads: threads) { block in
                    for i in block.indices { block[i] = exp(block[i]) }
                }
                #expect(maxAbsDifference(got, expected) <= tolerance(terms: columns, scale: 3))
            }
        }
    }

    @Test("empty and mismatched shapes")
    func edges() throws {
        #expect(try gemvBlocks(Matrix.zeros(rows: 0, columns: 3), [1, 2, 3]) { _ in } == [])
        #expect(throws: LinAlgError.dimensionMismatch(operation: "gemvBlocks", detail: "A is 2×3 but x has 2 elements")) {
            try gemvBlocks(Matrix.zeros(rows: 2, columns: 3), [1, 2]) { _ in }
        }
    }
}
