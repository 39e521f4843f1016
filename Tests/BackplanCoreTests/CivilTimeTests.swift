import BackplanCore
import Testing

@Suite("Civil time and units")
struct CivilTimeTests {
    @Test("Civil dates convert to days since 1970 on both sides of the epoch", arguments: [
        (1970, 1, 1, 0),
        (2000, 3, 1, 11_017),
        (1969, 12, 31, -1),
        (2004, 2, 29, 12_477),
        (1600, 1, 1, -135_140),
    ] as [(Int64, Int64, Int64, Int64)])
    func daysFromCivil(_ y: Int64, _ m: Int64, _ d: Int64, _ days: Int64) {
        #expect(CivilTime.daysFromCivil(year: y, month: m, day: d) == days)
    }

    @Test("Unix seconds reject impossible dates") func unixSecondsRejectsImpossibleDates() {
        #expect(CivilTime.unixSeconds(year: 2004, month: 4, day: 15, hour: 14, minute: 56, second: 1) == 1_082_040_961)
        #expect(CivilTime.unixSeconds(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilTime.unixSeconds(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilTime.unixSeconds(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilTime.unixSeconds(year: 2000, month: 13, day: 1) == nil)
        #expect(CivilTime.unixSeconds(year: 2000, month: 1, day: 1, hour: 24) == nil)
    }

    @Test("ISO-8601 times with offsets, fractions or no time parse to Unix seconds", arguments: [
        ("2004-04-15T14:56:01Z", 1_082_040_961),
        ("2004-04-15T14:56:01", 1_082_040_961),
        ("2004-04-15 14:56:01.999Z", 1_082_040_961),
        ("2004-04-15T16:56:01+02:00", 1_082_040_961),
        ("2004-04-15T09:56:01-0500", 1_082_040_961),
        ("2004-04-15T14:56Z", 1_082_040_960),
        ("2004-04-15", 1_081_987_200),
    ] as [(String, Int64)])
    func iso8601(_ text: String, _ expected: Int64) {
        #expect(CivilTime.parseISO8601(Array(text.utf8)) == expected)
    }

    @Test("ISO-8601 parsing rejects malformed times", arguments: ["", "2004-04-15T", "2004-4-15", "2004-04-15T14:56:01Q", "2004-02-30", "2004-04-15T14:56:01+25:00",
                      "2004-04-15T14:56:01.Z", "20040415"])
    func iso8601Rejects(_ text: String) {
        #expect(CivilTime.parseISO8601(Array(text.utf8)) == nil)
    }

    @Test("Compact stamps format and parse") func compactStamps() {
        #expect(CivilTime.parseCompact(Array("20160201164604".utf8)) == 1_454_345_164)
        #expect(CivilTime.parseCompact(Array("2016020116460".utf8)) == nil)
        #expect(CivilTime.parseCompact(Array("20161301164604".utf8)) == nil)
    }

    @Test("Hour start rounds toward minus infinity") func hourStartRoundsTowardMinusInfinity() {
        #expect(Units.hourStart(0) == 0)
        #expect(Units.hourStart(3_599) == 0)
        #expect(Units.hourStart(3_600) == 3_600)
        #expect(Units.hourStart(-1) == -3_600)
    }

    @Test("Access ops parse every known spelling") func accessOpSpellings() {
        for s in ["read", "READ", "r", "Get", "0"] { #expect(AccessOp(spelling: Array(s.utf8)) == .read) }
        for s in ["write", "W", "put", "SET", "1"] { #expect(AccessOp(spelling: Array(s.utf8)) == .write) }
        for s in ["", "delete", "readwrite", "2"] { #expect(AccessOp(spelling: Array(s.utf8)) == nil) }
    }

    @Test("An input error names the file, line and column") func inputErrorNamesFileLineAndColumn() {
        #expect(InputError(file: "a.csv", line: 3, column: "bytes", "negative").description == "a.csv:3: column 'bytes': negative")
        #expect(InputError(file: "a.csv", "no such file").description == "a.csv: no such file")
        #expect(InputError(column: "--map", "missing time").description == "column '--map': missing time")
    }

    @Test("Civil from days inverts days from civil") func civilFromDaysInvertsDaysFromCivil() {
        #expect(CivilTime.civil(fromDays: 0) == (1970, 1, 1))
        #expect(CivilTime.civil(fromDays: 11_017) == (2000, 3, 1))
        #expect(CivilTime.civil(fromDays: -1) == (1969, 12, 31))
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let (y, m, d) = CivilTime.civil(fromDays: days)
            #expect(CivilTime.daysFromCivil(year: y, month: m, day: d) == days)
        }
        #expect(CivilTime.day(ofUnixSeconds: -1) == -1 && CivilTime.day(ofUnixSeconds: 86_399) == 0)
    }
}

@Suite("Errors are safe to print")
struct PrintableErrorTests {
    @Test("Control characters in an error are escaped, never written raw")
    func controlsEscaped() {
        let e = InputError(file: "a\u{1B}[31m.csv", line: 1, column: "x\u{0}", "SQLite format 3\u{0}\u{10}\u{7F}\u{85}\n")
        #expect(e.description == "a\\x1B[31m.csv:1: column 'x\\0': SQLite format 3\\0\\x10\\x7F\\u{85}\\n")
        #expect(!e.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test("An overlong message is cut")
    func cut() {
        let e = InputError(String(repeating: "é", count: 10_000))
        #expect(e.description.count == InputError.messageLimit + 1 && e.description.hasSuffix("…"))
    }
}
