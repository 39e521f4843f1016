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
}
