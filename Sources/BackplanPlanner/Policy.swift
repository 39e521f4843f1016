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
        let minInterval = try executor?.optionalDuration("minInterval") ?? 60
        let throughput = Double(try executor?.optionalBytes("restoreThroughputPerSecond") ?? 100 * 1_048_576)
        try executor?.finish()
        let budget = try r.optionalNumber("budgetDollarsPerMonth", minimum: 0)
        let budgetPerDataset = try r.optionalNumber("budgetDollarsPerDatasetMonth", minimum: 0)
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
        var policy = Policy(
            file: file, classes: classes, failures: failures, budgetDollarsPerMonth: budget,
            backupWindowBytesPerDay: window, executorMinIntervalSeconds: minInterval, restoreBytesPerSecond: throughput)
        policy.budgetDollarsPerDatasetMonth = budgetPerDataset
        return policy
    }
}
