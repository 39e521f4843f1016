import BackplanCore

/// A dataset's live data by object age at plan time, and how its reads fall on objects of each age: what the
/// planner prices tier schedules (``TierSchedule``) from. Built from history before the plan's "now" only
/// (``make(writes:bytes:reads:at:minObjectBytes:pooledWeight:)``).
///
/// Objects are the writes (one message, one object). "Large" objects are those of at least the schedule's
/// minimum size (128 KiB): only they move. A read is taken to fetch the dataset's newest object first (a reader
/// opens a conversation at its end), so it is served by that object's tier: ``readsOnLargeByAge`` is, per day of
/// age a, the share of reads whose newest object was large and at least a days old.
///
/// ```swift
/// let p = AgeProfiles.make(names: ["c1"], writes: [[0, 86_400]], bytes: [[200_000, 100]], reads: [[90_000]],
///                          at: 172_800)["c1"]!
/// p.largeCountByDay     // [0, 0, 1]: one large object, 2 days old
/// p.smallCount          // 1
/// p.readsOnLargeByAge[0] // 0: the read's newest object (written at day 1) was small
/// ```
public struct AgeProfile: Sendable, Equatable {
    /// Large objects by whole days of age at plan time (index = days; the last bucket holds every older one).
    public var largeCountByDay: [Double]
    public var largeBytesByDay: [Double]
    /// Small objects (under the minimum): they never move.
    public var smallCount: Double
    public var smallBytes: Double
    /// Of the history's writes: the share that were large, and the mean size of large and of small ones, bytes.
    public var largeShareOfWrites: Double
    public var largeMeanBytes: Double
    public var smallMeanBytes: Double
    /// Per day of age a (index), the share of reads served by a large newest object at least a days old;
    /// per dataset where it has history, shrunk toward the pooled profile of all datasets (see ``AgeProfiles``).
    public var readsOnLargeByAge: [Double]

    public init(largeCountByDay: [Double], largeBytesByDay: [Double], smallCount: Double, smallBytes: Double, largeShareOfWrites: Double,
                largeMeanBytes: Double, smallMeanBytes: Double, readsOnLargeByAge: [Double]) {
        self.largeCountByDay = largeCountByDay
        self.largeBytesByDay = largeBytesByDay
        self.smallCount = smallCount
        self.smallBytes = smallBytes
        self.largeShareOfWrites = largeShareOfWrites
        self.largeMeanBytes = largeMeanBytes
        self.smallMeanBytes = smallMeanBytes
        self.readsOnLargeByAge = readsOnLargeByAge
    }

    /// The share of reads served by a large object of age in [lo, hi) days (hi = ∞ for the last band).
    public func readShare(fromDay lo: Int, toDay hi: Int?) -> Double {
        func at(_ a: Int) -> Double { a < readsOnLargeByAge.count ? readsOnLargeByAge[max(0, a)] : (readsOnLargeByAge.last ?? 0) }
        return max(0, at(lo) - (hi.map(at) ?? 0))
    }
}

/// Builds every dataset's ``AgeProfile`` at one instant from its write and read times.
public enum AgeProfiles {
    /// Days of age the profiles resolve (older objects share the last bucket): longer than any schedule step.
    public static let maxDays = 400
    /// The pooled read profile's weight in reads: a dataset with n reads of history gets n/(n + w) of its own
    /// profile and w/(n + w) of the pool's. Fixed a priori (not tuned on any window): 20 reads.
    public static let pooledWeight = 20.0

    /// Profiles of the datasets `names` at `now` from their sorted write times (with each write's bytes) and
    /// sorted read times, using only events before `now`.
    ///
    /// - Complexity: O(events + datasets × maxDays).
    public static func make(names: [String], writes: [ArraySlice<Int64>], bytes: [ArraySlice<Int64>], reads: [ArraySlice<Int64>], at now: Int64,
                            minObjectBytes: Int64 = TierSchedule.s3DefaultMinObjectBytes,
                            pooledWeight: Double = AgeProfiles.pooledWeight) -> [String: AgeProfile] {
        let n = names.count
        var profiles: [AgeProfile] = []
        var readHistograms: [[Double]] = []
        var readCounts: [Double] = []
        var pooled = [Double](repeating: 0, count: maxDays + 1)
        var pooledReads = 0.0
        for d in 0..<n {
            let w = writes[d], b = bytes[d], r = reads[d]
            var largeCount = [Double](repeating: 0, count: maxDays + 1), largeBytes = largeCount
            var small = (count: 0.0, bytes: 0.0), large = (count: 0.0, bytes: 0.0)
            var bi = b.startIndex
            for t in w {
                defer { bi += 1 }
                guard t < now else { break }
                let size = bi < b.endIndex ? b[bi] : 0
                if size >= minObjectBytes {
                    let age = min(maxDays, Int((now - t) / 86_400))
                    largeCount[age] += 1
                    largeBytes[age] += Double(size)
                    large.count += 1
                    large.bytes += Double(size)
                } else {
                    small.count += 1
                    small.bytes += Double(size)
                }
            }
            // Reads: the age of the newest write before each, counted only when that write was large.
            var histogram = [Double](repeating: 0, count: maxDays + 1)
            var reads = 0.0
            var wi = w.startIndex
            for t in r where t < now {
                while wi < w.endIndex && w[wi] <= t { wi += 1 }
                reads += 1
                guard wi > w.startIndex else { continue }
                let k = wi - 1
                let size = k - w.startIndex + b.startIndex < b.endIndex ? b[k - w.startIndex + b.startIndex] : 0
                if size >= minObjectBytes { histogram[min(maxDays, Int((t - w[k]) / 86_400))] += 1 }
            }
            for a in 0...maxDays { pooled[a] += histogram[a] }
            pooledReads += reads
            readHistograms.append(histogram)
            readCounts.append(reads)
            let total = large.count + small.count
            profiles.append(AgeProfile(
                largeCountByDay: largeCount, largeBytesByDay: largeBytes, smallCount: small.count, smallBytes: small.bytes,
                largeShareOfWrites: total > 0 ? large.count / total : 0, largeMeanBytes: large.count > 0 ? large.bytes / large.count : 0,
                smallMeanBytes: small.count > 0 ? small.bytes / small.count : 0, readsOnLargeByAge: []))
        }
        // Survival (share at least a days old) of the pooled and each dataset's histogram, then shrunk.
        func survival(_ h: [Double], _ total: Double) -> [Double] {
            guard total > 0 else { return [Double](repeating: 0, count: h.count) }
            var out = [Double](repeating: 0, count: h.count)
            var running = 0.0
            for a in stride(from: h.count - 1, through: 0, by: -1) {
                running += h[a]
                out[a] = running / total
            }
            return out
        }
        let pool = survival(pooled, pooledReads)
        var out: [String: AgeProfile] = [:]
        for d in 0..<n {
            let own = survival(readHistograms[d], readCounts[d])
            let weight = readCounts[d] > 0 ? readCounts[d] / (readCounts[d] + pooledWeight) : 0
            profiles[d].readsOnLargeByAge = zip(own, pool).map { weight * $0 + (1 - weight) * $1 }
            out[names[d]] = profiles[d]
        }
        return out
    }
}
