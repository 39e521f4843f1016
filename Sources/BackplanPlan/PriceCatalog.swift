import BackplanCore

/// One storage tier of a provider, with the rules that make cold tiers cheap only for the right data.
/// Prices are US dollars, sizes bytes, times seconds. How the figures combine into a bill is ``Billing``.
///
/// ```swift
/// let glacier = Tier(name: "glacier-flexible", storageDollarsPerGiBMonth: 0.0036, retrievalDollarsPerGiB: 0.01,
///                    putDollarsPer1000: 0.03, getDollarsPer1000: 0.0004, minStorageDays: 90,
///                    minBillableBytes: 0, firstByteSeconds: 4 * 3_600, offline: true,
///                    transitionDollarsPer1000: 0.03, overheadStandardBytes: 8_192, overheadTierBytes: 32_768)
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
    /// A lifecycle transition (or tier change) of an object *into* this tier, dollars per 1,000 objects
    /// (S3: "Lifecycle Transition requests into …"; Azure: Set Blob Tier, a write at the target's price;
    /// GCS: a Class A operation at the target's price).
    public var transitionDollarsPer1000: Double
    /// Per-object metadata the provider adds and bills: bytes at the catalog's first (standard) tier's rate
    /// and bytes at this tier's own rate (S3 Glacier Flexible Retrieval and Deep Archive: 8 KB and 32 KB).
    public var overheadStandardBytes: Double
    public var overheadTierBytes: Double

    public init(
        name: String, storageDollarsPerGiBMonth: Double, retrievalDollarsPerGiB: Double, putDollarsPer1000: Double,
        getDollarsPer1000: Double, minStorageDays: Double, minBillableBytes: Double, firstByteSeconds: Double, offline: Bool,
        transitionDollarsPer1000: Double = 0, overheadStandardBytes: Double = 0, overheadTierBytes: Double = 0
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
        self.transitionDollarsPer1000 = transitionDollarsPer1000
        self.overheadStandardBytes = overheadStandardBytes
        self.overheadTierBytes = overheadTierBytes
    }
}

/// A provider's automatic access tiering (S3 Intelligent-Tiering, GCS Autoclass): objects move to cheaper
/// tiers after days without access and back on access, for a monthly monitoring fee per object; small
/// objects are never moved and pay no fee.
///
/// ```swift
/// let it = AutoTiering(name: "S3 Intelligent-Tiering", monitoringDollarsPer1000Objects: 0.0025,
///                      minObjectBytes: 131_072, steps: [(idleDays: 30, tier: 1), (idleDays: 90, tier: 2)])
/// ```
public struct AutoTiering: Sendable, Equatable {
    public var name: String
    /// Monitoring and automation, dollars per 1,000 objects per month (objects of at least ``minObjectBytes``).
    public var monitoringDollarsPer1000Objects: Double
    /// Smaller objects always stay at the first tier's rate and pay no monitoring fee, bytes.
    public var minObjectBytes: Double
    /// After `idleDays` without access an object is billed at tier `tier`'s storage rate (index in the
    /// catalog), ascending by days.
    public var steps: [Step]

    public struct Step: Sendable, Equatable {
        public var idleDays: Double
        public var tier: Int
        public init(idleDays: Double, tier: Int) {
            self.idleDays = idleDays
            self.tier = tier
        }
    }

    public init(name: String, monitoringDollarsPer1000Objects: Double, minObjectBytes: Double, steps: [(idleDays: Double, tier: Int)]) {
        self.name = name
        self.monitoringDollarsPer1000Objects = monitoringDollarsPer1000Objects
        self.minObjectBytes = minObjectBytes
        self.steps = steps.map { Step(idleDays: $0.idleDays, tier: $0.tier) }.sorted { $0.idleDays < $1.idleDays }
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
    /// Hours in a billing month: storage is billed per GB-month of 730 hours (AWS, GCS and Azure alike).
    public var hoursPerMonth: Double
    /// The provider's automatic tiering, if it has one (Azure has none with a per-object fee).
    public var autoTiering: AutoTiering?

    public init(file: String, provider: String, region: String, source: String, asOf: String, tiers: [Tier],
                hoursPerMonth: Double = 730, autoTiering: AutoTiering? = nil) {
        self.file = file
        self.provider = provider
        self.region = region
        self.source = source
        self.asOf = asOf
        self.tiers = tiers
        self.hoursPerMonth = hoursPerMonth
        self.autoTiering = autoTiering
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
