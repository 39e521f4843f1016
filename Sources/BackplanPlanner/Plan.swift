import BackplanCore
import Foundation

/// The plan the executor runs (DESIGN §2.5): a header with inputs, totals and binding limits, and one entry
/// per dataset. Encoded with sorted keys so the same inputs give the same bytes (see ``Plan/jsonData()``).
public struct Plan: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

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

    public struct Inputs: Codable, Sendable, Equatable {
        public var statsStore: Digest
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

    /// A file the plan was made from: its path as given and the SHA-256 of what identifies it.
    public struct Digest: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var datasets: Int
        /// Monthly dollars by component, and their sum.
        public var monthlyDollars: Components
        /// Expected unprotected writes at a random failure, summed over datasets, messages.
        public var expectedExposedWrites: Double
        public var backupsPerDay: Double
        public var backupBytesPerDay: Double
        /// Datasets per backup tier and per data tier.
        public var datasetsPerBackupTier: [String: Int]
        public var datasetsPerDataTier: [String: Int]
    }

    public struct Components: Codable, Sendable, Equatable {
        public var storage: Double
        public var operations: Double
        public var retrieval: Double
        public var expectedLoss: Double
        public var downtime: Double
        public var total: Double

        init(_ c: CostBreakdown) {
            storage = c.storage
            operations = c.operations
            retrieval = c.retrieval
            expectedLoss = c.expectedLoss
            downtime = c.downtime
            total = c.total
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
    }

    public struct Infeasible: Codable, Sendable, Equatable {
        public var id: String
        public var reason: String
    }
}

/// One dataset's entry.
public struct DatasetPlan: Codable, Sendable, Equatable {
    public var id: String
    public var `class`: String
    /// Where the executor finds the data (the dataset's name in the stats store).
    public var location: String
    public var schedule: Schedule
    public var backupTier: String
    public var dataTier: String
    public var copies: [Copy]
    public var retention: Retention
    public var encrypt: Bool
    public var why: Why

    public struct Schedule: Codable, Sendable, Equatable {
        public var intervalSeconds: Int64
        /// For intervals of a day or more: back up at this second of the day (UTC), just after the dataset's
        /// busiest 3 hours; `nil` for shorter intervals.
        public var timeOfDaySeconds: Int64?
        /// Within an interval, back up once the dataset has been quiet this long after a write instead of
        /// waiting for the timer (at most one backup per interval, so never more backups than priced).
        public var quietSeconds: Int64?
        /// Not used yet (no extra backups beyond the interval are priced); always `nil`.
        public var maxDirtyWrites: Int?
        /// The class bound the interval keeps: intervalSeconds ≤ rpoSeconds.
        public var rpoSeconds: Int64
        /// Incremental forever (content-addressed, restic-style): `nil`.
        public var fullEverySeconds: Int64?
    }

    public struct Copy: Codable, Sendable, Equatable {
        public var tier: String
        public var region: String
        public var offline: Bool
    }

    /// Restore points kept: the newest `daily` days, `weekly` weeks, `monthly` months, `yearly` years.
    public struct Retention: Codable, Sendable, Equatable {
        public var daily: Int
        public var weekly: Int
        public var monthly: Int
        public var yearly: Int
        /// How far back the oldest kept point reaches, seconds (within the class's legal min and max).
        public var spanSeconds: Int64
        /// With an erasure duty: delete every backup older than this, seconds.
        public var deleteAfterSeconds: Int64?
        /// The same rules for `restic forget`.
        public var restic: String
    }

    public struct Why: Codable, Sendable, Equatable {
        public var forecast: Forecast
        public var chosen: Option
        public var runnerUp: Option?
        /// The limit or price that decided, in words.
        public var decidedBy: String
    }

    public struct Forecast: Codable, Sendable, Equatable {
        public var sizeBytes: Double
        public var writesPerDay: Double
        public var readsPerDay: Double
        public var meanSessionSeconds: Double?
        public var meanQuietGapSeconds: Double?
    }

    public struct Option: Codable, Sendable, Equatable {
        public var intervalSeconds: Int64
        public var backupTier: String
        public var dataTier: String
        public var monthlyDollars: Plan.Components
        public var exposedWrites: Double
        public var restoreSeconds: Double
    }
}

extension Plan {
    /// The plan as JSON: sorted keys, two-space indentation, one trailing newline.
    public func jsonData() throws -> Data { try CanonicalJSON.data(self) }

    /// Reads a plan file.
    ///
    /// - Throws: ``InputError`` for a missing file or one that is not a Backplan plan of this schema version.
    public static func load(_ file: String) throws -> Plan {
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(file: file, "no such plan file") }
        let plan: Plan
        do {
            plan = try JSONDecoder().decode(Plan.self, from: data)
        } catch {
            throw InputError(file: file, "not a Backplan plan: \(error)")
        }
        guard plan.schemaVersion == currentSchemaVersion else {
            throw InputError(file: file, "plan schema version \(plan.schemaVersion); this Backplan reads \(currentSchemaVersion)")
        }
        return plan
    }
}
