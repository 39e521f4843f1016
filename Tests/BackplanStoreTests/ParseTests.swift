import BackplanCore
import BackplanTestSupport
import Testing
@testable import BackplanStore

@Suite("Byte-level parsing")
struct ParseTests {
    func parse<T>(_ s: String, _ f: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        var s = s
        return s.withUTF8 { f($0) }
    }

    @Test("Integers parse") func integers() {
        #expect(parse("0", Parse.int64) == 0)
        #expect(parse("-42", Parse.int64) == -42)
        #expect(parse("+7", Parse.int64) == 7)
        #expect(parse("9223372036854775807", Parse.int64) == .max)
        #expect(parse("-9223372036854775808", Parse.int64) == .min)
        #expect(parse("9223372036854775808", Parse.int64) == nil)
        for bad in ["", "-", "1.5", "1e3", " 1", "NaN", "0x10"] { #expect(parse(bad, Parse.int64) == nil, "\(bad)") }
    }

    @Test("Decimals floor to whole seconds") func decimalsFloorToWholeSeconds() {
        #expect(parse("1487890800.055943", Parse.floorDecimal) == 1_487_890_800)
        #expect(parse("-1.5", Parse.floorDecimal) == -2)
        #expect(parse("-1.0", Parse.floorDecimal) == -1)
        #expect(parse(".5", Parse.floorDecimal) == 0)
        for bad in ["1.", "1.2.3", "nan", "inf", "1e9", "."] {
            #expect(parse(bad, Parse.floorDecimal) == (bad == "1." ? 1 : nil), "\(bad)")
        }
    }

    @Test("Hex opcodes parse") func hexOpcodes() {
        #expect(parse("2a", Parse.hex) == 0x2a)
        #expect(parse("0x28", Parse.hex) == 0x28)
        #expect(parse("FF", Parse.hex) == 255)
        #expect(parse("", Parse.hex) == nil)
        #expect(parse("g1", Parse.hex) == nil)
    }

    @Test("CSV splitting honours quotes") func csvSplittingHonoursQuotes() throws {
        var f = Fields()
        var line = #"a,"b,c",,"d""e""#
        try line.withUTF8 { try f.split($0, by: .byte(UInt8(ascii: ","))) }
        #expect(f.count == 4)
        var trailing = "a,b,"
        try trailing.withUTF8 { try f.split($0, by: .byte(UInt8(ascii: ","))) }
        #expect(f.count == 3)
        var open = #"a,"b"#
        #expect(throws: LineError.self) { try open.withUTF8 { try f.split($0, by: .byte(UInt8(ascii: ","))) } }
    }

    @Test("Fields split on blanks") func blankSplitting() throws {
        var f = Fields()
        var line = "  1\t 2   3  "
        try line.withUTF8 { try f.split($0, by: .blanks) }
        #expect(f.count == 3)
    }

    @Test("Interner gives dense stable indexes") func internerGivesDenseStableIndexes() {
        var interner = ByteInterner(capacity: 2)
        var seen: [String: Int] = [:]
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            let name = "ds-\(rng.next() % 3_000)"
            var n = name
            let (index, isNew) = n.withUTF8 { interner.intern(UnsafeRawBufferPointer($0)) }
            if let known = seen[name] {
                #expect(index == known && !isNew)
            } else {
                #expect(isNew && index == seen.count)
                seen[name] = index
            }
        }
        #expect(interner.count == seen.count)
        for (name, index) in seen.prefix(50) { #expect(interner.name(index) == name) }
    }

    @Test("Byte sizes parse with binary and decimal units") func byteSizes() {
        #expect(ByteSize.parse("64MiB") == 64 << 20)
        #expect(ByteSize.parse("4096") == 4096)
        #expect(ByteSize.parse("1G") == 1 << 30)
        #expect(ByteSize.parse("x") == nil)
        #expect(ByteSize.format(64 << 20) == "64MiB")
        #expect(KeyBy(argument: "region:64MiB") == .region(bytes: 64 << 20))
        #expect(KeyBy(argument: "region:0") == nil)
    }
}
