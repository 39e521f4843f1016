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
        let hoursPerMonth = try r.optionalNumber("hoursPerMonth", minimum: 672, maximum: 744) ?? 730
        var tiers: [Tier] = []
        var t = try r.child("tiers")
        for (name, var k) in try t.entries() {
            var tier = Tier(
                name: name,
                storageDollarsPerGiBMonth: try price(&k, "storagePerGiBMonth"),
                retrievalDollarsPerGiB: try price(&k, "retrievalPerGiB"),
                putDollarsPer1000: try price(&k, "putPer1000"),
                getDollarsPer1000: try price(&k, "getPer1000"),
                minStorageDays: try k.optionalNumber("minStorageDays", minimum: 0, maximum: Limits.minStorageDays) ?? 0,
                minBillableBytes: Double(try k.optionalBytes("minBillableSize", in: Limits.minBillableSize) ?? 0),
                firstByteSeconds: Double(try k.optionalDuration("firstByteLatency", in: Limits.firstByteLatency) ?? 0),
                offline: try k.optionalBool("offline") ?? false)
            tier.transitionDollarsPer1000 = try k.optionalNumber("transitionPer1000", minimum: Limits.dollars.lowerBound,
                                                                 maximum: Limits.dollars.upperBound) ?? tier.putDollarsPer1000
            if var o = try k.optionalChild("objectOverhead") {
                tier.overheadStandardBytes = Double(try o.optionalBytes("standard", in: Limits.minBillableSize) ?? 0)
                tier.overheadTierBytes = Double(try o.optionalBytes("tier", in: Limits.minBillableSize) ?? 0)
                try o.finish()
            }
            tiers.append(tier)
            try k.finish()
        }
        try t.finish()
        var autoTiering: AutoTiering?
        if var a = try r.optionalChild("autoTiering") {
            let name = try a.string("name")
            let fee = try price(&a, "monitoringPer1000Objects")
            let minObject = Double(try a.optionalBytes("minObjectSize", in: Limits.minBillableSize) ?? 0)
            var steps: [(idleDays: Double, tier: Int)] = []
            var after = try a.child("after")
            for (tierName, var step) in try after.entries() {
                guard let index = tiers.firstIndex(where: { $0.name == tierName }) else {
                    throw after.error(tierName, "no tier '\(tierName)' in this catalog (tiers: \(tiers.map(\.name).joined(separator: ", ")))")
                }
                steps.append((Double(try step.duration("idle", in: 86_400...(3_650 * 86_400))) / 86_400, index))
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

extension PriceCatalog {
    /// The accepted range of every numeric key of a price catalog, checked by ``load(_:)`` and listed in
    /// docs/INPUTS.md. The dearest real tier is below 1 dollar per GiB-month or per 1,000 requests; 1,000 leaves
    /// room for any currency-like scaling while no cost the planner sums can overflow (a price of 1e308 once
    /// gave NaN in a plan).
    public enum Limits {
        /// Every `…PerGiBMonth`, `…PerGiB` and `…Per1000` price: 0 … 1,000 dollars.
        public static let dollars: ClosedRange<Double> = 0...1_000
        /// `minStorageDays`: 0 … 3,650 days.
        public static let minStorageDays = 3_650.0
        /// `minBillableSize`: 0 … 1 GiB.
        public static let minBillableSize: ClosedRange<Int64> = 0...(1 << 30)
        /// `hoursPerMonth`: 672 … 744 hours (a 28- to 31-day month; the providers bill on 730).
        /// `autoTiering.after.<tier>.idle`: 1 d … 3,650 d. `transitionPer1000`, `monitoringPer1000Objects`:
        /// like every price. `objectOverhead` sizes and `minObjectSize`: like `minBillableSize`.
        /// `firstByteLatency`: 0 … 7 d.
        public static let firstByteLatency: ClosedRange<Int64> = 0...604_800
    }

    /// A price key of a tier, in ``Limits/dollars``: the one place a catalog's prices are range-checked.
    static func price(_ reader: inout YAMLReader, _ key: String) throws -> Double {
        try reader.number(key, minimum: Limits.dollars.lowerBound, maximum: Limits.dollars.upperBound)
    }
}
