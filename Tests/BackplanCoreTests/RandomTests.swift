import Foundation
import Testing

@testable import BackplanCore

/// Mean and variance of `count` draws, accumulated with Welford's update.
private func moments(count: Int, _ draw: () -> Double) -> (mean: Double, variance: Double) {
    var mean = 0.0
    var m2 = 0.0
    for i in 1...count {
        let x = draw()
        let delta = x - mean
        mean += delta / Double(i)
        m2 += delta * (x - mean)
    }
    return (mean, m2 / Double(count - 1))
}

/// Checks a sample mean against the true mean within `sigmas` standard errors.
private func expectMean(
    _ observed: Double, _ expected: Double, variance: Double, count: Int, sigmas: Double = 5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let standardError = (variance / Double(count)).squareRoot()
    #expect(
        abs(observed - expected) <= sigmas * standardError + 1e-12,
        "mean \(observed), expected \(expected) ± \(sigmas)·\(standardError)", sourceLocation: sourceLocation)
}

private let seeds: [UInt64] = [0, 1, 42, 0xDEAD_BEEF, .max]

/// Seeded generators against published test vectors; samplers against their moments.
@Suite("Seeded random numbers")
struct RandomTests {
    // MARK: - Generators

    @Test("SplitMix64 matches the reference vector") func splitMix64MatchesReferenceVector() {
        // Outputs of Vigna's splitmix64.c seeded with 1234567.
        var generator = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ]
        #expect((0..<5).map { _ in generator.next() } == expected)
    }

    @Test("xoshiro256** matches the reference vector") func xoshiro256StarStarMatchesReferenceVector() {
        // Outputs of Blackman & Vigna's xoshiro256starstar.c from state {1, 2, 3, 4}.
        var generator = Xoshiro256StarStar(state: (1, 2, 3, 4))
        let expected: [UInt64] = [
            11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360,
            607_988_272_756_665_600,
        ]
        #expect((0..<6).map { _ in generator.next() } == expected)
    }

    @Test("Seeding xoshiro256** with SplitMix64 matches the reference") func seedingWithSplitMixMatchesReference() {
        // Reference: the state is four SplitMix64(42) outputs, then xoshiro256** as published.
        var generator = Xoshiro256StarStar(seed: 42)
        #expect(generator.next() == 1_546_998_764_402_558_742)
        #expect(generator.next() == 6_990_951_692_964_543_102)
        #expect(generator.next() == 12_544_586_762_248_559_009)
    }

    @Test("The same seed gives the same sequence and different seeds differ", arguments: seeds)
    func sameSeedSameSequenceDifferentSeedsDiffer(seed: UInt64) {
        var a = Xoshiro256StarStar(seed: seed)
        var b = Xoshiro256StarStar(seed: seed)
        var c = Xoshiro256StarStar(seed: seed &+ 1)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(first != (0..<100).map { _ in c.next() })

        // A copy replays the sequence from where it was taken.
        let snapshot = a
        var replay = snapshot
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in replay.next() })
        #expect(a == replay)
    }

    @Test("Streams are distinct and repeatable", arguments: seeds)
    func streamsAreDistinctAndRepeatable(seed: UInt64) {
        var firstDraws = Set<UInt64>()
        for stream: UInt64 in 0..<1_000 {
            var generator = Xoshiro256StarStar(seed: seed, stream: stream)
            var again = Xoshiro256StarStar(seed: seed, stream: stream)
            let x = generator.next()
            #expect(x == again.next())
            firstDraws.insert(x)
        }
        #expect(firstDraws.count == 1_000)
    }

    // MARK: - Continuous samplers

    @Test("Unit doubles are uniform in half open interval", arguments: seeds)
    func unitDoublesAreUniformInHalfOpenInterval(seed: UInt64) {
        var generator = Xoshiro256StarStar(seed: seed)
        let n = 100_000
        var low = 1.0
        var high = 0.0
        let (mean, variance) = moments(count: n) {
            let u = generator.nextUnitDouble()
            low = min(low, u)
            high = max(high, u)
            return u
        }
        #expect(low >= 0 && high < 1)
        expectMean(mean, 0.5, variance: 1.0 / 12, count: n)
        #expect(abs(variance - 1.0 / 12) < 0.002)

        var positive = Xoshiro256StarStar(seed: seed)
        for _ in 0..<10_000 {
            let u = positive.nextPositiveUnitDouble()
            #expect(u > 0 && u <= 1)
        }
    }

    @Test("Exponential has mean and variance of rate", arguments: [0.001, 1, 250])
    func exponentialHasMeanAndVarianceOfRate(rate: Double) {
        for seed in seeds {
            var generator = Xoshiro256StarStar(seed: seed)
            let n = 50_000
            let (mean, variance) = moments(count: n) { generator.nextExponential(rate: rate) }
            let trueVariance = 1 / (rate * rate)
            expectMean(mean, 1 / rate, variance: trueVariance, count: n)
            #expect(abs(variance / trueVariance - 1) < 0.08)
        }
    }

    @Test("Normal has requested mean and variance") func normalHasRequestedMeanAndVariance() {
        for seed in seeds {
            var generator = Xoshiro256StarStar(seed: seed)
            let n = 50_000
            let (mean, variance) = moments(count: n) { generator.nextNormal(mean: -3, standardDeviation: 2) }
            expectMean(mean, -3, variance: 4, count: n)
            #expect(abs(variance / 4 - 1) < 0.05)
        }
        var degenerate = Xoshiro256StarStar(seed: 7)
        #expect(degenerate.nextNormal(mean: 5, standardDeviation: 0) == 5)
    }

    @Test("Lognormal has median and mean of its parameters") func lognormalHasMedianAndMeanOfItsParameters() {
        let mu = log(400.0)
        let sigma = 0.8
        for seed in seeds {
            var generator = Xoshiro256StarStar(seed: seed)
            let n = 50_000
            var draws = [Double]()
            draws.reserveCapacity(n)
            let (mean, _) = moments(count: n) {
                let x = generator.nextLognormal(mu: mu, sigma: sigma)
                draws.append(x)
                return x
            }
            let trueMean = exp(mu + sigma * sigma / 2)
            let trueVariance = (exp(sigma * sigma) - 1) * exp(2 * mu + sigma * sigma)
            expectMean(mean, trueMean, variance: trueVariance, count: n)
            draws.sort()
            #expect(abs(draws[n / 2] / 400 - 1) < 0.03)
            #expect(draws[0] > 0)
        }
    }

    @Test("Pareto has power law tail") func paretoHasPowerLawTail() {
        var generator = Xoshiro256StarStar(seed: 3)
        let n = 100_000
        var above10 = 0
        for _ in 0..<n {
            let x = generator.nextPareto(scale: 2, shape: 1.5)
            #expect(x >= 2)
            if x > 20 { above10 += 1 }
        }
        // P(X > 10·x_m) = 10^(−1.5) ≈ 0.0316.
        let expected = pow(10, -1.5)
        let standardError = (expected * (1 - expected) / Double(n)).squareRoot()
        #expect(abs(Double(above10) / Double(n) - expected) < 5 * standardError)
    }

    // MARK: - Discrete samplers

    @Test("Poisson has mean and variance equal to mean", arguments: [0.0, 0.3, 2.5, 9.99, 10, 31.7, 1_000, 1e6, 1e12])
    func poissonHasMeanAndVarianceEqualToMean(lambda: Double) {
        for seed in seeds {
            var generator = Xoshiro256StarStar(seed: seed)
            let n = 20_000
            var negative = false
            let (mean, variance) = moments(count: n) {
                let k = generator.nextPoisson(mean: lambda)
                negative = negative || k < 0
                return Double(k)
            }
            #expect(!negative)
            if lambda == 0 {
                #expect(mean == 0 && variance == 0)
            } else {
                expectMean(mean, lambda, variance: lambda, count: n)
                #expect(abs(variance / lambda - 1) < 0.08, "variance \(variance) for λ = \(lambda)")
            }
        }
    }

    @Test("Poisson probabilities match mass function", arguments: [2.5, 10.0, 40.0])
    func poissonProbabilitiesMatchMassFunction(lambda: Double) {
        var generator = Xoshiro256StarStar(seed: 11)
        let n = 200_000
        var counts = [Int](repeating: 0, count: 200)
        for _ in 0..<n { counts[min(199, generator.nextPoisson(mean: lambda))] += 1 }
        // Compare each well-populated cell with e^(−λ)λ^k/k! within 5 binomial standard errors.
        for k in 0..<150 {
            let p = exp(-lambda + Double(k) * log(lambda) - logGamma(Double(k) + 1))
            guard p * Double(n) > 50 else { continue }
            let standardError = (p * (1 - p) / Double(n)).squareRoot()
            let observed = Double(counts[k]) / Double(n)
            #expect(abs(observed - p) < 5 * standardError, "P(K = \(k)) = \(observed), expected \(p)")
        }
    }

    @Test("Geometric counts failures before first success", arguments: [1.0, 0.5, 0.1, 0.001])
    func geometricCountsFailuresBeforeFirstSuccess(p: Double) {
        for seed in seeds {
            var generator = Xoshiro256StarStar(seed: seed)
            let n = 40_000
            let (mean, variance) = moments(count: n) { Double(generator.nextGeometric(successProbability: p)) }
            let trueMean = (1 - p) / p
            let trueVariance = (1 - p) / (p * p)
            if p == 1 {
                #expect(mean == 0 && variance == 0)
            } else {
                expectMean(mean, trueMean, variance: trueVariance, count: n)
                #expect(abs(variance / trueVariance - 1) < 0.1)
            }
        }
    }

    @Test("logGamma matches libm") func logGammaMatchesLibm() {
        for x in [1.0, 1.5, 2, 2.5, 3, 6.9, 7, 7.5, 10, 31.25, 100, 1e4, 1e8] {
            #expect(abs(logGamma(x) - lgamma(x)) <= 1e-12 * max(1, abs(lgamma(x))), "lnΓ(\(x))")
        }
    }

    // MARK: - Zipf

    @Test("Zipf probabilities are normalised power law") func zipfProbabilitiesAreNormalisedPowerLaw() {
        let zipf = ZipfDistribution(count: 1_000, exponent: 1)
        let total = (1...1_000).reduce(0.0) { $0 + zipf.probability(ofRank: $1) }
        #expect(abs(total - 1) < 1e-12)
        let harmonic = (1...1_000).reduce(0.0) { $0 + 1 / Double($1) }
        #expect(abs(zipf.probability(ofRank: 1) - 1 / harmonic) < 1e-12)
        #expect(abs(zipf.probability(ofRank: 10) / zipf.probability(ofRank: 100) - 10) < 1e-9)
        #expect(zipf.probability(ofRank: 0) == 0 && zipf.probability(ofRank: 1_001) == 0)

        let uniform = ZipfDistribution(count: 4, exponent: 0)
        for k in 1...4 { #expect(abs(uniform.probability(ofRank: k) - 0.25) < 1e-15) }

        var generator = Xoshiro256StarStar(seed: 5)
        let single = ZipfDistribution(count: 1, exponent: 2)
        for _ in 0..<100 { #expect(single.sample(using: &generator) == 1) }
    }

    @Test("Zipf rank frequencies match probabilities", arguments: [0.8, 1.0, 1.3])
    func zipfRankFrequenciesMatchProbabilities(exponent: Double) {
        let zipf = ZipfDistribution(count: 500, exponent: exponent)
        for seed in seeds {
            var generator = Xoshiro256StarStar(seed: seed)
            let n = 100_000
            var counts = [Int](repeating: 0, count: 501)
            for _ in 0..<n {
                let rank = zipf.sample(using: &generator)
                #expect(rank >= 1 && rank <= 500)
                counts[rank] += 1
            }
            for k in [1, 2, 3, 5, 10, 50] {
                let p = zipf.probability(ofRank: k)
                let standardError = (p * (1 - p) / Double(n)).squareRoot()
                #expect(abs(Double(counts[k]) / Double(n) - p) < 5 * standardError, "rank \(k), s = \(exponent)")
            }
        }
    }

    @Test("Power law rank approximates Zipf away from the head") func powerLawRankApproximatesZipfAwayFromTheHead() {
        var generator = Xoshiro256StarStar(seed: 9)
        let n = 200_000
        var counts = [Int](repeating: 0, count: 10_001)
        for _ in 0..<n {
            let rank = generator.nextPowerLawRank(count: 10_000, exponent: 1)
            #expect(rank >= 1 && rank <= 10_000)
            counts[rank] += 1
        }
        // P(rank = k) = ln((k + 1)/k) / ln(10 001): ≈ 1/(k ln 10 001), so ranks 10 and 100 differ ≈ 10×.
        let ratio = Double(counts[10...11].reduce(0, +)) / Double(counts[100...110].reduce(0, +))
        let expected = log(12.0 / 10) / log(111.0 / 100)
        #expect(abs(ratio / expected - 1) < 0.1, "ratio \(ratio), expected \(expected)")
        var single = Xoshiro256StarStar(seed: 1)
        #expect(single.nextPowerLawRank(count: 1, exponent: 1.2) == 1)
    }
}
