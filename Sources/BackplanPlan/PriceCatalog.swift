import BackplanCore

/// One storage tier of a provider, with the rules that make cold tiers cheap only for the right data.
/// Prices are US dollars, sizes bytes, times seconds.
///
/// ```swift
/// let glacier = Tier(name: "glacier-flexible", storageDollarsPerGiBMonth: 0.0036, retrievalDollarsPerGiB: 0.01,
///                    putDollarsPer1000: 0.03, getDollarsPer1000: 0.0004, minStorageDays: 90,
///                    minBillableBytes: 40_960, firstByteSeconds: 4 * 3_600, offline: false)
/// ```
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

    public init(
        name: String, storageDollarsPerGiBMonth: Double, retrievalDollarsPerGiB: Double, putDollarsPer1000: Double,
        getDollarsPer1000: Double, minStorageDays: Double, minBillableBytes: Double, firstByteSeconds: Double, offline: Bool
    ) {
        self.name = name
        self.storageDollarsPerGiBMonth = storageDollarsPerGiBMonth
        self.retrievalDollarsPerGiB = retrievalDollarsPerGiB
        self.putDollarsPer1000 = putDollarsPer1000
        self.getDollarsPer1000 = getDollarsPer1000
        self.minStorageDays = minStorageDays
        self.minBillableBytes = minBillableBytes
        self.firstByteSeconds = firstByteSeconds
        self.offline = offline
    }
}

/// A price catalog (`datasets/pricing/*.yaml`): a provider's tiers, with where and when the prices come from.
///
/// The planner reads catalog files (`PriceCatalog.load(_:)` in BackplanPlanner); the values alone:
///
/// ```swift
/// let catalog = PriceCatalog(file: "prices.yaml", provider: "aws", region: "us-east-1",
///                            source: "https://aws.amazon.com/s3/pricing/", asOf: "2025-01-01", tiers: [glacier])
/// try catalog.tier(named: "glacier-flexible")   // 0
/// ```
public struct PriceCatalog: Sendable, Equatable {
    /// The file it was read from, named in error messages.
    public var file: String
    public var provider: String
    public var region: String
    /// Where the figures were taken from and the date they are as of.
    public var source: String
    public var asOf: String
    /// Tiers in file order, hottest first by convention.
    public var tiers: [Tier]

    public init(file: String, provider: String, region: String, source: String, asOf: String, tiers: [Tier]) {
        self.file = file
        self.provider = provider
        self.region = region
        self.source = source
        self.asOf = asOf
        self.tiers = tiers
    }

    /// The index of the tier called `name`.
    ///
    /// - Throws: ``InputError`` naming the catalog file and its tiers when there is no such tier.
    public func tier(named name: String) throws -> Int {
        guard let i = tiers.firstIndex(where: { $0.name == name }) else {
            throw InputError(file: file, "unknown tier '\(name)' (tiers here: \(tiers.map(\.name).joined(separator: ", ")))")
        }
        return i
    }
}
