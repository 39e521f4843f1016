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
