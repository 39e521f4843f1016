import BackplanCore
import BackplanPlanner

/// What the replayed window costs, by ``Billing``'s rules (the planner's too): live data (``LiveData``, as
/// `tiers` bills it) and full copies day by day at the size each dataset had then, each backup's requests
/// and kept increment, tier moves.
extension Simulation {
    /// The size of dataset `d` at time t and its objects: the bytes and the count of its writes at or before t
    /// (each write one object).
    func size(_ d: Int, at t: Double) -> (bytes: Double, objects: Double) {
        let w = frontier.log.writes(d)
        var lo = w.startIndex, hi = w.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if Double(w[mid]) <= t { lo = mid + 1 } else { hi = mid }
        }
        let n = lo - w.startIndex
        return n == 0 ? (0, 0) : (cumulativeBytes[lo - 1], Double(n))
    }

    /// Bytes written by dataset `d`'s writes with index in `range` (indices of ``WriteLog/times``).
    func writtenBytes(_ d: Int, _ range: Range<Int>) -> Double {
        guard !range.isEmpty else { return 0 }
        let before = range.lowerBound > frontier.log.offsets[d] ? cumulativeBytes[range.lowerBound - 1] : 0
        return cumulativeBytes[range.upperBound - 1] - before
    }

    /// Dataset `d`'s live data over the window, day by day.
    func liveData(_ d: Int) -> LiveData {
        let log = frontier.log
        let range = log.offsets[d]..<log.offsets[d + 1]
        return LiveData(writes: log.times[range], bytes: log.bytes.isEmpty ? [] : log.bytes[range], meanWriteBytes: datasets[d].bytesPerWrite,
                        reads: readTimes[readOffsets[d]..<readOffsets[d + 1]], from: start, to: end)
    }

    /// The requests and kept increments of each backup of dataset `d` at `times` (DESIGN §5): the increment
    /// is the bytes of the writes since the previous backup, uploaded in 64 MiB parts to every copy and kept
    /// for the retention span, billed at least the tier's minimum duration (deleted before it: the rest is
    /// charged) with its per-object metadata. Each backup's dollars are added to `daily` on the day it runs too.
    func billBackups(_ d: Int, times: [Double], tiers: (Double) -> (backup: Int, data: Int), into cost: inout PolicyResult.Cost,
                     daily: inout [PolicyResult.Cost]) {
        let info = datasets[d], c = info.classPolicy
        let billing = model.billing
        let rates = model.catalog.tiers
        let off = model.offlineTier ?? 0
        let online = Double(c.copies - c.offlineCopies), offline = Double(c.offlineCopies)
        let writes = frontier.testWrites(d)
        var next = writes.startIndex
        for t in times {
            let first = next
            while next < writes.endIndex && Double(writes[next]) <= t { next += 1 }
            let inc = min(size(d, at: t).bytes, writtenBytes(d, first..<next))
            let bt = tiers(t).backup
            let requests = 1 + inc / Billing.partBytes
            let requestDollars = requests * (online * rates[bt].putDollarsPer1000 * priceFactor(tier: bt, at: t)
                                             + offline * rates[off].putDollarsPer1000 * priceFactor(tier: off, at: t)) / 1_000
            func kept(_ tier: Int) -> Double {
                billing.storage(sizeBytes: inc, objectBytes: Billing.partBytes, tier: tier,
                                seconds: max(info.retentionSeconds, rates[tier].minStorageDays * 86_400)) * priceFactor(tier: tier, at: t)
            }
            let storageDollars = online * kept(bt) + offline * kept(off)
            cost.backupRequests += requestDollars
            cost.backupStorage += storageDollars
            let k = day(t)
            daily[k].backupRequests += requestDollars
            daily[k].backupStorage += storageDollars
        }
    }

    /// Live data (``LiveData/bill(_:bytesPerRead:initialTier:tier:factor:)``, or its auto-tiered bill) and
    /// the full copies of dataset `d` over the window, day by day at the size of each day's start: copies at
    /// the backup and offline tiers, with a change of backup tier billed as a move of the online copies.
    /// Live data starts the window on the first tier, where it was written. Each day's dollars are added to
    /// `daily` too (day k of ``liveData(_:)`` is day k of the window).
    func billLiveData(_ d: Int, _ policy: SimulatedPolicy, tiers: (Double) -> (backup: Int, data: Int), into cost: inout PolicyResult.Cost,
                      daily: inout [PolicyResult.Cost]) {
        let info = datasets[d], c = info.classPolicy
        let billing = model.billing
        let off = model.offlineTier ?? 0
        let online = Double(c.copies - c.offlineCopies), offline = Double(c.offlineCopies)
        let days = liveData(d)
        let factor = { (tier: Int, t: Double) in self.priceFactor(tier: tier, at: t) }
        // Day k of the live data is day k of the window (both start at the window's start, a day apart).
        func add(_ k: Int, _ b: Billing.Bill) {
            let i = min(k, daily.count - 1)
            daily[i].liveStorage += b.storage
            daily[i].liveRequests += b.requests
            daily[i].liveRetrieval += b.retrieval
            daily[i].monitoring += b.monitoring
            daily[i].transitions += b.transitions
            daily[i].earlyDeletion += b.earlyDeletion
        }
        let live = policy == .intelligentTiering
            ? days.autoTieredBill(billing, factor: factor, perDay: add)
            : days.bill(billing, bytesPerRead: info.bytesPerRead, tier: { tiers(days.start[$0]).data }, factor: factor, perDay: add)
        cost.liveStorage += live.storage
        cost.liveRequests += live.requests
        cost.liveRetrieval += live.retrieval
        cost.monitoring += live.monitoring
        cost.transitions += live.transitions
        cost.earlyDeletion += live.earlyDeletion
        var copy = (tier: 0, since: -Double.infinity, bytes: 0.0)
        for k in 0..<days.count {
            let t = days.start[k], bytes = days.bytes[k]
            let bt = policy == .intelligentTiering ? 0 : tiers(t).backup
            if bt != copy.tier {
                if online > 0 {
                    let move = LiveData.move(billing, from: copy, to: bt, at: t, bytes: bytes, objectBytes: Billing.partBytes)
                        .scaled(online * priceFactor(tier: copy.tier, at: t))
                    cost.transitions += move.transitions + move.retrieval
                    cost.earlyDeletion += move.earlyDeletion
                    daily[day(t)].transitions += move.transitions + move.retrieval
                    daily[day(t)].earlyDeletion += move.earlyDeletion
                }
                copy = (bt, t, bytes)
            }
            let copies = online * billing.storage(sizeBytes: bytes, objectBytes: Billing.partBytes, tier: bt, seconds: days.seconds[k])
                * priceFactor(tier: bt, at: t)
                + offline * billing.storage(sizeBytes: bytes, objectBytes: Billing.partBytes, tier: off, seconds: days.seconds[k])
                * priceFactor(tier: off, at: t)
            cost.backupStorage += copies
            daily[day(t)].backupStorage += copies
        }
    }
}
