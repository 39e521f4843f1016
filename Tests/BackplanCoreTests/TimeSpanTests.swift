import BackplanCore
import Foundation
import Testing

@Suite("Durations")
struct TimeSpanTests {
    static let seeds: ClosedRange<UInt64> = 1...500

    @Test("Compact, compound, calendar and ISO-8601 forms give the documented seconds", arguments: [
        ("90s", 90), ("90", 90), ("15m", 900), ("6h", 21_600), ("7d", 604_800), ("2w", 1_209_600),
        ("1y", 31_536_000), ("3mo", 7_884_000), ("12mo", 31_536_000), ("1y6mo", 47_304_000),
        ("1d12h", 129_600), ("2h30m", 9_000), ("1w1d1h1m1s", 694_861), ("P30D", 2_592_000), ("PT6H", 21_600),
        ("P1Y6M", 47_304_000), ("P2W", 1_209_600), ("P1DT12H", 129_600), ("PT90M", 5_400), ("PT1S", 1),
        ("P1Y2M3W4DT5H6M7S", 31_536_000 + 5_256_000 + 1_814_400 + 345_600 + 18_000 + 360 + 7), ("100y", 3_153_600_000),
    ] as [(String, Int64)])
    func parsesEveryForm(text: String, seconds: Int64) throws {
        #expect(try TimeSpan(parsing: text).seconds == seconds)
        #expect(DurationText.parse(text) == seconds)
    }

    @Test("Bad durations are refused with the reason", arguments: [
        ("", "empty"), ("0", "at least 1 second"), ("0s", "at least 1 second"), ("-5m", "positive"), ("7x", "unknown unit 'x'"),
        ("1.5h", "whole numbers"), ("h", "expected a number"), ("12h1d", "largest to the smallest"), ("1h1h", "largest to the smallest"),
        ("1h30", "unit is missing"), ("101y", "maximum of 100 years"), ("99999999999999999999s", "too large"),
        ("P", "without any component"), ("PT", "ends after 'T'"), ("P6H", "hours need T"), ("PT1D", "time part"),
        ("P1M1Y", "largest to the smallest"), ("P1DT", "ends after 'T'"), ("PT0.5H", "whole numbers"), ("P30", "without a designator"),
        ("7 d", "unknown unit ' d'"), ("p30d", "expected a number"),
    ] as [(String, String)])
    func refusesBadText(text: String, reason: String) {
        let error = #expect(throws: TimeSpanError.self) { try TimeSpan(parsing: text) }
        #expect(error?.reason.contains(reason) == true, "'\(text)': \(String(describing: error))")
        #expect(error?.description.hasPrefix("'\(text)' is not a duration: ") == true)
        #expect(DurationText.parse(text) == nil)
    }

    @Test("Formatting any span and parsing it back gives the same seconds")
    func formatParseRoundTrip() throws {
        for seed in Self.seeds {
            var rng = Xoshiro256StarStar(seed: seed)
            // Log-uniform over 1 s … 100 y, and exact multiples of each unit.
            let unit = TimeSpan.compactUnits[rng.nextIndex(below: TimeSpan.compactUnits.count)].seconds
            let candidates = [Int64(exp(rng.nextUnitDouble() * log(Double(TimeSpan.maximumSeconds)))),
                              unit * Int64(1 + rng.nextIndex(below: Int(TimeSpan.maximumSeconds / unit)))]
            for seconds in candidates where seconds >= 1 {
                let span = try TimeSpan(seconds: seconds)
                #expect(try TimeSpan(parsing: span.description) == span, "seed \(seed): \(seconds) → \(span)")
            }
        }
    }

    @Test("Random compound and ISO-8601 texts parse to the sum of their parts")
    func compoundAndISOAgree() throws {
        let iso: [(String, Int64, Bool)] = [("Y", 31_536_000, false), ("M", 2_628_000, false), ("W", 604_800, false),
                                            ("D", 86_400, false), ("H", 3_600, true), ("M", 60, true), ("S", 1, true)]
        for seed in Self.seeds {
            var rng = Xoshiro256StarStar(seed: seed)
            var compact = "", isoText = "P", inTime = false, total: Int64 = 0
            for (k, (suffix, seconds)) in TimeSpan.compactUnits.enumerated() where rng.nextUnitDouble() < 0.4 {
                let n = Int64(1 + rng.nextIndex(below: [30, 11, 50, 999, 999, 999, 999][k]))   // at most ~35 years in all
                compact += "\(n)\(suffix)"
                if iso[k].2 && !inTime { isoText += "T"; inTime = true }
                isoText += "\(n)\(iso[k].0)"
                total += n * seconds
            }
            guard total > 0 else { continue }
            #expect(try TimeSpan(parsing: compact).seconds == total, "seed \(seed): \(compact)")
            #expect(try TimeSpan(parsing: isoText).seconds == total, "seed \(seed): \(isoText)")
        }
    }

    @Test("Spans order by length and print in their largest exact unit")
    func orderAndDescription() throws {
        #expect(try TimeSpan(parsing: "90m") < TimeSpan(parsing: "2h"))
        #expect(try TimeSpan(parsing: "P1D").description == "1d")
        #expect(try TimeSpan(parsing: "1d12h").description == "36h")
        #expect(throws: TimeSpanError.self) { try TimeSpan(seconds: TimeSpan.maximumSeconds + 1) }
    }
}
