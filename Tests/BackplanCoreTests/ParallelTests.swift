import Foundation
import Synchronization
import Testing
@testable import BackplanCore

/// Counts live instances, so a test can see that every result a helper made was released.
final class Counted: Sendable {
    static let live = Atomic<Int>(0)
    let value: Int

    init(_ value: Int) {
        self.value = value
        Self.live.add(1, ordering: .relaxed)
    }

    deinit { Self.live.subtract(1, ordering: .relaxed) }
}

@Suite("Chunks of work on all cores, the same on every machine", .serialized)
struct ParallelTests {
    @Test("The chunk count depends only on the number of items")
    func chunkCountDependsOnTheItemsOnly() {
        #expect(Parallel.chunkCount(0) == 1)
        #expect(Parallel.chunkCount(4_095) == 1)
        #expect(Parallel.chunkCount(4_096) == 64)
        #expect(Parallel.chunkCount(1_000_000) == 64)
    }

    @Test("Chunks are consecutive, disjoint, cover every item and differ in size by at most one")
    func chunksPartitionTheItems() {
        var rng = Xoshiro256StarStar(seed: 17)
        for _ in 0..<300 {
            let n = rng.nextIndex(below: 20_000)
            let chunks = 1 + rng.nextIndex(below: 100)
            var next = 0
            var sizes: [Int] = []
            for c in 0..<chunks {
                let r = Parallel.chunk(c, of: chunks, n)
                #expect(r.lowerBound == next)
                next = r.upperBound
                sizes.append(r.count)
            }
            #expect(next == n)
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        }
    }

    @Test("map returns each chunk's result in chunk order, and sums come out the same bits each time")
    func mapKeepsChunkOrder() {
        let values = (0..<50_000).map { 1 / Double($0 + 1) }
        let chunks = Parallel.chunkCount(values.count)
        func total() -> Double {
            let partial = Parallel.map(chunks: chunks) { c in
                Parallel.chunk(c, of: chunks, values.count).reduce(0.0) { $0 + values[$1] }
            }
            return partial.reduce(0, +)
        }
        #expect(Parallel.map(chunks: 64) { $0 * $0 } == (0..<64).map { $0 * $0 })
        #expect(Parallel.map(chunks: 0) { $0 }.isEmpty)
        let first = total()
        for _ in 0..<20 { #expect(total().bitPattern == first.bitPattern) }
    }

    /// The leak `Multipliers.perChunk` had: results copied out of a buffer that was freed without being
    /// deinitialised kept one reference to every result's storage. Each result here holds counted objects in
    /// an array inside a tuple, the shape `([Open], Double)` of the bisection's chunks.
    @Test("map's results are released with the array it returns: nothing leaks")
    func mapLeaksNothing() {
        let before = Counted.live.load(ordering: .relaxed)
        for round in 0..<20 {
            let results = Parallel.map(chunks: 64) { c in ((0..<5).map { Counted(c * 5 + $0 + round) }, Double(c)) }
            #expect(results.count == 64)
            #expect(results[63].0[4].value == 63 * 5 + 4 + round)
            #expect(Counted.live.load(ordering: .relaxed) == before + 64 * 5)
        }
        #expect(Counted.live.load(ordering: .relaxed) == before)
    }

    @Test("forEachChunk runs every chunk exactly once")
    func forEachChunkRunsEveryChunkOnce() {
        var hits = [Int](repeating: 0, count: 64)
        hits.withUnsafeMutableBufferPointer { hits in
            Parallel.forEachChunk(64) { c in hits[c] += 1 }
        }
        #expect(hits == [Int](repeating: 1, count: 64))
        var single = 0
        Parallel.forEachChunk(1) { _ in single += 1 }
        #expect(single == 1)
    }
}
