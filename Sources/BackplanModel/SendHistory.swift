import BackplanCore
import Foundation

/// The owner's own sending activity of one dataset before a cutoff (issue 14: "the owner's own sends", the
/// SRC side of a SNAP log or the sender of a message in a store keyed by sender), as the features
/// ``FeatureSchema/sendNames`` in that order:
///
/// - `log1p_sends_1d`, `log1p_sends_7d`: sends in [t − 1 d, t) and [t − 7 d, t);
/// - `log1p_sends_per_day_ewma_1d`: the exponentially decayed count with a 1-day half-life as a rate per day,
///   Σ 2^(−(t − s)/h) · ln 2 / h · 86,400 over sends s < t (Levandoski, Larson & Stoica, ICDE 2013, as the
///   write rates);
/// - `log1p_seconds_since_send`, `never_sent`: as for reads and writes (365 d and 1 when there is none).
///
/// Only sends before t enter, so later sends cannot change a feature at t. A dataset without sends (or a
/// store that records none) gets `0, 0, 0, log1p(365 d), 1`.
///
///     let h = SendHistory(times: [100, 5_000])
///     var f: [Double] = []
///     h.appendFeatures(at: 86_400, to: &f)   // [log1p(2), log1p(2), log1p(≈1.4), log1p(81_400), 0]
struct SendHistory {
    /// Send times, sorted ascending (Unix seconds).
    let times: ArraySlice<Int64>

    static let halfLifeSeconds: Double = 86_400
    /// Sends older than this add less than 2^-30 to the decayed count and are skipped.
    static let decayReachSeconds: Int64 = 30 * 86_400

    /// Appends the five send features at cutoff `t` to `out`.
    /// - Complexity: O(log sends + sends in the last 30 days).
    func appendFeatures(at t: Int64, to out: inout [Double]) {
        let end = firstIndex(atOrAfter: t)
        let day = firstIndex(atOrAfter: t - 86_400), week = firstIndex(atOrAfter: t - 604_800)
        out.append(log1p(Double(end - day)))
        out.append(log1p(Double(end - week)))
        var decayed = 0.0
        for i in firstIndex(atOrAfter: t - Self.decayReachSeconds)..<end {
            decayed += exp2(-Double(t - times[i]) / Self.halfLifeSeconds)
        }
        out.append(log1p(decayed * M_LN2 / Self.halfLifeSeconds * 86_400))
        if end > times.startIndex {
            out.append(log1p(Double(t - times[end - 1])))
            out.append(0)
        } else {
            out.append(log1p(FeatureSchema.neverSeconds))
            out.append(1)
        }
    }

    /// Index of the first send at or after `t` (binary search).
    private func firstIndex(atOrAfter t: Int64) -> Int {
        var lo = times.startIndex, hi = times.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
