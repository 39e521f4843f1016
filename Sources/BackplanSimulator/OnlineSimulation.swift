import BackplanCore
import HeapModule

/// One run of the online policy over a frontier's test window (``Frontier/online(budget:)``): the event loop
/// here, the daily pacing of λ in `OnlineSimulation+Pacing.swift`.
///
/// Deadlines wait in a swift-collections `Heap` of ``Deadline`` values, ordered by (time, name rank): equal
/// times are taken in the datasets' name order, and stale deadlines (replaced by a later write) are skipped
/// when they surface.
struct OnlineSimulation {
    let frontier: Frontier
    let budget: Int
    let parameters: OnlineParameters
    /// cron-daily's time of day, seconds after midnight UTC: its running count paces λ.
    let cronPhase: Double

    var model: GapModel
    var taus = TauTable()

    /// Writes of the last `window` seconds, in time order, from `recentHead` on.
    var recentTime: [Int64] = []
    var recentDataset: [Int] = []
    var recentCell: [Int] = []
    var recentHead = 0
    /// Pending-dataset counts sampled at each test write, from `sampleHead` on, and their running sum.
    var sampleTime: [Int64] = []
    var sampleValue: [Int] = []
    var sampleHead = 0
    var sampleSum = 0

    /// Scratch of the replays and cron counts, per dataset.
    var scratchCount: [Int]
    var scratchDeadline: [Double]
    var scratchSlot: [Double]
    var scratchSeen: [Bool]
    var touched: [Int] = []

    init(frontier: Frontier, budget: Int, parameters: OnlineParameters) {
        self.frontier = frontier
        self.budget = budget
        self.parameters = parameters
        cronPhase = Double(frontier.bestDailyPhase())
        model = GapModel(halfLife: parameters.halfLife, shrinkage: parameters.shrinkage, reference: frontier.cut)
        let n = frontier.log.datasetCount
        scratchCount = Array(repeating: 0, count: n)
        scratchDeadline = Array(repeating: 0, count: n)
        scratchSlot = Array(repeating: .nan, count: n)
        scratchSeen = Array(repeating: false, count: n)
    }

    func cronSlot(_ t: Int64) -> Double { ((Double(t) - cronPhase) / 86_400).rounded(.up) }

    /// Trains on the writes before the cut, then replays the test writes and deadlines in time order.
    mutating func run() -> OnlineRun {
        let log = frontier.log
        let datasets = log.datasetCount
        let t1 = Double(frontier.t1)
        let window = parameters.window
        let byRank = NameOrder.indices(log.names)
        var rank = [Int](repeating: 0, count: datasets)
        for (r, d) in byRank.enumerated() { rank[d] = r }

        // Training: observations, each dataset's last write and key, the recent writes.
        var lastWrite = [Int64?](repeating: nil, count: datasets)
        var lastCell = [Int](repeating: 0, count: datasets)
        var recentTraining: [(t: Int64, d: Int, cell: Int)] = []
        for d in byRank {
            let w = frontier.trainingWrites(d)
            var previous: Int64?
            for t in w {
                let gap = previous.map { Double(t - $0) } ?? .infinity
                let cell = GapModel.cell(previousGap: gap, at: t)
                if let p = previous { model.add(cell: lastCell[d], at: Double(p), gap: Double(t - p)) }
                if Double(t) >= frontier.cut - window { recentTraining.append((t, d, cell)) }
                previous = t
                lastCell[d] = cell
            }
            lastWrite[d] = previous
        }
        recentTraining.sort { ($0.t, rank[$0.d]) < ($1.t, rank[$1.d]) }
        for r in recentTraining { recentTime.append(r.t); recentDataset.append(r.d); recentCell.append(r.cell) }

        // Test writes in time order; ties by the datasets' name order.
        var events: [(t: Int64, d: Int)] = []
        events.reserveCapacity(frontier.testWriteCount)
        for d in 0..<datasets { for t in frontier.testWrites(d) { events.append((t, d)) } }
        events.sort { ($0.t, rank[$0.d]) < ($1.t, rank[$1.d]) }

        var pendingCount = [Int](repeating: 0, count: datasets)
        var pendingSum = [Double](repeating: 0, count: datasets)
        var deadline = [Double](repeating: .nan, count: datasets)
        var pendingDatasets = 0
        var lastCronSlot = [Double](repeating: .nan, count: datasets)
        var cronSoFar = 0
        var ops = 0
        var exposure = 0.0
        var reserve = 0.0
        var lambda = parameters.lambdaLow
        var lambdas: [(time: Double, lambda: Double)] = []
        var backups: [OnlineBackup] = []
        var heap = Heap<Deadline>()
        var nextRefit = frontier.cut

        func backUp(_ d: Int, at b: Double) {
            backups.append(OnlineBackup(dataset: d, time: b))
            ops += 1
            exposure += Double(pendingCount[d]) * b - pendingSum[d]
            pendingCount[d] = 0
            pendingSum[d] = 0
            deadline[d] = .nan
            pendingDatasets -= 1
        }

        var i = 0
        while i < events.count || !heap.isEmpty {
            let next = i < events.count ? Double(events[i].t) : .infinity
            if let top = heap.min, top.time < next {
                // A deadline strictly before the next write (a write at the deadline joins the pending set).
                _ = heap.popMin()
                let d = byRank[top.key]
                guard deadline[d] == top.time, pendingCount[d] > 0, top.time <= t1 else { continue }
                if Double(ops + pendingDatasets) + reserve <= Double(budget) {
                    backUp(d, at: top.time)
                } else {
                    deadline[d] = .nan   // over budget: wait for the next write or the final backup
                }
                continue
            }
            if next == .infinity { break }
            let (t, d) = events[i]
            i += 1
            let x = Double(t)
            while x >= nextRefit {
                // Daily: refit the model, re-solve λ against cron-daily's pace, update the reserve.
                model.refit()
                let from = nextRefit - window
                while recentHead < recentTime.count, Double(recentTime[recentHead]) < from { recentHead += 1 }
                let remaining = t1 - nextRefit
                let cronRecent = cronCount()
                let debt = Double(cronSoFar - ops - pendingDatasets) - reserve
                let target = max(Double(cronRecent) + debt * min(1, window / max(remaining, 1)), 1)
                lambda = solveLambda(target: target)
                while sampleHead < sampleTime.count, Double(sampleTime[sampleHead]) < from {
                    sampleSum -= sampleValue[sampleHead]
                    sampleHead += 1
                }
                let samples = sampleTime.count - sampleHead
                reserve = samples > 0 ? Double(sampleSum) / Double(samples) : 0
                lambdas.append((nextRefit, lambda))
                nextRefit += parameters.refitEvery
            }
            let gap: Double
            if let p = lastWrite[d] {
                model.add(cell: lastCell[d], at: Double(p), gap: Double(t - p))
                gap = Double(t - p)
            } else {
                gap = .infinity
            }
            let cell = GapModel.cell(previousGap: gap, at: t)
            lastWrite[d] = t
            lastCell[d] = cell
            let slot = cronSlot(t)
            if lastCronSlot[d] != slot { lastCronSlot[d] = slot; cronSoFar += 1 }
            recentTime.append(t); recentDataset.append(d); recentCell.append(cell)
            if pendingCount[d] == 0 { pendingDatasets += 1 }
            pendingCount[d] += 1
            pendingSum[d] += x
            sampleTime.append(t); sampleValue.append(pendingDatasets); sampleSum += pendingDatasets
            if taus.lambda != lambda { taus.reset(lambda: lambda) }
            let due = x + taus.tau(model, cell: cell, pending: pendingCount[d])
            deadline[d] = due
            heap.insert(Deadline(time: due, key: rank[d]))
        }
        for d in byRank where pendingCount[d] > 0 { backUp(d, at: t1) }
        return OnlineRun(backups: backups, ops: ops, exposureSeconds: exposure, lambdas: lambdas)
    }
}

/// A dataset's backup deadline in the online policy's heap: ordered by time, then by `key`, the dataset's rank
/// in name order, so that deadlines at the same time are taken in name order whatever the heap's layout.
struct Deadline: Comparable {
    /// Unix seconds.
    var time: Double
    /// The dataset's rank in name order.
    var key: Int

    static func < (a: Deadline, b: Deadline) -> Bool { a.time < b.time || (a.time == b.time && a.key < b.key) }
}
