import BackplanCore
import Foundation

/// Half-lives (seconds) of every exponentially decayed count kept per dataset: the feature rates
/// (1 d, 7 d, 30 d) and the EWMA baseline's grid (1, 3, 7, 14, 30 d).
let decayHalfLives: [Double] = [86_400, 259_200, 604_800, 1_209_600, 2_592_000]

/// Everything the features need about one dataset's events before the current cutoff, updated one event at a
/// time in time order. Memory is O(events in the last 90 d) for the one dataset being read.
struct DatasetHistory {
    /// Times of recent reads (index 0) and writes (index 1), oldest first, from `head[op]` on.
    private var recent: [[Int64]] = [[], []]
    private var head = [0, 0]
    private(set) var total = [0, 0]
    /// Exponentially decayed counts per op and half-life in `decayHalfLives`, valid at `decayedAt[op]`.
    private var decayed: [[Double]] = [Array(repeating: 0, count: decayHalfLives.count),
                                       Array(repeating: 0, count: decayHalfLives.count)]
    private var decayedAt: [Int64] = [0, 0]
    private(set) var last: [Int64?] = [nil, nil]
    private(set) var first: Int64?
    private var bytesWritten: Double = 0
    // Welford's running mean and variance of the gaps between writes (Knuth, TAOCP vol. 2, §4.2.2).
    private var gapCount = 0.0, gapMean = 0.0, gapM2 = 0.0
    // Sessions: runs of events with gaps < FeatureSchema.sessionGapSeconds.
    private var sessionStart: Int64 = 0
    private var sessions = 0.0, closedSessionSeconds = 0.0
    private var quietGaps = 0.0, quietGapSeconds = 0.0
    private var timeOfDay = [Double](repeating: 0, count: 8)

    /// Adds one event; events must come in non-decreasing time.
    mutating func add(at: Int64, op: Int, bytes: Int64) {
        let o = op == 0 ? 0 : 1
        if let previous = last[0].map({ max($0, last[1] ?? $0) }) ?? last[1] {
            let gap = at - previous
            if gap >= FeatureSchema.sessionGapSeconds {
                closedSessionSeconds += Double(previous - sessionStart)
                sessions += 1
                quietGaps += 1
                quietGapSeconds += Double(gap)
                sessionStart = at
            }
        } else {
            sessionStart = at
            first = at
        }
        if o == 1 {
            bytesWritten += Double(bytes)
            if let previousWrite = last[1] {
                let gap = Double(at - previousWrite)
                gapCount += 1
                let delta = gap - gapMean
                gapMean += delta / gapCount
                gapM2 += delta * (gap - gapMean)
            }
        }
        let since = Double(at - decayedAt[o])
        for k in decayHalfLives.indices {
            decayed[o][k] = decayed[o][k] * exp(-M_LN2 * since / decayHalfLives[k]) + 1
        }
        decayedAt[o] = at
        recent[o].append(at)
        total[o] += 1
        last[o] = at
        let secondOfDay = ((at % 86_400) + 86_400) % 86_400
        timeOfDay[Int(secondOfDay / 10_800)] += 1
    }

    /// Events of `op` in [t − seconds, t), for t no earlier than the last event added.
    func count(op: Int, seconds: Int64, before t: Int64) -> Int {
        let times = recent[op]
        var lo = head[op], hi = times.count
        let from = t - seconds
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < from { lo = mid + 1 } else { hi = mid }
        }
        return times.count - lo
    }

    /// The decayed count of `op` for half-life index `k`, decayed to time `t`.
    func decayedCount(op: Int, halfLifeIndex k: Int, at t: Int64) -> Double {
        decayed[op][k] * exp(-M_LN2 * Double(t - decayedAt[op]) / decayHalfLives[k])
    }

    /// Drops recent times before `t` (no later window reaches them) and compacts the buffers now and then.
    mutating func forget(before t: Int64) {
        for o in 0..<2 {
            while head[o] < recent[o].count && recent[o][head[o]] < t { head[o] += 1 }
            if head[o] > 4_096 && head[o] * 2 > recent[o].count {
                recent[o].removeFirst(head[o])
                head[o] = 0
            }
        }
    }

    var isEmpty: Bool { first == nil }

    /// Writes the ``FeatureSchema/baseNames`` features at cutoff `t` into `out` (appending).
    ///
    /// `createdAt` is the dataset's creation time when the store has it and it is before `t`.
    func appendFeatures(at t: Int64, createdAt: Int64?, to out: inout [Double]) {
        for o in 0..<2 {
            for w in FeatureSchema.countWindows { out.append(log1p(Double(count(op: o, seconds: w.seconds, before: t)))) }
        }
        for o in 0..<2 {
            for h in FeatureSchema.rateHalfLives {
                let k = decayHalfLives.firstIndex(of: h.seconds) ?? 0
                // A decayed count with half-life h is a rate estimate of count · ln 2 / h per second.
                let perDay = decayedCount(op: o, halfLifeIndex: k, at: t) * M_LN2 / h.seconds * 86_400
                out.append(log1p(perDay))
            }
        }
        for o in 0..<2 {
            if let l = last[o] {
                out.append(log1p(Double(t - l)))
                out.append(0)
            } else {
                out.append(log1p(FeatureSchema.neverSeconds))
                out.append(1)
            }
        }
        var born = first
        if let createdAt { born = min(born ?? createdAt, createdAt) }
        out.append(log1p(Double(max(0, t - (born ?? t)))))
        out.append(log1p(bytesWritten))
        out.append(total[1] > 0 ? log1p(bytesWritten / Double(total[1])) : 0)
        if gapCount >= 2 && gapMean > 0 {
            out.append((gapM2 / gapCount).squareRoot() / gapMean)
        } else {
            out.append(0)
        }
        if let lastAny = last[0].map({ max($0, last[1] ?? $0) }) ?? last[1] {
            let sessionSeconds = closedSessionSeconds + Double(lastAny - sessionStart)
            out.append(log1p(sessionSeconds / (sessions + 1)))
        } else {
            out.append(0)
        }
        out.append(quietGaps > 0 ? log1p(quietGapSeconds / quietGaps) : 0)
        let all = Double(total[0] + total[1])
        for block in 0..<8 { out.append(all > 0 ? timeOfDay[block] / all : 0) }
    }

    /// Seconds since the last access of either kind at `t`, `nil` when never accessed.
    func secondsSinceAccess(at t: Int64) -> Double? {
        guard let l = last[0].map({ max($0, last[1] ?? $0) }) ?? last[1] else { return nil }
        return Double(t - l)
    }
}
