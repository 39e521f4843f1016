import BackplanTestSupport
import Testing

/// The comparison behind "the committed model is what `make model` gives", on any CPU.
@Suite("Texts with numbers compare within a tolerance")
struct NumericTextTests {
    @Test("The last digits of a full-precision float may differ across machines")
    func lastDigitsOfAFloat() {
        #expect(NumericText.firstDifference("\"poissonDeviance\" : 4.455881149393012,",
                                            "\"poissonDeviance\" : 4.455881149393356,") == nil)
        #expect(NumericText.firstDifference("x -1.25e-07 y", "x -1.2500000001e-07 y") == nil)
    }

    @Test("A number that is zero but for rounding may change sign (models/default on another CPU)")
    func roundingNoiseAroundZero() {
        #expect(NumericText.firstDifference("c 4.485325646205959e-24,", "c -3.474535140394905e-24,") == nil)
        #expect(NumericText.firstDifference("c 4.4e-10,", "c -3.4e-10,") != nil, "not below the absolute floor")
    }

    @Test("A value printed with few digits may round to the neighbouring last digit")
    func roundedValues() {
        #expect(NumericText.firstDifference("| 4.4559 |", "| 4.4560 |") == nil)
        #expect(NumericText.firstDifference("| 4.4559 |", "| 4.4561 |") != nil)
    }

    @Test("A real change to a number is reported")
    func realChange() throws {
        let d = try #require(NumericText.firstDifference("a 4.455881149393012 b", "a 4.455891149393012 b"))
        #expect(d.contains("4.455881149393012 vs 4.455891149393012"))
        #expect(NumericText.firstDifference("b 1.5", "b 1.7") != nil)
    }

    @Test("Integers, such as counts, must be equal")
    func integersExactly() {
        #expect(NumericText.firstDifference("1066 rows", "1067 rows") != nil)
        #expect(NumericText.firstDifference("1066 rows", "1066 rows") == nil)
    }

    @Test("Every non-number part must be equal, and so must the number of parts")
    func textExactly() {
        #expect(NumericText.firstDifference("reads: 7 iterations", "reads: 7 iteration") != nil)
        #expect(NumericText.firstDifference("a 1 b", "a 1 b 2") != nil)
        #expect(NumericText.firstDifference("sha 460a13bd05", "sha 460a13bd06") != nil)
        #expect(NumericText.firstDifference("x-1", "x-1") == nil)
        #expect(NumericText.firstDifference("", "") == nil)
    }
}
