import BackplanCore

/// The plan's datasets grouped by the cron schedule that runs them (``CronSchedule``): one Kubernetes CronJob
/// or AWS Backup rule per group, and `backplan execute --once --schedule-group NAME` runs one group.
///
/// ```swift
/// for g in plan.scheduleGroups() {
///     print(g.name, g.cron.expression, g.datasetIDs.count, g.roundings)
///     // every-1h 0 * * * * 212 ["3 datasets: every 75m rounded down to every 1h (…)"]
/// }
/// let hourly = try plan.restricted(toScheduleGroup: "every-1h", file: "out/plan.json")
/// ```
public struct ScheduleGroup: Sendable, Equatable {
    /// ``CronSchedule/name``: `every-15m`, `daily-0216`, …
    public var name: String
    public var cron: CronSchedule
    /// The datasets it runs, in plan order.
    public var datasetIDs: [String]
    /// Each distinct rounding with how many datasets it applies to (empty when cron says every schedule exactly).
    public var roundings: [String]
}

extension Plan {
    /// The schedule groups, most frequent first (then by time of day).
    public func scheduleGroups() -> [ScheduleGroup] {
        var order: [CronSchedule] = []
        var byKey: [String: (cron: CronSchedule, ids: [String], notes: [String: Int])] = [:]
        for d in datasets {
            let c = CronSchedule(intervalSeconds: d.schedule.intervalSeconds, timeOfDaySeconds: d.schedule.timeOfDaySeconds,
                                 rpoSeconds: d.schedule.rpoSeconds)
            if byKey[c.name] == nil {
                byKey[c.name] = (c, [], [:])
                order.append(c)
            }
            byKey[c.name]?.ids.append(d.id)
            if let r = c.rounding { byKey[c.name]?.notes[r, default: 0] += 1 }
        }
        return order.sorted { ($0.intervalSeconds, $0.offsetSeconds) < ($1.intervalSeconds, $1.offsetSeconds) }.compactMap { c in
            guard let g = byKey[c.name] else { return nil }
            let notes = g.notes.sorted { $0.key < $1.key }.map { "\($0.value) dataset\($0.value == 1 ? "" : "s"): \($0.key)" }
            return ScheduleGroup(name: c.name, cron: g.cron, datasetIDs: g.ids, roundings: notes)
        }
    }

    /// Every rounding of every group, one line each (`every-1h: 3 datasets: every 90m rounded down …`), for a
    /// summary or stderr.
    public func scheduleRoundings() -> [String] {
        scheduleGroups().flatMap { g in g.roundings.map { "\(g.name): \($0)" } }
    }

    /// The plan cut to one schedule group, each schedule replaced by what its cron job does: the rounded
    /// interval, with slots on the cron's firings (``CronSchedule/offsetSeconds``), so that a job started a few
    /// seconds late still finds its backup due and one started early never runs one twice. The quiet trigger
    /// stays (at most one backup per interval either way).
    ///
    /// - Parameter file: the plan's path, named in the error.
    /// - Throws: ``InputError`` naming `file` and the plan's groups when there is no group `name`.
    public func restricted(toScheduleGroup name: String, file: String) throws -> Plan {
        let groups = scheduleGroups()
        guard let g = groups.first(where: { $0.name == name }) else {
            throw InputError(file: file, "no schedule group '\(name)' in the plan (groups: \(groups.map(\.name).joined(separator: ", ")))")
        }
        var out = self
        let members = Set(g.datasetIDs)
        out.datasets = datasets.filter { members.contains($0.id) }.map { d in
            var d = d
            d.schedule.intervalSeconds = g.cron.intervalSeconds
            d.schedule.timeOfDaySeconds = g.cron.offsetSeconds
            return d
        }
        out.infeasible = []
        return out
    }
}
