import BackplanCore
import BackplanYAML

/// What the business asks of the backups of one data class (DESIGN §2.4): limits the planner must keep and
/// the prices of risk it trades against money.
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
}

/// One failure process: how often it strikes a dataset, and for corruption how long until it is noticed.
public struct FailureKind: Sendable, Equatable, Codable {
    public var name: String
    /// Mean time between failures that hit a given dataset, seconds.
    public var mtbfSeconds: Int64
    /// Corruption is found this long after it happens (a point-in-time restore must reach back this far).
    public var discoverySeconds: Int64
}

/// A policy file (`datasets/policies/*.yaml`): classes, failures, global limits, the executor's limits.
public struct Policy: Sendable, Equatable {
    public var file: String
    /// Keyed by class name; datasets whose class is not here get `default`.
    public var classes: [String: ClassPolicy]
    public var failures: [FailureKind]
    /// Monthly spend limit (storage, operations, retrieval), dollars; `nil` when unlimited.
    public var budgetDollarsPerMonth: Double?
    /// Bytes the backups may move per day; `nil` when unlimited.
    public var backupWindowBytesPerDay: Double?
    /// The executor cannot back up a dataset more often than this, seconds.
    public var executorMinIntervalSeconds: Int64
    /// Restore throughput assumed for every tier once its first byte arrives, bytes per second.
    public var restoreBytesPerSecond: Double

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

    /// Reads and validates a policy file.
    ///
    /// - Throws: ``InputError`` naming the file, line and key: a missing or unknown key, a wrong type, a
    ///   negative cost, an RPO below the executor's minimum, retention min above max, more offline copies or
    ///   regions than copies, no `default` class.
    public static func load(_ file: String) throws -> Policy {
        var r = try YAMLReader.open(file)
        var executor = try r.optionalChild("executor")
        let minInterval = try executor?.optionalDuration("minInterval") ?? 60
        let throughput = Double(try executor?.optionalBytes("restoreThroughputPerSecond") ?? 100 * 1_048_576)
        try executor?.finish()
        let budget = try r.optionalNumber("budgetDollarsPerMonth", minimum: 0)
        let window = try r.optionalBytes("backupWindowPerDay").map(Double.init)

        var failures: [FailureKind] = []
        var f = try r.child("failures")
        for (name, var kind) in try f.entries() {
            let mtbf = try kind.duration("mtbf")
            guard mtbf > 0 else { throw kind.error("mtbf", "must be positive") }
            let discovery = try kind.optionalDuration("discoveryDelay") ?? 0
            try kind.finish()
            failures.append(FailureKind(name: name, mtbfSeconds: mtbf, discoverySeconds: discovery))
        }
        try f.finish()
        guard !failures.isEmpty else { throw r.error("failures", "list at least one failure kind with its mtbf") }

        var classes: [String: ClassPolicy] = [:]
        var c = try r.child("classes")
        for (name, var k) in try c.entries() {
            let rpo = try k.duration("rpoMax")
            guard rpo >= minInterval else {
                throw k.error("rpoMax", "\(DurationText.format(rpo)) is below the executor's minimum interval "
                              + "\(DurationText.format(minInterval)) (executor.minInterval)")
            }
            let rto = try k.duration("rtoMax")
            let retentionMin = try k.duration("retentionMin")
            let retentionMax = try k.duration("retentionMax")
            guard retentionMin <= retentionMax else {
                throw k.error("retentionMin", "\(DurationText.format(retentionMin)) exceeds retentionMax \(DurationText.format(retentionMax))")
            }
            let erase = try k.optionalBool("erase") ?? false
            var copies = try k.child("copies")
            let count = try copies.integer("count", minimum: 1)
            let regions = try copies.integer("regions", minimum: 1)
            let offline = try copies.integer("offline", minimum: 0)
            guard regions <= count else { throw copies.error("regions", "\(regions) regions need at least as many copies (count \(count))") }
            guard offline < count else { throw copies.error("offline", "\(offline) offline copies leave no online copy to restore from (count \(count))") }
            try copies.finish()
            let policy = ClassPolicy(
                rpoMaxSeconds: rpo, rtoMaxSeconds: rto, retentionMinSeconds: retentionMin, retentionMaxSeconds: retentionMax,
                erase: erase, copies: count, regions: regions, offlineCopies: offline,
                encrypt: try k.bool("encrypt"),
                lossDollarsPerMessage: try k.number("lossDollarsPerMessage", minimum: 0),
                lossDollarsPerGiB: try k.optionalNumber("lossDollarsPerGiB", minimum: 0) ?? 0,
                downtimeDollarsPerHour: try k.number("downtimeDollarsPerHour", minimum: 0),
                allowedTiers: try k.optionalStringList("allowedTiers"))
            try k.finish()
            classes[name] = policy
        }
        try c.finish()
        guard classes["default"] != nil else {
            throw c.error(nil, "no 'default' class: datasets whose class is not listed need one")
        }
        try r.finish()
        return Policy(
            file: file, classes: classes, failures: failures, budgetDollarsPerMonth: budget,
            backupWindowBytesPerDay: window, executorMinIntervalSeconds: minInterval, restoreBytesPerSecond: throughput)
    }
}
