import BackplanCore
import BackplanPlanner

/// The two policies of ``TierFrontier`` that are more than a tier per day: lifecycle by object age and the
/// per-month hindsight oracle.
extension TierFrontier {
    /// The lifecycle steps by age: the automatic tiering's (idle days → tier) read as ages, restricted to
    /// online tiers; without automatic tiering, 30 and 90 days to the second and third online tiers (S3
    /// Lifecycle's usual Standard-IA at 30 days, Glacier IR at 90).
    public var lifecycleSteps: [(ageSeconds: Double, tier: Int)] {
        if let a = billing.catalog.autoTiering {
            return a.steps.filter { onlineTiers.contains($0.tier) }.map { ($0.idleDays * 86_400, $0.tier) }
        }
        return zip([30.0, 90.0], onlineTiers.dropFirst()).map { ($0 * 86_400, $1) }
    }

    /// Dataset `d` under S3 Lifecycle rules by object age (``lifecycleSteps``; none to a tier whose minimum
    /// billable size is above the dataset's mean object, as S3 Lifecycle by default does not transition objects
    /// under 128 KB): each write is an object that
    /// lands on the first tier and moves down a step when it is old enough, paying the step's transition
    /// request (and the early-deletion rest of the tier it leaves, if it left before that tier's minimum).
    /// Reads are GETs (and retrieval) at the tier of the newest object, the one a reader of a conversation
    /// reads first; writes are PUTs on the first tier. Objects already past a step at the cut moved before
    /// the window: not charged in it.
    public func lifecycleByAge(_ d: Int) -> Billing.Bill {
        let log = frontier.log
        let range = log.offsets[d]..<log.offsets[d + 1]
        let times = log.times[range]
        var cumulative: [Double] = []
        cumulative.reserveCapacity(times.count)
        var running = 0.0
        for k in range {
            running += log.bytes.isEmpty ? 0 : Double(log.bytes[k])
            cumulative.append(running)
        }
        // Writes (count, bytes) at or before t.
        func upTo(_ t: Double) -> (count: Double, bytes: Double) {
            var lo = times.startIndex, hi = times.endIndex
            while lo < hi {
                let mid = (lo + hi) / 2
                if Double(times[mid]) <= t { lo = mid + 1 } else { hi = mid }
            }
            let n = lo - times.startIndex
            return n == 0 ? (0, 0) : (Double(n), cumulative[n - 1])
        }
        // S3 Lifecycle does not transition objects under 128 KB by default: a step to a tier whose minimum
        // billable size exceeds the dataset's mean object is skipped.
        let meanObject = times.isEmpty ? 0 : (cumulative.last ?? 0) / Double(times.count)
        let steps = lifecycleSteps.filter { billing.catalog.tiers[$0.tier].minBillableBytes <= meanObject }
        let live = days[d]
        var bill = Billing.Bill()
        let first = 0
        for k in 0..<live.count {
            let t = live.start[k], next = t + live.seconds[k]
            // Band b holds objects with age in [age_b, age_{b+1}): band 0 on the first tier, band b on steps[b − 1].
            let ages = [0.0] + steps.map(\.ageSeconds)
            let tiers = [first] + steps.map(\.tier)
            // The newest object's tier: the band of the age of the last write at or before t.
            var newestTier = first
            let written = upTo(t).count
            if written > 0 {
                let age = t - Double(times[times.startIndex + Int(written) - 1])
                for b in ages.indices where age >= ages[b] { newestTier = tiers[b] }
            }
            for b in ages.indices {
                let older = upTo(t - ages[b])
                let younger = b + 1 < ages.count ? upTo(t - ages[b + 1]) : (count: 0, bytes: 0)
                let count = older.count - younger.count, bytes = older.bytes - younger.bytes
                if count > 0 {
                    bill.storage += billing.storage(sizeBytes: bytes, objectBytes: bytes / count, tier: tiers[b], seconds: live.seconds[k])
                }
                // Objects crossing into band b + 1 during this day move to its tier.
                if b + 1 < ages.count {
                    let crossed = upTo(next - ages[b + 1])
                    let moved = (count: crossed.count - younger.count, bytes: crossed.bytes - younger.bytes)
                    if moved.count > 0 {
                        bill += billing.move(sizeBytes: moved.bytes, objectBytes: moved.bytes / moved.count, from: tiers[b], to: tiers[b + 1],
                                             heldSeconds: ages[b + 1] - ages[b])
                    }
                }
            }
            let reads = billing.catalog.tiers[newestTier], put = billing.catalog.tiers[first]
            bill.requests += (live.reads[k] * reads.getDollarsPer1000 + live.writes[k] * put.putDollarsPer1000) / 1_000
            bill.retrieval += live.reads[k] * bytesPerRead[d] / Billing.bytesPerGiB * reads.retrievalDollarsPerGiB
        }
        return bill
    }

    /// The cheapest tier per calendar month for dataset `d` in hindsight, exactly: a dynamic programme over
    /// (tier, month it was entered), since a move's early-deletion charge depends on how long the data sat on
    /// the tier it leaves. The state after month m is (tier, entry month); staying adds the month's bill on
    /// the tier, moving adds ``LiveData``'s move (transition, early deletion, retrieval) and the month's bill
    /// on the new tier. Returns the bill and the tiers chosen per month (the same bill as
    /// ``sequence(_:tiers:)`` of those tiers).
    ///
    /// - Complexity: O(M²·T²) for M months and T online tiers.
    public func bestMonthly(_ d: Int) -> (bill: Billing.Bill, tiers: [Int]) {
        let live = days[d]
        let segs = segments()
        guard !segs.isEmpty else { return (Billing.Bill(), []) }
        let tiers = onlineTiers
        // The bill of month m on tier t without moves.
        var monthBill = [[Billing.Bill]](repeating: [Billing.Bill](repeating: Billing.Bill(), count: tiers.count), count: segs.count)
        for (m, range) in segs.enumerated() {
            for (i, t) in tiers.enumerated() {
                for k in range {
                    monthBill[m][i] += billing.liveData(sizeBytes: live.bytes[k], objectBytes: live.objectBytes(k, fallback: 0),
                                                        reads: live.reads[k], writes: live.writes[k], bytesPerRead: bytesPerRead[d],
                                                        tier: t, seconds: live.seconds[k])
                }
            }
        }
        // best[i][e + 1]: least bill through the current month, on tiers[i] since month e (−1: before the window).
        struct State { var bill: Billing.Bill; var path: [Int] }
        let hot = tiers.firstIndex(of: 0) ?? 0
        var best = [[State?]](repeating: [State?](repeating: nil, count: segs.count + 1), count: tiers.count)
        func entry(_ e: Int) -> (since: Double, bytes: Double) {
            e < 0 ? (-.infinity, 0) : (live.start[segs[e].lowerBound], live.bytes[segs[e].lowerBound])
        }
        for m in segs.indices {
            var next = [[State?]](repeating: [State?](repeating: nil, count: segs.count + 1), count: tiers.count)
            let at = live.start[segs[m].lowerBound], bytes = live.bytes[segs[m].lowerBound]
            let objectBytes = live.objectBytes(segs[m].lowerBound, fallback: 0)
            // Where the data may be before month m: the first tier since before the window, or any earlier state.
            var previous: [(i: Int, e: Int, state: State)] = []
            if m == 0 {
                previous = [(hot, -1, State(bill: Billing.Bill(), path: []))]
            } else {
                for i in tiers.indices { for e in -1..<m { if let s = best[i][e + 1] { previous.append((i, e, s)) } } }
            }
            for p in previous {
                for (j, t) in tiers.enumerated() {
                    var s = p.state
                    let e: Int
                    if j == p.i {
                        e = p.e
                    } else {
                        let from = entry(p.e)
                        s.bill += LiveData.move(billing, from: (tiers[p.i], from.since, from.bytes), to: t, at: at, bytes: bytes, objectBytes: objectBytes)
                        e = m
                    }
                    s.bill += monthBill[m][j]
                    s.path.append(t)
                    if next[j][e + 1].map({ s.bill.total < $0.bill.total }) ?? true { next[j][e + 1] = s }
                }
            }
            best = next
        }
        let final = best.flatMap { $0 }.compactMap { $0 }.min { $0.bill.total < $1.bill.total }
        return final.map { ($0.bill, $0.path) } ?? (Billing.Bill(), [])
    }
}
