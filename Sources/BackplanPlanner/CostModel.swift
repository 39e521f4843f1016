import BackplanPlan
import Foundation

/// The cost model of DESIGN §4, per dataset and option, in dollars per billing month (730 h, the catalog's
/// ``PriceCatalog/hoursPerMonth``). What the provider bills follows ``Billing``, the one billing model the
/// simulator uses too.
///
/// For a dataset of size S with Poisson writes at rate r, backed up every T with skip-if-unchanged:
/// - backups per month B = (M/T)·(1 − e^{−rT}), M = one month; each moves inc = min(S, b_w·rT/(1 − e^{−rT}))
///   bytes (the expected bytes written in an interval with at least one write);
/// - storage per copy on tier t: the full copy (objects of the part size, ``Billing/storagePerMonth``) and
///   (B/M_d)·max(L, d_t) increments, each billed max(inc, m_t) plus the tier's per-object metadata, where
///   m_t is the minimum billable size, d_t the minimum storage days (an increment deleted at the end of the
///   retention span L is billed at least d_t: the early-deletion rule) and M_d the days in a month;
/// - operations: B·(1 + inc/64 MiB) PUTs per copy;
/// - restores happen at ρ = Σ 1/MTBF; each reads S back from the backup tier (retrieval and GETs);
/// - expected loss: ρM·(rT/2)·(c_msg + b_w·c_GiB), the writes since the last backup at a random failure;
/// - downtime: ρM·(first byte + S/throughput)·c_hour, and that restore time must be within the class RTO.
/// Live data on tier t is ``Billing/liveData(sizeBytes:objectBytes:reads:writes:bytesPerRead:tier:seconds:)``
/// over a month: objects of the mean write size, a GET per read and a PUT per write, retrieval per byte read.
/// Appended messages are never overwritten, so live data pays no minimum-duration charge. Live data off the
/// first tier also pays its move there (``Billing/move(sizeBytes:objectBytes:from:to:heldSeconds:)``: a
/// transition request per object) once, counted against one month.
public struct CostModel: Sendable {
    /// Bytes per GiB, as the providers bill (``Billing/bytesPerGiB``).
    public static let bytesPerGiB = Billing.bytesPerGiB
    /// Size of one uploaded part: requests per backup are 1 + inc/partBytes (``Billing/partBytes``).
    public static let partBytes = Billing.partBytes

    /// The billing rules over the catalog.
    public let billing: Billing
    /// Seconds and days in the catalog's billing month.
    public let secondsPerMonth: Double
    public let daysPerMonth: Double
    public let policy: Policy
    public let catalog: PriceCatalog
    /// Cheapest offline tier, where the classes' offline copies go (`nil` when the catalog has none).
    public let offlineTier: Int?
    /// Restores per second a dataset needs: Σ 1/MTBF over the policy's failure kinds.
    let restoreRate: Double
    /// The tiers' figures without their names, so pricing an option copies no strings.
    let rates: [Rates]

    struct Rates {
        var storage, retrieval, put, get, minDays, minBillable, firstByte: Double

        init(_ t: Tier) {
            storage = t.storageDollarsPerGiBMonth
            retrieval = t.retrievalDollarsPerGiB
            put = t.putDollarsPer1000
            get = t.getDollarsPer1000
            minDays = t.minStorageDays
            minBillable = t.minBillableBytes
            firstByte = t.firstByteSeconds
        }
    }

    public init(policy: Policy, catalog: PriceCatalog) {
        self.policy = policy
        self.catalog = catalog
        offlineTier = catalog.tiers.indices.filter { catalog.tiers[$0].offline }
            .min { catalog.tiers[$0].storageDollarsPerGiBMonth < catalog.tiers[$1].storageDollarsPerGiBMonth }
        restoreRate = policy.restoreRatePerSecond
        rates = catalog.tiers.map(Rates.init)
        billing = Billing(catalog: catalog)
        secondsPerMonth = billing.secondsPerMonth
        daysPerMonth = billing.secondsPerMonth / 86_400
    }

    /// Monthly cost of backing `d` up every `interval` seconds onto `tier` (online copies) and the offline
    /// tier (offline copies), with restore points kept `retentionDays`.
    public func backupCost(_ d: DatasetForecast, policy c: ClassPolicy, intervalSeconds interval: Double, tier: Int,
                           retentionDays: Double) -> CostBreakdown {
        BackupPricer(self, d, policy: c, tier: tier, retentionDays: retentionDays).cost(interval)
    }

    /// Monthly cost of keeping the live data of `d` on `tier` (``Billing/liveData(sizeBytes:objectBytes:reads:writes:bytesPerRead:tier:seconds:)``
    /// over one billing month; objects are the writes, of the mean write size).
    ///
    /// `from` is the tier the data is on now (the first tier, where writes land, for a new plan; the tier in
    /// force when re-planning): moving costs nothing when `tier == from`.
    public func dataCost(_ d: DatasetForecast, tier: Int, from: Int = 0) -> CostBreakdown {
        let bill = billing.liveData(sizeBytes: d.sizeBytes, objectBytes: d.bytesPerWrite, reads: max(0, d.readsPerDay) * daysPerMonth,
                                    writes: max(0, d.writesPerDay) * daysPerMonth, bytesPerRead: d.bytesPerRead, tier: tier,
                                    seconds: secondsPerMonth)
        // The data is on the first tier (where writes land) until the plan moves it: the move's transitions
        // (Billing.move) spread over one month, the least a plan holds.
        let move = tier == from ? Billing.Bill()
            : billing.move(sizeBytes: d.sizeBytes, objectBytes: d.bytesPerWrite, from: from, to: tier, heldSeconds: .infinity)
        var cost = CostBreakdown()
        cost.storage = bill.storage + move.earlyDeletion
        cost.operations = bill.requests + bill.monitoring + move.transitions
        cost.retrieval = bill.retrieval + move.retrieval
        cost.transitions = move.transitions
        cost.earlyDeletion = move.earlyDeletion
        cost.monitoring = bill.monitoring
        return cost
    }

    /// The live data's tier and monthly cost among `tiers`: with an age profile the cheapest tiering over the
    /// schedule horizon (``chooseTiering(_:tiers:)``, its bill per billing month, moves included) and the
    /// choice; without one the cheapest single tier by ``dataCost(_:tier:)``. `nil` when `tiers` is empty.
    public func dataChoice(_ d: DatasetForecast, tiers: [Int]) -> (tier: Int, cost: CostBreakdown, choice: TieringChoice?)? {
        if let c = chooseTiering(d, tiers: tiers) {
            let b = c.bill.scaled(daysPerMonth / Self.scheduleHorizonDays)
            var cost = CostBreakdown()
            cost.storage = b.storage + b.earlyDeletion
            cost.operations = b.requests + b.transitions + b.monitoring
            cost.retrieval = b.retrieval
            cost.transitions = b.transitions
            cost.earlyDeletion = b.earlyDeletion
            cost.monitoring = b.monitoring
            return (c.tier, cost, c.choice)
        }
        // Re-planning hysteresis without an age profile: a single tier in force is where the data is, so
        // staying costs no move and any other tier pays the move from there (once, within the month).
        let from = d.currentTiering.flatMap { c in c.isSingleTier ? catalog.tiers.firstIndex(where: { $0.name == c.firstTier }) : nil } ?? 0
        var best: (tier: Int, cost: CostBreakdown, choice: TieringChoice?)?
        for t in tiers {
            let cost = dataCost(d, tier: t, from: from)
            if best.map({ cost.total < $0.cost.total }) ?? true { best = (t, cost, nil) }
        }
        return best
    }

    /// Young's interval for `d` on `tier`, T = √(2·C_b/(ρ·r·c)) with C_b the dollars of one backup
    /// (its requests on every copy), ρ the restore rate, r the write rate and c the loss per write; `nil` when
    /// the dataset has no writes or no loss price.
    public func youngIntervalSeconds(_ d: DatasetForecast, policy c: ClassPolicy, tier: Int) -> Double? {
        let t = rates[tier]
        let off = offlineTier.map { rates[$0] } ?? t
        let rate = max(0, d.writesPerDay) / 86_400
        let loss = c.lossDollarsPerMessage + d.bytesPerWrite / Self.bytesPerGiB * c.lossDollarsPerGiB
        let inc = d.bytesPerWrite  // one part per backup at the rates where the formula matters
        let backupDollars = (1 + inc / Self.partBytes)
            * (Double(c.copies - c.offlineCopies) * t.put + Double(c.offlineCopies) * off.put) / 1_000
        let rho = restoreRate
        guard rate > 0, loss > 0, rho > 0, backupDollars > 0 else { return nil }
        return Checkpointing.young(checkpointCost: backupDollars, mtbf: 1 / (rho * rate * loss))
    }
}

/// The cost model of one dataset on one tier with everything that does not depend on the interval worked
/// out once, so the planner can price many intervals cheaply (see ``CostModel`` for the formulas).
struct BackupPricer {
    let rate, sizeBytes, bytesPerWrite: Double
    let onlineCopies, offlineCopies, copies: Double
    let online, offline: (minBillable: Double, keptDays: Double, price: Double)
    /// Tier-independent-of-interval inputs of ``IntervalTerms``: days in a month.
    let daysPerMonth: Double
    let baseStorage, perRequest, retrieval, restoreSeconds, downtime, lossPerExposedWrite: Double
    /// Copies × days kept × price per GiB-day-month: storage dollars per byte of increment made per day.
    let onlineIncrementFactor, offlineIncrementFactor: Double
    /// Copies × days kept × per-object metadata dollars per month: storage dollars per increment made per day.
    let incrementOverhead: Double

    init(_ model: CostModel, _ d: DatasetForecast, policy c: ClassPolicy, tier: Int, retentionDays: Double) {
        let t = model.rates[tier]
        let off = model.offlineTier.map { model.rates[$0] } ?? t
        let gib = CostModel.bytesPerGiB
        rate = max(0, d.writesPerDay) / 86_400
        sizeBytes = d.sizeBytes
        bytesPerWrite = d.bytesPerWrite
        daysPerMonth = model.daysPerMonth
        onlineCopies = Double(c.copies - c.offlineCopies)
        offlineCopies = Double(c.offlineCopies)
        copies = Double(c.copies)
        online = (t.minBillable, max(retentionDays, t.minDays), t.storage)
        offline = (off.minBillable, max(retentionDays, off.minDays), off.storage)
        let offIndex = model.offlineTier ?? tier
        let b = model.billing, month = model.secondsPerMonth
        baseStorage = onlineCopies * b.storage(sizeBytes: d.sizeBytes, objectBytes: CostModel.partBytes, tier: tier, seconds: month)
            + offlineCopies * b.storage(sizeBytes: d.sizeBytes, objectBytes: CostModel.partBytes, tier: offIndex, seconds: month)
        perRequest = (onlineCopies * t.put + offlineCopies * off.put) / 1_000
        let restoresPerMonth = model.restoreRate * month
        retrieval = restoresPerMonth * (d.sizeBytes / gib * t.retrieval + (1 + d.sizeBytes / CostModel.partBytes) * t.get / 1_000)
        restoreSeconds = t.firstByte + d.sizeBytes / model.policy.restoreBytesPerSecond
        downtime = restoresPerMonth * restoreSeconds / 3_600 * c.downtimeDollarsPerHour
        lossPerExposedWrite = restoresPerMonth * (c.lossDollarsPerMessage + d.bytesPerWrite / gib * c.lossDollarsPerGiB)
        onlineIncrementFactor = onlineCopies * online.keptDays * online.price / gib
        offlineIncrementFactor = offlineCopies * offline.keptDays * offline.price / gib
        // Per-object metadata of each increment (archive tiers), dollars per increment kept a month, per day of keeping.
        incrementOverhead = onlineCopies * online.keptDays * b.overheadPerObjectMonth(tier: tier)
            + offlineCopies * offline.keptDays * b.overheadPerObjectMonth(tier: offIndex)
    }

    /// The parts of the cost at one interval that do not depend on the tier (see ``IntervalTerms``).
    @inline(__always)
    func terms(_ interval: Double) -> IntervalTerms {
        IntervalTerms(rate: rate, sizeBytes: sizeBytes, bytesPerWrite: bytesPerWrite, interval: interval, daysPerMonth: daysPerMonth)
    }

    /// The interval-dependent parts on this tier: increments' storage, requests, exposed writes, bytes moved.
    /// No division: every factor is precomputed, here or in `t`.
    @inline(__always)
    private func parts(_ t: IntervalTerms) -> (incStorage: Double, operations: Double, exposed: Double, bytesPerDay: Double) {
        let incStorage = t.backupsPerDay * (onlineIncrementFactor * max(t.inc, online.minBillable)
                                            + offlineIncrementFactor * max(t.inc, offline.minBillable) + incrementOverhead)
        return (incStorage, t.requestsPerMonthPerCopy * perRequest, t.exposed, t.backupsPerDay * t.inc * copies)
    }

    /// Spend, risk and backup bytes per day at `interval`: what the optimiser compares.
    @inline(__always)
    func quick(_ interval: Double) -> (spend: Double, risk: Double, bytes: Double) {
        quick(terms(interval))
    }

    /// ``quick(_:)`` from the tier-independent terms of the interval, so several tiers share them.
    @inline(__always)
    func quick(_ t: IntervalTerms) -> (spend: Double, risk: Double, bytes: Double) {
        let p = parts(t)
        return (baseStorage + p.incStorage + p.operations + retrieval, p.exposed * lossPerExposedWrite + downtime, p.bytesPerDay)
    }

    /// The full breakdown at `interval`.
    func cost(_ interval: Double) -> CostBreakdown {
        let p = parts(terms(interval))
        var cost = CostBreakdown()
        cost.storage = baseStorage + p.incStorage
        cost.operations = p.operations
        cost.retrieval = retrieval
        cost.restoreSeconds = restoreSeconds
        cost.downtime = downtime
        cost.exposedWrites = p.exposed
        cost.expectedLoss = p.exposed * lossPerExposedWrite
        cost.backupBytesPerDay = p.bytesPerDay
        return cost
    }
}

/// What one backup interval T means for a dataset whatever the tier (DESIGN §4), worked out once so that every
/// tier's cost at T shares it: with writes at rate r, an interval sees a write with probability 1 − e^{−rT}, so
/// there are (86,400/T)·(1 − e^{−rT}) backups a day, each moving inc = min(S, b_w·rT/(1 − e^{−rT})) bytes (the
/// expected bytes written in an interval with at least one write), and a failure at a random time finds rT/2
/// writes unprotected. One `expm1` and two divisions.
struct IntervalTerms {
    /// Backups per day (skip-if-unchanged: only intervals that saw a write cost one).
    let backupsPerDay: Double
    /// Bytes one backup moves.
    let inc: Double
    /// Expected unprotected writes at a random failure time, rT/2.
    let exposed: Double
    /// Upload requests per month per copy: backups per month × (1 + inc/part size).
    let requestsPerMonthPerCopy: Double

    @inline(__always)
    init(rate: Double, sizeBytes: Double, bytesPerWrite: Double, interval: Double, daysPerMonth: Double) {
        let rt = rate * interval
        let changed = -expm1(-rt)  // P(at least one write in an interval)
        backupsPerDay = 86_400 / interval * changed
        inc = changed > 0 ? min(sizeBytes, bytesPerWrite * rt / changed) : 0
        exposed = rt * 0.5
        requestsPerMonthPerCopy = backupsPerDay * daysPerMonth * (1 + inc * (1 / CostModel.partBytes))
    }
}
