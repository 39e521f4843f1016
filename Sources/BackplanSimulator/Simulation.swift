import BackplanCore
import BackplanPlanner
import Dispatch
import Foundation

/// One dataset as the simulator sees it.
public struct SimulatedDataset: Sendable {
    public var name: String
    public var classPolicy: ClassPolicy
    public var sizeBytes: Double
    public var bytesPerWrite: Double
    public var bytesPerRead: Double
    /// Retention span of its restore points (the planner's rule for its class), seconds.
    public var retentionSeconds: Double
}

/// What the `replanned` policy decided for each dataset in each re-planning period.
public struct ReplanSchedule: Sendable {
    /// Start of each period; period k covers [starts[k], starts[k + 1]) (the last one runs to the end).
    public var starts: [Double]
    /// Per period, per dataset (index in the write log): interval seconds, backup tier, data tier.
    public var intervals: [[Double]]
    public var backupTiers: [[Int]]
    public var dataTiers: [[Int]]
}

/// Metrics of one policy over all runs.
public struct PolicyResult: Codable, Sendable, Equatable {
    public var name: String
    public var backups: Int
    /// Mean time a write in the window waits for its backup, hours.
    public var exposureHours: Double
    /// Writes that waited longer than their class RPO.
    public var rpoViolations: Int
    /// Mean over runs, dollars for the window.
    public var cost: Cost
    public var messagesLost: Spread
    public var restores: Double
    public var meanRestoreHours: Double
    /// Restores per run (mean) that took longer than the class RTO.
    public var rtoViolations: Double

    public struct Cost: Codable, Sendable, Equatable {
        public var storage = 0.0, operations = 0.0, retrieval = 0.0, loss = 0.0, downtime = 0.0
        public var total: Double { storage + operations + retrieval + loss + downtime }

        enum CodingKeys: String, CodingKey { case storage, operations, retrieval, loss, downtime, total }
        public init() {}
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            storage = try c.decode(Double.self, forKey: .storage)
            operations = try c.decode(Double.self, forKey: .operations)
            retrieval = try c.decode(Double.self, forKey: .retrieval)
            loss = try c.decode(Double.self, forKey: .loss)
            downtime = try c.decode(Double.self, forKey: .downtime)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(storage, forKey: .storage)
            try c.encode(operations, forKey: .operations)
            try c.encode(retrieval, forKey: .retrieval)
            try c.encode(loss, forKey: .loss)
            try c.encode(downtime, forKey: .downtime)
            try c.encode(total, forKey: .total)
        }
    }

    /// Mean and the 5th and 95th percentiles over runs.
    public struct Spread: Codable, Sendable, Equatable {
        public var mean: Double
        public var p5: Double
        public var p95: Double
    }
}

/// Replays a write log under backup policies and sampled failures (DESIGN §5).
///
/// For every policy the backup times of each dataset follow from its writes (skip-if-unchanged; a final
/// backup at the window's end). Failures are sampled per run from each process's MTBF (exponential gaps,
/// seeded per run and dataset, so every policy meets the same failures). A disk, host or region failure at
/// f loses the writes after the dataset's last backup at or before f; corruption at c, found at c + δ,
/// restores the last backup before c if retention still keeps it at c + δ (else everything up to c + δ is
/// lost) and loses the writes between. Each restore reads the dataset back from its backup tier and keeps
/// it down for first-byte latency + size / throughput.
public struct Simulation: Sendable {
    public let frontier: Frontier
    public let datasets: [SimulatedDataset]
    public let model: CostModel
    public let scenario: Scenario
    public let runs: Int
    public let seed: UInt64
    /// Read times of dataset d (write-log index) are `readTimes[readOffsets[d]..<readOffsets[d + 1]]`, sorted:
    /// for the tiering rule and the retrieval fees of reads from colder tiers.
    public let readTimes: [Int64]
    public let readOffsets: [Int]
    /// The cron-daily time of day learned on the history (computed once, used by every daily policy).
    public let dailyPhase: Double

    public init(frontier: Frontier, datasets: [SimulatedDataset], reads: WriteLog, model: CostModel, scenario: Scenario,
                runs: Int, seed: UInt64) {
        precondition(datasets.count == frontier.log.datasetCount)
        self.frontier = frontier
        self.datasets = datasets
        // Align the read log with the write log's dataset order.
        let index = Dictionary(uniqueKeysWithValues: reads.names.enumerated().map { ($1, $0) })
        var times: [Int64] = [], offsets = [0]
        for name in frontier.log.names {
            if let r = index[name] { times.append(contentsOf: reads.writes(r)) }
            offsets.append(times.count)
        }
        readTimes = times
        readOffsets = offsets
        self.model = model
        self.scenario = scenario
        self.runs = max(1, runs)
        self.seed = seed
        dailyPhase = Double(frontier.bestDailyPhase())
    }

    var start: Double { frontier.cut }
    var end: Double { Double(frontier.t1) }

    /// Price multiplier of `tier` at time t (the scenario's price change).
    func priceFactor(tier: Int, at t: Double) -> Double {
        guard let p = scenario.priceChange, t >= start + p.at * (end - start) else { return 1 }
        if let name = p.tier, model.catalog.tiers[tier].name != name { return 1 }
        return p.factor
    }

    /// Runs `policy`; `replanned` needs its schedule, `oracle` its price λ.
    public func run(_ policy: SimulatedPolicy, schedule: ReplanSchedule? = nil, oracleLambda: Double = 0,
                    progress: (@Sendable (Int) -> Void)? = nil) -> PolicyResult {
        let n = datasets.count
        // Parallel's chunking depends on n only (not the core count), so the merged sums are the same on every machine.
        let chunks = Parallel.chunkCount(n)
        let phase = dailyPhase
        let regionFailures = regionFailureTimes()
        let parts = Parallel.map(chunks: chunks) { chunk -> Accumulator in
            var acc = Accumulator(runs: runs)
            var scratch = OracleScratch()
            for d in Parallel.chunk(chunk, of: chunks, n) {
                simulate(d, policy, schedule: schedule, lambda: oracleLambda, phase: phase, regionFailures: regionFailures,
                         scratch: &scratch, into: &acc)
            }
            progress?(chunk)
            return acc
        }
        var total = Accumulator(runs: runs)
        for p in parts { total.add(p) }
        let writes = max(1, frontier.testWriteCount)
        let sorted = total.lostPerRun.sorted()
        func percentile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))] }
        var cost = total.fixedCost
        cost.loss = total.lossDollars / Double(runs)
        cost.downtime = total.downtimeDollars / Double(runs)
        cost.retrieval += total.restoreRetrieval / Double(runs)
        return PolicyResult(
            name: policy.name, backups: total.backups, exposureHours: total.exposureSeconds / Double(writes) / 3_600,
            rpoViolations: total.rpoViolations, cost: cost,
            messagesLost: .init(mean: total.lostPerRun.reduce(0, +) / Double(runs), p5: percentile(0.05), p95: percentile(0.95)),
            restores: total.restores / Double(runs), meanRestoreHours: total.restores > 0 ? total.restoreSeconds / total.restores / 3_600 : 0,
            rtoViolations: total.rtoViolations / Double(runs))
    }

    /// Per-chunk sums, merged in chunk order so results do not depend on thread timing.
    struct Accumulator {
        var backups = 0
        var exposureSeconds = 0.0
        var rpoViolations = 0
        var fixedCost = PolicyResult.Cost()
        var lostPerRun: [Double]
        var lossDollars = 0.0, downtimeDollars = 0.0, restoreRetrieval = 0.0
        var restores = 0.0, restoreSeconds = 0.0, rtoViolations = 0.0

        init(runs: Int) { lostPerRun = Array(repeating: 0, count: runs) }

        mutating func add(_ o: Accumulator) {
            backups += o.backups
            exposureSeconds += o.exposureSeconds
            rpoViolations += o.rpoViolations
            fixedCost.storage += o.fixedCost.storage
            fixedCost.operations += o.fixedCost.operations
            fixedCost.retrieval += o.fixedCost.retrieval
            for r in lostPerRun.indices { lostPerRun[r] += o.lostPerRun[r] }
            lossDollars += o.lossDollars
            downtimeDollars += o.downtimeDollars
            restoreRetrieval += o.restoreRetrieval
            restores += o.restores
            restoreSeconds += o.restoreSeconds
            rtoViolations += o.rtoViolations
        }
    }

    /// The backup times of dataset `d` in the window and the tiers in force, per policy.
    func backups(_ d: Int, _ writes: ArraySlice<Int64>, _ policy: SimulatedPolicy, schedule: ReplanSchedule?, lambda: Double,
                 phase: Double, scratch: inout OracleScratch) -> [Double] {
        var times: [Double] = []
        func periodic(_ anchor: Double, _ period: Double, limit: Double) -> (Double) -> Double {
            { w in min(anchor + ((w - anchor) / period).rounded(.up) * period, limit) }
        }
        var slot: (Double) -> Double
        switch policy {
        case .fixed(let s): slot = periodic(start, Double(s), limit: .infinity)
        case .cronDaily, .intelligentTiering, .allHot: slot = periodic(phase, 86_400, limit: .infinity)
        case .oracle:
            return scratch.backupTimes(writes, lambda: lambda).map(Double.init)
        case .replanned:
            guard let a = schedule else { slot = periodic(start, 86_400, limit: .infinity); break }
            slot = { w in
                var k = 0
                while k + 1 < a.starts.count && a.starts[k + 1] <= w { k += 1 }
                let next = k + 1 < a.starts.count ? a.starts[k + 1] : .infinity
                return min(a.starts[k] + ((w - a.starts[k]) / a.intervals[k][d]).rounded(.up) * a.intervals[k][d], next)
            }
        }
        for w in writes {
            let s = slot(Double(w))
            let b = s <= end ? s : end
            if times.last != b { times.append(b) }
        }
        return times
    }

    private func simulate(_ d: Int, _ policy: SimulatedPolicy, schedule: ReplanSchedule?, lambda: Double, phase: Double,
                          regionFailures: [[[[Double]]]], scratch: inout OracleScratch, into acc: inout Accumulator) {
        let info = datasets[d]
        let c = info.classPolicy
        let writes = frontier.testWrites(d)
        let times = backups(d, writes, policy, schedule: schedule, lambda: lambda, phase: phase, scratch: &scratch)
        let hot = 0
        func tiers(at t: Double) -> (backup: Int, data: Int) {
            guard case .replanned = policy, let a = schedule else { return (hot, hot) }
            var k = 0
            while k + 1 < a.starts.count && a.starts[k + 1] <= t { k += 1 }
            return (a.backupTiers[k][d], a.dataTiers[k][d])
        }
        let rates = model.catalog.tiers
        let off = model.offlineTier ?? hot
        let online = Double(c.copies - c.offlineCopies), offline = Double(c.offlineCopies)
        let gib = CostModel.bytesPerGiB, month = CostModel.secondsPerMonth

        // Exposure, RPO and the cost of each backup (requests; increments kept for the retention span).
        var b = 0
        var covered = 0
        for w in writes {
            while b < times.count && times[b] < Double(w) { b += 1 }
            let wait = b < times.count ? times[b] - Double(w) : end - Double(w)
            acc.exposureSeconds += wait
            if wait > Double(c.rpoMaxSeconds) { acc.rpoViolations += 1 }
        }
        var previousWriteIndex = 0
        for t in times {
            // Writes this backup copies: those after the previous backup up to t.
            var k = previousWriteIndex
            while k < writes.count && Double(writes[writes.startIndex + k]) <= t { k += 1 }
            covered = k - previousWriteIndex
            previousWriteIndex = k
            let inc = min(info.sizeBytes, Double(covered) * info.bytesPerWrite)
            let (bt, _) = tiers(at: t)
            let requests = 1 + inc / CostModel.partBytes
            acc.fixedCost.operations += requests * (online * rates[bt].putDollarsPer1000 * priceFactor(tier: bt, at: t)
                                                    + offline * rates[off].putDollarsPer1000 * priceFactor(tier: off, at: t)) / 1_000
            // The increment is kept for the retention span, billed for at least the tier's minimum duration.
            func keptMonths(_ tier: Int) -> Double { max(info.retentionSeconds, rates[tier].minStorageDays * 86_400) / month }
            acc.fixedCost.storage += inc / gib
                * (online * rates[bt].storageDollarsPerGiBMonth * priceFactor(tier: bt, at: t) * keptMonths(bt)
                   + offline * rates[off].storageDollarsPerGiBMonth * priceFactor(tier: off, at: t) * keptMonths(off))
        }
        acc.backups += times.count

        // Full copies and live data, integrated over the window in daily steps (tiers and prices can change).
        let reads = readTimes[readOffsets[d]..<readOffsets[d + 1]]
        let allWrites = frontier.log.writes(d)
        var t = start
        var r = reads.startIndex, w = allWrites.startIndex
        var lastAccess = -Double.infinity
        while t < end {
            let step = min(86_400, end - t)
            while r < reads.endIndex && Double(reads[r]) <= t { lastAccess = max(lastAccess, Double(reads[r])); r += 1 }
            while w < allWrites.endIndex && Double(allWrites[w]) <= t { lastAccess = max(lastAccess, Double(allWrites[w])); w += 1 }
            var (bt, dt) = tiers(at: t)
            if case .intelligentTiering = policy {
                let idle = t - lastAccess
                dt = idle >= 90 * 86_400 ? min(2, rates.count - 1) : idle >= 30 * 86_400 ? min(1, rates.count - 1) : hot
                bt = hot
            }
            let months = step / month
            acc.fixedCost.storage += info.sizeBytes / gib * months
                * (rates[dt].storageDollarsPerGiBMonth * priceFactor(tier: dt, at: t)
                   + online * rates[bt].storageDollarsPerGiBMonth * priceFactor(tier: bt, at: t)
                   + offline * rates[off].storageDollarsPerGiBMonth * priceFactor(tier: off, at: t))
            if dt != hot, policy != .intelligentTiering {
                // Reads of live data on a colder tier pay retrieval (Intelligent-Tiering charges none).
                var n = 0
                var j = r
                while j < reads.endIndex && Double(reads[j]) < t + step { n += 1; j += 1 }
                acc.fixedCost.retrieval += Double(n) * info.bytesPerRead / gib * rates[dt].retrievalDollarsPerGiB * priceFactor(tier: dt, at: t)
            }
            t += step
        }

        // Failures, run by run: the same draws for every policy.
        for r in 0..<runs {
            var rng = Xoshiro256StarStar(seed: seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(d) &* 0xBF58_476D_1CE4_E5B9)
            for (k, f) in scenario.failures.enumerated() {
                var events: [Double] = []
                if f.scope == .region {
                    // Region failures strike every dataset of the region at once: drawn once per (run, region).
                    let region = Int(UInt(bitPattern: Self.stableHash(info.name)) % UInt(f.regions))
                    events = regionFailures[k][r][region]
                } else {
                    var x = start + rng.nextExponential(rate: 1 / f.mtbfSeconds)
                    while x < end { events.append(x); x += rng.nextExponential(rate: 1 / f.mtbfSeconds) }
                }
                for at in events {
                    let found = at + f.discoverySeconds
                    guard found <= end else { continue }
                    let lastGood = Self.lastBefore(times, at, strictly: f.discoverySeconds > 0)
                    let lost: Int
                    if f.discoverySeconds > 0 {
                        // Point-in-time restore: the last backup before the corruption, if still kept.
                        if let g = lastGood, g >= found - info.retentionSeconds {
                            lost = Self.count(writes, after: g, upTo: found)
                        } else {
                            lost = Self.count(writes, after: -.infinity, upTo: found)
                        }
                    } else {
                        lost = Self.count(writes, after: lastGood ?? -.infinity, upTo: at)
                    }
                    let (bt, _) = tiers(at: found)
                    let restore = rates[bt].firstByteSeconds + info.sizeBytes / model.policy.restoreBytesPerSecond
                    acc.lostPerRun[r] += Double(lost)
                    acc.lossDollars += Double(lost) * (c.lossDollarsPerMessage + info.bytesPerWrite / gib * c.lossDollarsPerGiB)
                    acc.restores += 1
                    acc.restoreSeconds += restore
                    acc.downtimeDollars += restore / 3_600 * c.downtimeDollarsPerHour
                    acc.restoreRetrieval += info.sizeBytes / gib * rates[bt].retrievalDollarsPerGiB * priceFactor(tier: bt, at: found)
                    if restore > Double(c.rtoMaxSeconds) { acc.rtoViolations += 1 }
                }
            }
        }
    }

    /// Times of every region failure, per failure kind (index in the scenario), run and region: region-scope
    /// kinds only, the others get empty lists. Seeded by (seed, run, region), as every dataset of a region
    /// must meet the same ones.
    func regionFailureTimes() -> [[[[Double]]]] {
        scenario.failures.map { f in
            guard f.scope == .region else { return [] }
            return (0..<runs).map { r in
                (0..<f.regions).map { region in
                    var rng = Xoshiro256StarStar(seed: seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(region) &+ 0x5151)
                    var times: [Double] = []
                    var x = start + rng.nextExponential(rate: 1 / f.mtbfSeconds)
                    while x < end { times.append(x); x += rng.nextExponential(rate: 1 / f.mtbfSeconds) }
                    return times
                }
            }
        }
    }

    /// The last backup at or before `t` (strictly before with `strictly`).
    static func lastBefore(_ times: [Double], _ t: Double, strictly: Bool) -> Double? {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if strictly ? times[mid] < t : times[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? times[lo - 1] : nil
    }

    /// Writes w with after < w ≤ upTo.
    static func count(_ writes: ArraySlice<Int64>, after a: Double, upTo b: Double) -> Int {
        func upper(_ x: Double) -> Int {
            var lo = writes.startIndex, hi = writes.endIndex
            while lo < hi {
                let mid = (lo + hi) / 2
                if Double(writes[mid]) <= x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        return max(0, upper(b) - upper(a))
    }

    /// FNV-1a of the name: a region assignment that does not change between runs or machines.
    static func stableHash(_ s: String) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in s.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h)
    }
}
