import Foundation

/// Ways to apply a plan with tools users already run: an S3 Lifecycle configuration and `restic forget` flags.
/// ``Plan/write(to:)`` writes both beside the plan (names in ``Plan/Files``).
///
/// ```swift
/// let plan = try Plan.load("out/plan.json")
/// if let json = plan.s3Lifecycle() {        // nil unless every tier is an S3 storage class
///     try json.write(to: URL(fileURLWithPath: "lifecycle.json"))
/// }
/// print(plan.resticForget())
/// // # restic forget flags per retention rule of this plan (tag each dataset's snapshots with its id)
/// // restic forget --prune --keep-daily 7 --keep-weekly 5   # 212 datasets
/// ```
extension Plan {
    /// S3 storage classes of the tier names in `datasets/pricing/aws-s3.yaml`.
    public static let s3StorageClasses: [String: String] = [
        "standard": "STANDARD", "standard-ia": "STANDARD_IA", "glacier-ir": "GLACIER_IR",
        "glacier-flexible": "GLACIER", "deep-archive": "DEEP_ARCHIVE",
    ]

    /// An S3 Lifecycle configuration (the JSON `aws s3api put-bucket-lifecycle-configuration` takes) with one
    /// rule per group of datasets sharing a backup tier, offline tier and retention: objects the executor
    /// tags `backplan-rule=<ID>` move to their tier as early as S3 allows (Glacier classes day 0, Standard-IA day 30) and expire after the retention span (for classes
    /// with an erasure duty, after the legal maximum). `nil` when a tier has no S3 storage class (not an S3
    /// catalog).
    public func s3Lifecycle() -> Data? {
        struct Group: Hashable { var tier: String; var offline: String?; var days: Int64 }
        var groups: [Group: Int] = [:]
        for d in datasets {
            let days = (d.retention.deleteAfterSeconds ?? d.retention.spanSeconds + 86_400) / 86_400
            groups[Group(tier: d.backupTier, offline: d.copies.first(where: \.offline)?.tier, days: days), default: 0] += 1
        }
        var rules: [[String: Any]] = []
        for g in groups.keys.sorted(by: { ($0.tier, $0.offline ?? "", $0.days) < ($1.tier, $1.offline ?? "", $1.days) }) {
            guard let online = Self.s3StorageClasses[g.tier] else { return nil }
            for (copy, storageClass) in [("online", online)] + (g.offline.map { o in Self.s3StorageClasses[o].map { [("offline", $0)] } ?? [] } ?? []) {
                let id = "backplan-\(g.tier)-\(copy == "offline" ? (g.offline ?? "") + "-" : "")\(g.days)d"
                var rule: [String: Any] = [
                    "ID": id,
                    "Status": "Enabled",
                    "Filter": ["Tag": ["Key": "backplan-rule", "Value": id]],
                    "Expiration": ["Days": g.days],
                    "NoncurrentVersionExpiration": ["NoncurrentDays": 1],
                ]
                if let days = Self.transitionDays(storageClass) {
                    rule["Transitions"] = [["Days": days, "StorageClass": storageClass]]
                }
                rules.append(rule)
            }
        }
        // Live data: objects tagged backplan-data=<tier> move to the plan's data tier.
        for tier in Set(datasets.map(\.dataTier)).sorted() {
            guard let storageClass = Self.s3StorageClasses[tier] else { return nil }
            guard let days = Self.transitionDays(storageClass) else { continue }
            rules.append([
                "ID": "backplan-data-\(tier)", "Status": "Enabled",
                "Filter": ["Tag": ["Key": "backplan-data", "Value": tier]],
                "Transitions": [["Days": days, "StorageClass": storageClass]],
            ])
        }
        return try? JSONSerialization.data(withJSONObject: ["Rules": rules], options: [.prettyPrinted, .sortedKeys])
    }

    /// Earliest day S3 allows a transition to `storageClass` (30 for Standard-IA, 0 for the Glacier classes);
    /// `nil` for Standard, which needs none.
    static func transitionDays(_ storageClass: String) -> Int? {
        switch storageClass {
        case "STANDARD": nil
        case "STANDARD_IA": 30
        default: 0
        }
    }

    /// One `restic forget` line per distinct retention rule, with the datasets it applies to counted.
    public func resticForget() -> String {
        var groups: [String: Int] = [:]
        for d in datasets { groups[d.retention.restic, default: 0] += 1 }
        var s = "# restic forget flags per retention rule of this plan (tag each dataset's snapshots with its id)\n"
        for (flags, count) in groups.sorted(by: { $0.key < $1.key }) {
            s += "restic forget --prune \(flags)   # \(count) dataset\(count == 1 ? "" : "s")\n"
        }
        return s
    }
}
