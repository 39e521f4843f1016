import BackplanPlan
import Foundation

/// Pricing live data under tier schedules by object age (``TierSchedule``) over a horizon, from a dataset's
/// ``AgeProfile`` and forecast, every charge through ``Billing``:
/// - storage per GiB-month (730 h) of each object's bytes on the tier of its age, each object billed at least the
///   tier's minimum billable size (S3 Standard-IA, Glacier IR: 128 KB);
/// - a transition request per object moved, at the target tier's price ("Lifecycle Transition requests into");
///   objects already older than a step when the plan starts move then (from the first tier, where data sits
///   before a plan moves it);
/// - the early-deletion remainder of an object leaving a tier before its minimum duration (S3: "objects that are
///   … transitioned … before the minimum are charged a prorated fee for the remaining days");
/// - a GET per read at the tier of the object it fetches (the newest, ``AgeProfile/readsOnLargeByAge``) and
///   that tier's retrieval fee per GiB read; a PUT per write on the tier writes land on;
/// - objects under the schedule's minimum size never move (S3 `TransitionDefaultMinimumObjectSize`).
/// Future writes arrive at the forecast rate, uniformly over the horizon.
extension CostModel {
    /// Days a tiering choice is priced over: 90, the longest minimum storage duration of an online tier (S3
    /// Glacier IR), so a move's early-deletion commitment lies inside it. Fixed, not tuned on any window.
    public static let scheduleHorizonDays = 90.0

    /// Step ages, days, of the candidate schedules: S3 Lifecycle accepts Standard-IA transitions from day 30,
    /// and a move out of Standard-IA 30 days after the move in; every candidate obeys both.
    public static let scheduleStepDays = [30, 60, 90, 120, 180]

    /// One step of a priced schedule: from `days` of object age on, tier index `tier`.
    public typealias Step = (days: Int, tier: Int)

    /// The candidate schedules whose tiers are all in `tiers` (online tiers meeting the class RTO), written to
    /// the first tier: one step to a cheaper tier at each of ``scheduleStepDays``, and two steps (colder at
    /// least 30 days after warmer) to two ever cheaper tiers. Empty when the first tier is not in `tiers`.
    ///
    /// Only tiers with an S3 storage class (``Plan/s3StorageClasses``): a schedule must be exported to be
    /// enforced (the S3 Lifecycle export), and nothing enforces one on GCS or Azure yet (no lifecycle export
    /// there, and the executor does not move live data), so there the planner keeps single tiers.
    public func scheduleCandidates(tiers: [Int]) -> [[Step]] {
        let s3 = { (t: Int) in Plan.s3StorageClasses[self.catalog.tiers[t].name] != nil }
        guard tiers.contains(0), s3(0) else { return [] }
        let rate = { (t: Int) in self.catalog.tiers[t].storageDollarsPerGiBMonth }
        let colder = tiers.filter { $0 != 0 && rate($0) < rate(0) && s3($0) }
        var out: [[Step]] = []
        for t in colder { for a in Self.scheduleStepDays { out.append([(0, 0), (a, t)]) } }
        for t1 in colder {
            for t2 in colder where rate(t2) < rate(t1) {
                for a1 in Self.scheduleStepDays {
                    for a2 in Self.scheduleStepDays where a2 >= a1 + 30 { out.append([(0, 0), (a1, t1), (a2, t2)]) }
                }
            }
        }
        return out
    }

    /// The live data of `d` over `horizonDays` entirely on `tier`, moved there from the first tier at the start
    /// (nothing moves for the first tier): storage of the mean size over the horizon, GETs/PUTs/retrieval at
    /// the tier, and the move. Returns the whole bill and its moves.
    public func singleTierBill(_ d: DatasetForecast, existingBytes: Double, existingObjects: Double, tier: Int,
                               horizonDays h: Double) -> (bill: Billing.Bill, moves: Billing.Bill) {
        let w = max(0, d.writesPerDay), r = max(0, d.readsPerDay)
        let objectBytes = existingObjects > 0 ? existingBytes / existingObjects : d.bytesPerWrite
        let mean = existingBytes + w * d.bytesPerWrite * h / 2
        var bill = billing.liveData(sizeBytes: mean, objectBytes: d.bytesPerWrite > 0 ? d.bytesPerWrite : objectBytes, reads: r * h,
                                    writes: w * h, bytesPerRead: d.bytesPerRead, tier: tier, seconds: h * 86_400)
        let moves = tier == 0 ? Billing.Bill()
            : billing.move(sizeBytes: existingBytes, objectBytes: objectBytes, from: 0, to: tier, heldSeconds: .infinity)
        bill += moves
        return (bill, moves)
    }

    /// The live data of `d` (profile `p`) over `horizonDays` under the schedule `steps` (first step at day 0
    /// on the first tier); objects below the profile's minimum stay on the first tier. See the extension's rules.
    ///
    /// `atStart` is the part of `moves` made when the schedule starts (objects already past a step leaving the
    /// first tier): what a dataset already on this schedule does not pay again.
    public func scheduleBill(_ d: DatasetForecast, profile p: AgeProfile, steps: [Step], horizonDays h: Double)
        -> (bill: Billing.Bill, moves: Billing.Bill, atStart: Billing.Bill)
    {
        let tiers = steps.map(\.tier), lo = steps.map { Double($0.days) }
        let hi = Array(lo.dropFirst()) + [Double.infinity]
        let first = tiers[0]
        let w = max(0, d.writesPerDay), r = max(0, d.readsPerDay)
        var bill = Billing.Bill(), moves = Billing.Bill(), atStart = Billing.Bill()
        let month = billing.secondsPerMonth / 86_400
        func band(_ age: Double) -> Int { lo.lastIndex { $0 <= age } ?? 0 }
        // Small objects, existing and future: the first tier for the whole horizon.
        let smallFuture = w * (1 - p.largeShareOfWrites)
        let smallMean = p.smallMeanBytes > 0 ? p.smallMeanBytes : d.bytesPerWrite
        bill.storage += billing.storage(sizeBytes: p.smallBytes, objectBytes: p.smallCount > 0 ? p.smallBytes / p.smallCount : smallMean,
                                        tier: first, seconds: h * 86_400)
        if smallFuture > 0 {
            bill.storage += billing.storagePerMonth(objects: smallFuture * h * h / 2, objectBytes: smallMean, tier: first) / month
        }
        // Existing large objects, bucket by bucket (age at the bucket's middle).
        for (k, count) in p.largeCountByDay.enumerated() where count > 0 {
            let each = p.largeBytesByDay[k] / count, bytes = p.largeBytesByDay[k]
            let age = Double(k) + 0.5
            var b = band(age)
            var entered = 0.0
            if b > 0 {
                let m = billing.move(sizeBytes: bytes, objectBytes: each, from: first, to: tiers[b], heldSeconds: .infinity)
                moves += m
                atStart += m
            }
            var t = 0.0
            while t < h {
                let leave = min(h, hi[b] - age)
                bill.storage += billing.storagePerMonth(objects: count, objectBytes: each, tier: tiers[b]) * (leave - t) / month
                t = leave
                if t < h {
                    moves += billing.move(sizeBytes: bytes, objectBytes: each, from: tiers[b], to: tiers[b + 1], heldSeconds: (t - entered) * 86_400)
                    entered = t
                    b += 1
                }
            }
        }
        // Future large objects: λ a day, each of the mean large size; x = H − (write day) is its age at the end.
        let lambda = w * p.largeShareOfWrites
        let largeMean = p.largeMeanBytes > 0 ? p.largeMeanBytes : d.bytesPerWrite
        if lambda > 0 {
            for b in tiers.indices {
                // ∫₀ᴴ clamp(x − lo, 0, hi − lo) dx: object-days in band b.
                let width = hi[b] - lo[b]
                let objectDays: Double = if h <= lo[b] { 0 } else if h <= hi[b] { (h - lo[b]) * (h - lo[b]) / 2 }
                    else { width * width / 2 + width * (h - hi[b]) }
                bill.storage += billing.storagePerMonth(objects: lambda * objectDays, objectBytes: largeMean, tier: tiers[b]) / month
                if b > 0 && h > lo[b] {
                    let crossing = lambda * (h - lo[b])
                    moves += billing.move(sizeBytes: crossing * largeMean, objectBytes: largeMean, from: tiers[b - 1], to: tiers[b],
                                          heldSeconds: (lo[b] - lo[b - 1]) * 86_400)
                }
            }
        }
        // Reads at the tier of the object they fetch; writes land on the first tier.
        let reads = r * h
        var rest = 1.0
        for b in tiers.indices.reversed() {
            let share = b == 0 ? max(0, rest) : p.readShare(fromDay: steps[b].days, toDay: b + 1 < steps.count ? steps[b + 1].days : nil)
            rest -= share
            let t = catalog.tiers[tiers[b]]
            bill.requests += reads * share * t.getDollarsPer1000 / 1_000
            bill.retrieval += reads * share * d.bytesPerRead / Billing.bytesPerGiB * t.retrievalDollarsPerGiB
        }
        bill.requests += w * h * catalog.tiers[first].putDollarsPer1000 / 1_000
        bill += moves
        return (bill, moves, atStart)
    }

    /// The cheapest tiering of `d` over ``scheduleHorizonDays`` among the single tiers `tiers` and the schedules
    /// over them (``scheduleCandidates(tiers:)``), moves included: a schedule or another tier wins only when
    /// what it saves over the horizon exceeds what its moves cost. `nil` without an age profile.
    ///
    /// Re-planning hysteresis: with ``DatasetForecast/currentTiering`` (the plan in force), staying on it is
    /// priced without the moves that put the data there, and every other candidate with its moves, so a re-plan
    /// changes the tiering only when the forecast saving over the horizon exceeds the move's cost.
    public func chooseTiering(_ d: DatasetForecast, tiers: [Int]) -> (tier: Int, steps: [Step]?, bill: Billing.Bill, choice: TieringChoice)? {
        guard let p = d.ages, !tiers.isEmpty else { return nil }
        let h = Self.scheduleHorizonDays
        let largeBytes = p.largeBytesByDay.reduce(0, +), largeCount = p.largeCountByDay.reduce(0, +)
        let bytes = largeBytes + p.smallBytes, objects = largeCount + p.smallCount
        var best: (tier: Int, steps: [Step]?, bill: Billing.Bill, moves: Billing.Bill)?
        var bestSingle: (tier: Int, total: Double)?
        var stay = Double.infinity
        let names = catalog.tiers.map(\.name)
        let current = d.currentTiering
        // Where the data is now as a single tier (the first tier without a plan in force), else nil.
        let stayTier: Int? = if let c = current { c.isSingleTier ? names.firstIndex(of: c.firstTier) : nil } else { 0 }
        for t in tiers {
            var priced = singleTierBill(d, existingBytes: bytes, existingObjects: objects, tier: t, horizonDays: h)
            if let c = current, c.isSingleTier, c.firstTier == names[t] {
                priced.bill = priced.bill + priced.moves.scaled(-1)
                priced.moves = Billing.Bill()
            }
            if t == stayTier { stay = priced.bill.total }
            if bestSingle.map({ priced.bill.total < $0.total }) ?? true { bestSingle = (t, priced.bill.total) }
            if best.map({ priced.bill.total < $0.bill.total }) ?? true { best = (t, nil, priced.bill, priced.moves) }
        }
        let candidates = scheduleCandidates(tiers: tiers)
        for steps in candidates {
            var priced = scheduleBill(d, profile: p, steps: steps, horizonDays: h)
            if let c = current, !c.isSingleTier, c.steps.map({ ($0.afterDays, $0.tier) }) .elementsEqual(steps.map({ ($0.days, names[$0.tier]) }), by: { $0 == $1 }) {
                priced.bill = priced.bill + priced.atStart.scaled(-1)
                priced.moves = priced.moves + priced.atStart.scaled(-1)
                stay = priced.bill.total
            }
            if priced.bill.total < best!.bill.total { best = (0, steps, priced.bill, priced.moves) }
        }
        let chosen = best!
        let schedule = chosen.steps.map { s in TierSchedule(steps: s.map { .init(afterDays: $0.days, tier: names[$0.tier]) }) }
            ?? .single(names[chosen.tier])
        let choice = TieringChoice(chosen: schedule, chosenDollars: chosen.bill.total, chosenMoveDollars: chosen.moves.total,
                                   stayDollars: stay.isFinite ? stay : chosen.bill.total, bestSingleTier: names[bestSingle!.tier],
                                   bestSingleTierDollars: bestSingle!.total, horizonDays: h, candidates: tiers.count + candidates.count)
        return (chosen.tier, chosen.steps, chosen.bill, choice)
    }
}
