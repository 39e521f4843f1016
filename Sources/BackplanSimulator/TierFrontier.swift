import BackplanCore
import BackplanPlanner

/// The tier frontier on held-out time (`backplan tiers`), what ``Frontier`` is for backup timing: the
/// live-data bill over the window after the cut (the frontier's cut, `t0 + split·(t1 − t0)` over writes, to
/// the last write) under each tiering policy, all billed by ``Billing`` through ``LiveData`` (as
/// `simulate` bills live data, so the two agree on the same window).
///
/// Policies: `all-hot` (the first tier); `intelligent-tiering` (the catalog's automatic tiering as the
/// provider documents it); `lifecycle-by-age` (objects move by age, as S3 Lifecycle can: the automatic
/// tiering's idle days as ages, else 30 and 90 days to the second and third tiers); `lifecycle-per-object`
/// (diagnostic: the same steps for every dataset billed as Backplan's schedules are, ``scheduled(_:_:)``);
/// `backplan` (the data
/// tier of a plan made from data before the cut, held for the window); `best-single-tier` (per dataset the
/// cheapest tier for the whole window, in hindsight); `best-monthly` (per dataset the cheapest tier per
/// calendar month in hindsight, exact, with transition and early-deletion charges:
/// ``bestMonthly(_:)``). Live data starts the window on the first tier, so moving off it is charged.
///
/// ```swift
/// let tf = TierFrontier(frontier: frontier, reads: readLog, bytesPerRead: ["c1": 4_096], catalog: catalog)
/// let rows = tf.report(planTiers: ["c1": 1])   // one row per policy, dollars for the window
/// ```
public struct TierFrontier: Sendable {
    public let billing: Billing
    public let frontier: Frontier
    public var start: Double { frontier.cut }
    public var end: Double { Double(frontier.t1) }
    /// Per dataset (write-log order): its live data day by day and its mean bytes per read.
    let days: [LiveData]
    let bytesPerRead: [Double]
    /// Tiers that may hold live data (not offline), catalog order.
    public let onlineTiers: [Int]
    /// Calendar month (UTC) of each window day's start: days of one month form one segment of `best-monthly`.
    let monthOfDay: [Int]

    public init(frontier: Frontier, reads: WriteLog, bytesPerRead: [String: Double], catalog: PriceCatalog) {
        self.frontier = frontier
        billing = Billing(catalog: catalog)
        let log = frontier.log
        let readIndex = Dictionary(uniqueKeysWithValues: reads.names.enumerated().map { ($1, $0) })
        days = (0..<log.datasetCount).map { d in
            let range = log.offsets[d]..<log.offsets[d + 1]
            let r = readIndex[log.names[d]].map { reads.writes($0) } ?? []
            return LiveData(writes: log.times[range], bytes: log.bytes.isEmpty ? [] : log.bytes[range], reads: r,
                            from: frontier.cut, to: Double(frontier.t1))
        }
        self.bytesPerRead = log.names.map { bytesPerRead[$0] ?? 0 }
        onlineTiers = catalog.tiers.indices.filter { !catalog.tiers[$0].offline }
        monthOfDay = (days.first?.start ?? []).map { t in
            let c = CivilTime.civil(fromDays: CivilTime.day(ofUnixSeconds: Int64(t.rounded(.down))))
            return Int(c.year * 12 + c.month - 1)
        }
    }

    /// One policy's live-data bill over the window, summed over datasets.
    public struct Row: Sendable, Codable, Equatable {
        public var policy: String
        public var bill: Billing.Bill
        public var total: Double { bill.total }

        enum CodingKeys: String, CodingKey { case policy, total, storage, requests, retrieval, monitoring, transitions, earlyDeletion }
        public init(policy: String, bill: Billing.Bill) {
            self.policy = policy
            self.bill = bill
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            policy = try c.decode(String.self, forKey: .policy)
            bill = Billing.Bill()
            bill.storage = try c.decode(Double.self, forKey: .storage)
            bill.requests = try c.decode(Double.self, forKey: .requests)
            bill.retrieval = try c.decode(Double.self, forKey: .retrieval)
            bill.monitoring = try c.decode(Double.self, forKey: .monitoring)
            bill.transitions = try c.decode(Double.self, forKey: .transitions)
            bill.earlyDeletion = try c.decode(Double.self, forKey: .earlyDeletion)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(policy, forKey: .policy)
            try c.encode(total, forKey: .total)
            try c.encode(bill.storage, forKey: .storage)
            try c.encode(bill.requests, forKey: .requests)
            try c.encode(bill.retrieval, forKey: .retrieval)
            try c.encode(bill.monitoring, forKey: .monitoring)
            try c.encode(bill.transitions, forKey: .transitions)
            try c.encode(bill.earlyDeletion, forKey: .earlyDeletion)
        }
    }

    /// Every policy's row; `backplan` only with `planTiers` (dataset name → data tier index; datasets the
    /// plan lacks stay on the first tier), its datasets in `planSchedules` billed by their schedule
    /// (``scheduled(_:_:)``) instead.
    public func report(planTiers: [String: Int]?, planSchedules: [String: Schedule] = [:]) -> [Row] {
        var rows = [Row(policy: "all-hot", bill: sum { fixed($0, tier: 0) })]
        rows.append(Row(policy: "intelligent-tiering", bill: sum { days[$0].autoTieredBill(billing) }))
        rows.append(Row(policy: "lifecycle-by-age", bill: sum { lifecycleByAge($0) }))
        // Diagnostic: the same steps for every dataset, billed as Backplan's schedules are (per object, objects
        // under 128 KiB stay, started at the cut with its moves charged): what choosing steps per dataset adds.
        let uniform = Schedule(steps: [.init(ageSeconds: 0, tier: 0)] + lifecycleSteps.map { .init(ageSeconds: $0.ageSeconds, tier: $0.tier) },
                               minObjectBytes: Double(TierSchedule.s3DefaultMinObjectBytes))
        rows.append(Row(policy: "lifecycle-per-object", bill: sum { scheduled($0, uniform) }))
        if let planTiers {
            rows.append(Row(policy: "backplan", bill: sum { planned($0, tiers: planTiers, schedules: planSchedules) }))
        }
        rows.append(Row(policy: "best-single-tier", bill: sum { d in
            onlineTiers.map { fixed(d, tier: $0) }.min { $0.total < $1.total } ?? Billing.Bill()
        }))
        rows.append(Row(policy: "best-monthly", bill: sum { bestMonthly($0).bill }))
        return rows
    }

    /// Dataset `d` as a plan has it: its schedule if it has one, else its single tier (the first if none).
    public func planned(_ d: Int, tiers: [String: Int], schedules: [String: Schedule]) -> Billing.Bill {
        let name = frontier.log.names[d]
        if let s = schedules[name] { return scheduled(d, s) }
        return fixed(d, tier: tiers[name] ?? 0)
    }

    /// The sum over datasets of `bill(d)`, in dataset order (chunks fixed by the count, merged in order).
    func sum(_ bill: (Int) -> Billing.Bill) -> Billing.Bill {
        let n = days.count
        let chunks = Parallel.chunkCount(n)
        let parts = Parallel.map(chunks: chunks) { chunk -> Billing.Bill in
            var total = Billing.Bill()
            for d in Parallel.chunk(chunk, of: chunks, n) { total += bill(d) }
            return total
        }
        return parts.reduce(Billing.Bill(), +)
    }

    /// Dataset `d` on `tier` for the whole window (moved there from the first tier at the cut).
    public func fixed(_ d: Int, tier: Int) -> Billing.Bill {
        days[d].bill(billing, bytesPerRead: bytesPerRead[d], tier: { _ in tier })
    }

    /// Dataset `d` on tier `tiers[segment]` in each calendar month's segment of the window.
    public func sequence(_ d: Int, tiers: [Int]) -> Billing.Bill {
        let segment = segments()
        var dayTier = [Int](repeating: 0, count: days[d].count)
        for (m, range) in segment.enumerated() { for k in range { dayTier[k] = tiers[m] } }
        return days[d].bill(billing, bytesPerRead: bytesPerRead[d], tier: { dayTier[$0] })
    }

    /// The window's days grouped by calendar month of their start: day index ranges, in order.
    public func segments() -> [Range<Int>] {
        var out: [Range<Int>] = []
        var first = 0
        for k in 1..<(monthOfDay.count + 1) where k == monthOfDay.count || monthOfDay[k] != monthOfDay[k - 1] {
            out.append(first..<k)
            first = k
        }
        return monthOfDay.isEmpty ? [] : out
    }
}
