import Foundation

/// The S3 Lifecycle export, `plan.s3-lifecycle.json`: for backup objects a team stores in S3 itself, one object
/// per backup, tagged as the plan says (each copy's ``DatasetPlan/Copy/objectTag``).
///
/// Never put it on the bucket of a restic repository: restic's pack files are shared by many snapshots and
/// datasets, and expiring them by age would break every snapshot still using them. restic repositories keep
/// their retention with `restic forget`/`prune` (``Plan/resticScript()``, `backplan execute`).
///
/// ```swift
/// let plan = try Plan.load("out/plan.json")
/// if let export = try plan.s3Lifecycle(catalog: catalog) {   // nil unless every tier is an S3 storage class
///     try export.json.write(to: URL(fileURLWithPath: "lifecycle.json"))
///     export.notes    // early expirations, extended expirations, skipped transitions
/// }
/// // aws s3api put-bucket-lifecycle-configuration --bucket B --cli-input-json file://lifecycle.json
/// ```
public struct S3LifecycleExport: Sendable, Equatable {
    /// `{"LifecycleConfiguration": {"Rules": […]}, "TransitionDefaultMinimumObjectSize": …}`: the input of
    /// `aws s3api put-bucket-lifecycle-configuration --bucket B --cli-input-json file://…`.
    public var json: Data
    /// What the rules do that the plan alone would not, in words (for the summary).
    public var notes: [String]
}

extension Plan {
    /// S3 storage classes of the tier names in `datasets/pricing/aws-s3.yaml`.
    public static let s3StorageClasses: [String: String] = [
        "standard": "STANDARD", "standard-ia": "STANDARD_IA", "glacier-ir": "GLACIER_IR",
        "glacier-flexible": "GLACIER", "deep-archive": "DEEP_ARCHIVE",
    ]

    /// The tag key of ``DatasetPlan/Copy/objectTag``.
    public static let s3RuleTagKey = "backplan-rule"
    /// The tag key of live-data objects: its value is the data tier, or the ``TierSchedule/name`` of the dataset's
    /// ``DatasetPlan/dataSchedule``.
    public static let s3DataTagKey = "backplan-data"

    /// Set explicitly, not left to the bucket's default: objects under 128 KiB never transition, since a
    /// transition request and the archive classes' per-object overhead (the catalog's `minBillableBytes`)
    /// cost more than such an object saves (docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html).
    public static let s3TransitionDefaultMinimumObjectSize = "all_storage_classes_128K"

    /// An S3 Lifecycle configuration with one rule per object tag of the plan's copies (tier, days kept,
    /// erasure duty): objects move to the copy's storage class as early as S3 allows (Glacier classes day 0,
    /// Standard-IA day 30) and expire after ``DatasetPlan/s3ExpirationDays``.
    ///
    /// No object expires before its storage class's minimum billed duration (the catalog's
    /// ``Tier/minStorageDays``, counted from the transition) without a note: without an erasure duty the
    /// expiration moves to that day (S3 bills it anyway); with one, the legal maximum wins and the note names
    /// the early-deletion charge. `nil` when a tier has no S3 storage class (not an S3 catalog).
    ///
    /// Live data: one rule per data tier of datasets without a schedule (objects tagged `backplan-data` = the
    /// tier) and one per ``DatasetPlan/dataSchedule`` shared by datasets (tagged with the schedule's
    /// ``TierSchedule/name``), with the schedule's transition days; no live-data rule expires anything. A
    /// schedule S3 Lifecycle cannot express (Standard-IA before day 30, or left within 30 days; a minimum object
    /// size other than the 128 KiB this file sets) is left out with a note saying so.
    ///
    /// - Throws: ``InputError`` naming the catalog file when a tier of the plan is not in it.
    public func s3Lifecycle(catalog: PriceCatalog) throws -> S3LifecycleExport? {
        struct Group: Hashable { var tier: String; var days: Int64; var erase: Bool }
        var groups: [Group: Int] = [:]
        for d in datasets {
            for c in d.copies {
                guard Self.s3StorageClasses[c.tier] != nil else { return nil }
                groups[Group(tier: c.tier, days: d.s3ExpirationDays, erase: d.retention.deleteAfterSeconds != nil), default: 0] += 1
            }
        }
        var notes: [String] = []
        var rules: [[String: Any]] = []
        for g in groups.keys.sorted(by: { ($0.tier, $0.days, $0.erase ? 1 : 0) < ($1.tier, $1.days, $1.erase ? 1 : 0) }) {
            guard let storageClass = Self.s3StorageClasses[g.tier] else { return nil }
            let id = DatasetPlan.s3RuleID(tier: g.tier, days: g.days, erase: g.erase)
            let tierIndex = try catalog.tier(named: g.tier)
            let minimumDays = Int64(catalog.tiers[tierIndex].minStorageDays.rounded(.up))
            var transition = Self.transitionDays(storageClass)
            if let t = transition, t >= g.days {
                notes.append("\(id): no transition to \(storageClass) (objects expire on day \(g.days), before S3 allows one on day \(t))")
                transition = nil
            }
            // Billed from the transition (or, for Standard, from the upload); an object that never transitions is billed as Standard.
            let billedUntil: Int64 = if let t = transition { t + minimumDays } else if storageClass == "STANDARD" { minimumDays } else { 0 }
            var expiration = g.days
            if expiration < billedUntil {
                if g.erase {
                    notes.append("\(id): expires on day \(g.days) for the erasure duty, before \(storageClass)'s minimum billed duration (\(minimumDays) days from day \(transition ?? 0)): \(groups[g] ?? 0) copies are billed to day \(billedUntil) anyway (early-deletion charge)")
                } else {
                    notes.append("\(id): expires on day \(billedUntil), not \(g.days): \(storageClass) bills \(minimumDays) days from day \(transition ?? 0) anyway")
                    expiration = billedUntil
                }
            }
            var rule: [String: Any] = [
                "ID": id,
                "Status": "Enabled",
                "Filter": ["Tag": ["Key": Self.s3RuleTagKey, "Value": id]],
                "Expiration": ["Days": expiration],
                "NoncurrentVersionExpiration": ["NoncurrentDays": 1],
            ]
            if let days = transition { rule["Transitions"] = [["Days": days, "StorageClass": storageClass]] }
            rules.append(rule)
        }
        // Live data: objects tagged backplan-data=<tier> move to the plan's data tier; those tagged
        // backplan-data=<schedule> follow the schedule's transitions (one rule per schedule, shared by datasets).
        for tier in Set(datasets.filter { $0.dataSchedule == nil }.map(\.dataTier)).sorted() {
            guard let storageClass = Self.s3StorageClasses[tier] else { return nil }
            guard let days = Self.transitionDays(storageClass) else { continue }
            rules.append([
                "ID": "backplan-data-\(tier)", "Status": "Enabled",
                "Filter": ["Tag": ["Key": Self.s3DataTagKey, "Value": tier]],
                "Transitions": [["Days": days, "StorageClass": storageClass]],
            ])
        }
        var schedules: [String: (schedule: TierSchedule, datasets: Int)] = [:]
        for d in datasets { if let s = d.dataSchedule { schedules[s.name, default: (s, 0)].datasets += 1 } }
        for name in schedules.keys.sorted() {
            let (schedule, count) = schedules[name]!
            let id = "backplan-data-\(name)"
            var transitions: [[String: Any]] = []
            var previous: (days: Int, storageClass: String)?
            var problems: [String] = []
            for step in schedule.steps.dropFirst() {
                guard let storageClass = Self.s3StorageClasses[step.tier] else { return nil }
                let earliest = max(Int(Self.transitionDays(storageClass) ?? 0),
                                   previous.map { $0.storageClass == "STANDARD_IA" ? $0.days + 30 : $0.days + 1 } ?? 0)
                if step.afterDays < earliest {
                    problems.append("\(step.tier) after \(step.afterDays) days (S3 allows day \(earliest) at the earliest)")
                }
                transitions.append(["Days": step.afterDays, "StorageClass": storageClass])
                previous = (step.afterDays, storageClass)
            }
            if schedule.minObjectBytes != TierSchedule.s3DefaultMinObjectBytes {
                problems.append("a minimum object size of \(schedule.minObjectBytes) bytes (this export sets S3's 128 KiB default)")
            }
            if !problems.isEmpty {
                notes.append("\(id): not exported, S3 Lifecycle cannot express \(problems.joined(separator: "; ")); nothing enforces it for its \(count) dataset(s) (the executor does not move live data): their objects stay on \(schedule.firstTier)")
                continue
            }
            rules.append([
                "ID": id, "Status": "Enabled",
                "Filter": ["Tag": ["Key": Self.s3DataTagKey, "Value": name]],
                "Transitions": transitions,
            ])
        }
        let document: [String: Any] = [
            "LifecycleConfiguration": ["Rules": rules],
            "TransitionDefaultMinimumObjectSize": Self.s3TransitionDefaultMinimumObjectSize,
        ]
        let json = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return S3LifecycleExport(json: json + Data("\n".utf8), notes: notes)
    }

    /// Earliest day S3 allows a transition to `storageClass` (30 for Standard-IA, 0 for the Glacier classes);
    /// `nil` for Standard, which needs none.
    static func transitionDays(_ storageClass: String) -> Int64? {
        switch storageClass {
        case "STANDARD": nil
        case "STANDARD_IA": 30
        default: 0
        }
    }
}

extension DatasetPlan {
    /// Days an S3 object of one backup is kept: the retention span plus the class's RPO (the longest the
    /// interval may be), so an object at or before now − span always exists; with an erasure duty at most the
    /// legal maximum less one day, since S3 expires objects at the first midnight UTC after the day count.
    ///
    /// ```swift
    /// // span 35 d, RPO 1 h, no erasure duty: 36 days
    /// ```
    public var s3ExpirationDays: Int64 {
        let day: Int64 = 86_400
        let cover = (retention.spanSeconds + Swift.max(schedule.rpoSeconds, schedule.intervalSeconds) + day - 1) / day
        guard let max = retention.deleteAfterSeconds else { return cover }
        return Swift.max(1, Swift.min(cover, max / day - 1))
    }

    /// The S3 rule (and tag value) for objects on `tier` kept `days` days: `backplan-standard-ia-36d`, with
    /// `-erase` under an erasure duty.
    public static func s3RuleID(tier: String, days: Int64, erase: Bool) -> String {
        "backplan-\(tier)-\(days)d" + (erase ? "-erase" : "")
    }

    /// The entry with every copy's ``Copy/objectTag`` set for the S3 Lifecycle export; unchanged when a copy's
    /// tier is not an S3 storage class. The planner writes plans this way.
    public func taggedForS3() -> DatasetPlan {
        guard copies.allSatisfy({ Plan.s3StorageClasses[$0.tier] != nil }) else { return self }
        var out = self
        let days = s3ExpirationDays
        let erase = retention.deleteAfterSeconds != nil
        for i in out.copies.indices {
            out.copies[i].objectTag = ObjectTag(key: Plan.s3RuleTagKey, value: Self.s3RuleID(tier: out.copies[i].tier, days: days, erase: erase))
        }
        return out
    }
}
