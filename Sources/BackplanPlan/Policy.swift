import BackplanCore

/// What the business asks of the backups of one data class (DESIGN §2.4): limits the planner must keep and
/// the prices of risk it trades against money. Durations are seconds, money is US dollars.
///
/// A policy file's `classes.<name>` entry becomes one `ClassPolicy` (the planner's YAML reader builds it):
///
/// ```swift
/// let chat = ClassPolicy(
///     rpoMaxSeconds: 3_600, rtoMaxSeconds: 14_400,                   // back up hourly at most, restore in 4 h
///     retentionMinSeconds: 30 * 86_400, retentionMaxSeconds: 365 * 86_400,
///     erase: false, copies: 2, regions: 2, offlineCopies: 0, encrypt: true,
///     lossDollarsPerMessage: 0.01, lossDollarsPerGiB: 0, downtimeDollarsPerHour: 50, allowedTiers: nil)
/// ```
public struct ClassPolicy: Sendable, Equatable, Codable {
    /// Longest allowed interval between backups of a dataset that changed (recovery point objective), seconds.
    public var rpoMaxSeconds: Int64
    /// Longest allowed restore time (recovery time objective), seconds.
    public var rtoMaxSeconds: Int64
    /// Restore points must reach at least this far back (legal minimum), seconds.
    public var retentionMinSeconds: Int64
    /// and no further (legal maximum; with `erase`, data older than this must be deleted), seconds.
    public var retentionMaxSeconds: Int64
    /// The class has an erasure duty: nothing may be kept past ``retentionMaxSeconds`` (GDPR art. 17 style).
    public var erase: Bool
    /// Copies of every backup: total, distinct regions, and how many on an offline/immutable tier (3-2-1).
    public var copies: Int
    public var regions: Int
    public var offlineCopies: Int
    public var encrypt: Bool
    /// Business cost of losing one message, and of losing one GiB of written data, in dollars.
    public var lossDollarsPerMessage: Double
    public var lossDollarsPerGiB: Double
    /// Business cost of one hour of a dataset being unavailable while it is restored, dollars.
    public var downtimeDollarsPerHour: Double
    /// Tiers the class's backups may use (all when `nil`), checked against the price catalog by the planner.
    public var allowedTiers: [String]?

    public init(
        rpoMaxSeconds: Int64, rtoMaxSeconds: Int64, retentionMinSeconds: Int64, retentionMaxSeconds: Int64, erase: Bool,
        copies: Int, regions: Int, offlineCopies: Int, encrypt: Bool, lossDollarsPerMessage: Double,
        lossDollarsPerGiB: Double, downtimeDollarsPerHour: Double, allowedTiers: [String]?
    ) {
        self.rpoMaxSeconds = rpoMaxSeconds
        self.rtoMaxSeconds = rtoMaxSeconds
        self.retentionMinSeconds = retentionMinSeconds
        self.retentionMaxSeconds = retentionMaxSeconds
        self.erase = erase
        self.copies = copies
        self.regions = regions
        self.offlineCopies = offlineCopies
        self.encrypt = encrypt
        self.lossDollarsPerMessage = lossDollarsPerMessage
        self.lossDollarsPerGiB = lossDollarsPerGiB
        self.downtimeDollarsPerHour = downtimeDollarsPerHour
        self.allowedTiers = allowedTiers
    }
}

/// One failure process: how often it strikes a dataset, and for corruption how long until it is noticed.
///
/// ```swift
/// let corruption = FailureKind(name: "corruption", mtbfSeconds: 5 * 31_536_000, discoverySeconds: 14 * 86_400)
/// ```
public struct FailureKind: Sendable, Equatable, Codable {
    public var name: String
    /// Mean time between failures that hit a given dataset, seconds.
    public var mtbfSeconds: Int64
    /// Corruption is found this long after it happens (a point-in-time restore must reach back this far), seconds.
    public var discoverySeconds: Int64

    public init(name: String, mtbfSeconds: Int64, discoverySeconds: Int64) {
        self.name = name
        self.mtbfSeconds = mtbfSeconds
        self.discoverySeconds = discoverySeconds
    }
}

/// A policy file (`datasets/policies/*.yaml`): classes, failures, global limits, the executor's limits.
///
/// The planner reads policy files (`Policy.load(_:)` in BackplanPlanner, which validates every key); anything
/// that only needs the values builds one directly:
///
/// ```swift
/// let policy = Policy(file: "test.yaml", classes: ["default": chat],
///                     failures: [FailureKind(name: "disk", mtbfSeconds: 31_536_000, discoverySeconds: 0)],
///                     budgetDollarsPerMonth: 500, backupWindowBytesPerDay: nil,
///                     executorMinIntervalSeconds: 60, restoreBytesPerSecond: 100 * 1_048_576)
/// policy.policy(forClass: "unknown")?.name   // "default"
/// policy.restoreRatePerSecond                 // 1 / 31 536 000: restores per second per dataset
/// ```
public struct Policy: Sendable, Equatable {
    /// The file it was read from, named in error messages.
    public var file: String
    /// Keyed by class name; datasets whose class is not here get `default`.
    public var classes: [String: ClassPolicy]
    public var failures: [FailureKind]
    /// Monthly spend limit (storage, operations, retrieval), dollars; `nil` when unlimited.
    public var budgetDollarsPerMonth: Double?
    /// A spend limit that grows with the store: dollars per month for each dataset planned, added to
    /// ``budgetDollarsPerMonth``; `nil` when not given. A policy written for a 400-conversation sample then
    /// holds on a 2,000-conversation store too.
    public var budgetDollarsPerDatasetMonth: Double? = nil
    /// Bytes the backups may move per day; `nil` when unlimited.
    public var backupWindowBytesPerDay: Double?
    /// The executor cannot back up a dataset more often than this, seconds.
    public var executorMinIntervalSeconds: Int64
    /// Restore throughput assumed for every tier once its first byte arrives, bytes per second.
    public var restoreBytesPerSecond: Double

    public init(
        file: String, classes: [String: ClassPolicy], failures: [FailureKind], budgetDollarsPerMonth: Double?,
        backupWindowBytesPerDay: Double?, executorMinIntervalSeconds: Int64, restoreBytesPerSecond: Double
    ) {
        self.file = file
        self.classes = classes
        self.failures = failures
        self.budgetDollarsPerMonth = budgetDollarsPerMonth
        self.backupWindowBytesPerDay = backupWindowBytesPerDay
        self.executorMinIntervalSeconds = executorMinIntervalSeconds
        self.restoreBytesPerSecond = restoreBytesPerSecond
    }

    /// The monthly spend limit for a plan of `datasets` datasets: the fixed budget plus the per-dataset one,
    /// dollars; `nil` when the policy sets neither.
    ///
    /// ```swift
    /// policy.budgetDollarsPerDatasetMonth = 0.0018
    /// policy.budget(datasets: 2_000)   // 3.6
    /// ```
    public func budget(datasets: Int) -> Double? {
        guard budgetDollarsPerMonth != nil || budgetDollarsPerDatasetMonth != nil else { return nil }
        return (budgetDollarsPerMonth ?? 0) + (budgetDollarsPerDatasetMonth ?? 0) * Double(datasets)
    }

    /// Checks every class's `allowedTiers` against `catalog`.
    ///
    /// - Throws: ``InputError`` naming this policy file and the key with the unknown tier.
    public func requireTiers(in catalog: PriceCatalog) throws {
        for name in classes.keys.sorted() {
            for tier in classes[name]?.allowedTiers ?? [] where !catalog.tiers.contains(where: { $0.name == tier }) {
                throw InputError(file: file, "key 'classes.\(name).allowedTiers': unknown tier '\(tier)' "
                                 + "(tiers in \(catalog.file): \(catalog.tiers.map(\.name).joined(separator: ", ")))")
            }
        }
    }

    /// The class policy of `name`, or `default`'s.
    public func policy(forClass name: String) -> (name: String, policy: ClassPolicy)? {
        if let p = classes[name] { return (name, p) }
        return classes["default"].map { ("default", $0) }
    }

    /// Failures per second that need a dataset restored: Σ 1/MTBF over the failure kinds.
    public var restoreRatePerSecond: Double {
        failures.reduce(0) { $0 + 1 / Double($1.mtbfSeconds) }
    }

    /// The longest discovery delay of any failure kind, seconds: how far back point-in-time restores must reach.
    public var longestDiscoverySeconds: Int64 {
        failures.map(\.discoverySeconds).max() ?? 0
    }
}
