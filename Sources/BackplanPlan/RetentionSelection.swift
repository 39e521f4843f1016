import BackplanCore

/// A snapshot as retention sees it: an id and a time (Unix seconds).
public struct RetentionSnapshot: Sendable, Equatable, Hashable {
    public var id: String
    public var time: Int64

    public init(id: String, time: Int64) {
        self.id = id
        self.time = time
    }
}

/// What retention does with a dataset's snapshots at one moment: keep, forget, or erase (forget because the
/// legal maximum passed). Every snapshot is in exactly one of the three.
public struct RetentionSelection: Sendable, Equatable {
    public var keep: [RetentionSnapshot]
    public var forget: [RetentionSnapshot]
    public var erase: [RetentionSnapshot]
}

extension DatasetPlan.Retention {
    /// The snapshots to keep at `now` under this retention: the executor's one rule (issue #12), applied per
    /// dataset with `restic forget <ids>` — never keep flags across datasets.
    ///
    /// 1. **Erasure.** With a delete-after duty, every snapshot older than ``deleteAfterSeconds`` is erased,
    ///    whatever else holds (the legal maximum wins over everything below).
    /// 2. **The span.** Of the rest, the newest snapshot at or before `now − spanSeconds` is kept, so restores
    ///    reach back the whole span; when there is none, the oldest snapshot is kept.
    /// 3. **Thinning inside the span.** The newest snapshot of each bucket is kept: days for the first
    ///    `max(daily, 7)` days back, then weeks for `weekly` weeks, months (30 d) for `monthly` months, then
    ///    years; the newest snapshot overall and any in the future are kept.
    /// 4. **Verified.** `lastVerified` (the newest snapshot a drill restored and checked) is always kept unless
    ///    erased.
    ///
    /// ```swift
    /// let r = DatasetPlan.Retention.rule(minimumSeconds: 35 * 86_400, maximumSeconds: 90 * 86_400, erase: true)
    /// let s = r.selection(of: snapshots, now: now, lastVerified: "4f1c2a9e")
    /// s.keep.map(\.id)     // for restic forget: s.forget + s.erase
    /// ```
    public func selection(of snapshots: [RetentionSnapshot], now: Int64, lastVerified: String?) -> RetentionSelection {
        let day: Int64 = 86_400
        var erase: [RetentionSnapshot] = []
        var live: [RetentionSnapshot] = []
        for s in snapshots {
            if let max = deleteAfterSeconds, now - s.time > max { erase.append(s) } else { live.append(s) }
        }
        live.sort { ($0.time, $0.id) < ($1.time, $1.id) }
        var keep = Set<String>()
        if let newest = live.last { keep.insert(newest.id) }
        let boundary = now - spanSeconds
        if let anchor = live.last(where: { $0.time <= boundary }) {
            keep.insert(anchor.id)
        } else if let oldest = live.first {
            keep.insert(oldest.id)
        }
        let dailyDays = Int64(Swift.max(daily, 7))
        let weeklyEnd = dailyDays + 7 * Int64(weekly)
        let monthlyEnd = weeklyEnd + 30 * Int64(monthly)
        func bucket(_ age: Int64) -> Int64 {
            let days = age / day
            if days < dailyDays { return days }
            if days < weeklyEnd { return 1_000_000 + (days - dailyDays) / 7 }
            if days < monthlyEnd { return 2_000_000 + (days - weeklyEnd) / 30 }
            return 3_000_000 + (days - monthlyEnd) / 365
        }
        var seenBuckets = Set<Int64>()
        for s in live.reversed() where s.time > boundary {
            if s.time > now { keep.insert(s.id); continue }
            if seenBuckets.insert(bucket(now - s.time)).inserted { keep.insert(s.id) }
        }
        if let v = lastVerified, live.contains(where: { $0.id == v }) { keep.insert(v) }
        return RetentionSelection(keep: live.filter { keep.contains($0.id) }, forget: live.filter { !keep.contains($0.id) },
                                  erase: erase)
    }
}
