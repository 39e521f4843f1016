import Foundation
import Testing
@testable import BackplanCore

@Suite("Canonical JSON and hex")
struct EncodingTests {
    @Test("Hex encoding of bytes") func hexOfBytes() {
        #expect(Hex.string([0x00, 0x0f, 0xa0, 0xff] as [UInt8]) == "000fa0ff")
        #expect(Hex.string([UInt8]()) == "")
    }

    @Test("Canonical JSON sorts keys and ends with a newline") func canonicalJSONSortsKeysAndEndsWithANewline() throws {
        let text = String(decoding: try CanonicalJSON.data(["b": 1.5, "a": 0.1]), as: UTF8.self)
        #expect(text == "{\n  \"a\" : 0.1,\n  \"b\" : 1.5\n}\n")
    }

    struct Item: Codable, Equatable {
        var kind: String
        var list: [String]
        var note: String?
    }

    @Test("Arrays encoded in parts join into the bytes of the whole array, empty parts included", arguments: [1, 2, 3] as [UInt64])
    func joinedArrays(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let items = (0..<40).map { i in
            Item(kind: "k\(i)", list: (0..<Int(rng.next() % 3)).map { "\($0)\"\n" }, note: rng.next() % 2 == 0 ? nil : "n/\(i)")
        }
        var parts: [Data] = [try CanonicalJSON.data([Item]())]
        var start = 0
        while start < items.count {
            let end = min(items.count, start + Int(rng.next() % 7))
            parts.append(try CanonicalJSON.data(Array(items[start..<end])))
            start = end
        }
        #expect(CanonicalJSON.joinedArrays(parts) == (try CanonicalJSON.data(items)))
        #expect(CanonicalJSON.joinedArrays([]) == (try CanonicalJSON.data([Item]())))
        #expect(CanonicalJSON.joinedArrays([try CanonicalJSON.data([Item]())]) == (try CanonicalJSON.data([Item]())))
    }
}
