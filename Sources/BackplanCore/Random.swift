/// Seeded pseudo-random number generators: every random choice Backplan makes goes through one of
/// these, seeded from `--seed`, so that the same seed gives the same bytes on every machine.
///
/// `SplitMix64` expands a 64-bit seed into the 256-bit state of `Xoshiro256StarStar`, the generator
/// used for draws, as its authors recommend. Samplers for the distributions the dataset generator
/// and the simulator need are in `Random+Distributions.swift`; they work with any
/// `RandomNumberGenerator`.
///
///     var rng = Xoshiro256StarStar(seed: 42)
///     let gap = rng.nextExponential(rate: 1.0 / 3_600)   // seconds to the next session
///
/// Sources: S. Vigna, `splitmix64.c` and D. Blackman & S. Vigna, `xoshiro256starstar.c`
/// (https://prng.di.unimi.it/), described in "Scrambled linear pseudorandom number generators",
/// ACM TOMS 47(4), 2021; SplitMix is from G. Steele, D. Lea & C. Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014.

/// SplitMix64: a 64-bit counter passed through a bijective mixing function.
///
/// Each call adds the golden-ratio increment γ = 0x9E3779B97F4A7C15 to the state and returns
/// `mix(state)`. Its period is 2⁶⁴ and every seed is valid. Backplan uses it to turn a seed into the
/// state of `Xoshiro256StarStar` and to derive independent stream keys, not for bulk draws.
///
/// - Complexity: O(1) per draw.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The counter; the next output is `mix(state &+ γ)`.
    public var state: UInt64

    /// The Weyl-sequence increment, ⌊2⁶⁴/φ⌋ rounded to odd.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Starts the sequence at `seed`; any value, including 0, is valid.
    @inlinable
    public init(seed: UInt64) {
        state = seed
    }

    /// The SplitMix64 output function (a variant of MurmurHash3's finaliser): a bijection on
    /// `UInt64` that spreads every input bit over every output bit.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }
}

/// xoshiro256**: the generator behind every seeded draw in Backplan.
///
/// 256 bits of state, period 2²⁵⁶ − 1, passes BigCrush; output `rotl(s₁·5, 7)·9`. A value type, so a
/// copy replays the same sequence, and `Sendable`, so each task can own one.
///
/// Use `init(seed:stream:)` to give each independent part of a computation (a conversation, a
/// shard, a Monte Carlo replica) its own sequence: results then do not depend on the order in which
/// the parts are processed, nor on how they are split across files or threads.
///
/// - Complexity: O(1) per draw; 32 bytes of state.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Hashable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// Seeds the state with four consecutive outputs of `SplitMix64(seed:)`, as the authors of
    /// xoshiro recommend. Any seed is valid; SplitMix64's outputs are distinct, so the state is never
    /// all zero.
    @inlinable
    public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        s0 = splitMix.next()
        s1 = splitMix.next()
        s2 = splitMix.next()
        s3 = splitMix.next()
    }

    /// A generator for sub-stream `stream` of `seed`: the seed and the stream number are hashed
    /// together with `SplitMix64.mix` into a new 64-bit seed.
    ///
    /// Two different `(seed, stream)` pairs start at unrelated points of the 2²⁵⁶ − 1 cycle; an
    /// overlap within the first 2⁶⁴ draws has probability of order 2⁻¹²⁸ for any realistic number of
    /// streams. (Deriving streams by hashing rather than by the `jump()` polynomial keeps `stream`
    /// random access: stream 1 000 000 costs as much as stream 0.)
    @inlinable
    public init(seed: UInt64, stream: UInt64) {
        let streamKey = SplitMix64.mix(stream &+ 0x632B_E59B_D9B4_E019)
        self.init(seed: SplitMix64.mix(seed &+ streamKey))
    }

    /// A generator with the given raw state, for reproducing a published test vector or a saved
    /// state. The state must not be all zero (a fixed point of the generator).
    @inlinable
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        (s0, s1, s2, s3) = state
    }

    /// The current raw state, e.g. to checkpoint a long simulation.
    @inlinable
    public var state: (UInt64, UInt64, UInt64, UInt64) { (s0, s1, s2, s3) }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotateLeft(s3, by: 45)
        return result
    }

    @inlinable
    static func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 &- k))
    }
}
