import BackplanCore
import Foundation

/// `plan.aws-backup.json`: the plan as an AWS Backup plan, the input of
/// `aws backup create-backup-plan --cli-input-json file://plan.aws-backup.json`.
///
/// One rule per schedule group (``ScheduleGroup``) and lifecycle: `ScheduleExpression` in AWS's cron form with
/// `ScheduleExpressionTimezone` `Etc/UTC`, a `Lifecycle` that keeps recovery points for the retention span plus
/// one (rounded) interval (so a point at or before now − span always exists), never past an erasure duty's legal maximum,
/// and `CopyActions` for every further copy of the plan (another region, or the offline vault). Every cron
/// rounding (``Plan/scheduleRoundings()``) and AWS adjustment is listed in `BackupPlanTags` (`backplan-note-N`);
/// the AWS adjustments also in ``AWSBackupExport/notes``.
///
/// ```swift
/// let export = try plan.awsBackupPlan(catalog: catalog)
/// try export.json.write(to: URL(fileURLWithPath: "plan.aws-backup.json"))
/// export.notes   // ["every-15m: every 15m rounded UP to every 1h (AWS Backup runs jobs at least 60 minutes apart) …"]
/// ```
public struct AWSBackupExport: Sendable, Equatable {
    /// The JSON (sorted keys, pretty-printed).
    public var json: Data
    /// What AWS made of the plan beyond cron's roundings (hourly at most, cold storage's 90 days), in words.
    public var notes: [String]
}

extension Plan {
    /// AWS Backup's rule: `DeleteAfterDays` must be at least `MoveToColdStorageAfterDays` + 90
    /// (docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html).
    public static let awsColdStorageMinimumDays: Int64 = 90

    /// The AWS Backup plan. Recovery points of a copy whose tier the catalog bills for at least 90 days
    /// (``Tier/minStorageDays``: an archive tier) move to cold storage after a day, when the retention allows
    /// AWS's 90 days in cold storage; otherwise they stay warm and a note says so.
    ///
    /// Vault ARNs of copies hold placeholders (`<account-id>`, `<region-2>`) that AWS refuses until they are
    /// replaced, so a plan cannot copy to a wrong account by accident.
    ///
    /// - Throws: ``InputError`` naming the catalog file when a tier of the plan is not in it.
    public func awsBackupPlan(catalog: PriceCatalog, planName: String = "backplan") throws -> AWSBackupExport {
        let day: Int64 = 86_400
        let byID = Dictionary(datasets.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var notes: [String] = []
        var roundings: [String] = []
        var noted = Set<String>()
        func note(_ s: String) { if noted.insert(s).inserted { notes.append(s) } }
        func isArchive(_ tier: String) throws -> Bool {
            let i = try catalog.tier(named: tier)
            return catalog.tiers[i].minStorageDays >= Double(Self.awsColdStorageMinimumDays)
        }
        /// (MoveToColdStorageAfterDays?, DeleteAfterDays) of a copy on `tier` of dataset `d` backed up every
        /// `interval` seconds.
        func lifecycle(_ d: DatasetPlan, tier: String, interval: Int64) throws -> (move: Int64?, delete: Int64) {
            let cover = (d.retention.spanSeconds + interval + day - 1) / day
            var delete = cover
            // A day's margin under an erasure duty: AWS deletes recovery points by asynchronous jobs.
            let cap = d.retention.deleteAfterSeconds.map { Swift.max(1, $0 / day - 1) } ?? Int64.max
            if cover > cap {
                note("recovery points of datasets erased after \(DurationText.format(d.retention.deleteAfterSeconds ?? 0)) kept \(cap)d, under the \(cover)d their span plus one interval needs: the legal maximum wins")
                delete = cap
            }
            guard try isArchive(tier) else { return (nil, delete) }
            let move: Int64 = 1
            if delete >= move + Self.awsColdStorageMinimumDays { return (move, delete) }
            if cap >= move + Self.awsColdStorageMinimumDays {
                note("\(tier) copies kept \(move + Self.awsColdStorageMinimumDays)d, not \(delete)d: AWS keeps cold storage 90 days (DeleteAfterDays ≥ MoveToColdStorageAfterDays + 90) and bills them anyway")
                return (move, move + Self.awsColdStorageMinimumDays)
            }
            note("\(tier) copies of datasets erased after \(DurationText.format(d.retention.deleteAfterSeconds ?? 0)) stay in warm storage: AWS keeps cold storage at least 90 days")
            return (nil, delete)
        }
        func lifecycleJSON(_ l: (move: Int64?, delete: Int64)) -> [String: Any] {
            var out: [String: Any] = ["DeleteAfterDays": l.delete]
            if let m = l.move { out["MoveToColdStorageAfterDays"] = m }
            return out
        }
        var rules: [[String: Any]] = []
        var ruleNames = Set<String>()
        for g in scheduleGroups() {
            var cron = g.cron
            roundings += g.roundings.map { "\(g.name): \($0)" }
            if cron.intervalSeconds < 3_600 {
                cron = CronSchedule(intervalSeconds: 3_600, timeOfDaySeconds: nil)
                let missed = g.datasetIDs.filter { (byID[$0]?.schedule.rpoSeconds ?? 0) < 3_600 }.count
                note("\(g.name): every \(DurationText.format(g.cron.intervalSeconds)) rounded UP to every 1h (AWS Backup runs jobs at least 60 minutes apart)"
                     + (missed > 0 ? ": the RPO of \(missed) dataset(s), under an hour, is NOT met; back them up with backplan execute or AWS continuous backup" : ""))
            }
            // Datasets of the group with the same lifecycles and copies share a rule.
            var keys: [String] = []
            var members: [String: (rule: [String: Any], count: Int)] = [:]
            for id in g.datasetIDs {
                guard let d = byID[id], let first = d.copies.first else { continue }
                let main = try lifecycle(d, tier: first.tier, interval: cron.intervalSeconds)
                var copies: [[String: Any]] = []
                var key = "\(first.region)|\(first.tier)|\(main.move ?? -1)|\(main.delete)"
                for c in d.copies.dropFirst() {
                    let vault = "backplan-\(c.region)-\(c.tier)"
                    let l = try lifecycle(d, tier: c.tier, interval: cron.intervalSeconds)
                    copies.append(["DestinationBackupVaultArn": "arn:aws:backup:<\(c.region)>:<account-id>:backup-vault:\(vault)",
                                   "Lifecycle": lifecycleJSON(l)])
                    key += ";\(vault)|\(l.move ?? -1)|\(l.delete)"
                }
                if members[key] == nil {
                    keys.append(key)
                    var name = String("\(g.name)-\(first.tier)-\(main.delete)d".prefix(46))
                    var n = 2
                    while ruleNames.contains(name) { name = String("\(g.name)-\(first.tier)-\(main.delete)d".prefix(43)) + "-\(n)"; n += 1 }
                    ruleNames.insert(name)
                    var rule: [String: Any] = [
                        "RuleName": name,
                        "TargetBackupVaultName": "backplan-\(first.region)-\(first.tier)",
                        "ScheduleExpression": cron.awsExpression,
                        "ScheduleExpressionTimezone": "Etc/UTC",
                        "StartWindowMinutes": 60,
                        "CompletionWindowMinutes": Swift.max(120, Swift.min(10_080, cron.intervalSeconds / 60)),
                        "Lifecycle": lifecycleJSON(main),
                        "RecoveryPointTags": ["backplan-schedule-group": g.name],
                    ]
                    if !copies.isEmpty { rule["CopyActions"] = copies }
                    members[key] = (rule, 0)
                }
                members[key]?.count += 1
            }
            for key in keys {
                guard var m = members[key] else { continue }
                var tags = m.rule["RecoveryPointTags"] as? [String: String] ?? [:]
                tags["backplan-datasets"] = "\(m.count)"
                m.rule["RecoveryPointTags"] = tags
                rules.append(m.rule)
            }
        }
        var planTags: [String: String] = ["backplan-planned-at": Self.isoDate(generatedAt)]
        for (i, n) in (roundings + notes).enumerated() { planTags["backplan-note-\(i + 1)"] = String(n.prefix(256)) }
        let document: [String: Any] = [
            "BackupPlan": ["BackupPlanName": planName, "Rules": rules],
            "BackupPlanTags": planTags,
        ]
        let json = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return AWSBackupExport(json: json + Data("\n".utf8), notes: notes)
    }
}
