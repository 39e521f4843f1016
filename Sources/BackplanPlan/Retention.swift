import BackplanCore

/// The one retention rule: the planner writes it into every plan entry and the simulator prices the same span.
extension DatasetPlan.Retention {
    /// The retention a class gets under `policy`: point-in-time restores after corruption must reach back the
    /// policy's longest discovery delay, within the class's legal minimum and maximum.
    ///
    /// ```swift
    /// // retentionMin 30 d, retentionMax 1 y, longest discovery delay 14 d:
    /// let r = DatasetPlan.Retention.rule(for: chat, in: policy)
    /// r.restic        // "--keep-daily 7 --keep-weekly 5"
    /// r.spanSeconds   // 3 024 000 (35 d ≥ 30 d)
    /// ```
    public static func rule(for c: ClassPolicy, in policy: Policy) -> DatasetPlan.Retention {
        rule(minimumSeconds: min(max(c.retentionMinSeconds, policy.longestDiscoverySeconds), c.retentionMaxSeconds),
             maximumSeconds: c.retentionMaxSeconds, erase: c.erase)
    }

    /// The coarsest of daily, weekly, monthly, yearly steps whose span covers `minimumSeconds` without passing
    /// `maximumSeconds`, with 7 dailies (and 4 weeklies, 12 monthlies) before the coarser steps; plain dailies
    /// (whole days, at least one) when no coarser step fits. A week is 7 days, a month 30, a year 365.
    ///
    /// With `erase`, backups are deleted after `maximumSeconds` (``deleteAfterSeconds``).
    ///
    /// ```swift
    /// DatasetPlan.Retention.rule(minimumSeconds: 400 * 86_400, maximumSeconds: 7 * 31_536_000, erase: false).restic
    /// // "--keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 2"
    /// ```
    public static func rule(minimumSeconds lo: Int64, maximumSeconds hi: Int64, erase: Bool) -> DatasetPlan.Retention {
        let day: Int64 = 86_400
        let days = max(1, Int((lo + day - 1) / day))
        func make(_ d: Int, _ w: Int, _ m: Int, _ y: Int, _ span: Int64) -> DatasetPlan.Retention {
            var flags: [String] = []
            if d > 0 { flags.append("--keep-daily \(d)") }
            if w > 0 { flags.append("--keep-weekly \(w)") }
            if m > 0 { flags.append("--keep-monthly \(m)") }
            if y > 0 { flags.append("--keep-yearly \(y)") }
            return .init(daily: d, weekly: w, monthly: m, yearly: y, spanSeconds: span,
                         deleteAfterSeconds: erase ? hi : nil, restic: flags.joined(separator: " "))
        }
        let steps: [(unit: Int64, build: (Int) -> (Int, Int, Int, Int))] = [
            (365 * day, { (7, 4, 12, $0) }),
            (30 * day, { (7, 4, $0, 0) }),
            (7 * day, { (7, $0, 0, 0) }),
        ]
        for (unit, build) in steps {
            let count = Int((Int64(days) * day + unit - 1) / unit)
            let span = Int64(count) * unit
            let minimumOfStep: Int64 = unit == 365 * day ? 365 * day : unit == 30 * day ? 35 * day : 8 * day
            if span >= lo && span <= hi && Int64(days) * day > minimumOfStep {
                let (d, w, m, y) = build(count)
                return make(d, w, m, y, span)
            }
        }
        return make(days, 0, 0, 0, Int64(days) * day)
    }
}
