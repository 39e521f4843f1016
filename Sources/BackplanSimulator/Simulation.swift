import BackplanCore
import BackplanPlanner
import Dispatch
import Foundation

/// One dataset as the simulator sees it.
public struct SimulatedDataset: Sendable {
    public var name: String
    public var classPolicy: ClassPolicy
    /// Its size at the cut (for the record: the simulator replays the size each moment had from the write
    /// log's bytes, ``Simulation/size(_:at:)``, or from the mean write size when the log has none).
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
    /// Running sums of write bytes per dataset, parallel to the log's times (a log without bytes counts each
    /// write as the dataset's mean write size): dataset d's size at t is the sum over its writes at or before t.
    let cumulativeBytes: [Double]

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
        let log = frontier.log
        var sums: [Double] = []
        sums.reserveCapacity(log.times.count)
        for d in 0..<log.datasetCount {
            var running = 0.0
            for k in log.offsets[d]..<log.offsets[d + 1] {
                running += log.bytes.isEmpty ? datasets[d].bytesPerWrite : Double(log.bytes[k])
                sums.append(running)
            }
        }
        cumulativeBytes = sums
    }

    var start: Double { frontier.cut }
    var end: Double { Double(frontier.t1) }

    /// Price multiplier of `tier` at time t (the scenario's price change).
    func priceFactor(tier: Int, at t: Double) -> Double {
        guard let p = scenario.priceChange, t >= start + p.at * (end - start) else { return 1 }
        if let name = p.tier, model.catalog.tiers[tier].name != name { return 1 }
        return p.factor
    }

    /// Runs `policy`; `replanned` needs its schedule, `oracle` its price λ. With `datasetCosts`, the result
    /// has each dataset's share (``PolicyResult/datasets``; large for many datasets), else none.
    public func run(_ policy: SimulatedPolicy, schedule: ReplanSchedule? = nil, oracleLambda: Double = 0, datasetCosts: Bool = true,
                    progress: (@Sendable (Int) -> Void)? = nil) -> PolicyResult {
        let n = datasets.count
        // Parallel's chunking depends on n only (not the core count), so the merged sums are the same on every machine.
        let chunks = Parallel.chunkCount(n)
        let phase = dailyPhase
        let regionFailures = regionFailureTimes()
        let parts = Parallel.map(chunks: chunks) { chunk -> Accumulator in
            var acc = Accumulator(runs: runs, days: dayCount)
            var scratch = OracleScratch()
            for d in Parallel.chunk(chunk, of: chunks, n) {
                simulate(d, policy, schedule: schedule, lambda: oracleLambda, phase: phase, regionFailures: regionFailures,
                         shares: datasetCosts, scratch: &scratch, into: &acc)
            }
            progress?(chunk)
            return acc
        }
        var total = Accumulator(runs: runs, days: dayCount)
        for p in parts { total.add(p) }
        let writes = max(1, frontier.testWriteCount)
        let sorted = total.lostPerRun.sorted()
        var cost = total.fixedCost
        cost.loss = total.lossDollars / Double(runs)
        cost.downtime = total.downtimeDollars / Double(runs)
        cost.restoreRetrieval += total.restoreRetrieval / Double(runs)
        let billed = total.fixedCost.total
        let costPerRun = total.failurePerRun.map { billed + $0 }
        // Each day: the billed dollars plus the failures' mean over runs.
        let days = zip(total.days, total.failureDays).map { fixed, failures -> Cost in
            var day = fixed
            day.loss = failures.loss / Double(runs)
            day.downtime = failures.downtime / Double(runs)
            day.restoreRetrieval += failures.restoreRetrieval / Double(runs)
            return day
        }
        return PolicyResult(
            name: policy.name, backups: total.backups, exposureHours: total.exposureSeconds / Double(writes) / 3_600,
            rpoViolations: total.rpoViolations, cost: cost,
            messagesLost: .init(mean: total.lostPerRun.reduce(0, +) / Double(runs), p5: Percentile.sorted(sorted, 0.05),
                                p95: Percentile.sorted(sorted, 0.95)),
            restores: total.restores / Double(runs), meanRestoreHours: total.restores > 0 ? total.restoreSeconds / total.restores / 3_600 : 0,
            rtoViolations: total.rtoViolations / Double(runs), costPerRun: costPerRun, lossPerRun: total.lossPerRunDollars,
            costBand: PolicyResult.Band(costPerRun), lossBand: PolicyResult.Band(total.lossPerRunDollars),
            series: PolicyResult.Series(days: days, start: start, end: end), datasets: total.datasets,
            datasetRuns: datasetCosts ? min(runs, Self.datasetRunsLimit) : 0)
    }

    /// Runs whose failures each dataset's share lists (``PolicyResult/DatasetCost/failureRuns``): the lists grow
    /// with runs × failures (200 runs of the sample under region outages: 1.1 MB of compact JSON per policy).
    public static let datasetRunsLimit = 1_000

    /// Days in the window (the last one may be short): the series' buckets.
    var dayCount: Int { max(1, Int(((end - start) / 86_400).rounded(.up))) }

    /// The day of the window time t falls in (clamped to the window).
    func day(_ t: Double) -> Int { min(dayCount - 1, max(0, Int(((t - start) / 86_400).rounded(.down)))) }

    /// Per-chunk sums, merged in chunk order so results do not depend on thread timing.
    struct Accumulator {
        var backups = 0
        var exposureSeconds = 0.0
        var rpoViolations = 0
        var fixedCost = PolicyResult.Cost()
        var lostPerRun: [Double]
        var lossDollars = 0.0, downtimeDollars = 0.0, restoreRetrieval = 0.0
        var restores = 0.0, restoreSeconds = 0.0, rtoViolations = 0.0
        /// Per run: loss dollars, and the dollars of all its failures (loss, downtime, restore retrieval).
        var lossPerRunDollars: [Double], failurePerRun: [Double]
        /// Per day of the window: billed dollars, and the failures' dollars summed over runs.
        var days: [Cost], failureDays: [Cost]
        var datasets: [PolicyResult.DatasetCost] = []

        init(runs: Int, days: Int) {
            lostPerRun = Array(repeating: 0, count: runs)
            lossPerRunDollars = lostPerRun
            failurePerRun = lostPerRun
            self.days = Array(repeating: Cost(), count: days)
            failureDays = self.days
        }

        mutating func add(_ o: Accumulator) {
            backups += o.backups
            exposureSeconds += o.exposureSeconds
            rpoViolations += o.rpoViolations
            fixedCost += o.fixedCost
            for r in lostPerRun.indices { lostPerRun[r] += o.lostPerRun[r] }
            lossDollars += o.lossDollars
            downtimeDollars += o.downtimeDollars
            restoreRetrieval += o.restoreRetrieval
            restores += o.restores
            restoreSeconds += o.restoreSeconds
            rtoViolations += o.rtoViolations
            for r in lossPerRunDollars.indices {
                lossPerRunDollars[r] += o.lossPerRunDollars[r]
                failurePerRun[r] += o.failurePerRun[r]
            }
            for k in days.indices {
                days[k] += o.days[k]
                failureDays[k] += o.failureDays[k]
            }
            datasets += o.datasets
        }
    }

    typealias Cost = PolicyResult.Cost

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
                          regionFailures: [[[[Double]]]], shares: Bool, scratch: inout OracleScratch, into acc: inout Accumulator) {
        let info = datasets[d]
        let c = info.classPolicy
        let writes = frontier.testWrites(d)
        let times = backups(d, writes, policy, schedule: schedule, lambda: lambda, phase: phase, scratch: &scratch)
        func tiers(at t: Double) -> (backup: Int, data: Int) {
            guard case .replanned = policy, let a = schedule else { return (0, 0) }
            var k = 0
            while k + 1 < a.starts.count && a.starts[k + 1] <= t { k += 1 }
            return (a.backupTiers[k][d], a.dataTiers[k][d])
        }
        let rates = model.catalog.tiers
        let gib = CostModel.bytesPerGiB

        // Exposure and RPO.
        var b = 0
        for w in writes {
            while b < times.count && times[b] < Double(w) { b += 1 }
            let wait = b < times.count ? times[b] - Double(w) : end - Double(w)
            acc.exposureSeconds += wait
            if wait > Double(c.rpoMaxSeconds) { acc.rpoViolations += 1 }
        }
        acc.backups += times.count
        // What the provider bills (Simulation+Billing.swift): backups, live data and full copies, tier moves.
        var billed = Cost()
        billBackups(d, times: times, tiers: tiers, into: &billed, daily: &acc.days)
        billLiveData(d, policy, tiers: tiers, into: &billed, daily: &acc.days)
        acc.fixedCost += billed
        var tally = FailureTally()
        var failureMeans = Cost()

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
                    let bytes = size(d, at: found).bytes
                    let restore = rates[bt].firstByteSeconds + bytes / model.policy.restoreBytesPerSecond
                    let lossDollars = Double(lost) * (c.lossDollarsPerMessage + info.bytesPerWrite / gib * c.lossDollarsPerGiB)
                    let downtime = restore / 3_600 * c.downtimeDollarsPerHour
                    let retrieval = (bytes / gib * rates[bt].retrievalDollarsPerGiB
                                     + (1 + bytes / Billing.partBytes) * rates[bt].getDollarsPer1000 / 1_000) * priceFactor(tier: bt, at: found)
                    acc.lostPerRun[r] += Double(lost)
                    acc.lossDollars += lossDollars
                    acc.restores += 1
                    acc.restoreSeconds += restore
                    acc.downtimeDollars += downtime
                    acc.restoreRetrieval += retrieval
                    acc.lossPerRunDollars[r] += lossDollars
                    acc.failurePerRun[r] += lossDollars + downtime + retrieval
                    let k = day(found)
                    acc.failureDays[k].loss += lossDollars
                    acc.failureDays[k].downtime += downtime
                    acc.failureDays[k].restoreRetrieval += retrieval
                    failureMeans.loss += lossDollars
                    failureMeans.downtime += downtime
                    failureMeans.restoreRetrieval += retrieval
                    if shares && r < Self.datasetRunsLimit { tally.add(run: r, dollars: lossDollars + downtime + retrieval, loss: lossDollars) }
                    if restore > Double(c.rtoMaxSeconds) { acc.rtoViolations += 1 }
                }
            }
        }
        guard shares else { return }
        let n = Double(runs)
        acc.datasets.append(PolicyResult.DatasetCost(
            name: info.name, storage: billed.storage, operations: billed.operations, liveRetrieval: billed.liveRetrieval,
            restoreRetrieval: failureMeans.restoreRetrieval / n, loss: failureMeans.loss / n, downtime: failureMeans.downtime / n,
            failureRuns: tally.runs, failureDollars: tally.dollars, failureLoss: tally.loss))
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
