import BackplanCore
import BackplanPlan
import Foundation

/// What a dataset's options are made of while planning: one priced option, a dataset's fixed parts, the kept
/// options of a chunk, and the buffers a thread reuses (see ``Planner``).
extension Planner {
    /// One priced option, reduced to what the optimisation needs.
    struct Candidate {
        var interval: Double
        var tier: Int
        var spend: Double
        var risk: Double
        var bytes: Double
        /// spend + risk: the objective with no multiplier (the same value as `objective(self, 0, 0)`).
        var value: Double

        init(interval: Double, tier: Int, spend: Double, risk: Double, bytes: Double) {
            self.interval = interval
            self.tier = tier
            self.spend = spend
            self.risk = risk
            self.bytes = bytes
            value = spend + risk
        }
    }

    /// One dataset's fixed parts, and how many options it keeps. Its options are in its chunk's
    /// ``OptionBlock``, right after the previous dataset's.
    struct Prepared {
        var dataSpend = 0.0
        /// Bit i set: tier i was excluded because it cannot restore within the class RTO.
        var rtoExcluded: UInt64 = 0
        /// Index in the class list; −1 when the dataset has no option (see the chunk's failures).
        var classIndex: Int32 = -1
        /// Options kept: the first `contenders` can be chosen for some multipliers μ, ν ≥ 0; the rest are kept
        /// only because they can be the runner-up (see ``keep(_:limits:into:hull:)``).
        var options: Int32 = 0
        var contenders: Int32 = 0
        var dataTier: Int16 = 0
        var rpoCapped = false
    }

    /// The kept options of a chunk of consecutive datasets, flat, dataset after dataset. `bytes` is filled only
    /// when a backup window is set (without one its multiplier is 0 and no pass reads it).
    struct OptionBlock {
        var spend: [Double] = [], risk: [Double] = [], bytes: [Double] = [], interval: [Double] = []
        var tier: [UInt16] = []
        /// Datasets of the chunk without any option, and why.
        var failures: [(Int, InputError)] = []
    }

    /// A dataset's fixed parts, and how many options it has (the first `options` of the scratch's candidates,
    /// before ``keep(_:limits:into:hull:)``).
    struct Priced {
        var classIndex: Int
        var dataTier: Int
        var dataSpend: Double
        var rpoCapped: Bool
        var rtoExcluded: UInt64
        var options: Int
    }

    /// Buffers one thread reuses from dataset to dataset while pricing.
    struct Scratch {
        /// For ``keep(_:limits:into:hull:)``.
        var hull: [Int32] = []
        /// The priced options (the first ``Priced/options`` of them).
        var candidates: [Candidate] = []
        /// Class names seen, and their index in the class list (`nil`: no such class and no default).
        var classIndex: [String: Int?] = [:]
        var tiers: [Int] = []
        var pricers: [BackupPricer] = []
        /// Tier-major: the grid's (spend, risk, bytes, spend + risk) on tier k at interval j is at k·(intervals) + j.
        var grid: [(spend: Double, risk: Double, bytes: Double, value: Double)] = []
        var kept: [Int] = []
    }

    /// risk + (1 + μ)·spend + ν·bytes: an option's objective at multipliers μ on spend and ν on bytes per day.
    static func objective(_ c: Candidate, _ mu: Double, _ nu: Double) -> Double {
        c.risk + (1 + mu) * c.spend + nu * c.bytes
    }

    /// Index of the candidate minimising risk + (1 + μ)·spend + ν·bytes; ties go to the earlier candidate.
    static func best(_ candidates: [Candidate], _ mu: Double, _ nu: Double) -> Int {
        var k = 0
        var v = Double.infinity
        for (i, c) in candidates.enumerated() {
            let o = objective(c, mu, nu)
            if o < v { v = o; k = i }
        }
        return k
    }
}
