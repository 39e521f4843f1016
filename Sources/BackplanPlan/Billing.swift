import BackplanCore

/// The one billing model: how a provider turns stored bytes, objects, requests and tier moves into dollars.
/// The planner prices a month with it (`CostModel` in BackplanPlanner) and the simulator bills the replayed
/// window with it (`Simulation` in BackplanSimulator), so the two cannot disagree about a rule.
///
/// Object model: live data is the dataset's messages, one object per write, of the mean write size (so a
/// dataset of S bytes holds S / bytes-per-write objects, at least one); backups are objects of the
/// uploader's part size (``Billing/partBytes``). Rules, each from the providers' pricing pages (the
/// catalogs' `source`):
/// - Storage is billed per GiB-month of ``PriceCatalog/hoursPerMonth`` (730 h) hours, pro rata by time.
/// - An object smaller than the tier's minimum billable size is billed as that size (S3 Standard-IA and
///   Glacier IR: 128 KB); archive tiers add per-object metadata, part at the standard rate and part at their
///   own (S3 Glacier Flexible Retrieval and Deep Archive: 8 KB + 32 KB).
/// - The minimum storage duration is charged only for data deleted, overwritten or moved before it (S3:
///   "objects that are deleted, overwritten, or transitioned … before the minimum are charged a prorated
///   fee for the remaining days"). Appended messages are neither: live data that stays pays no such fee.
/// - Each read of live data is a GET and each write a PUT, at the tier's request prices; reading from a tier
///   with a retrieval fee pays it per GiB read.
/// - Automatic tiering (S3 Intelligent-Tiering, GCS Autoclass) charges a monitoring fee per 1,000 objects
///   per month and no retrieval or transition fees; objects below its minimum size (128 KiB) are never
///   moved and pay no fee: they are always billed at the frequent-access (first tier's) rate.
/// - Moving an object between tiers costs a transition request (priced by the target tier), the
///   early-deletion remainder of the tier it leaves, and the retrieval of its bytes when it moves to a
///   warmer (dearer to store) tier.
///
/// ```swift
/// let billing = Billing(catalog: catalog)                     // aws-s3.yaml
/// let month = billing.secondsPerMonth                          // 2,628,000 s (730 h)
/// let bill = billing.liveData(sizeBytes: 10 * 1_073_741_824, objectBytes: 4_096, reads: 3_000, writes: 600,
///                             bytesPerRead: 4_096, tier: 0, seconds: month)
/// bill.storage                                                  // 10 GiB × $0.023 = $0.23
/// ```
public struct Billing: Sendable {
    public let catalog: PriceCatalog
    /// Seconds in a billing month: ``PriceCatalog/hoursPerMonth`` × 3,600.
    public let secondsPerMonth: Double
    /// Bytes in the GiB the providers bill by ("GB" of 2³⁰ bytes on the AWS, GCS and Azure pages).
    public static let bytesPerGiB = 1_073_741_824.0
    /// Size of one uploaded backup part (an object of the backup repository), bytes.
    public static let partBytes = 67_108_864.0

    public init(catalog: PriceCatalog) {
        self.catalog = catalog
        secondsPerMonth = catalog.hoursPerMonth * 3_600
    }

    /// Dollars by component. Storage is bytes held; requests are GETs and PUTs of live data or backups;
    /// retrieval is per GiB read from a tier with a retrieval fee; monitoring is automatic tiering's
    /// per-object fee; transitions are tier-change requests; early deletion is the minimum-duration remainder.
    public struct Bill: Sendable, Equatable, Codable {
        public var storage = 0.0
        public var requests = 0.0
        public var retrieval = 0.0
        public var monitoring = 0.0
        public var transitions = 0.0
        public var earlyDeletion = 0.0

        public init() {}

        public var total: Double { storage + requests + retrieval + monitoring + transitions + earlyDeletion }

        public static func + (a: Bill, b: Bill) -> Bill {
            var c = a
            c += b
            return c
        }

        public static func += (a: inout Bill, b: Bill) {
            a.storage += b.storage
            a.requests += b.requests
            a.retrieval += b.retrieval
            a.monitoring += b.monitoring
            a.transitions += b.transitions
            a.earlyDeletion += b.earlyDeletion
        }

        /// Every component times `factor` (a price change).
        public func scaled(_ factor: Double) -> Bill {
            var c = self
            c.storage *= factor
            c.requests *= factor
            c.retrieval *= factor
            c.monitoring *= factor
            c.transitions *= factor
            c.earlyDeletion *= factor
            return c
        }
    }

    /// Objects in `sizeBytes` of data made of objects of `objectBytes` each: size / object size, at least
    /// one for any data (the whole dataset is one object when the object size is unknown, 0).
    @inline(__always)
    public static func objects(sizeBytes: Double, objectBytes: Double) -> Double {
        guard sizeBytes > 0 else { return 0 }
        return objectBytes > 0 ? max(1, sizeBytes / objectBytes) : 1
    }

    /// Storage dollars per month for `objects` objects of `objectBytes` each on `tier`: each object billed at
    /// least the tier's minimum billable size, plus the tier's per-object metadata (part at the first
    /// tier's rate, part at its own).
    ///
    /// - Example: 1,000 objects of 4 KiB on S3 Standard-IA are billed as 1,000 × 128 KiB × $0.0125/GiB-month.
    @inline(__always)
    public func storagePerMonth(objects: Double, objectBytes: Double, tier: Int) -> Double {
        let t = catalog.tiers[tier]
        return objects * (max(objectBytes, t.minBillableBytes) * t.storageDollarsPerGiBMonth / Self.bytesPerGiB
                          + overheadPerObjectMonth(tier: tier))
    }

    /// The per-object metadata one object on `tier` is billed for, dollars per month: the tier's overhead
    /// bytes at its own rate and its standard-rate bytes at the first tier's (S3 Glacier Flexible Retrieval:
    /// 32 KB × $0.0036 + 8 KB × $0.023 per GiB-month).
    @inline(__always)
    public func overheadPerObjectMonth(tier: Int) -> Double {
        let t = catalog.tiers[tier]
        return (t.overheadTierBytes * t.storageDollarsPerGiBMonth + t.overheadStandardBytes * catalog.tiers[0].storageDollarsPerGiBMonth)
            / Self.bytesPerGiB
    }

    /// The storage of `sizeBytes` of live data (objects of `objectBytes`) on `tier` for `seconds`, dollars.
    @inline(__always)
    public func storage(sizeBytes: Double, objectBytes: Double, tier: Int, seconds: Double) -> Double {
        let n = Self.objects(sizeBytes: sizeBytes, objectBytes: objectBytes)
        guard n > 0 else { return 0 }
        return storagePerMonth(objects: n, objectBytes: sizeBytes / n, tier: tier) * seconds / secondsPerMonth
    }

    /// Live data on `tier` over `seconds`: its storage, a GET per read and a PUT per write, and the retrieval
    /// fee for the bytes read (none on a tier without one).
    public func liveData(sizeBytes: Double, objectBytes: Double, reads: Double, writes: Double, bytesPerRead: Double,
                         tier: Int, seconds: Double) -> Bill {
        let t = catalog.tiers[tier]
        var bill = Bill()
        bill.storage = storage(sizeBytes: sizeBytes, objectBytes: objectBytes, tier: tier, seconds: seconds)
        bill.requests = (max(0, reads) * t.getDollarsPer1000 + max(0, writes) * t.putDollarsPer1000) / 1_000
        bill.retrieval = max(0, reads) * bytesPerRead / Self.bytesPerGiB * t.retrievalDollarsPerGiB
        return bill
    }

    /// The early-deletion charge for `sizeBytes` (objects of `objectBytes`) deleted, overwritten or moved off
    /// `tier` after `heldSeconds` there: the storage of the days left to the tier's minimum, 0 once past it.
    public func earlyDeletion(sizeBytes: Double, objectBytes: Double, tier: Int, heldSeconds: Double) -> Double {
        let remaining = catalog.tiers[tier].minStorageDays * 86_400 - max(0, heldSeconds)
        guard remaining > 0 else { return 0 }
        return storage(sizeBytes: sizeBytes, objectBytes: objectBytes, tier: tier, seconds: remaining)
    }

    /// Whether `to` is warmer than `from`: dearer to store (moving there is a copy that reads the data back).
    @inline(__always)
    public func isWarmer(_ to: Int, than from: Int) -> Bool {
        catalog.tiers[to].storageDollarsPerGiBMonth > catalog.tiers[from].storageDollarsPerGiBMonth
    }

    /// Moving `sizeBytes` (objects of `objectBytes`) from tier `from`, where it has been `heldSeconds`, to
    /// tier `to`: a transition request per object at the target's price, the early-deletion remainder on
    /// the tier it leaves, and the retrieval of its bytes when the target is warmer. Nothing when from == to.
    public func move(sizeBytes: Double, objectBytes: Double, from: Int, to: Int, heldSeconds: Double) -> Bill {
        var bill = Bill()
        guard from != to, sizeBytes > 0 else { return bill }
        let n = Self.objects(sizeBytes: sizeBytes, objectBytes: objectBytes)
        bill.transitions = n * catalog.tiers[to].transitionDollarsPer1000 / 1_000
        bill.earlyDeletion = earlyDeletion(sizeBytes: sizeBytes, objectBytes: objectBytes, tier: from, heldSeconds: heldSeconds)
        if isWarmer(to, than: from) {
            bill.retrieval = sizeBytes / Self.bytesPerGiB * catalog.tiers[from].retrievalDollarsPerGiB
        }
        return bill
    }

    /// Whether automatic tiering moves (and charges monitoring for) objects of `objectBytes`: only objects of
    /// at least its minimum size (S3 Intelligent-Tiering: 128 KB).
    @inline(__always)
    public func autoTiers(objectBytes: Double) -> Bool {
        guard let a = catalog.autoTiering else { return false }
        return objectBytes >= a.minObjectBytes
    }

    /// The tier whose storage rate automatic tiering bills after `idleSeconds` without access for objects of
    /// `objectBytes`: the first tier for small objects or recent access, else the last step reached.
    public func autoTier(idleSeconds: Double, objectBytes: Double) -> Int {
        guard let a = catalog.autoTiering, autoTiers(objectBytes: objectBytes) else { return 0 }
        var tier = 0
        for s in a.steps where idleSeconds >= s.idleDays * 86_400 { tier = s.tier }
        return tier
    }

    /// Live data under automatic tiering over `seconds` after `idleSeconds` without access: storage at the
    /// rate of ``autoTier(idleSeconds:objectBytes:)``, the monitoring fee for objects it tiers, GETs and
    /// PUTs at the first tier's prices, and no retrieval or transition fee.
    public func autoTieredLiveData(sizeBytes: Double, objectBytes: Double, reads: Double, writes: Double, idleSeconds: Double,
                                   seconds: Double) -> Bill {
        let tier = autoTier(idleSeconds: idleSeconds, objectBytes: objectBytes)
        let hot = catalog.tiers[0]
        var bill = Bill()
        bill.storage = storage(sizeBytes: sizeBytes, objectBytes: objectBytes, tier: tier, seconds: seconds)
        bill.requests = (max(0, reads) * hot.getDollarsPer1000 + max(0, writes) * hot.putDollarsPer1000) / 1_000
        if let a = catalog.autoTiering, autoTiers(objectBytes: objectBytes) {
            bill.monitoring = Self.objects(sizeBytes: sizeBytes, objectBytes: objectBytes) * a.monitoringDollarsPer1000Objects / 1_000
                * seconds / secondsPerMonth
        }
        return bill
    }
}
