import BackplanCore
import BackplanPlan
import BackplanYAML

/// Reading price catalog files (YAML): the type itself is the plan contract's (BackplanPlan).
extension PriceCatalog {
    /// Reads and validates a catalog.
    ///
    /// Besides the tiers' prices, a catalog may give `hoursPerMonth` (default 730, the providers' billing
    /// month), per tier `transitionPer1000` (a tier change into it; default its `putPer1000`, as S3, GCS and
    /// Azure price a transition like a write into the target) and `objectOverhead: { standard, tier }`
    /// (per-object metadata bytes billed at the first tier's and at its own rate), and `autoTiering`
    /// (`name`, `monitoringPer1000Objects`, `minObjectSize`, `after: { <tier>: { idle: <duration> } }`).
    ///
    /// - Throws: ``InputError`` naming the file, line and key: missing or unknown keys, a negative price,
    ///   no tiers, no online tier, an auto-tiering step to an unknown tier.
    public static func load(_ file: String) throws -> PriceCatalog {
        var r = try YAMLReader.open(file)
        let provider = try r.string("provider")
        let region = try r.string("region")
        let source = try r.string("source")
        let asOf = try r.string("asOf")
        _ = try r.optionalString("notes")
        _ = try r.optionalString("currency").map { c throws -> String in
            guard c == "USD" else { throw r.error("currency", "only USD catalogs are supported, got '\(c)'") }
            return c
        }
        let hoursPerMonth = try r.optionalNumber("hoursPerMonth", minimum: 1) ?? 730
        var tiers: [Tier] = []
        var t = try r.child("tiers")
        for (name, var k) in try t.entries() {
            var tier = Tier(
                name: name,
                storageDollarsPerGiBMonth: try k.number("storagePerGiBMonth", minimum: 0),
                retrievalDollarsPerGiB: try k.number("retrievalPerGiB", minimum: 0),
                putDollarsPer1000: try k.number("putPer1000", minimum: 0),
                getDollarsPer1000: try k.number("getPer1000", minimum: 0),
                minStorageDays: try k.optionalNumber("minStorageDays", minimum: 0) ?? 0,
                minBillableBytes: Double(try k.optionalBytes("minBillableSize") ?? 0),
                firstByteSeconds: Double(try k.optionalDuration("firstByteLatency") ?? 0),
                offline: try k.optionalBool("offline") ?? false)
            tier.transitionDollarsPer1000 = try k.optionalNumber("transitionPer1000", minimum: 0) ?? tier.putDollarsPer1000
            if var o = try k.optionalChild("objectOverhead") {
                tier.overheadStandardBytes = Double(try o.optionalBytes("standard") ?? 0)
                tier.overheadTierBytes = Double(try o.optionalBytes("tier") ?? 0)
                try o.finish()
            }
            tiers.append(tier)
            try k.finish()
        }
        try t.finish()
        var autoTiering: AutoTiering?
        if var a = try r.optionalChild("autoTiering") {
            let name = try a.string("name")
            let fee = try a.number("monitoringPer1000Objects", minimum: 0)
            let minObject = Double(try a.optionalBytes("minObjectSize") ?? 0)
            var steps: [(idleDays: Double, tier: Int)] = []
            var after = try a.child("after")
            for (tierName, var step) in try after.entries() {
                guard let index = tiers.firstIndex(where: { $0.name == tierName }) else {
                    throw after.error(tierName, "no tier '\(tierName)' in this catalog (tiers: \(tiers.map(\.name).joined(separator: ", ")))")
                }
                steps.append((Double(try step.duration("idle")) / 86_400, index))
                try step.finish()
            }
            try after.finish()
            try a.finish()
            autoTiering = AutoTiering(name: name, monitoringDollarsPer1000Objects: fee, minObjectBytes: minObject, steps: steps)
        }
        guard !tiers.isEmpty else { throw r.error("tiers", "list at least one tier") }
        guard tiers.contains(where: { !$0.offline }) else { throw r.error("tiers", "every tier is offline: live data needs one online tier") }
        try r.finish()
        return PriceCatalog(file: file, provider: provider, region: region, source: source, asOf: asOf, tiers: tiers,
                            hoursPerMonth: hoursPerMonth, autoTiering: autoTiering)
    }
}
