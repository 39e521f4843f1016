import BackplanCore
import BackplanPlan
import Foundation

/// One dataset's plan entry in plain words, as `backplan explain` prints it: forecast, chosen option and its
/// costs, runner-up, what decided, schedule, copies, retention.
///
/// ```swift
/// let entry = try Plan.load("plan.json").entry("conv-000042", file: "plan.json")
/// print(Explanation.text(entry))
/// // Dataset conv-000042 (class private)
/// // Forecast: 12.40 writes/day, 80.00 reads/day, 3.2 MiB, quiet gaps of 5.6 h on average
/// // Chosen:    every 1.0 d to standard-ia (data on standard): $0.0123/month = …
/// ```
public enum Explanation {
    /// One option on one line: interval, tiers, monthly dollars by component, exposed writes, restore time.
    public static func option(_ o: DatasetPlan.Option) -> String {
        let m = o.monthlyDollars
        return String(format: "every %@ to %@ (data on %@): $%.4f/month = storage %.4f + operations %.4f + retrieval %.4f + expected loss %.4f + downtime %.4f; %.2f writes exposed; restore %@",
                      DurationText.approximate(o.intervalSeconds), o.backupTier, o.dataTier, m.total, m.storage, m.operations, m.retrieval,
                      m.expectedLoss, m.downtime, o.exposedWrites, DurationText.approximate(Format.whole(o.restoreSeconds.rounded(.up))))
    }

    /// The whole explanation of `d`; no trailing newline.
    public static func text(_ d: DatasetPlan) -> String {
        let duration = { (s: Int64) in DurationText.format(s) }
        let f = d.why.forecast
        var s = "Dataset \(d.id) (class \(d.class))\n"
        s += String(format: "Forecast: %.2f writes/day, %.2f reads/day, %@", f.writesPerDay, f.readsPerDay, Format.bytes(Format.whole(f.sizeBytes)))
        if let q = f.meanQuietGapSeconds { s += ", quiet gaps of \(DurationText.approximate(Format.whole(q))) on average" }
        s += "\n"
        s += "Chosen:    " + option(d.why.chosen) + "\n"
        if let r = d.why.runnerUp { s += "Runner-up: " + option(r) + "\n" }
        s += "Decided by \(d.why.decidedBy).\n"
        s += "Schedule: every \(duration(d.schedule.intervalSeconds)) (RPO \(duration(d.schedule.rpoSeconds)))"
        if let t = d.schedule.timeOfDaySeconds { s += String(format: " at %02d:%02d UTC", t / 3_600, t / 60 % 60) }
        if let q = d.schedule.quietSeconds { s += ", or after \(duration(q)) of quiet following a write" }
        s += ".\nCopies: " + d.copies.map { "\($0.tier) in \($0.region)\($0.offline ? " (offline)" : "")" }.joined(separator: ", ")
        s += ". Retention: \(d.retention.restic) (reaches back \(duration(d.retention.spanSeconds)))"
        if let e = d.retention.deleteAfterSeconds { s += "; erased after \(duration(e))" }
        s += d.encrypt ? ". Encrypted." : ". Not encrypted."
        return s
    }
}
