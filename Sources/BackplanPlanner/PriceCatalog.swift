import BackplanCore
import BackplanYAML

/// One storage tier of a provider, with the rules that make cold tiers cheap only for the right data.
public struct Tier: Sendable, Equatable, Codable {
    public var name: String
    /// Storage, dollars per GiB-month.
    public var storageDollarsPerGiBMonth: Double
    /// Retrieval, dollars per GiB read back.
    public var retrievalDollarsPerGiB: Double
    /// Write and read requests, dollars per 1,000.
    public var putDollarsPer1000: Double
    public var getDollarsPer1000: Double
    /// Objects deleted earlier are billed for this many days anyway (early-deletion charge).
    public var minStorageDays: Double
    /// Smaller objects are billed as this size, bytes.
    public var minBillableBytes: Double
    /// Time to the first byte of a restore (archive tiers: the restore job), seconds.
    public var firstByteSeconds: Double
    /// An offline/immutable tier (the "1" of 3-2-1): may hold offline copies; never live data.
    public var offline: Bool
}

/// A price catalog (`datasets/pricing/*.yaml`): a provider's tiers, with where and when the prices come from.
public struct PriceCatalog: Sendable, Equatable {
    public var file: String
    public var provider: String
    public var region: String
    /// Where the figures were taken from and the date they are as of.
    public var source: String
    public var asOf: String
    /// Tiers in file order, hottest first by convention.
    public var tiers: [Tier]

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

    /// The tier called `name`, for messages that must name an unknown one.
    public func tier(named name: String) throws -> Int {
        guard let i = tiers.firstIndex(where: { $0.name == name }) else {
            throw InputError(file: file, "unknown tier '\(name)' (tiers here: \(tiers.map(\.name).joined(separator: ", ")))")
        }
        return i
    }
}
