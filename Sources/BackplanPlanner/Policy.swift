import BackplanCore
import BackplanPlan
import BackplanYAML

/// Reading policy files (YAML): the type itself is the plan contract's (BackplanPlan).
extension Policy {
    /// Reads and validates a policy file.
    ///
    /// - Throws: ``InputError`` naming the file, line and key: a missing or unknown key, a wrong type, a
    ///   negative cost, an RPO below the executor's minimum, retention min above max, more offline copies or
    ///   regions than copies, no `default` class.
    public static func load(_ file: String) throws -> Policy {
        var r = try YAMLReader.open(file)
        var executor = try r.optionalChild("executor")
        let minInterval = try executor?.optionalDuration("minInterval", in: Limits.minInterval) ?? 60
        let throughput = Double(try executor?.optionalBytes("restoreThroughputPerSecond", in: Limits.restoreThroughput) ?? 100 * 1_048_576)
        try executor?.finish()
        let budget = try r.optionalNumber("budgetDollarsPerMonth", minimum: 0, maximum: Limits.budgetDollars)
        let budgetPerDataset = try r.optionalNumber("budgetDollarsPerDatasetMonth", minimum: 0, maximum: Limits.budgetDollarsPerDataset)
        let window = try r.optionalBytes("backupWindowPerDay", in: Limits.backupWindow).map(Double.init)

        var failures: [FailureKind] = []
        var f = try r.child("failures")
        for (name, var kind) in try f.entries() {
            let mtbf = try kind.duration("mtbf", in: Limits.mtbf)
            let discovery = try kind.optionalDuration("discoveryDelay", in: Limits.discoveryDelay) ?? 0
            try kind.finish()
            failures.append(FailureKind(name: name, mtbfSeconds: mtbf, discoverySeconds: discovery))
        }
        try f.finish()
        guard !failures.isEmpty else { throw r.error("failures", "list at least one failure kind with its mtbf") }

        var classes: [String: ClassPolicy] = [:]
        var c = try r.child("classes")
        for (name, var k) in try c.entries() {
            let rpo = try k.duration("rpoMax", in: Limits.rpoMax)
            guard rpo >= minInterval else {
                throw k.error("rpoMax", "\(DurationText.format(rpo)) is below the executor's minimum interval "
                              + "\(DurationText.format(minInterval)) (executor.minInterval)")
            }
            let rto = try k.duration("rtoMax", in: Limits.rtoMax)
            let retentionMin = try k.duration("retentionMin", in: Limits.retention)
            let retentionMax = try k.duration("retentionMax", in: Limits.retention)
            guard retentionMin <= retentionMax else {
                throw k.error("retentionMin", "\(DurationText.format(retentionMin)) exceeds retentionMax \(DurationText.format(retentionMax))")
            }
            let erase = try k.optionalBool("erase") ?? false
            var copies = try k.child("copies")
            let count = try copies.integer("count", minimum: 1, maximum: Limits.copies)
            let regions = try copies.integer("regions", minimum: 1, maximum: Limits.copies)
            let offline = try copies.integer("offline", minimum: 0, maximum: Limits.copies)
            guard regions <= count else { throw copies.error("regions", "\(regions) regions need at least as many copies (count \(count))") }
            guard offline < count else { throw copies.error("offline", "\(offline) offline copies leave no online copy to restore from (count \(count))") }
            try copies.finish()
            let policy = ClassPolicy(
                rpoMaxSeconds: rpo, rtoMaxSeconds: rto, retentionMinSeconds: retentionMin, retentionMaxSeconds: retentionMax,
                erase: erase, copies: count, regions: regions, offlineCopies: offline,
                encrypt: try k.bool("encrypt"),
                lossDollarsPerMessage: try k.number("lossDollarsPerMessage", minimum: 0, maximum: Limits.riskDollars),
                lossDollarsPerGiB: try k.optionalNumber("lossDollarsPerGiB", minimum: 0, maximum: Limits.riskDollars) ?? 0,
                downtimeDollarsPerHour: try k.number("downtimeDollarsPerHour", minimum: 0, maximum: Limits.riskDollars),
                allowedTiers: try k.optionalStringList("allowedTiers"))
            try k.finish()
            classes[name] = policy
        }
        try c.finish()
        guard classes["default"] != nil else {
            throw c.error(nil, "no 'default' class: datasets whose class is not listed need one")
        }
        try r.finish()
        var policy = Policy(
            file: file, classes: classes, failures: failures, budgetDollarsPerMonth: budget,
            backupWindowBytesPerDay: window, executorMinIntervalSeconds: minInterval, restoreBytesPerSecond: throughput)
        policy.budgetDollarsPerDatasetMonth = budgetPerDataset
        return policy
    }
}

extension Policy {
    /// The accepted range of every numeric key of a policy file, checked by ``load(_:)`` and listed in
    /// docs/INPUTS.md. Wide enough for any real service; narrow enough that no product or sum the planner
    /// forms from them overflows or allocates without bound (a `copies.count` of 2⁶³ once asked for 2⁶⁴ bytes).
    public enum Limits {
        /// `executor.minInterval`: 1 s … 1 d (0 would make the interval search's lower bound zero).
        public static let minInterval: ClosedRange<Int64> = 1...86_400
        /// `executor.restoreThroughputPerSecond`: 1 KiB/s … 1 PiB/s (0 makes every restore infinitely long).
        public static let restoreThroughput: ClosedRange<Int64> = 1_024...(1 << 50)
        /// `budgetDollarsPerMonth`: 0 … 10⁹ dollars; `budgetDollarsPerDatasetMonth`: 0 … 10⁶ dollars.
        public static let budgetDollars = 1e9
        public static let budgetDollarsPerDataset = 1e6
        /// `backupWindowPerDay`: 1 MiB … 1 EiB.
        public static let backupWindow: ClosedRange<Int64> = (1 << 20)...(1 << 60)
        /// `failures.*.mtbf`: 1 h … 100 y; `discoveryDelay`: 0 … 10 y.
        public static let mtbf: ClosedRange<Int64> = 3_600...TimeSpan.maximumSeconds
        public static let discoveryDelay: ClosedRange<Int64> = 0...315_360_000
        /// `classes.*.rpoMax`: 1 s … 10 y (and at least `executor.minInterval`); `rtoMax`: 1 s … 1 y.
        public static let rpoMax: ClosedRange<Int64> = 1...315_360_000
        public static let rtoMax: ClosedRange<Int64> = 1...31_536_000
        /// `classes.*.retentionMin`/`retentionMax`: 0 … 100 y.
        public static let retention: ClosedRange<Int64> = 0...TimeSpan.maximumSeconds
        /// `classes.*.copies.count`/`regions`/`offline`: at most 16 copies.
        public static let copies = 16
        /// `lossDollarsPerMessage`, `lossDollarsPerGiB`, `downtimeDollarsPerHour`: 0 … 10⁹ dollars.
        public static let riskDollars = 1e9
    }
}
