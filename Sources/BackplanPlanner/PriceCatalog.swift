import BackplanCore
import BackplanPlan
import BackplanYAML

/// Reading price catalog files (YAML): the type itself is the plan contract's (BackplanPlan).
extension PriceCatalog {
    /// Reads and validates a catalog.
    ///
    /// - Throws: ``InputError`` naming the file, line and key: missing or unknown keys, a negative price,
    ///   no tiers, no online tier.
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
        var tiers: [Tier] = []
        var t = try r.child("tiers")
        for (name, var k) in try t.entries() {
            tiers.append(Tier(
                name: name,
                storageDollarsPerGiBMonth: try k.number("storagePerGiBMonth", minimum: 0),
                retrievalDollarsPerGiB: try k.number("retrievalPerGiB", minimum: 0),
                putDollarsPer1000: try k.number("putPer1000", minimum: 0),
                getDollarsPer1000: try k.number("getPer1000", minimum: 0),
                minStorageDays: try k.optionalNumber("minStorageDays", minimum: 0) ?? 0,
                minBillableBytes: Double(try k.optionalBytes("minBillableSize") ?? 0),
                firstByteSeconds: Double(try k.optionalDuration("firstByteLatency") ?? 0),
                offline: try k.optionalBool("offline") ?? false))
            try k.finish()
        }
        try t.finish()
        guard !tiers.isEmpty else { throw r.error("tiers", "list at least one tier") }
        guard tiers.contains(where: { !$0.offline }) else { throw r.error("tiers", "every tier is offline: live data needs one online tier") }
        try r.finish()
        return PriceCatalog(file: file, provider: provider, region: region, source: source, asOf: asOf, tiers: tiers)
    }
}
