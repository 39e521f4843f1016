import BackplanCore
import Foundation

/// The plan the executor runs (DESIGN §2.5): a header with inputs, totals and binding limits, and one entry
/// per dataset. Encoded with sorted keys so the same inputs give the same bytes (see ``Plan/jsonData()``).
///
/// The planner writes plans; everything else reads them through this module, which links neither SQLite,
/// YAML nor BLAS:
///
/// ```swift
/// let plan = try Plan.load("out/plan.json")           // checks the schema version
/// plan.totals.monthlyDollars.total                     // dollars per month, spend and expected risk
/// for d in plan.datasets where d.schedule.intervalSeconds < 3_600 {
///     print(d.id, d.backupTier, d.retention.restic)    // "conv-000042 standard --keep-daily 7 --keep-weekly 5"
/// }
/// let entry = try plan.entry("conv-000042", file: "out/plan.json")
/// ```
///
/// Units: money in US dollars per billing month (730 hours, ``Billing``), times in seconds (Unix seconds for instants), sizes in bytes.
public struct Plan: Codable, Sendable, Equatable {
    /// The layout version this code writes; ``load(_:)`` reads it and ``readableSchemaVersions``, refuses any other.
    /// Version 2 added ``DatasetPlan/dataSchedule`` and ``DatasetPlan/Why/dataTiering`` (optional: a version 1
    /// plan reads as one without schedules), so a reader that predates schedules refuses a plan that has them.
    public static let currentSchemaVersion = 2
    /// Versions ``load(_:)`` reads: 1 (no tier schedules) and 2.
    public static let readableSchemaVersions = 1...2

    public var schemaVersion: Int
    /// The plan's "now": the store's last event + 1 s (not the wall clock, so a plan is reproducible).
    public var generatedAt: Int64
    public var inputs: Inputs
    public var totals: Totals
    /// Global limits, binding or not, with their shadow prices.
    public var limits: [Limit]
    /// Datasets no option could serve within the class limits (empty when the plan is feasible).
    public var infeasible: [Infeasible]
    public var datasets: [DatasetPlan]

    public init(schemaVersion: Int, generatedAt: Int64, inputs: Inputs, totals: Totals, limits: [Limit],
                infeasible: [Infeasible], datasets: [DatasetPlan]) {
        self.schemaVersion = schemaVersion
        self.generatedAt = generatedAt
        self.inputs = inputs
        self.totals = totals
        self.limits = limits
        self.infeasible = infeasible
        self.datasets = datasets
    }

    /// The four files a plan was made from, each with its digest (see ``Plan/Inputs/files(statsStore:modelDirectory:policy:prices:)``).
    public struct Inputs: Codable, Sendable, Equatable {
        /// The stats store, identified by content (its sources and event count), not by its file's bytes.
        public var statsStore: Digest
        /// The model's `model.json`.
        public var model: Digest
        public var policy: Digest
        public var prices: Digest

        public init(statsStore: Digest, model: Digest, policy: Digest, prices: Digest) {
            self.statsStore = statsStore
            self.model = model
            self.policy = policy
            self.prices = prices
        }
    }

    /// A file the plan was made from: its path as given and the SHA-256 (64 lowercase hex digits) of what
    /// identifies it.
    ///
    /// ```swift
    /// let policy = try Plan.Digest(file: "datasets/policies/messaging.yaml")   // SHA-256 of the file's bytes
    /// ```
    public struct Digest: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// What the plan adds up to over its entries.
    public struct Totals: Codable, Sendable, Equatable {
        public var datasets: Int
        /// Monthly dollars by component, and their sum.
        public var monthlyDollars: Components
        /// Expected unprotected writes at a random failure, summed over datasets, messages.
        public var expectedExposedWrites: Double
        public var backupsPerDay: Double
        public var backupBytesPerDay: Double
        /// Datasets per backup tier and per data tier (tiers with none are left out).
        public var datasetsPerBackupTier: [String: Int]
        public var datasetsPerDataTier: [String: Int]

        public init(datasets: Int, monthlyDollars: Components, expectedExposedWrites: Double, backupsPerDay: Double,
                    backupBytesPerDay: Double, datasetsPerBackupTier: [String: Int], datasetsPerDataTier: [String: Int]) {
            self.datasets = datasets
            self.monthlyDollars = monthlyDollars
            self.expectedExposedWrites = expectedExposedWrites
            self.backupsPerDay = backupsPerDay
            self.backupBytesPerDay = backupBytesPerDay
            self.datasetsPerBackupTier = datasetsPerBackupTier
            self.datasetsPerDataTier = datasetsPerDataTier
        }
    }

    /// Monthly dollars by component, as written in a plan: spend (storage, operations, retrieval) and expected
    /// risk (loss, downtime), and their sum.
    public struct Components: Codable, Sendable, Equatable {
        public var storage: Double
        public var operations: Double
        public var retrieval: Double
        public var expectedLoss: Double
        public var downtime: Double
        public var total: Double
        /// Parts of `operations` (tier-change requests, automatic tiering's monitoring fee) and of `storage`
        /// (the minimum-duration remainder of data moved early), by ``Billing``'s components; `nil` in plans
        /// written before they were recorded.
        public var transitions: Double?
        public var monitoring: Double?
        public var earlyDeletion: Double?

        /// The money parts of a cost breakdown (its byte and write figures are not dollars and stay out).
        public init(_ c: CostBreakdown) {
            storage = c.storage
            operations = c.operations
            retrieval = c.retrieval
            expectedLoss = c.expectedLoss
            downtime = c.downtime
            total = c.total
            transitions = c.transitions
            monitoring = c.monitoring
            earlyDeletion = c.earlyDeletion
        }
    }

    /// A global limit: `budget` (dollars of spend per month) or `backupWindow` (bytes per day).
    public struct Limit: Codable, Sendable, Equatable {
        public var name: String
        public var limit: Double
        public var used: Double
        public var binding: Bool
        /// Dollars of expected risk one more unit of the limit would save (the Lagrange multiplier).
        public var shadowPrice: Double
        public var unit: String

        public init(name: String, limit: Double, used: Double, binding: Bool, shadowPrice: Double, unit: String) {
            self.name = name
            self.limit = limit
            self.used = used
            self.binding = binding
            self.shadowPrice = shadowPrice
            self.unit = unit
        }
    }

    /// A dataset the plan could not serve, and why in words.
    public struct Infeasible: Codable, Sendable, Equatable {
        public var id: String
        public var reason: String

        public init(id: String, reason: String) {
            self.id = id
            self.reason = reason
        }
    }
}
