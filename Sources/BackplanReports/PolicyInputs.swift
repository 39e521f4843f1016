import BackplanCore
import Foundation

/// The JSON `backplan frontier --json` writes (BackplanSimulator's `Frontier.Report`), read for
/// `backplan report frontier`. Field names and types are those of that type; an end-to-end test feeds the
/// command's own output through this one, so a change on either side fails there.
///
/// ```swift
/// let f = try ReportInput.load(FrontierInput.self, file: "frontier.json")
/// f.policies.map(\.name)     // ["fixed-24h", "cron-daily", "online", "oracle"]
/// ```
///
/// Units: `exposureHours` is the mean wait of a held-out write for its backup, hours; `ops` backups made in the
/// held-out window; `split` the fraction of the store's time span where that window starts.
public struct FrontierInput: Codable, Sendable, Equatable {
    public struct Policy: Codable, Sendable, Equatable {
        public var name: String
        public var ops: Int
        public var exposureHours: Double
        /// On the online policy: its exposure over cron-daily's and the 95% paired bootstrap interval over datasets
        /// of that ratio (issue 14); absent on the others and in files written before it existed.
        public var exposureRatio: Double?
        public var exposureRatioLow: Double?
        public var exposureRatioHigh: Double?

        public init(name: String, ops: Int, exposureHours: Double, exposureRatio: Double? = nil,
                    exposureRatioLow: Double? = nil, exposureRatioHigh: Double? = nil) {
            self.name = name
            self.ops = ops
            self.exposureHours = exposureHours
            self.exposureRatio = exposureRatio
            self.exposureRatioLow = exposureRatioLow
            self.exposureRatioHigh = exposureRatioHigh
        }
    }

    public var split: Double
    public var testWrites: Int
    public var datasets: Int
    /// cron-daily's backup count: the budget of `online` and `oracle`.
    public var budgetOps: Int
    public var policies: [Policy]

    public init(split: Double, testWrites: Int, datasets: Int, budgetOps: Int, policies: [Policy]) {
        self.split = split
        self.testWrites = testWrites
        self.datasets = datasets
        self.budgetOps = budgetOps
        self.policies = policies
    }
}

/// The JSON `backplan simulate --json` writes (the CLI's `SimulateCommand.Report` holding BackplanSimulator's
/// `PolicyResult`s), read for `backplan report simulation` and `report tiers --simulation`.
///
/// ```swift
/// let s = try ReportInput.load(SimulationInput.self, file: "sim.json")
/// s.policies[0].cost.total          // mean dollars over the runs, for the whole window
/// s.policies[0].messagesLost.p95    // 95th percentile of messages lost over the runs
/// ```
///
/// Units: money is US dollars for the simulated window `windowStart…windowEnd` (Unix seconds), the mean over
/// `runs` failure samples; `costBand` and `lossBand` are the dollars of one run over the samples, `series` the
/// cumulative dollars over the window, `datasets` each dataset's share (for grouping by a plan's tiers).
public struct SimulationInput: Codable, Sendable, Equatable {
    /// Mean dollars over the runs for the window, by component (the simulator's `PolicyResult.Cost`).
    public struct Cost: Codable, Sendable, Equatable {
        public var storage: Double
        public var operations: Double
        public var retrieval: Double
        public var loss: Double
        public var downtime: Double
        public var total: Double

        public init(storage: Double, operations: Double, retrieval: Double, loss: Double, downtime: Double) {
            self.storage = storage
            self.operations = operations
            self.retrieval = retrieval
            self.loss = loss
            self.downtime = downtime
            total = storage + operations + retrieval + loss + downtime
        }
    }

    /// Mean and 5th/95th percentiles over runs.
    public struct Spread: Codable, Sendable, Equatable {
        public var mean: Double
        public var p5: Double
        public var p95: Double

        public init(mean: Double, p5: Double, p95: Double) {
            self.mean = mean
            self.p5 = p5
            self.p95 = p95
        }
    }

    /// Dollars of one run over the failure samples: mean and 5th, 50th, 95th percentiles (linear interpolation
    /// between closest ranks, the simulator's `Percentile`).
    public struct Band: Codable, Sendable, Equatable {
        public var mean: Double
        public var p5: Double
        public var p50: Double
        public var p95: Double

        public init(mean: Double, p5: Double, p50: Double, p95: Double) {
            self.mean = mean
            self.p5 = p5
            self.p50 = p50
            self.p95 = p95
        }

        /// A band of one value (every run the same).
        public init(constant v: Double) { self.init(mean: v, p5: v, p50: v, p95: v) }
    }

    /// Cumulative dollars by component at the end of each step of the window (the simulator's `PolicyResult.Series`).
    public struct Series: Codable, Sendable, Equatable {
        public var stepSeconds: Int64
        public var times: [Int64]
        public var storage: [Double]
        public var operations: [Double]
        public var retrieval: [Double]
        public var loss: [Double]
        public var downtime: [Double]
        public var total: [Double]

        public init(stepSeconds: Int64, times: [Int64], total: [Double]) {
            self.stepSeconds = stepSeconds
            self.times = times
            self.total = total
            storage = total
            operations = Array(repeating: 0, count: total.count)
            retrieval = operations
            loss = operations
            downtime = operations
        }
    }

    /// One dataset's share of a policy's dollars (the simulator's `PolicyResult.DatasetCost`): billed dollars
    /// (the same every run), the failures' means, and the failures' dollars in each run that had any.
    public struct DatasetCost: Codable, Sendable, Equatable {
        public var name: String
        public var storage: Double
        public var operations: Double
        public var liveRetrieval: Double
        public var restoreRetrieval: Double
        public var loss: Double
        public var downtime: Double
        public var failureRuns: [Int]
        public var failureDollars: [Double]
        public var failureLoss: [Double]

        public init(name: String, storage: Double, operations: Double, liveRetrieval: Double = 0, restoreRetrieval: Double = 0,
                    loss: Double = 0, downtime: Double = 0, failureRuns: [Int] = [], failureDollars: [Double] = [], failureLoss: [Double] = []) {
            self.name = name
            self.storage = storage
            self.operations = operations
            self.liveRetrieval = liveRetrieval
            self.restoreRetrieval = restoreRetrieval
            self.loss = loss
            self.downtime = downtime
            self.failureRuns = failureRuns
            self.failureDollars = failureDollars
            self.failureLoss = failureLoss
        }

        /// Billed dollars, the same in every run.
        public var spend: Double { storage + operations + liveRetrieval }
    }

    public struct Policy: Codable, Sendable, Equatable {
        public var name: String
        public var backups: Int
        /// Mean wait of a write for its backup, hours.
        public var exposureHours: Double
        public var rpoViolations: Int
        public var cost: Cost
        public var messagesLost: Spread
        public var restores: Double
        public var meanRestoreHours: Double
        public var rtoViolations: Double
        /// Total and loss dollars of one run over the samples.
        public var costBand: Band
        public var lossBand: Band
        public var series: Series
        public var datasets: [DatasetCost]
        /// The runs the datasets' failure lists cover (the first ones; 0 without datasets).
        public var datasetRuns: Int

        /// Without `costBand`/`lossBand`: every run costs the mean; without `series`: one step, the total.
        public init(name: String, backups: Int, exposureHours: Double, rpoViolations: Int, cost: Cost, messagesLost: Spread,
                    restores: Double = 0, meanRestoreHours: Double = 0, rtoViolations: Double = 0, costBand: Band? = nil,
                    lossBand: Band? = nil, series: Series? = nil, datasets: [DatasetCost] = [], datasetRuns: Int = 0) {
            self.name = name
            self.backups = backups
            self.exposureHours = exposureHours
            self.rpoViolations = rpoViolations
            self.cost = cost
            self.messagesLost = messagesLost
            self.restores = restores
            self.meanRestoreHours = meanRestoreHours
            self.rtoViolations = rtoViolations
            self.costBand = costBand ?? Band(constant: cost.total)
            self.lossBand = lossBand ?? Band(constant: cost.loss)
            self.series = series ?? Series(stepSeconds: 86_400, times: [0], total: [cost.total])
            self.datasets = datasets
            self.datasetRuns = datasetRuns
        }
    }

    public var scenario: String
    public var runs: Int
    public var seed: UInt64
    public var windowStart: Int64
    public var windowEnd: Int64
    public var datasets: Int
    public var writes: Int
    public var addedWrites: Int
    public var policies: [Policy]

    public init(scenario: String, runs: Int, seed: UInt64, windowStart: Int64, windowEnd: Int64, datasets: Int, writes: Int,
                addedWrites: Int, policies: [Policy]) {
        self.scenario = scenario
        self.runs = runs
        self.seed = seed
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.datasets = datasets
        self.writes = writes
        self.addedWrites = addedWrites
        self.policies = policies
    }

    /// The q-th fraction (0 … 1) of sorted `x` by linear interpolation between closest ranks (Hyndman & Fan's
    /// type 7; the simulator's `Percentile`, so bands made here from `datasets` match its own): h = (n − 1)·q,
    /// x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋). 0 for no values.
    ///
    /// ```swift
    /// SimulationInput.percentile([1, 2, 3, 4, 10], 0.95)   // 8.8
    /// ```
    public static func percentile(_ x: [Double], _ q: Double) -> Double {
        guard let first = x.first else { return 0 }
        guard x.count > 1 else { return first }
        let h = Double(x.count - 1) * min(max(q, 0), 1)
        let lo = Int(h.rounded(.down))
        guard lo + 1 < x.count else { return x[x.count - 1] }
        return x[lo] + (h - Double(lo)) * (x[lo + 1] - x[lo])
    }

    /// Billing months (730 hours, as the providers and ``Billing`` count them) in the window: dollars for the
    /// window divided by this are dollars per month, on the same month as the plan's figures.
    public var windowMonths: Double { Double(windowEnd - windowStart) / (730 * 3_600) }
}

/// Reading a report's JSON input with errors that name the file and the key.
public enum ReportInput {
    /// Decodes `T` from the JSON in `file`.
    ///
    /// ```swift
    /// try ReportInput.load(SimulationInput.self, file: "plan.json")
    /// // InputError: plan.json: column 'scenario': missing: not the JSON of `backplan simulate --json`
    /// ```
    ///
    /// - Parameter what: the command that writes such files, named in the error.
    /// - Throws: ``InputError`` naming `file` and the key path (`policies[2].cost.total`) that is missing or of
    ///   the wrong type, or saying the file is missing or not JSON.
    public static func load<T: Decodable>(_ type: T.Type, file: String, what: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(file: file, "no such file") }
        return try decode(type, from: data, file: file, what: what)
    }

    /// Decodes `T` from `data` (read from `file`); errors as ``load(_:file:what:)``.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String, what: String) throws -> T {
        let expected = "not the JSON of `\(what)`"
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let context):
                throw InputError(file: file, column: path(context.codingPath + [key]), "missing: \(expected)")
            case .typeMismatch(_, let context) where context.codingPath.isEmpty:
                throw InputError(file: file, "the top level is not a JSON object: \(expected)")
            case .typeMismatch(let type, let context):
                throw InputError(file: file, column: path(context.codingPath), "not a \(typeName(type)): \(expected)")
            case .valueNotFound(let type, let context):
                throw InputError(file: file, column: path(context.codingPath), "null where a \(typeName(type)) is needed: \(expected)")
            case .dataCorrupted(let context) where !context.codingPath.isEmpty:
                throw InputError(file: file, column: path(context.codingPath), "\(context.debugDescription): \(expected)")
            default:
                throw InputError(file: file, "not JSON: \(expected)")
            }
        }
    }

    /// `policies[2].cost.total` from a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var s = ""
        for k in keys {
            if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
        }
        return s.isEmpty ? "(top level)" : s
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type, is Int64.Type, is UInt64.Type: "whole number"
        case is Double.Type: "number"
        case is [Any].Type: "list"
        default: type == [String: Any].self ? "object" : "\(type)".lowercased()
        }
    }
}
