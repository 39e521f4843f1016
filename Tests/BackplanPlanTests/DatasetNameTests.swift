import BackplanPlan
import Foundation
import Testing

@Suite("Dataset ids become tags and file names only escaped")
struct DatasetNameTests {
    static let hostile: [String] = ["../etc/passwd", "/abs", "a/b", "nul\u{0}byte", "a,b", "two\nlines", "tab\there", "élan-日本",
                                    ".hidden", "..", "%2F", "", String(repeating: "x", count: 10_000), "space here", "a=b"]

    @Test("No escaped id holds a slash, comma, NUL, newline, non-ASCII byte or a leading dot", arguments: hostile)
    func escapedIsInert(id: String) {
        for text in [DatasetName.escaped(id), DatasetName.tag(id), DatasetName.fileName(id)] {
            #expect(!text.contains("/"))
            #expect(!text.contains(","))
            #expect(!text.contains("\n"))
            #expect(!text.utf8.contains(0))
            #expect(text.utf8.allSatisfy { $0 >= 0x21 && $0 < 0x7F })
        }
        #expect(!DatasetName.fileName(id).hasPrefix("."))
        #expect(DatasetName.fileName(id).utf8.count <= 255)
        #expect(DatasetName.tag(id).hasPrefix("dataset="))
    }

    @Test("Escaping keeps ids apart: distinct ids give distinct tags and file names")
    func injective() {
        var ids = Self.hostile + ["a", "A", "a.b", "a_b", "a-b", "%", "%25", "a%2Cb"]
        ids.append(String(repeating: "x", count: 9_999) + "y")
        #expect(Set(ids.map(DatasetName.tag)).count == Set(ids).count)
        #expect(Set(ids.map(DatasetName.fileName)).count == Set(ids).count)
    }

    @Test("Plain ids stay readable")
    func plain() {
        #expect(DatasetName.escaped("c000042") == "c000042")
        #expect(DatasetName.escaped("../a,b") == "%2E.%2Fa%2Cb")
        #expect(DatasetName.fileName("c000042") == "c000042.sqlite")
    }
}
