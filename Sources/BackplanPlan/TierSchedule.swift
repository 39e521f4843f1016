import BackplanCore

/// A dataset's live data moving between tiers by object age: every object (message) is written to the first
/// step's tier and moves to each later step's tier once it is that many days old, as S3 Lifecycle transitions
/// do; objects smaller than ``minObjectBytes`` never move (S3's `TransitionDefaultMinimumObjectSize`,
/// `all_storage_classes_128K` by default). A plain single tier is a schedule of one step at day 0.
///
/// ```swift
/// let s = TierSchedule(steps: [.init(afterDays: 0, tier: "standard"), .init(afterDays: 30, tier: "standard-ia"),
///                              .init(afterDays: 90, tier: "glacier-ir")])
/// s.name              // "standard-ia-30d-glacier-ir-90d"
/// s.minObjectBytes    // 131,072 (128 KiB): smaller objects stay on standard
/// s.isSingleTier      // false
/// ```
public struct TierSchedule: Codable, Sendable, Equatable, Hashable {
    /// One step: from `afterDays` days of object age on, the object is on `tier`.
    public struct Step: Codable, Sendable, Equatable, Hashable {
        public var afterDays: Int
        public var tier: String

        public init(afterDays: Int, tier: String) {
            self.afterDays = afterDays
            self.tier = tier
        }
    }

    /// Ascending in `afterDays`; the first is at day 0 (where objects are written).
    public var steps: [Step]
    /// Objects below this size, bytes, stay on the first step's tier (S3 default 128 KiB).
    public var minObjectBytes: Int64

    /// S3's default `TransitionDefaultMinimumObjectSize`: objects under 128 KiB do not transition.
    public static let s3DefaultMinObjectBytes: Int64 = 131_072

    public init(steps: [Step], minObjectBytes: Int64 = TierSchedule.s3DefaultMinObjectBytes) {
        self.steps = steps
        self.minObjectBytes = minObjectBytes
    }

    /// Most days a step may wait: 100 years.
    public static let maxStepDays = 36_500
    /// Largest minimum object size: 5 TiB, S3's largest object.
    public static let maxMinObjectBytes: Int64 = 5 << 40

    /// What is wrong with the schedule as a plan file gives it, or `nil`: at least one step, the first at day 0,
    /// days strictly ascending within 0 … ``maxStepDays``, tiers named, minimum size within 0 … ``maxMinObjectBytes``.
    public var problem: String? {
        guard let first = steps.first else { return "a schedule needs at least one step" }
        if first.afterDays != 0 { return "the first step must be at day 0 (where objects are written), got \(first.afterDays)" }
        for (a, b) in zip(steps, steps.dropFirst()) where b.afterDays <= a.afterDays || b.afterDays > Self.maxStepDays {
            return "step days must ascend within 1 … \(Self.maxStepDays), got \(a.afterDays) then \(b.afterDays)"
        }
        if steps.contains(where: { $0.tier.isEmpty }) { return "every step needs a tier name" }
        if minObjectBytes < 0 || minObjectBytes > Self.maxMinObjectBytes {
            return "minObjectBytes must be within 0 … \(Self.maxMinObjectBytes), got \(minObjectBytes)"
        }
        return nil
    }

    /// Everything on one tier from the start (no transitions).
    public static func single(_ tier: String) -> TierSchedule { TierSchedule(steps: [Step(afterDays: 0, tier: tier)], minObjectBytes: 0) }

    public var isSingleTier: Bool { steps.count <= 1 }

    /// The tier objects are written to.
    public var firstTier: String { steps.first?.tier ?? "" }

    /// `standard-ia-30d-glacier-ir-90d` (the steps after the first), or the tier's name for a single tier: the
    /// value of the object tag the S3 Lifecycle export filters on.
    public var name: String {
        isSingleTier ? firstTier : steps.dropFirst().map { "\($0.tier)-\($0.afterDays)d" }.joined(separator: "-")
    }

    /// `standard; standard-ia after 30 days; glacier-ir after 90 days (objects ≥ 128 KiB)`.
    public var description: String {
        var s = steps.map { $0.afterDays == 0 ? $0.tier : "\($0.tier) after \($0.afterDays) days" }.joined(separator: "; ")
        if !isSingleTier && minObjectBytes > 0 { s += " (objects of \(minObjectBytes / 1_024) KiB or more)" }
        return s
    }
}

/// Why the live data got its tier schedule, in money over the horizon it was priced on (dollars for the whole
/// horizon, not per month).
///
/// ```swift
/// let c = entry.why.dataTiering!
/// c.chosen.name                       // "standard-ia-30d-glacier-ir-90d"
/// c.stayDollars - c.chosenDollars     // saving over the horizon, moves included
/// ```
public struct TieringChoice: Codable, Sendable, Equatable {
    public var chosen: TierSchedule
    /// The chosen schedule's live-data bill over the horizon: storage, requests, retrieval, transitions and early deletion.
    public var chosenDollars: Double
    /// Of it, the moves: transition requests, early-deletion remainders, retrieval of moves to warmer tiers.
    public var chosenMoveDollars: Double
    /// Staying where the data is (the first tier, or on a re-plan the tiering in force), without moving it there.
    public var stayDollars: Double
    /// The cheapest single tier and its bill (moving all data there now).
    public var bestSingleTier: String
    public var bestSingleTierDollars: Double
    public var horizonDays: Double
    /// Candidates priced (single tiers and schedules meeting the class RTO).
    public var candidates: Int

    public init(chosen: TierSchedule, chosenDollars: Double, chosenMoveDollars: Double, stayDollars: Double, bestSingleTier: String,
                bestSingleTierDollars: Double, horizonDays: Double, candidates: Int) {
        self.chosen = chosen
        self.chosenDollars = chosenDollars
        self.chosenMoveDollars = chosenMoveDollars
        self.stayDollars = stayDollars
        self.bestSingleTier = bestSingleTier
        self.bestSingleTierDollars = bestSingleTierDollars
        self.horizonDays = horizonDays
        self.candidates = candidates
    }

    /// One sentence in money: what was chosen, what it saves over staying, and what its moves cost (four
    /// decimals, six below a hundredth of a cent).
    public var text: String {
        func dollars(_ x: Double) -> String { String(format: abs(x) >= 1e-4 || x == 0 ? "$%.4f" : "$%.6f", x) }
        let saving = stayDollars - chosenDollars
        let h = Int(horizonDays.rounded())
        if chosen.isSingleTier && chosen.firstTier == bestSingleTier && saving <= 0 {
            return "Live data stays on \(chosen.firstTier): \(dollars(chosenDollars)) over \(h) days; no schedule of the \(candidates) priced saves more than its moves cost."
        }
        return "Live data: \(chosen.description), \(dollars(chosenDollars)) over \(h) days (moves \(dollars(chosenMoveDollars)) of it) against "
            + "\(dollars(stayDollars)) staying where it is (saves \(dollars(saving))) and \(dollars(bestSingleTierDollars)) for the best single tier "
            + "(\(bestSingleTier)); cheapest of \(candidates) candidates."
    }
}
