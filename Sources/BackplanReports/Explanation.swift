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

    /// Why a runner-up whose total is lower was not chosen, or `nil` when it is not lower. Only a global limit
    /// can make the planner pass over a cheaper option of the same dataset: the budget counts spend (storage +
    /// operations + retrieval, not expected loss or downtime), the backup window counts bytes.
    static func cheaperRunnerUp(chosen c: DatasetPlan.Option, runnerUp r: DatasetPlan.Option) -> String? {
        let saving = c.monthlyDollars.total - r.monthlyDollars.total
        guard saving > 5e-5 else { return nil }
        func spend(_ m: Plan.Components) -> Double { m.storage + m.operations + m.retrieval }
        let extra = spend(r.monthlyDollars) - spend(c.monthlyDollars)
        // Four decimals as the option lines print dollars; amounts below a hundredth of a cent get six.
        func dollars(_ x: Double) -> String { String(format: abs(x) >= 1e-4 ? "$%.4f" : "$%.6f", x) }
        if extra > 0 {
            return "The runner-up costs \(dollars(saving))/month less in total but spends \(dollars(extra))/month more on storage, "
                + "operations and retrieval; the budget limits that spend (expected loss and downtime are not spend), so the chosen "
                + "option keeps the plan within it."
        }
        return "The runner-up costs \(dollars(saving))/month less in total but moves more bytes per day; the backup window decided."
    }

    /// The retention's thinning in words, as ``DatasetPlan/Retention/selection(of:now:lastVerified:)`` applies
    /// it: "newest per day for 7 d, per week for 4 weeks, per month for 12 months, per year for 2 years".
    /// (Not restic's `--keep-daily` counts, which fall short of the span when backups skip days.)
    static func thinning(_ r: DatasetPlan.Retention) -> String {
        var parts = ["newest per day for \(max(r.daily, 1)) d"]
        if r.weekly > 0 { parts.append("per week for \(r.weekly) week\(r.weekly == 1 ? "" : "s")") }
        if r.monthly > 0 { parts.append("per month for \(r.monthly) month\(r.monthly == 1 ? "" : "s")") }
        if r.yearly > 0 { parts.append("per year for \(r.yearly) year\(r.yearly == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
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
        if let r = d.why.runnerUp {
            s += "Runner-up: " + option(r) + "\n"
            if let why = cheaperRunnerUp(chosen: d.why.chosen, runnerUp: r) { s += why + "\n" }
        }
        s += "Decided by \(d.why.decidedBy).\n"
        if let t = d.why.dataTiering { s += t.text + "\n" }
        s += "Schedule: every \(duration(d.schedule.intervalSeconds)) (RPO \(duration(d.schedule.rpoSeconds)))"
        if let t = d.schedule.timeOfDaySeconds { s += String(format: " at %02d:%02d UTC", t / 3_600, t / 60 % 60) }
        if let q = d.schedule.quietSeconds { s += ", or after \(duration(q)) of quiet following a write" }
        s += ".\nCopies: " + d.copies.map { "\($0.tier) in \($0.region)\($0.offline ? " (offline)" : "")" }.joined(separator: ", ")
        s += ". Retention: " + thinning(d.retention) + " (reaches back \(duration(d.retention.spanSeconds)))"
        if let e = d.retention.deleteAfterSeconds { s += "; erased after \(duration(e))" }
        s += ". The executor applies it to this dataset's own snapshots; restic users: restic forget --tag "
            + ShellWord.quoted(DatasetName.tag(d.id)) + " --group-by tags "
            + d.retention.resticKeepOptions(intervalSeconds: d.schedule.intervalSeconds).joined(separator: " ")
        s += d.encrypt ? ". Encrypted." : ". Not encrypted."
        return s
    }
}
