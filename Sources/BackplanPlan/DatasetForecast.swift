/// What the planner knows about one dataset: its size now and the model's forecast of its activity. The model
/// makes these (`Forecasts.make` in BackplanModel); the planner consumes them.
///
/// ```swift
/// let d = DatasetForecast(name: "conv-000042", dataClass: "private", sizeBytes: 52_428_800,
///                         writesPerDay: 140, readsPerDay: 900, bytesPerWrite: 2_048, bytesPerRead: 4_096,
///                         meanSessionSeconds: 600, meanQuietGapSeconds: 20_000, busiestBlockEndSeconds: 75_600)
/// ```
public struct DatasetForecast: Sendable, Equatable {
    /// The dataset's id (its name in the stats store); unique within one plan.
    public var name: String
    /// Its data class (a key of ``Policy/classes``; unknown classes get `default`).
    public var dataClass: String
    public var sizeBytes: Double
    /// Forecast writes and reads per day over the model's horizon.
    public var writesPerDay: Double
    public var readsPerDay: Double
    /// Mean bytes of one write and of one read (history before the plan).
    public var bytesPerWrite: Double
    public var bytesPerRead: Double
    /// Mean length of a burst of activity and of the quiet gap after it (history), seconds; `nil` if unknown.
    public var meanSessionSeconds: Double?
    public var meanQuietGapSeconds: Double?
    /// Seconds after midnight UTC at which the dataset's busiest 3-hour block ends (history).
    public var busiestBlockEndSeconds: Int64
    /// The live data by object age and its reads by the age of the object they fetch (history), for pricing tier
    /// schedules; `nil`: the planner chooses a single data tier.
    public var ages: AgeProfile?
    /// Where the live data is now, from the plan in force (a re-plan): staying there costs no move, so the planner
    /// changes it only when the saving over the horizon exceeds the move's cost. `nil`: on the first tier.
    public var currentTiering: TierSchedule?

    public init(
        name: String, dataClass: String, sizeBytes: Double, writesPerDay: Double, readsPerDay: Double,
        bytesPerWrite: Double, bytesPerRead: Double, meanSessionSeconds: Double? = nil,
        meanQuietGapSeconds: Double? = nil, busiestBlockEndSeconds: Int64 = 0
    ) {
        self.name = name
        self.dataClass = dataClass
        self.sizeBytes = sizeBytes
        self.writesPerDay = writesPerDay
        self.readsPerDay = readsPerDay
        self.bytesPerWrite = bytesPerWrite
        self.bytesPerRead = bytesPerRead
        self.meanSessionSeconds = meanSessionSeconds
        self.meanQuietGapSeconds = meanQuietGapSeconds
        self.busiestBlockEndSeconds = busiestBlockEndSeconds
    }
}

/// Monthly dollars of one option, by component (DESIGN §4). Spend is what the provider bills; risk is the
/// expected business cost of failures.
///
/// ```swift
/// var c = CostBreakdown()
/// c.storage = 1.20; c.operations = 0.05; c.expectedLoss = 0.40
/// c.spend   // 1.25 dollars per month
/// c.total   // 1.65
/// ```
public struct CostBreakdown: Sendable, Equatable, Codable {
    public var storage = 0.0
    public var operations = 0.0
    public var retrieval = 0.0
    public var expectedLoss = 0.0
    public var downtime = 0.0
    /// Parts of the figures above, by ``Billing``'s components: tier-change requests (in `operations`), the
    /// minimum-duration remainder of data moved early (in `storage`), automatic tiering's monitoring fee (in
    /// `operations`). Not added again to any total.
    public var transitions = 0.0
    public var earlyDeletion = 0.0
    public var monitoring = 0.0
    /// Bytes the backups move per day (all copies), for the backup-window limit.
    public var backupBytesPerDay = 0.0
    /// Expected unprotected writes at a random failure time (rT/2 for Poisson writes), messages.
    public var exposedWrites = 0.0
    /// Time to restore the dataset from its backup tier, seconds.
    public var restoreSeconds = 0.0

    public init() {}

    /// Storage + operations + retrieval: what the provider bills, dollars per month.
    public var spend: Double { storage + operations + retrieval }
    /// Expected loss + downtime: the expected business cost of failures, dollars per month.
    public var risk: Double { expectedLoss + downtime }
    public var total: Double { spend + risk }

    /// Component-wise sum (the restore time is `a`'s: it is not additive).
    public static func + (a: CostBreakdown, b: CostBreakdown) -> CostBreakdown {
        var c = a
        c.storage += b.storage
        c.operations += b.operations
        c.retrieval += b.retrieval
        c.expectedLoss += b.expectedLoss
        c.downtime += b.downtime
        c.transitions += b.transitions
        c.earlyDeletion += b.earlyDeletion
        c.monitoring += b.monitoring
        c.backupBytesPerDay += b.backupBytesPerDay
        c.exposedWrites += b.exposedWrites
        return c
    }
}
