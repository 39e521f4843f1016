import BackplanCore

/// One dataset's entry of a ``Plan``: when to back it up, where to, how many copies, how long to keep them, and
/// why (the forecast, the chosen option and its runner-up with their costs, what decided).
///
/// ```swift
/// let d = plan.datasets[0]
/// d.schedule.intervalSeconds     // 3600: back up hourly…
/// d.schedule.quietSeconds        // 1800: …or after 30 min of quiet following a write
/// d.copies.map(\.tier)           // ["standard", "glacier-flexible"]
/// d.why.chosen.monthlyDollars.total
/// ```
public struct DatasetPlan: Codable, Sendable, Equatable {
    public var id: String
    public var `class`: String
    /// Where the executor finds the data (the dataset's name in the stats store).
    public var location: String
    public var schedule: Schedule
    public var backupTier: String
    public var dataTier: String
    /// The live data's tier schedule by object age when it is more than the single `dataTier` (``TierSchedule``;
    /// its first tier is `dataTier`); `nil` for a single tier and in plans of schema version 1.
    public var dataSchedule: TierSchedule?
    public var copies: [Copy]
    public var retention: Retention
    public var encrypt: Bool
    public var why: Why

    public init(id: String, class: String, location: String, schedule: Schedule, backupTier: String, dataTier: String,
                copies: [Copy], retention: Retention, encrypt: Bool, why: Why, dataSchedule: TierSchedule? = nil) {
        self.id = id
        self.dataSchedule = dataSchedule
        self.class = `class`
        self.location = location
        self.schedule = schedule
        self.backupTier = backupTier
        self.dataTier = dataTier
        self.copies = copies
        self.retention = retention
        self.encrypt = encrypt
        self.why = why
    }

    /// Decodes an entry; when the decoder's `userInfo` has ``Plan/skipsReasonsKey`` set to `true`
    /// (``Plan/load(_:reasons:)`` with `reasons: false`), its ``why`` is passed over and set to
    /// ``Why/notRead`` — three quarters of a plan's bytes are reasons, which executing a plan never reads.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        self.class = try c.decode(String.self, forKey: .class)
        location = try c.decode(String.self, forKey: .location)
        schedule = try c.decode(Schedule.self, forKey: .schedule)
        backupTier = try c.decode(String.self, forKey: .backupTier)
        dataTier = try c.decode(String.self, forKey: .dataTier)
        dataSchedule = try c.decodeIfPresent(TierSchedule.self, forKey: .dataSchedule)
        copies = try c.decode([Copy].self, forKey: .copies)
        retention = try c.decode(Retention.self, forKey: .retention)
        encrypt = try c.decode(Bool.self, forKey: .encrypt)
        if decoder.userInfo[Plan.skipsReasonsKey] as? Bool == true {
            guard c.contains(.why) else { throw DecodingError.keyNotFound(CodingKeys.why, .init(codingPath: c.codingPath, debugDescription: "no 'why'")) }
            why = .notRead
        } else {
            why = try c.decode(Why.self, forKey: .why)
        }
    }

    /// When to back up, seconds.
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

        public init(intervalSeconds: Int64, timeOfDaySeconds: Int64?, quietSeconds: Int64?, maxDirtyWrites: Int?,
                    rpoSeconds: Int64, fullEverySeconds: Int64?) {
            self.intervalSeconds = intervalSeconds
            self.timeOfDaySeconds = timeOfDaySeconds
            self.quietSeconds = quietSeconds
            self.maxDirtyWrites = maxDirtyWrites
            self.rpoSeconds = rpoSeconds
            self.fullEverySeconds = fullEverySeconds
        }
    }

    /// One copy of every backup: its tier and region (`region-1`, `region-2`, …), and whether it is offline.
    public struct Copy: Codable, Sendable, Equatable {
        public var tier: String
        public var region: String
        public var offline: Bool
        /// The S3 object tag this copy's backup objects must carry for `plan.s3-lifecycle.json` to expire and
        /// transition them (``DatasetPlan/taggedForS3()``); `nil` off S3 and in plans written before it existed.
        public var objectTag: ObjectTag?

        public init(tier: String, region: String, offline: Bool, objectTag: ObjectTag? = nil) {
            self.tier = tier
            self.region = region
            self.offline = offline
            self.objectTag = objectTag
        }
    }

    /// An S3 object tag: `backplan-rule` = `backplan-standard-ia-45d`.
    public struct ObjectTag: Codable, Sendable, Equatable, Hashable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Restore points kept: the newest `daily` days, `weekly` weeks, `monthly` months, `yearly` years.
    /// Made by the one retention rule, ``DatasetPlan/Retention/rule(for:in:)``.
    public struct Retention: Codable, Sendable, Equatable {
        public var daily: Int
        public var weekly: Int
        public var monthly: Int
        public var yearly: Int
        /// How far back the oldest kept point reaches, seconds (within the class's legal min and max).
        public var spanSeconds: Int64
        /// With an erasure duty: delete every backup older than this, seconds.
        public var deleteAfterSeconds: Int64?
        /// The thinning as restic's count flags (`--keep-daily 7 --keep-weekly 5`), kept for plan-file compatibility.
        /// Do not hand these to `restic forget`: counts fall short of the span when backups skip days, and flags
        /// without a selector apply to every dataset. Use ``resticKeepOptions(intervalSeconds:)`` per dataset (as
        /// `plan.restic.txt` does) or let the executor apply ``selection(of:now:lastVerified:)``.
        public var restic: String

        public init(daily: Int, weekly: Int, monthly: Int, yearly: Int, spanSeconds: Int64, deleteAfterSeconds: Int64?,
                    restic: String) {
            self.daily = daily
            self.weekly = weekly
            self.monthly = monthly
            self.yearly = yearly
            self.spanSeconds = spanSeconds
            self.deleteAfterSeconds = deleteAfterSeconds
            self.restic = restic
        }
    }

    /// Why the planner chose what it did.
    public struct Why: Codable, Sendable, Equatable {
        public var forecast: Forecast
        public var chosen: Option
        public var runnerUp: Option?
        /// The limit or price that decided, in words.
        public var decidedBy: String
        /// How the live data's tiering was chosen, in money (plans made with object-age profiles; else `nil`).
        public var dataTiering: TieringChoice?

        /// What a plan loaded without its reasons (``Plan/load(_:reasons:)``) holds in place of each dataset's:
        /// zeros, and `decidedBy` saying so. Such a plan is refused by ``Plan/jsonData()``, so it is never written.
        public static let notRead = Why(forecast: Forecast(sizeBytes: 0, writesPerDay: 0, readsPerDay: 0, meanSessionSeconds: nil, meanQuietGapSeconds: nil),
                                        chosen: Option(intervalSeconds: 0, backupTier: "", dataTier: "", monthlyDollars: Plan.Components(CostBreakdown()),
                                                       exposedWrites: 0, restoreSeconds: 0),
                                        runnerUp: nil, decidedBy: "not read (the plan was loaded without its reasons)")

        public init(forecast: Forecast, chosen: Option, runnerUp: Option?, decidedBy: String, dataTiering: TieringChoice? = nil) {
            self.forecast = forecast
            self.dataTiering = dataTiering
            self.chosen = chosen
            self.runnerUp = runnerUp
            self.decidedBy = decidedBy
        }
    }

    /// The forecast the choice was made on (a copy of the ``DatasetForecast``'s figures the plan shows).
    public struct Forecast: Codable, Sendable, Equatable {
        public var sizeBytes: Double
        public var writesPerDay: Double
        public var readsPerDay: Double
        public var meanSessionSeconds: Double?
        public var meanQuietGapSeconds: Double?

        public init(sizeBytes: Double, writesPerDay: Double, readsPerDay: Double, meanSessionSeconds: Double?,
                    meanQuietGapSeconds: Double?) {
            self.sizeBytes = sizeBytes
            self.writesPerDay = writesPerDay
            self.readsPerDay = readsPerDay
            self.meanSessionSeconds = meanSessionSeconds
            self.meanQuietGapSeconds = meanQuietGapSeconds
        }
    }

    /// One priced option: interval and tiers, its monthly dollars, exposed writes and restore time (seconds).
    public struct Option: Codable, Sendable, Equatable {
        public var intervalSeconds: Int64
        public var backupTier: String
        public var dataTier: String
        public var monthlyDollars: Plan.Components
        public var exposedWrites: Double
        public var restoreSeconds: Double

        public init(intervalSeconds: Int64, backupTier: String, dataTier: String, monthlyDollars: Plan.Components,
                    exposedWrites: Double, restoreSeconds: Double) {
            self.intervalSeconds = intervalSeconds
            self.backupTier = backupTier
            self.dataTier = dataTier
            self.monthlyDollars = monthlyDollars
            self.exposedWrites = exposedWrites
            self.restoreSeconds = restoreSeconds
        }
    }
}
