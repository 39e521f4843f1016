import BackplanPlan

extension DatasetPlan.Schedule {
    /// The latest scheduled moment at or before `now` (Unix seconds): with a time of day, the slots
    /// `timeOfDaySeconds + k·intervalSeconds` (aligned to the Unix epoch, UTC); without one, `nil` (the
    /// interval then counts from the last backup).
    func latestSlot(atOrBefore now: Int64) -> Int64? {
        guard let tod = timeOfDaySeconds, intervalSeconds > 0 else { return nil }
        let k = (now - tod) >= 0 ? (now - tod) / intervalSeconds : (now - tod - intervalSeconds + 1) / intervalSeconds
        return tod + k * intervalSeconds
    }

    /// Whether a backup is due at `now` given the last backup's time: always when there is none; with a time
    /// of day, when the last backup precedes the latest slot; otherwise when an interval has passed.
    ///
    /// ```swift
    /// hourly.isDue(lastBackup: 1_000, now: 4_600)   // true (3 600 s passed)
    /// ```
    public func isDue(lastBackup: Int64?, now: Int64) -> Bool {
        guard let last = lastBackup else { return true }
        if let slot = latestSlot(atOrBefore: now) { return last < slot }
        return now - last >= intervalSeconds
    }

    /// When the next backup falls due after a backup at `lastBackup` (Unix seconds).
    public func nextDue(after lastBackup: Int64) -> Int64 {
        if let slot = latestSlot(atOrBefore: lastBackup) { return slot + intervalSeconds }
        return lastBackup + intervalSeconds
    }
}

extension DatasetPlan.Schedule {
    /// What the quiet trigger says about a backup that is due.
    public enum QuietDecision: Sendable, Equatable {
        /// Back up now: the dataset has been quiet for `quietSeconds`, there is no quiet trigger or no earlier
        /// backup, or the deadline has come.
        case run
        /// Wait: the dataset was written less than `quietSeconds` ago. Ask again by `until` (when it will have
        /// been quiet long enough if no write comes, or the deadline, whichever is first).
        case wait(until: Int64, deadline: Int64)
    }

    /// The moment the backup after one at `lastBackup` fell due (Unix seconds): the time-of-day slot after
    /// it, or `lastBackup + intervalSeconds`.
    public func dueTime(after lastBackup: Int64) -> Int64 { nextDue(after: lastBackup) }

    /// The quiet trigger (the plan's `quietSeconds`, the model's session gap): a backup that is due waits
    /// while the dataset is being written — its newest message (`newestWrite`, from the source store) is
    /// less than `quietSeconds` old — so it catches the end of a conversation rather than its middle. It
    /// waits until the dataset has been quiet that long, but never past the deadline
    /// `min(due + quietSeconds, lastBackup + rpoSeconds)`: at most one quiet gap, and never beyond the
    /// class's RPO (when the interval equals the RPO there is no room and the backup runs on the timer).
    /// Waiting only ever delays a due backup, so there are never more backups than the plan priced.
    ///
    /// ```swift
    /// // hourly, quiet 30 min, RPO 4 h; due at 3 600 after a backup at 0; written at 3 500:
    /// s.quietDecision(lastBackup: 0, newestWrite: 3_500, now: 3_600)   // .wait(until: 5_300, deadline: 5_400)
    /// s.quietDecision(lastBackup: 0, newestWrite: 3_500, now: 5_300)   // .run (quiet for 30 min)
    /// ```
    public func quietDecision(lastBackup: Int64?, newestWrite: Int64?, now: Int64) -> QuietDecision {
        guard let quiet = quietSeconds, quiet > 0, let last = lastBackup, let write = newestWrite else { return .run }
        let deadline = min(dueTime(after: last) + quiet, last + max(rpoSeconds, intervalSeconds))
        let quietAt = write + quiet
        if now >= quietAt || now >= deadline { return .run }
        return .wait(until: min(quietAt, deadline), deadline: deadline)
    }
}
