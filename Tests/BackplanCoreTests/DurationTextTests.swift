import Testing
@testable import BackplanCore

@Suite("Durations as text: one formatter, its styles")
struct DurationTextTests {
    @Test("Exact form: the largest unit that divides, read back by parse")
    func exactFormRoundTrips() {
        #expect(DurationText.format(604_800) == "7d")
        #expect(DurationText.format(43_200) == "12h")
        #expect(DurationText.format(31_536_000) == "1y")
        #expect(DurationText.format(90) == "90s")
        var rng = Xoshiro256StarStar(seed: 3)
        for _ in 0..<500 {
            let s = Int64(1 + rng.nextIndex(below: 100_000_000))
            #expect(DurationText.parse(DurationText.format(s)) == s)
            #expect(DurationText.parse(DurationText.format(s, largestUnit: .hours)) == s)
        }
    }

    @Test("Hours as the largest unit: days written as hours, as policy names spell them")
    func hoursStyle() {
        #expect(DurationText.format(86_400, largestUnit: .hours) == "24h")
        #expect(DurationText.format(604_800, largestUnit: .hours) == "168h")
        #expect(DurationText.format(1_800, largestUnit: .hours) == "30m")
        #expect(DurationText.format(45, largestUnit: .hours) == "45s")
    }

    @Test("Approximate form: one decimal in the largest unit that fits")
    func approximateStyle() {
        #expect(DurationText.approximate(93_784) == "1.1 d")
        #expect(DurationText.approximate(5_400) == "1.5 h")
        #expect(DurationText.approximate(90) == "1.5 min")
        #expect(DurationText.approximate(42) == "42 s")
    }
}
