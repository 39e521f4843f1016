import BackplanCore
import Testing
@testable import BackplanLinAlg

@Suite("Matrix")
struct MatrixTests {
    @Test("sampledRows takes runs of rows, one run in k, in order")
    func sampledRows() {
        let m = Matrix(rows: 10, columns: 2, elements: (0..<20).map(Double.init))
        #expect(m.sampledRows(every: 2, run: 2) == Matrix(rows: 6, columns: 2, elements: [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19]))
        #expect(m.sampledRows(every: 3, run: 1) == Matrix(rows: 4, columns: 2, elements: [0, 1, 6, 7, 12, 13, 18, 19]))
        #expect(m.sampledRows(every: 1) == m)
        #expect(Matrix.sampledRanges(rows: 10, every: 4, run: 3) == [0..<3])
        #expect(Matrix.sampledRanges(rows: 13, every: 2, run: 3) == [0..<3, 6..<9, 12..<13])
        #expect(Matrix.zeros(rows: 0, columns: 3).sampledRows(every: 16).rows == 0)
    }

    @Test("elements are row-major: (i, j) at i·columns + j")
    func rowMajorLayout() {
        var m = Matrix(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6])
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m[0, 2] == 3)
        #expect(m[1, 0] == 4)
        #expect(m.row(1) == [4, 5, 6])
        m[1, 2] = -7
        #expect(m.elements == [1, 2, 3, 4, 5, -7])
        #expect(m.shape == "2×3")
        #expect(!m.isSquare)
    }

    @Test("zeros and identity build the expected matrices") func zerosAndIdentity() {
        let z = Matrix.zeros(rows: 3, columns: 2)
        #expect(z.elements == [Double](repeating: 0, count: 6))
        let i = Matrix.identity(3)
        #expect(i.elements == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Matrix.identity(0).elements.isEmpty)
        #expect(Matrix(rows: 2, columns: 2, repeating: 0.5).elements == [0.5, 0.5, 0.5, 0.5])
    }

    @Test("A matrix builds from row arrays") func rowArrays() throws {
        let m = try Matrix(rowArrays: [[1, 2], [3, 4], [5, 6]])
        #expect(m == Matrix(rows: 3, columns: 2, elements: [1, 2, 3, 4, 5, 6]))
        let empty = try Matrix(rowArrays: [])
        #expect(empty.rows == 0 && empty.columns == 0)
        #expect(throws: LinAlgError.dimensionMismatch(
            operation: "Matrix(rowArrays:)", detail: "row 0 has 2 elements but row 1 has 3")) {
            try Matrix(rowArrays: [[1, 2], [3, 4, 5]])
        }
    }

    @Test("transposed swaps indices and is an involution", arguments: [(1, 1), (4, 1), (1, 4), (3, 5), (0, 3), (3, 0)])
    func transpose(rows: Int, columns: Int) {
        var rng = SplitMix64(seed: UInt64(rows * 31 + columns))
        let m = randomMatrix(rows, columns, &rng)
        let t = m.transposed()
        #expect(t.rows == columns && t.columns == rows)
        for i in 0..<rows {
            for j in 0..<columns { #expect(t[j, i] == m[i, j]) }
        }
        #expect(t.transposed() == m)
    }

    @Test("Unsafe buffer access sees the row-major elements") func unsafeBufferAccess() {
        var m = Matrix.zeros(rows: 2, columns: 2)
        m.withUnsafeMutableBufferPointer { p in
            for k in p.indices { p[k] = Double(k) }
        }
        let sum = m.withUnsafeBufferPointer { p in p.reduce(0, +) }
        #expect(sum == 6)
        #expect(m[1, 0] == 2)
    }

    @Test("Non-finite elements are detected") func nonFiniteDetection() {
        var m = Matrix.zeros(rows: 2, columns: 3)
        #expect(!m.hasNonFiniteElements)
        m[0, 1] = -0.0
        #expect(!m.hasNonFiniteElements)
        m[1, 2] = -.infinity
        #expect(m.hasNonFiniteElements)
        let position = m.firstNonFinite()
        #expect(position?.row == 1 && position?.column == 2)
        #expect(!Matrix.zeros(rows: 0, columns: 5).hasNonFiniteElements)
    }

    @Test("A matrix has a readable description") func description() {
        #expect(Matrix(rows: 2, columns: 2, elements: [1, 2, 3, 4]).description == "2×2 [[1.0, 2.0], [3.0, 4.0]]")
        #expect(Matrix.zeros(rows: 0, columns: 2).description == "0×2 []")
    }

    @Test("symmetrize mirrors the chosen triangle")
    func symmetrize() {
        let m = Matrix(rows: 3, columns: 3, elements: [1, 2, 3, 9, 4, 5, 9, 9, 6])
        #expect(m.symmetrized(from: .upper).elements == [1, 2, 3, 2, 4, 5, 3, 5, 6])
        #expect(m.symmetrized(from: .lower).elements == [1, 9, 9, 9, 4, 9, 9, 9, 6])
        #expect(Matrix.zeros(rows: 0, columns: 0).symmetrized(from: .upper).elements.isEmpty)
    }
}
