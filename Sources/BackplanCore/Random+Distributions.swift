// Samplers for the distributions Backplan draws from. They extend every `RandomNumberGenerator`, so
// they work with `Xoshiro256StarStar` in production and with any other generator in tests.
// Foundation is imported for the C math library only (log, exp, sin, cos, pow); nothing here does I/O.
import Foundation

extension RandomNumberGenerator {
    /// A uniform double in [0, 1): the top 53 bits of one draw, times 2⁻⁵³.
    ///
    /// Every multiple of 2⁻⁵³ in [0, 1) is equally likely. (Vigna, https://prng.di.unimi.it/, "Generating
    /// uniform doubles in the unit interval".)
    ///
    /// - Complexity: O(1), one draw.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1]: like `nextUnitDouble()` but never 0, so it is safe under `log`.
    @inlinable
    public mutating func nextPositiveUnitDouble() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }

    /// A uniform integer in 0..<n, n ≥ 1, by D. Lemire's multiply-and-reject method ("Fast random
    /// integer generation in an interval", ACM TOMACS 29(1), 2019): exact, and a fixed algorithm, unlike
    /// the standard library's `Int.random(in:using:)`, whose draws may change between Swift releases.
    ///
    /// - Complexity: O(1) expected; one draw except with probability < n/2⁶⁴.
    @inlinable
    public mutating func nextIndex(below n: Int) -> Int {
        precondition(n >= 1, "nextIndex(below:) needs n ≥ 1")
        let bound = UInt64(n)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// An exponential variate with the given rate λ > 0 (mean 1/λ, variance 1/λ²), by inversion:
    /// X = −ln(U)/λ with U uniform in (0, 1].
    ///
    /// The gaps of a Poisson process of rate λ are exponential(λ).
    ///
    /// - Complexity: O(1), one draw.
    @inlinable
    public mutating func nextExponential(rate: Double) -> Double {
        precondition(rate > 0 && rate.isFinite, "exponential rate must be positive and finite")
        return -log(nextPositiveUnitDouble()) / rate
    }

    /// A normal variate with mean μ and standard deviation σ ≥ 0, by the Box–Muller transform:
    /// Z = √(−2 ln U₁) · cos(2π U₂), X = μ + σZ (G. Box & M. Muller, Ann. Math. Statist. 29(2), 1958).
    ///
    /// The sine partner of each pair is discarded so that a generator's position depends only on how
    /// many variates were drawn.
    ///
    /// - Complexity: O(1), two draws.
    @inlinable
    public mutating func nextNormal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        precondition(standardDeviation >= 0, "standard deviation must not be negative")
        let radius = (-2 * log(nextPositiveUnitDouble())).squareRoot()
        let angle = 2 * Double.pi * nextUnitDouble()
        return mean + standardDeviation * radius * cos(angle)
    }

    /// A lognormal variate: exp(μ + σZ) with Z standard normal.
    ///
    /// Median e^μ, mean e^(μ + σ²/2), variance (e^(σ²) − 1)·e^(2μ + σ²). Message and attachment sizes
    /// are drawn from it (a lognormal body is the usual fit for file sizes; A. Downey, "The structural
    /// cause of file size distributions", MASCOTS 2001).
    ///
    /// - Parameters:
    ///   - mu: mean of the logarithm (ln of the median).
    ///   - sigma: standard deviation of the logarithm, ≥ 0.
    /// - Complexity: O(1), two draws.
    @inlinable
    public mutating func nextLognormal(mu: Double, sigma: Double) -> Double {
        exp(nextNormal(mean: mu, standardDeviation: sigma))
    }

    /// A Pareto (type I) variate with scale x_m > 0 and shape α > 0, by inversion: X = x_m · U^(−1/α).
    ///
    /// P(X > x) = (x_m/x)^α for x ≥ x_m; mean α·x_m/(α − 1) when α > 1, infinite otherwise.
    ///
    /// - Complexity: O(1), one draw.
    @inlinable
    public mutating func nextPareto(scale: Double, shape: Double) -> Double {
        precondition(scale > 0 && shape > 0, "Pareto scale and shape must be positive")
        return scale * pow(nextPositiveUnitDouble(), -1 / shape)
    }

    /// A geometric variate: the number of failures before the first success in Bernoulli trials with
    /// success probability p ∈ (0, 1]; support {0, 1, 2, …}, P(K = k) = (1 − p)^k · p,
    /// mean (1 − p)/p, variance (1 − p)/p².
    ///
    /// By inversion: K = ⌊ln U / ln(1 − p)⌋ with U uniform in (0, 1] (L. Devroye, *Non-Uniform Random
    /// Variate Generation*, 1986, §X.2).
    ///
    /// - Complexity: O(1), one draw.
    @inlinable
    public mutating func nextGeometric(successProbability p: Double) -> Int {
        precondition(p > 0 && p <= 1, "geometric success probability must be in (0, 1]")
        if p == 1 { return 0 }
        let k = (log(nextPositiveUnitDouble()) / log1p(-p)).rounded(.down)
        return k < Double(Int.max) ? Int(k) : Int.max
    }

    /// A Poisson variate with the given mean λ ≥ 0 (variance λ).
    ///
    /// For λ < 10, inversion by sequential search from 0 (Devroye 1986, §X.3), about λ + 1 steps and
    /// one draw. For λ ≥ 10, the transformed rejection method PTRS of W. Hörmann, "The transformed
    /// rejection method for generating Poisson random variables", Insurance: Mathematics and
    /// Economics 12(1), 1993 (the method NumPy uses), O(1) expected time at any λ; valid while λ and
    /// the result fit exactly in a `Double` (λ ≲ 10¹⁵).
    @inlinable
    public mutating func nextPoisson(mean lambda: Double) -> Int {
        precondition(lambda >= 0 && lambda.isFinite, "Poisson mean must be finite and not negative")
        if lambda == 0 { return 0 }
        if lambda < 10 {
            let u = nextUnitDouble()
            var probability = exp(-lambda)
            var cumulative = probability
            var k = 0
            // The cap only matters when rounding leaves `cumulative` just below a `u` near 1.
            while u >= cumulative && k < 200 {
                k += 1
                probability *= lambda / Double(k)
                cumulative += probability
            }
            return k
        }
        let sqrtLambda = lambda.squareRoot()
        let logLambda = log(lambda)
        let b = 0.931 + 2.53 * sqrtLambda
        let a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextUnitDouble() - 0.5
            let v = nextUnitDouble()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = log(v) + log(inverseAlpha) - log(a / (us * us) + b)
            if lhs <= -lambda + k * logLambda - logGamma(k + 1) { return Int(k) }
        }
    }

    /// A rank in 1...count with P(rank ≥ r) following a continuous power law of exponent `s`: an O(1)
    /// stand-in for `ZipfDistribution` when `count` is large or changes per draw.
    ///
    /// Draws X on [1, count + 1) with density ∝ x^(−s) by inversion and returns ⌊X⌋, so
    /// P(rank = k) = ∫ₖ^(k+1) x^(−s) dx / ∫₁^(count+1) x^(−s) dx — within a few per cent of Zipf's
    /// k^(−s)/H(count, s) except for the first ranks, where it under-weights rank 1 (by 1 − ln 2 ≈ 31 %
    /// relative at s = 1).
    ///
    /// - Complexity: O(1), one draw.
    @inlinable
    public mutating func nextPowerLawRank(count: Int, exponent s: Double) -> Int {
        precondition(count >= 1, "power-law rank needs at least one rank")
        precondition(s >= 0 && s.isFinite, "power-law exponent must be finite and not negative")
        if count == 1 { return 1 }
        let u = nextUnitDouble()
        let top = Double(count) + 1
        let x: Double
        if abs(s - 1) < 1e-9 {
            x = pow(top, u)
        } else {
            let oneMinusS = 1 - s
            x = pow(1 + u * (pow(top, oneMinusS) - 1), 1 / oneMinusS)
        }
        return min(count, max(1, Int(x)))
    }
}

/// ln Γ(x) for x ≥ 1, by the Stirling series with Bernoulli-number coefficients after shifting x to
/// at least 7 (the recurrence Γ(x + 1) = xΓ(x) undoes the shift). Absolute error below 1e-13.
///
/// Written here rather than calling `lgamma`, which on glibc writes the global `signgam`.
@inlinable
func logGamma(_ x: Double) -> Double {
    if x == 1 || x == 2 { return 0 }
    // B₂ₖ / (2k(2k − 1)) for k = 1…10.
    let coefficients: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double) = (
        8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
        8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
        1.796443723688307e-01, -1.39243221690590e+00)
    var shift = 0
    var x0 = x
    if x < 7 {
        shift = 7 - Int(x)
        x0 = x + Double(shift)
    }
    let inverseSquare = 1 / (x0 * x0)
    var series = coefficients.9
    series = series * inverseSquare + coefficients.8
    series = series * inverseSquare + coefficients.7
    series = series * inverseSquare + coefficients.6
    series = series * inverseSquare + coefficients.5
    series = series * inverseSquare + coefficients.4
    series = series * inverseSquare + coefficients.3
    series = series * inverseSquare + coefficients.2
    series = series * inverseSquare + coefficients.1
    series = series * inverseSquare + coefficients.0
    var result = series / x0 + 0.5 * log(2 * Double.pi) + (x0 - 0.5) * log(x0) - x0
    for _ in 0..<shift {
        x0 -= 1
        result -= log(x0)
    }
    return result
}

/// The Zipf distribution on ranks 1...N with exponent s ≥ 0: P(rank = k) = k^(−s) / H(N, s), where
/// H(N, s) = Σⱼ₌₁ᴺ j^(−s) is the generalised harmonic number.
///
/// Popularity of web objects is "Zipf-like", with an exponent that varies from trace to trace
/// (L. Breslau et al., "Web caching and Zipf-like distributions: evidence and implications",
/// INFOCOM 1999); Backplan uses the same law for conversations and users. Sampling is exact: the
/// cumulative distribution is precomputed and searched by bisection. For very large N or a different
/// N per draw, use `RandomNumberGenerator.nextPowerLawRank(count:exponent:)`.
///
///     let popularity = ZipfDistribution(count: 1_000, exponent: 1)
///     let rank = popularity.sample(using: &rng)   // 1 with probability ≈ 13 %
///
/// - Complexity: O(N) time and 8N bytes to build; O(log N) per sample.
public struct ZipfDistribution: Sendable, Hashable {
    /// N, the number of ranks.
    public let count: Int
    /// s, the exponent.
    public let exponent: Double
    /// cumulative[k − 1] = P(rank ≤ k); the last element is exactly 1.
    @usableFromInline let cumulative: [Double]

    /// - Precondition: `count ≥ 1`; `exponent` finite and ≥ 0 (s = 0 is uniform).
    public init(count: Int, exponent: Double) {
        precondition(count >= 1, "Zipf distribution needs at least one rank")
        precondition(exponent >= 0 && exponent.isFinite, "Zipf exponent must be finite and not negative")
        self.count = count
        self.exponent = exponent
        var weights = [Double](repeating: 0, count: count)
        var total = 0.0
        for k in 0..<count {
            total += pow(Double(k + 1), -exponent)
            weights[k] = total
        }
        for k in 0..<count { weights[k] /= total }
        weights[count - 1] = 1
        cumulative = weights
    }

    /// P(rank = k), 0 outside 1...count.
    public func probability(ofRank k: Int) -> Double {
        guard k >= 1 && k <= count else { return 0 }
        return k == 1 ? cumulative[0] : cumulative[k - 1] - cumulative[k - 2]
    }

    /// A rank in 1...count: the first k with P(rank ≤ k) > U, U uniform in [0, 1).
    @inlinable
    public func sample<G: RandomNumberGenerator>(using generator: inout G) -> Int {
        let u = generator.nextUnitDouble()
        return cumulative.withUnsafeBufferPointer { cdf in
            var low = 0
            var high = cdf.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cdf[middle] > u { high = middle } else { low = middle + 1 }
            }
            return low + 1
        }
    }
}
