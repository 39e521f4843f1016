import BackplanCore
@testable import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing

@Suite("Content digests of a dataset's rows")
struct ContentDigestTests {
    /// An integer value as the digest encodes it: tag 1, length 8, the value big-endian.
    static func integer(_ i: Int64) -> [UInt8] {
        [1] + withUnsafeBytes(of: UInt64(8).bigEndian, Array.init) + withUnsafeBytes(of: i.bigEndian, Array.init)
    }

    /// A text value: tag 3, its UTF-8 length, its bytes.
    static func text(_ s: String) -> [UInt8] {
        [3] + withUnsafeBytes(of: UInt64(s.utf8.count).bigEndian, Array.init) + Array(s.utf8)
    }

    static func digest(_ scheme: ContentDigest.Scheme, _ tables: [(String, [[UInt8]])]) -> String {
        var d = ContentDigest(scheme)
        for (name, rows) in tables {
            d.beginTable(name)
            for r in rows { d.addRow(r) }
        }
        return d.finalize()
    }

    // Expected values computed with Python's hashlib from the definitions in ContentDigest's documentation, so
    // the format is pinned: a change to it would leave every recorded backup unverifiable.
    @Test("Both schemes give the documented bytes (known answers, carries across all four limbs)")
    func knownAnswers() {
        let tables: [(String, [[UInt8]])] = [("conversations", []), ("messages", [Self.integer(42) + Self.text("hi"), Self.integer(7) + Self.text("")])]
        #expect(Self.digest(.rowSet, tables) == "rowset-sha256:9fe9ce23256367a6d922b6951eff8887010c29a52f1c0a15f9f4bf53446e182e")
        #expect(Self.digest(.ordered, tables) == "d4b10e6275ad8fb643abea302c57db32540c90ac34f58fa08c359ed6a3b28cfd")
        let many: [(String, [[UInt8]])] = [("reads", (0..<1000).map { Self.integer(Int64($0)) })]
        #expect(Self.digest(.rowSet, many) == "rowset-sha256:baab8c5e2dbeea2c88b42a9e2ca76121089a9ae0030d802e15cd55f5d81709ea")
        #expect(ContentDigest.Scheme(of: Self.digest(.rowSet, many)) == .rowSet)
        #expect(ContentDigest.Scheme(of: Self.digest(.ordered, many)) == .ordered)
    }

    @Test("The row-set digest ignores the rows' order and sees every lost, added, changed, duplicated or moved row",
          arguments: [1, 2, 3, 4, 5] as [UInt64])
    func rowSet(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let rows = (0..<200).map { _ in Self.integer(Int64(rng.next() % 50)) + Self.text(String(rng.next() % 1000)) }
        let base = Self.digest(.rowSet, [("a", rows), ("b", Array(rows.prefix(10)))])
        #expect(Self.digest(.rowSet, [("a", rows.shuffled(using: &rng)), ("b", Array(rows.prefix(10)).shuffled(using: &rng))]) == base)
        #expect(Self.digest(.rowSet, [("a", Array(rows.dropLast())), ("b", Array(rows.prefix(10)))]) != base)
        #expect(Self.digest(.rowSet, [("a", rows + [rows[3]]), ("b", Array(rows.prefix(10)))]) != base)
        var changed = rows
        changed[17] = Self.integer(-1) + Self.text("x")
        #expect(Self.digest(.rowSet, [("a", changed), ("b", Array(rows.prefix(10)))]) != base)
        #expect(Self.digest(.rowSet, [("a", Array(rows.dropLast())), ("b", Array(rows.prefix(10)) + [rows.last!])]) != base)
        // The ordered scheme sees the order.
        #expect(Self.digest(.ordered, [("a", rows)]) != Self.digest(.ordered, [("a", rows.reversed())]))
    }

    @Test("An export verifies in either scheme, and the source's probes agree with the export in each")
    func exportInBothSchemes() throws {
        let dir = TempDir()
        let m = try MessageStoreExport.export(source: ExportTests.sample, key: .conversation("c000001"), to: dir.file("a.sqlite"))
        #expect(ContentDigest.Scheme(of: m.digest) == .rowSet)
        for scheme in [ContentDigest.Scheme.ordered, .rowSet] {
            let file = try MessageStoreExport.digest(file: dir.file("a.sqlite"), scheme: scheme)
            let probed = try #require(try MessageStoreExport.source(ExportTests.sample, manifestOf: .conversation("c000001"), scheme: scheme))
            #expect(file.digest == probed.digest && file.rows == probed.rows && file.rows == m.rows)
            let batch = try MessageStoreExport.probing(ExportTests.sample) { try $0.manifests(ofConversations: ["c000001", "c000002"], scheme: scheme) }
            #expect(batch["c000001"]?.digest == file.digest && batch["c000001"]?.rows == file.rows)
        }
        #expect(try MessageStoreExport.digest(file: dir.file("a.sqlite"), scheme: .ordered).digest != m.digest)
    }
}

@Suite("Hashing rows on a thread of their own")
struct DigestPipelineTests {
    @Test("The pipeline's digests equal digests fed directly, in both schemes, over many chunks and tables",
          arguments: [ContentDigest.Scheme.ordered, .rowSet])
    func sameAsDirect(scheme: ContentDigest.Scheme) {
        var rng = SplitMix64(seed: 7)
        let count = 50
        let pipeline = DigestPipeline(count: count, scheme: scheme)
        var direct = [ContentDigest](repeating: ContentDigest(scheme), count: count)
        for table in ["conversations", "messages", "reads"] {
            pipeline.beginTable(table)
            for i in direct.indices { direct[i].beginTable(table) }
            for _ in 0..<20_000 {   // ~1 MB a table: several chunks
                let d = Int(rng.next() % UInt64(count))
                let row = ContentDigestTests.integer(Int64(bitPattern: rng.next())) + ContentDigestTests.text(String(rng.next() % 1_000_000))
                pipeline.append(row: d) { $0.put(row) }
                direct[d].addRow(row)
            }
        }
        let piped = pipeline.finish()
        #expect(piped.map { $0.finalize() } == direct.map { $0.finalize() })
    }

    @Test("A pipeline finished without rows gives empty digests, and ends its thread")
    func empty() {
        let p = DigestPipeline(count: 3, scheme: .rowSet)
        #expect(p.finish().map { $0.finalize() } == Array(repeating: ContentDigest(.rowSet).finalize(), count: 3))
    }
}
