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
    /// With ``OnlineParameters/useSends``: the time from an owner's send to the dataset's next write, keyed by
    /// the time since the dataset's last write and the send's slot (the same cells as ``model``).
    var sendModel: GapModel
    var sendTaus = TauTable()
    /// With ``OnlineParameters/personalShrinkage``: each dataset's own curves, shrunk toward ``model``'s cells.
    var personal: PersonalGapModel?

    /// Writes (and with sends, sends) of the last `window` seconds, in time order, from `recentHead` on.
    var recentTime: [Int64] = []
    var recentDataset: [Int] = []
    var recentCell: [Int] = []
    var recentIsSend: [Bool] = []
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
        sendModel = model
        personal = parameters.personalShrinkage.map { PersonalGapModel(halfLife: parameters.halfLife, shrinkage: $0) }
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

        let useSends = parameters.useSends
        // Training: observations, each dataset's last write and key, the recent writes (and sends).
        var lastWrite = [Int64?](repeating: nil, count: datasets)
        var lastCell = [Int](repeating: 0, count: datasets)
        /// Per dataset, its sends since its last write, (cell, time): each is learned when the next write comes.
        var openSends = [[(cell: Int, t: Int64)]](repeating: [], count: datasets)
        var recentTraining: [(t: Int64, isSend: Bool, d: Int, cell: Int)] = []
        for d in byRank {
            var previous: Int64?
            // Writes before sends at the same second: a send answers what arrived, it does not precede it.
            for (t, isSend) in Self.merged(frontier.trainingWrites(d), useSends ? frontier.trainingSends(d) : []) {
                if isSend {
                    let cell = GapModel.cell(previousGap: previous.map { Double(t - $0) } ?? .infinity, at: t)
                    noteSend(&openSends[d], cell: cell, at: t)
                    if Double(t) >= frontier.cut - window { recentTraining.append((t, true, d, cell)) }
                    continue
                }
                let gap = previous.map { Double(t - $0) } ?? .infinity
                let cell = GapModel.cell(previousGap: gap, at: t)
                if let p = previous {
                    model.add(cell: lastCell[d], at: Double(p), gap: Double(t - p))
                    personal?.add(dataset: d, at: Double(p), gap: Double(t - p))
                }
                learnSends(&openSends[d], nextWrite: t)
                if Double(t) >= frontier.cut - window { recentTraining.append((t, false, d, cell)) }
                previous = t
                lastCell[d] = cell
            }
            lastWrite[d] = previous
        }
        recentTraining.sort { ($0.t, $0.isSend ? 1 : 0, rank[$0.d]) < ($1.t, $1.isSend ? 1 : 0, rank[$1.d]) }
        for r in recentTraining {
            recentTime.append(r.t); recentDataset.append(r.d); recentCell.append(r.cell); recentIsSend.append(r.isSend)
        }

        // Test writes (and sends) in time order; ties: writes first, then by the datasets' name order.
        var events: [(t: Int64, isSend: Bool, d: Int)] = []
        events.reserveCapacity(frontier.testWriteCount)
        for d in 0..<datasets {
            for t in frontier.testWrites(d) { events.append((t, false, d)) }
            if useSends { for t in frontier.testSends(d) { events.append((t, true, d)) } }
        }
        events.sort { ($0.t, $0.isSend ? 1 : 0, rank[$0.d]) < ($1.t, $1.isSend ? 1 : 0, rank[$1.d]) }

        var pendingCount = [Int](repeating: 0, count: datasets)
        var pendingSum = [Double](repeating: 0, count: datasets)
        var deadline = [Double](repeating: .nan, count: datasets)
        var pendingDatasets = 0
        var lastCronSlot = [Double](repeating: .nan, count: datasets)
        var cronSoFar = 0
        var ops = 0
        var exposure = 0.0
        var exposureByDataset = [Double](repeating: 0, count: datasets)
        var reserve = 0.0
        /// cron-daily's backups per second over the last window, at the last refit.
        var cronRate = 0.0
        var lambda = parameters.lambdaLow
        var lambdas: [(time: Double, lambda: Double)] = []
        var backups: [OnlineBackup] = []
        var heap = Heap<Deadline>()
        var nextRefit = frontier.cut

        func backUp(_ d: Int, at b: Double) {
            backups.append(OnlineBackup(dataset: d, time: b))
            ops += 1
            let e = Double(pendingCount[d]) * b - pendingSum[d]
            exposure += e
            exposureByDataset[d] += e
            pendingCount[d] = 0
            pendingSum[d] = 0
            deadline[d] = .nan
            pendingDatasets -= 1
        }

        var i = 0
        while i < events.count || !heap.isEmpty {
            let next = i < events.count ? Double(events[i].t) : .infinity
            if let top = heap.min, top.time < next || (top.time == next && events[i].isSend) {
                // A deadline strictly before the next write (a write at the deadline joins the pending set),
                // or at or before the next send (a send decides anew only for what is still pending).
                _ = heap.popMin()
                let d = byRank[top.key]
                guard deadline[d] == top.time, pendingCount[d] > 0, top.time <= t1 else { continue }
                // Room kept for datasets not yet pending that will need a backup before t1: the reserve, but no more
                // than cron-daily's recent rate of backups times the time left (issue 14: the whole reserve up to
                // the end left generated logs 1.2% under budget).
                let room = min(reserve, cronRate * max(0, t1 - top.time))
                if Double(ops + pendingDatasets) + room <= Double(budget) {
                    backUp(d, at: top.time)
                } else {
                    deadline[d] = .nan   // over budget: wait for the next write or the final backup
                }
                continue
            }
            if next == .infinity { break }
            let (t, isSend, d) = events[i]
            i += 1
            let x = Double(t)
            while x >= nextRefit {
                // Daily: refit the model, re-solve λ against cron-daily's pace, update the reserve.
                model.refit()
                if useSends { sendModel.refit() }
                personal?.refit()
                let from = nextRefit - window
                while recentHead < recentTime.count, Double(recentTime[recentHead]) < from { recentHead += 1 }
                let remaining = t1 - nextRefit
                let cronRecent = cronCount()
                cronRate = Double(cronRecent) / window
                let debt = Double(cronSoFar - ops - pendingDatasets) - parameters.reserveInDebt * reserve
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
            if isSend {
                // The owner's own send: a decision point for what is pending (DESIGN §5, issue 14).
                let cell = GapModel.cell(previousGap: lastWrite[d].map { Double(t - $0) } ?? .infinity, at: t)
                noteSend(&openSends[d], cell: cell, at: t)
                recentTime.append(t); recentDataset.append(d); recentCell.append(cell); recentIsSend.append(true)
                guard pendingCount[d] > 0 else { continue }
                if sendTaus.lambda != lambda { sendTaus.reset(lambda: lambda) }
                let due = x + sendTaus.tau(sendModel, cell: cell, pending: pendingCount[d])
                deadline[d] = due
                heap.insert(Deadline(time: due, key: rank[d]))
                continue
            }
            if useSends { learnSends(&openSends[d], nextWrite: t) }
            let gap: Double
            if let p = lastWrite[d] {
                model.add(cell: lastCell[d], at: Double(p), gap: Double(t - p))
                personal?.add(dataset: d, at: Double(p), gap: Double(t - p))
                gap = Double(t - p)
            } else {
                gap = .infinity
            }
            let cell = GapModel.cell(previousGap: gap, at: t)
            lastWrite[d] = t
            lastCell[d] = cell
            let slot = cronSlot(t)
            if lastCronSlot[d] != slot { lastCronSlot[d] = slot; cronSoFar += 1 }
            recentTime.append(t); recentDataset.append(d); recentCell.append(cell); recentIsSend.append(false)
            if pendingCount[d] == 0 { pendingDatasets += 1 }
            pendingCount[d] += 1
            pendingSum[d] += x
            sampleTime.append(t); sampleValue.append(pendingDatasets); sampleSum += pendingDatasets
            if taus.lambda != lambda { taus.reset(lambda: lambda) }
            let due = x + writeTau(dataset: d, at: t, cell: cell, pending: pendingCount[d], lambda: lambda)
            deadline[d] = due
            heap.insert(Deadline(time: due, key: rank[d]))
        }
        for d in byRank where pendingCount[d] > 0 { backUp(d, at: t1) }
        return OnlineRun(backups: backups, ops: ops, exposureSeconds: exposure, exposureByDataset: exposureByDataset,
                         lambdas: lambdas)
    }

    /// τ after a write: from the dataset's own shrunk curves in the `personal` variants, else the pooled cell's.
    mutating func writeTau(dataset d: Int, at t: Int64, cell: Int, pending k: Int, lambda: Double) -> Double {
        guard personal != nil else { return taus.tau(model, cell: cell, pending: k) }
        return personal!.tau(pooled: model, pooledTaus: &taus, dataset: d, at: t, cell: cell, pending: k, lambda: lambda)
    }

    /// A dataset's writes and sends merged in time order, writes first at equal times.
    static func merged(_ writes: ArraySlice<Int64>, _ sends: ArraySlice<Int64>) -> [(t: Int64, isSend: Bool)] {
        var out: [(t: Int64, isSend: Bool)] = []
        out.reserveCapacity(writes.count + sends.count)
        var w = writes.startIndex, s = sends.startIndex
        while w < writes.endIndex || s < sends.endIndex {
            if s == sends.endIndex || (w < writes.endIndex && writes[w] <= sends[s]) {
                out.append((writes[w], false)); w += 1
            } else {
                out.append((sends[s], true)); s += 1
            }
        }
        return out
    }

    /// Remembers a send until its dataset's next write; the oldest is dropped past ``maxOpenSends``.
    private func noteSend(_ open: inout [(cell: Int, t: Int64)], cell: Int, at t: Int64) {
        if open.count == Self.maxOpenSends { open.removeFirst() }
        open.append((cell, t))
    }

    /// The next write came at `nextWrite`: every open send learns its time to it.
    private mutating func learnSends(_ open: inout [(cell: Int, t: Int64)], nextWrite: Int64) {
        for s in open { sendModel.add(cell: s.cell, at: Double(s.t), gap: Double(nextWrite - s.t)) }
        open.removeAll(keepingCapacity: true)
    }

    /// Sends kept per dataset while it waits for its next write: a bound on memory for prolific senders.
    static let maxOpenSends = 32
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
