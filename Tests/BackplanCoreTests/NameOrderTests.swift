import Testing
@testable import BackplanCore

@Suite("The one order of dataset names")
struct NameOrderTests {
    /// Names from a small alphabet (so prefixes and equal 8-byte keys are common) with multi-byte characters.
    static func names(_ rng: inout Xoshiro256StarStar, count: Int) -> [String] {
        let alphabet: [String] = ["a", "b", "z", "A", "0", "9", "-", "é", "e\u{301}", "ß", "🙂", "\u{7f}", "conv-0000"]
        return (0..<count).map { _ in
            (0..<rng.nextIndex(below: 6)).map { _ in alphabet[rng.nextIndex(below: alphabet.count)] }.joined()
        }
    }

    @Test("precedes is the UTF-8 byte order: a strict total order on distinct names", arguments: 0..<300)
    func precedesIsTheByteOrder(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed))
        let names = Self.names(&rng, count: 12)
        for a in names {
            #expect(!NameOrder.precedes(a, a))
            for b in names {
                let bytes = Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
                #expect(NameOrder.precedes(a, b) == bytes)
                if Array(a.utf8) != Array(b.utf8) { #expect(NameOrder.precedes(a, b) != NameOrder.precedes(b, a)) }
                for c in names where NameOrder.precedes(a, b) && NameOrder.precedes(b, c) {
                    #expect(NameOrder.precedes(a, c))
                }
            }
        }
    }

    @Test("permutation sorts by UTF-8 bytes, says nil for sorted input and throws on a repeated name", arguments: 0..<300)
    func permutationMatchesTheByteSort(seed: Int) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(seed) &+ 1_000)
        let unique = Array(Set(Self.names(&rng, count: 40).map { Array($0.utf8) })).map { String(decoding: $0, as: UTF8.self) }
        struct Duplicate: Error { var name: String }
        let order = try NameOrder.permutation(unique, name: { $0 }, duplicate: { Duplicate(name: $0) })
        let sorted = order.map { $0.map { unique[Int($0)] } } ?? unique
        #expect(sorted.map { Array($0.utf8) } == unique.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(try NameOrder.permutation(sorted, name: { $0 }, duplicate: { Duplicate(name: $0) }) == nil)
        #expect(NameOrder.indices(unique).map { unique[$0] } == sorted)
        if let repeated = unique.first {
            #expect(throws: Duplicate.self) {
                try NameOrder.permutation(unique + [repeated], name: { $0 }, duplicate: { Duplicate(name: $0) })
            }
        }
    }
}
