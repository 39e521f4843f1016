import BackplanCore
import BackplanPlan
import Foundation

/// The short plan summary `backplan plan` and `make demo` print: datasets per tier, monthly cost by component,
/// exposure, and each global limit's state.
///
/// ```swift
/// print(PlanSummary.text(plan, catalog: catalog))
/// // Plan for 400 datasets (aws, us-east-1)
/// //
/// // tier         backups of  live data of
/// // standard-ia         212             0
/// // …
/// ```
public enum PlanSummary {
    /// The summary of `plan`, with tiers in `catalog`'s order; no trailing newline.
    public static func text(_ plan: Plan, catalog: PriceCatalog) -> String {
        let t = plan.totals
        let m = t.monthlyDollars
        var s = "Plan for \(Format.count(t.datasets)) datasets (\(catalog.provider), \(catalog.region))\n\n"
        var rows = [["tier", "backups of", "live data of"]]
        for tier in catalog.tiers.map(\.name) {
            let b = t.datasetsPerBackupTier[tier] ?? 0, d = t.datasetsPerDataTier[tier] ?? 0
            if b > 0 || d > 0 { rows.append([tier, Format.count(b), Format.count(d)]) }
        }
        s += Format.table(rows, rightAlignedFrom: 1) + "\n"
        s += scheduleLines(plan) + "\n"
        s += Format.table([
            ["monthly cost", "dollars"],
            ["storage", String(format: "%.2f", m.storage)],
            ["operations", String(format: "%.2f", m.operations)],
            ["retrieval (expected)", String(format: "%.2f", m.retrieval)],
            ["loss (expected)", String(format: "%.2f", m.expectedLoss)],
            ["downtime (expected)", String(format: "%.2f", m.downtime)],
            ["total", String(format: "%.2f", m.total)],
        ], rightAlignedFrom: 1) + "\n\n"
        s += String(format: "Exposure: %.1f unprotected writes expected at a random failure; %.0f backups/day moving %@/day\n",
                    t.expectedExposedWrites, t.backupsPerDay, Format.bytes(Format.whole(t.backupBytesPerDay)))
        for l in plan.limits {
            if l.used > l.limit * (1 + 1e-9) {
                s += String(format: "Limit %@ CANNOT HOLD: the least any plan uses is %.4g of %.4g %@\n", l.name, l.used, l.limit, l.unit)
            } else if l.binding {
                s += String(format: "Limit %@ binds: %.4g of %.4g %@, shadow price %.3g (risk dollars one more unit would save)\n",
                            l.name, l.used, l.limit, l.unit, l.shadowPrice)
            } else {
                s += String(format: "Limit %@ holds with room: %.4g of %.4g %@\n", l.name, l.used, l.limit, l.unit)
            }
        }
        return s
    }

    /// "Live data moved by object age (…): N datasets", with the three most common schedules, or
    /// nothing when every dataset's live data stays on one tier: the tier table counts a scheduled dataset on
    /// the tier its objects are written to, so without this line a plan whose live data moves by age reads as
    /// all-standard.
    static func scheduleLines(_ plan: Plan) -> String {
        var count: [String: Int] = [:]
        for d in plan.datasets {
            guard let schedule = d.dataSchedule, !schedule.isSingleTier else { continue }
            count[schedule.description, default: 0] += 1
        }
        guard !count.isEmpty else { return "" }
        let total = count.values.reduce(0, +)
        var s = "Live data moved by object age (counted above on the tier it is written to): \(Format.count(total)) datasets\n"
        for (description, n) in count.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(3) {
            s += "  \(Format.count(n))  \(description)\n"
        }
        if count.count > 3 { s += "  … and \(count.count - 3) other schedule(s) (backplan explain)\n" }
        return s
    }
}
