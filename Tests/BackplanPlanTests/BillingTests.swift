import BackplanCore
import Testing
@testable import BackplanPlan

/// One test per provider rule ``Billing`` encodes, each against a hand computation with S3's us-east-1 list
/// prices (https://aws.amazon.com/s3/pricing/, the figures of datasets/pricing/aws-s3.yaml).
@Suite("Billing rules")
struct BillingTests {
    static let gib = 1_073_741_824.0
    static let kib = 1_024.0

    /// S3 Standard, Standard-IA, Glacier IR, Glacier Flexible Retrieval; Intelligent-Tiering over them.
    static let s3 = PriceCatalog(file: "s3.yaml", provider: "aws-s3", region: "us-east-1", source: "test", asOf: "test", tiers: [
        Tier(name: "standard", storageDollarsPerGiBMonth: 0.023, retrievalDollarsPerGiB: 0, putDollarsPer1000: 0.005,
             getDollarsPer1000: 0.0004, minStorageDays: 0, minBillableBytes: 0, firstByteSeconds: 0, offline: false,
             transitionDollarsPer1000: 0.005),
        Tier(name: "standard-ia", storageDollarsPerGiBMonth: 0.0125, retrievalDollarsPerGiB: 0.01, putDollarsPer1000: 0.01,
             getDollarsPer1000: 0.001, minStorageDays: 30, minBillableBytes: 128 * kib, firstByteSeconds: 0, offline: false,
             transitionDollarsPer1000: 0.01),
        Tier(name: "glacier-ir", storageDollarsPerGiBMonth: 0.004, retrievalDollarsPerGiB: 0.03, putDollarsPer1000: 0.02,
             getDollarsPer1000: 0.01, minStorageDays: 90, minBillableBytes: 128 * kib, firstByteSeconds: 0, offline: false,
             transitionDollarsPer1000: 0.02),
        Tier(name: "glacier-flexible", storageDollarsPerGiBMonth: 0.0036, retrievalDollarsPerGiB: 0.01, putDollarsPer1000: 0.03,
             getDollarsPer1000: 0.05, minStorageDays: 90, minBillableBytes: 0, firstByteSeconds: 18_000, offline: true,
             transitionDollarsPer1000: 0.03, overheadStandardBytes: 8 * kib, overheadTierBytes: 32 * kib),
    ], autoTiering: AutoTiering(name: "S3 Intelligent-Tiering", monitoringDollarsPer1000Objects: 0.0025, minObjectBytes: 128 * kib,
                                steps: [(idleDays: 30, tier: 1), (idleDays: 90, tier: 2)]))
    static let billing = Billing(catalog: s3)
    static let month = 730 * 3_600.0

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 + 1e-9 * abs(b) }

    @Test("S3 bills storage per GB-month of 730 hours: 1 GiB on Standard for 730 h is $0.023, for 30 days 720/730 of it")
    func monthIs730Hours() {
        let b = Self.billing
        #expect(b.secondsPerMonth == 2_628_000)
        #expect(Self.close(b.storage(sizeBytes: Self.gib, objectBytes: Self.gib, tier: 0, seconds: Self.month), 0.023))
        #expect(Self.close(b.storage(sizeBytes: Self.gib, objectBytes: Self.gib, tier: 0, seconds: 30 * 86_400), 0.023 * 720 / 730))
    }

    @Test("S3 minimum storage duration: charged only for data deleted, overwritten or transitioned before 30/90 days, pro rata for the days left")
    func minimumDurationOnlyWhenDeletedEarly() {
        let b = Self.billing
        // Appended messages that stay a month on Standard-IA: a month of storage, no minimum-duration charge.
        let live = b.liveData(sizeBytes: Self.gib, objectBytes: Self.gib, reads: 0, writes: 10_000, bytesPerRead: 0, tier: 1, seconds: Self.month)
        #expect(Self.close(live.storage, 0.0125) && live.earlyDeletion == 0)
        // Moved off Standard-IA after 10 days: the 20 days left are billed; after 40 days, nothing.
        #expect(Self.close(b.earlyDeletion(sizeBytes: Self.gib, objectBytes: Self.gib, tier: 1, heldSeconds: 10 * 86_400),
                           0.0125 * 20 * 86_400 / Self.month))
        #expect(b.earlyDeletion(sizeBytes: Self.gib, objectBytes: Self.gib, tier: 1, heldSeconds: 40 * 86_400) == 0)
        #expect(b.earlyDeletion(sizeBytes: Self.gib, objectBytes: Self.gib, tier: 0, heldSeconds: 0) == 0, "Standard has no minimum")
    }

    @Test("S3 request pricing: every GET and PUT of live data is billed at its storage class's price per 1,000")
    func liveDataRequestsAreBilled() {
        let b = Self.billing
        let hot = b.liveData(sizeBytes: 0, objectBytes: 0, reads: 3_000, writes: 600, bytesPerRead: 4_096, tier: 0, seconds: Self.month)
        #expect(Self.close(hot.requests, 3 * 0.0004 + 0.6 * 0.005) && hot.retrieval == 0)
        let ia = b.liveData(sizeBytes: 0, objectBytes: 0, reads: 3_000, writes: 600, bytesPerRead: Self.gib / 1_000, tier: 1, seconds: Self.month)
        #expect(Self.close(ia.requests, 3 * 0.001 + 0.6 * 0.01))
        #expect(Self.close(ia.retrieval, 3 * 0.01), "Standard-IA retrieval: $0.01 per GB read")
    }

    @Test("S3 Standard-IA and Glacier IR bill objects smaller than 128 KB as 128 KB")
    func minimumBillableObjectSize() {
        let b = Self.billing
        // 1,000 objects of 4 KiB on Standard-IA: billed as 1,000 × 128 KiB.
        let small = b.storage(sizeBytes: 4_096_000, objectBytes: 4_096, tier: 1, seconds: Self.month)
        #expect(Self.close(small, 1_000 * 128 * Self.kib / Self.gib * 0.0125))
        #expect(Self.close(b.storage(sizeBytes: 4_096_000, objectBytes: 4_096, tier: 0, seconds: Self.month), 4_096_000 / Self.gib * 0.023))
    }

    @Test("S3 Glacier Flexible Retrieval adds 40 KB per object: 8 KB at the Standard rate and 32 KB at the Glacier rate")
    func archiveObjectOverhead() {
        let b = Self.billing
        let mib = 1_048_576.0
        let bill = b.storage(sizeBytes: 1_000 * mib, objectBytes: mib, tier: 3, seconds: Self.month)
        let expected = 1_000 * ((mib + 32 * Self.kib) * 0.0036 + 8 * Self.kib * 0.023) / Self.gib
        #expect(Self.close(bill, expected))
        #expect(Self.close(b.overheadPerObjectMonth(tier: 3), (32 * Self.kib * 0.0036 + 8 * Self.kib * 0.023) / Self.gib))
        #expect(b.overheadPerObjectMonth(tier: 1) == 0)
    }

    @Test("S3 Intelligent-Tiering: $0.0025 per 1,000 objects a month for monitoring; objects under 128 KB never tiered, no fee, Frequent Access rate")
    func intelligentTiering() {
        let b = Self.billing
        let mib = 1_048_576.0
        // 1,000 objects of 1 MiB, idle 100 days: Archive Instant Access (Glacier IR's rate) plus the fee.
        let big = b.autoTieredLiveData(sizeBytes: 1_000 * mib, objectBytes: mib, reads: 0, writes: 0, idleSeconds: 100 * 86_400, seconds: Self.month)
        #expect(Self.close(big.storage, 1_000 * mib / Self.gib * 0.004))
        #expect(Self.close(big.monitoring, 0.0025))
        #expect(big.retrieval == 0 && big.transitions == 0 && big.earlyDeletion == 0)
        // Idle 40 days: Infrequent Access (Standard-IA's rate), no 128 KB minimum for objects already over it.
        #expect(b.autoTier(idleSeconds: 40 * 86_400, objectBytes: mib) == 1)
        #expect(b.autoTier(idleSeconds: 10 * 86_400, objectBytes: mib) == 0)
        // 1,000 objects of 100 KiB, idle 100 days: never tiered, Standard's rate, no monitoring fee.
        let small = b.autoTieredLiveData(sizeBytes: 100_000 * Self.kib, objectBytes: 100 * Self.kib, reads: 0, writes: 0,
                                         idleSeconds: 100 * 86_400, seconds: Self.month)
        #expect(Self.close(small.storage, 100_000 * Self.kib / Self.gib * 0.023) && small.monitoring == 0)
        // Requests under Intelligent-Tiering are Standard's.
        let busy = b.autoTieredLiveData(sizeBytes: mib, objectBytes: mib, reads: 1_000, writes: 1_000, idleSeconds: 0, seconds: Self.month)
        #expect(Self.close(busy.requests, 0.0004 + 0.005))
        // Without automatic tiering in the catalog, everything stays on the first tier without a fee.
        var plain = Self.s3
        plain.autoTiering = nil
        let none = Billing(catalog: plain).autoTieredLiveData(sizeBytes: 1_000 * mib, objectBytes: mib, reads: 0, writes: 0,
                                                              idleSeconds: 100 * 86_400, seconds: Self.month)
        #expect(Self.close(none.storage, 1_000 * mib / Self.gib * 0.023) && none.monitoring == 0)
    }

    @Test("S3 lifecycle transitions: a request per object into the target class, the early-deletion rest of the class left, retrieval when copied back warmer")
    func tierMoves() {
        let b = Self.billing
        let mib = 1_048_576.0
        let bytes = 2_000 * mib
        // Standard → Standard-IA: 2,000 transition requests at $0.01 per 1,000; nothing else.
        let down = b.move(sizeBytes: bytes, objectBytes: mib, from: 0, to: 1, heldSeconds: 5 * 86_400)
        #expect(Self.close(down.transitions, 0.02) && down.earlyDeletion == 0 && down.retrieval == 0)
        // Standard-IA → Standard after 10 days: Standard's request price, 20 days of Standard-IA, the retrieval of every byte.
        let up = b.move(sizeBytes: bytes, objectBytes: mib, from: 1, to: 0, heldSeconds: 10 * 86_400)
        #expect(Self.close(up.transitions, 2 * 0.005))
        #expect(Self.close(up.earlyDeletion, bytes / Self.gib * 0.0125 * 20 * 86_400 / Self.month))
        #expect(Self.close(up.retrieval, bytes / Self.gib * 0.01))
        #expect(b.move(sizeBytes: bytes, objectBytes: mib, from: 1, to: 1, heldSeconds: 0) == Billing.Bill())
    }

    @Test("Objects are the writes: size over object size, at least one; a bill's components add up")
    func objectsAndBills() {
        #expect(Billing.objects(sizeBytes: 0, objectBytes: 100) == 0)
        #expect(Billing.objects(sizeBytes: 50, objectBytes: 100) == 1)
        #expect(Billing.objects(sizeBytes: 1_000, objectBytes: 100) == 10)
        #expect(Billing.objects(sizeBytes: 1_000, objectBytes: 0) == 1)
        // No data, no bill (not NaN), on every tier and with any object size.
        for tier in Self.s3.tiers.indices {
            for objectBytes in [0.0, 4_096, 67_108_864] {
                #expect(Self.billing.storage(sizeBytes: 0, objectBytes: objectBytes, tier: tier, seconds: Self.month) == 0)
                #expect(Self.billing.move(sizeBytes: 0, objectBytes: objectBytes, from: 0, to: tier, heldSeconds: 0) == Billing.Bill())
                #expect(Self.billing.autoTieredLiveData(sizeBytes: 0, objectBytes: objectBytes, reads: 0, writes: 0, idleSeconds: 1e9,
                                                        seconds: Self.month).total == 0)
            }
        }
        var a = Billing.Bill()
        a.storage = 1; a.requests = 2; a.retrieval = 3; a.monitoring = 4; a.transitions = 5; a.earlyDeletion = 6
        #expect(a.total == 21 && (a + a).total == 42 && a.scaled(0.5).total == 10.5)
    }
}
