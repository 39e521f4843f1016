import BackplanCore
import BackplanPlanner

/// Billing a plan's tier schedules (``TierSchedule``) over the window, object by object.
extension TierFrontier {
    /// A tier schedule by object age, with tier indices: steps of (age in seconds, tier), the first at age 0
    /// on the tier writes land on; objects under `minObjectBytes` never move.
    public struct Schedule: Sendable, Equatable {
        public var steps: [Step]
        public var minObjectBytes: Double

        public struct Step: Sendable, Equatable {
            public var ageSeconds: Double
            public var tier: Int
            public init(ageSeconds: Double, tier: Int) {
                self.ageSeconds = ageSeconds
                self.tier = tier
            }
        }

        public init(steps: [Step], minObjectBytes: Double) {
            self.steps = steps
            self.minObjectBytes = minObjectBytes
        }

        /// From a plan's schedule and the catalog's tier names; `nil` if a tier is not in the catalog.
        public init?(_ s: TierSchedule, catalog: PriceCatalog) {
            var steps: [Step] = []
            for step in s.steps {
                guard let t = catalog.tiers.firstIndex(where: { $0.name == step.tier }) else { return nil }
                steps.append(Step(ageSeconds: Double(step.afterDays) * 86_400, tier: t))
            }
            self.init(steps: steps, minObjectBytes: Double(s.minObjectBytes))
        }
    }

    /// Dataset `d` under `schedule` for the window, as S3 Lifecycle would run it from the cut on: each write is an
    /// object that lands on the first step's tier and, if at least the minimum size, moves a step down when old
    /// enough, paying the target's transition request and the early-deletion rest of the tier it leaves. Data
    /// sits on the first tier before the window (the schedule starts at the cut), so objects already past a
    /// step then move at the cut, charged. Reads are GETs (and retrieval) at the tier of the newest object, as
    /// in ``lifecycleByAge(_:)``; writes are PUTs on the first step's tier.
    public func scheduled(_ d: Int, _ schedule: Schedule) -> Billing.Bill {
        let log = frontier.log
        let range = log.offsets[d]..<log.offsets[d + 1]
        let times = log.times[range]
        let isLarge: (Int) -> Bool = { k in !log.bytes.isEmpty && Double(log.bytes[k]) >= schedule.minObjectBytes }
        // Cumulative (count, bytes) of all writes and of large ones, in write order.
        var all: [(Double, Double)] = [], large: [(Double, Double)] = []
        all.reserveCapacity(times.count)
        large.reserveCapacity(times.count)
        var a = (0.0, 0.0), l = (0.0, 0.0)
        for k in range {
            let b = log.bytes.isEmpty ? 0 : Double(log.bytes[k])
            a = (a.0 + 1, a.1 + b)
            if isLarge(k) { l = (l.0 + 1, l.1 + b) }
            all.append(a)
            large.append(l)
        }
        func written(_ t: Double) -> Int {
            var lo = times.startIndex, hi = times.endIndex
            while lo < hi {
                let mid = (lo + hi) / 2
                if Double(times[mid]) <= t { lo = mid + 1 } else { hi = mid }
            }
            return lo - times.startIndex
        }
        func upTo(_ t: Double, _ c: [(Double, Double)]) -> (count: Double, bytes: Double) {
            let n = written(t)
            return n == 0 ? (0, 0) : (c[n - 1].0, c[n - 1].1)
        }
        let ages = schedule.steps.map(\.ageSeconds), tiers = schedule.steps.map(\.tier)
        let first = tiers[0]
        let live = days[d]
        let cut = start
        var bill = Billing.Bill()
        // At the cut: large objects past a step move from the first tier to their band's tier.
        for b in ages.indices.dropFirst() {
            let older = upTo(cut - ages[b], large)
            let younger = b + 1 < ages.count ? upTo(cut - ages[b + 1], large) : (count: 0, bytes: 0)
            let moved = (count: older.count - younger.count, bytes: older.bytes - younger.bytes)
            if moved.count > 0 {
                bill += billing.move(sizeBytes: moved.bytes, objectBytes: moved.bytes / moved.count, from: first, to: tiers[b], heldSeconds: .infinity)
            }
        }
        for k in 0..<live.count {
            let t = live.start[k], next = t + live.seconds[k]
            // Band 0: every object younger than the first step, and every small one; band b: large ones of its ages.
            for b in ages.indices {
                let younger = b + 1 < ages.count ? upTo(t - ages[b + 1], large) : (count: 0, bytes: 0)
                var band: (count: Double, bytes: Double)
                if b == 0 {
                    let everything = upTo(t, all)
                    band = (everything.count - younger.count, everything.bytes - younger.bytes)
                } else {
                    let older = upTo(t - ages[b], large)
                    band = (older.count - younger.count, older.bytes - younger.bytes)
                }
                if band.count > 0 {
                    bill.storage += billing.storage(sizeBytes: band.bytes, objectBytes: band.bytes / band.count, tier: tiers[b], seconds: live.seconds[k])
                }
                // Large objects crossing into band b + 1 during this day move there; those that were in band b at
                // the cut (moved there then, or on the first tier) have been there since the cut at most.
                guard b + 1 < ages.count else { continue }
                let crossed = upTo(next - ages[b + 1], large)
                guard crossed.count > younger.count else { continue }
                let atCut = b == 0 ? younger : upTo(cut - ages[b], large)
                let early = (count: max(0, min(crossed.count, atCut.count) - younger.count),
                             bytes: max(0, min(crossed.bytes, atCut.bytes) - younger.bytes))
                let late = (count: crossed.count - younger.count - early.count, bytes: crossed.bytes - younger.bytes - early.bytes)
                if early.count > 0 {
                    bill += billing.move(sizeBytes: early.bytes, objectBytes: early.bytes / early.count, from: tiers[b], to: tiers[b + 1],
                                         heldSeconds: b == 0 ? .infinity : t - cut)
                }
                if late.count > 0 {
                    bill += billing.move(sizeBytes: late.bytes, objectBytes: late.bytes / late.count, from: tiers[b], to: tiers[b + 1],
                                         heldSeconds: ages[b + 1] - ages[b])
                }
            }
            // The newest object's tier serves the day's reads.
            var readTier = first
            let n = written(t)
            if n > 0 && isLarge(range.lowerBound + n - 1) {
                let age = t - Double(times[times.startIndex + n - 1])
                for b in ages.indices where age >= ages[b] { readTier = tiers[b] }
            }
            let reads = billing.catalog.tiers[readTier], put = billing.catalog.tiers[first]
            bill.requests += (live.reads[k] * reads.getDollarsPer1000 + live.writes[k] * put.putDollarsPer1000) / 1_000
            bill.retrieval += live.reads[k] * bytesPerRead[d] / Billing.bytesPerGiB * reads.retrievalDollarsPerGiB
        }
        return bill
    }
}
