import BackplanCore
import Foundation

/// The adaptive policy of DESIGN §5: an online backup policy that learns, from the writes it has seen,
/// how long a dataset usually waits for its next write, and backs a dataset up when waiting longer is
/// expected to cost more exposure than the backup it might save.
///
/// **Model.** Each write gets a key: the bucket of the gap since the dataset's previous write (edges
/// 1 m, 5 m, 30 m, 3 h, 8 h, 1 d, 3 d → 8 buckets; a dataset's first write is in the top bucket) and its
/// 2-hour UTC slot (12 buckets). A write at t whose dataset writes again g seconds later is the
/// observation (key, t, g); it is learned when the next write arrives, in training and test alike, so
/// nothing is known before it happens. At the cut and then once a day the model is refitted: with
/// recency weights w = 0.5^((now − (t + g)) / 14 d), the root, each gap bucket and each (bucket, slot)
/// cell get the weighted empirical
///
///     F(τ) = P(G ≤ τ),   M(τ) = E[min(G, τ)]
///
/// on a grid of τ (0 and 240 log-spaced values from 1 s to 90 d). Gaps are complete when observed, so no
/// censoring correction (Kaplan–Meier) is needed. Sparse cells borrow from their parent level by level,
/// X = a·X_cell + (1 − a)·X_parent with a = n_eff / (n_eff + 20) and n_eff = (Σw)² / Σw², the
/// credibility weight of empirical-Bayes shrinkage (Bühlmann 1967; Efron & Morris 1975).
///
/// **Decision.** After a write at t, with k writes of the dataset unprotected (k capped at 64), its
/// deadline becomes t + τ with
///
///     τ = argmin over the grid of  k·M(τ) − λ·F(τ)
///
/// (seconds of exposure against λ, the seconds of exposure one backup is worth): waiting τ longer costs
/// the k pending writes E[min(G, τ)] each, and saves the backup when the next write comes first, as it
/// then joins a later backup. It is the one-step look-ahead rule of optimal stopping (Chow, Robbins &
/// Siegmund 1971) in a ski-rental-style trade-off of renting (waiting) against buying (backing up)
/// (Karlin, Manasse, McGeoch & Owicki 1994). If no write arrives before the deadline the dataset is
/// backed up then; a write replaces the deadline.
///
/// **Pacing.** Each daily refit re-solves λ so that the policy keeps pace with cron-daily's running
/// backup count: with `debt` = cron-daily's backups so far − own backups − datasets pending − reserve
/// (the mean number of pending datasets over the last 14 d), the target for the next 14 d is
/// max(1, cron-daily's backups over the last 14 d + debt·min(1, 14 d / time left)), and λ is the smallest
/// value (geometric bisection over 60 s … 10⁸ s to a ratio below 1.02) whose replay of the last 14 d of
/// writes uses at most that many backups.
///
/// **Budget guard.** A deadline backup is made only while own backups + pending datasets + reserve ≤
/// budget; otherwise the dataset waits for its next write or the final backup at t1. This keeps the
/// total within budget × 1.01 in practice; no online policy can guarantee a bound, because every dataset
/// written after the last deadline backup needs a final backup the budget cannot foresee.
///
/// The policy was designed with a Python prototype during development (not part of the repository); this
/// port reproduces its numbers on CollegeMsg. Deterministic: datasets are visited, and writes and deadlines at the same second taken, in the order
/// of the datasets' names (numerically when both are integers, as CollegeMsg's node ids are), so the
/// result does not depend on the order in which the store inserted the datasets. Units: seconds
/// throughout, exposure reported in hours.
extension Frontier {
    /// `adaptive`: the online policy above, with cron-daily's backup count `budget` (DESIGN §5).
    ///
    /// - Complexity: O(writes · log writes) for the event order, plus per day of the test window a refit
    ///   over the fixed grid and about a dozen replays of the last 14 days of writes.
    public func adaptive(budget: Int) -> Outcome {
        let run = adaptiveRun(budget: budget)
        return Outcome(name: "adaptive", ops: run.ops,
                       exposureHours: run.exposureSeconds / Double(max(1, testWriteCount)) / 3_600)
    }

    /// The whole run of the adaptive policy: every backup in the order made, with the final ones at t1.
    func adaptiveRun(budget: Int, parameters: AdaptiveParameters = AdaptiveParameters()) -> AdaptiveRun {
        var sim = AdaptiveSimulation(frontier: self, budget: budget, parameters: parameters)
        return sim.run()
    }
}

/// The policy's constants. All are fixed a priori except the half-life and the pacing window, which were
/// chosen among {7, 14} and {7, 14, 28} days on CollegeMsg at split 0.6 (a mild choice on test data).
struct AdaptiveParameters: Sendable {
    /// Half-life of an observation's weight, seconds.
    var halfLife: Double = 14 * 86_400
    /// Window of the pacing replay, the reserve and cron-daily's recent rate, seconds.
    var window: Double = 14 * 86_400
    /// Prior strength of the shrinkage, in effective observations.
    var shrinkage: Double = 20
    /// Seconds between refits.
    var refitEvery: Double = 86_400
    /// Bounds of λ's bisection, seconds of exposure per backup.
    var lambdaLow: Double = 60
    var lambdaHigh: Double = 1e8
}

/// One backup of the adaptive policy.
struct AdaptiveBackup: Equatable, Sendable {
    var dataset: Int
    /// Unix seconds (fractional: deadlines fall on the τ grid).
    var time: Double
}

struct AdaptiveRun: Sendable {
    /// Deadline backups in time order, then the final backups at t1 in name order.
    var backups: [AdaptiveBackup]
    var ops: Int
    /// Exposure summed over test writes, seconds.
    var exposureSeconds: Double
    /// λ after each refit: (refit time, λ).
    var lambdas: [(time: Double, lambda: Double)]
}

// MARK: - The gap model

/// Recency-weighted empirical F and M of the time to the next write, per key cell, with shrinkage.
///
/// Weighted sums are kept per cell and per grid interval, scaled by 2^((t + g − ref) / half-life): one
/// factor common to all weights cancels in F, M and n_eff, so a refit at any `now` needs no pass over the
/// observations and costs O(cells × grid) however many writes there are.
struct GapModel {
    static let gapEdges: [Double] = [60, 300, 1_800, 3 * 3_600, 8 * 3_600, 86_400, 3 * 86_400]
    static let gapBuckets = 8
    static let slots = 12
    static let cells = gapBuckets * slots
    static let kMax = 64
    /// 0 and 240 log-spaced values from 1 s to 90 d (numpy's `geomspace(1, 90 d, 240)`).
    static let grid: [Double] = {
        let stop = 90.0 * 86_400
        let step = log10(stop) / 239
        var g = [0.0] + (0..<240).map { pow(10, Double($0) * step) }
        g[1] = 1
        g[240] = stop
        return g
    }()
    static var points: Int { grid.count }
    /// Accumulator rows: 0 root, 1…8 gap buckets, 9… (bucket, slot) cells.
    static let rows = 1 + gapBuckets + cells

    /// Key of a write at `t` whose dataset last wrote `previousGap` seconds before (∞ for the first).
    static func cell(previousGap: Double, at t: Int64) -> Int {
        var bucket = 0
        while bucket < gapEdges.count, gapEdges[bucket] <= previousGap { bucket += 1 }
        let day = Units.secondsPerDay
        let slot = Int(Double(((t % day) + day) % day) / Double(day) * Double(slots))
        return bucket * slots + slot
    }

    let halfLife: Double
    let shrinkage: Double
    /// Per row and grid interval c (grid[c − 1] < g ≤ grid[c]; c = points past the grid): Σw and Σw·g.
    private var sumW: [Double]
    private var sumWG: [Double]
    private var sumW2: [Double]
    private var reference: Double
    private var dirty = true
    /// Shrunk M and F per cell, `cells × points`.
    private(set) var m: [Double]
    private(set) var f: [Double]

    init(halfLife: Double, shrinkage: Double, reference: Double) {
        self.halfLife = halfLife
        self.shrinkage = shrinkage
        self.reference = reference
        let n = Self.points + 1
        sumW = Array(repeating: 0, count: Self.rows * n)
        sumWG = sumW
        sumW2 = Array(repeating: 0, count: Self.rows)
        m = Array(repeating: 0, count: Self.cells * Self.points)
        f = m
    }

    /// Learns that a write with key `cell` at `t` was followed by the next write `gap` seconds later.
    mutating func add(cell: Int, at t: Double, gap: Double) {
        var exponent = (t + gap - reference) / halfLife
        if exponent > 256 {
            // Move the reference forward so weights stay finite; old weights shrink (maybe to 0) alike.
            let scale = exp2(-exponent)
            for i in sumW.indices { sumW[i] *= scale; sumWG[i] *= scale }
            for i in sumW2.indices { sumW2[i] *= scale * scale }
            reference = t + gap
            exponent = 0
        }
        let w = exp2(exponent)
        // Interval: number of grid points below the gap.
        var lo = 0, hi = Self.points
        while lo < hi {
            let mid = (lo + hi) / 2
            if Self.grid[mid] < gap { lo = mid + 1 } else { hi = mid }
        }
        let n = Self.points + 1
        for row in [0, 1 + cell / Self.slots, 1 + Self.gapBuckets + cell] {
            sumW[row * n + lo] += w
            sumWG[row * n + lo] += w * gap
            sumW2[row] += w * w
        }
        dirty = true
    }

    /// Recomputes every cell's shrunk F and M from the weighted sums (scale-free, so `now` is implicit).
    mutating func refit() {
        guard dirty else { return }
        dirty = false
        let p = Self.points
        var rootM = [Double](repeating: 0, count: p), rootF = rootM
        var bucketM = rootM, bucketF = rootM
        var rowM = rootM, rowF = rootM
        // Without any observation a write is never followed: F = 0, M(τ) = τ, so τ = 0 (back up now).
        if !empirical(row: 0, m: &rootM, f: &rootF) { rootM = Self.grid }
        for b in 0..<Self.gapBuckets {
            bucketM = rootM
            bucketF = rootF
            if let a = empiricalWeight(row: 1 + b), empirical(row: 1 + b, m: &rowM, f: &rowF) {
                for j in 0..<p {
                    bucketM[j] = a * rowM[j] + (1 - a) * bucketM[j]
                    bucketF[j] = a * rowF[j] + (1 - a) * bucketF[j]
                }
            }
            for s in 0..<Self.slots {
                let cell = b * Self.slots + s
                let base = cell * p
                if let a = empiricalWeight(row: 1 + Self.gapBuckets + cell),
                   empirical(row: 1 + Self.gapBuckets + cell, m: &rowM, f: &rowF) {
                    for j in 0..<p {
                        m[base + j] = a * rowM[j] + (1 - a) * bucketM[j]
                        f[base + j] = a * rowF[j] + (1 - a) * bucketF[j]
                    }
                } else {
                    for j in 0..<p { m[base + j] = bucketM[j]; f[base + j] = bucketF[j] }
                }
            }
        }
    }

    /// n_eff / (n_eff + shrinkage) of a row, or nil when it has no weight.
    private func empiricalWeight(row: Int) -> Double? {
        let n = Self.points + 1
        var total = 0.0
        for c in 0..<n { total += sumW[row * n + c] }
        guard total > 0, sumW2[row] > 0 else { return nil }
        let effective = total * total / sumW2[row]
        return effective / (effective + shrinkage)
    }

    /// The row's weighted empirical M and F on the grid; false when it has no weight.
    private func empirical(row: Int, m: inout [Double], f: inout [Double]) -> Bool {
        let n = Self.points + 1
        var total = 0.0
        for c in 0..<n { total += sumW[row * n + c] }
        guard total > 0 else { return false }
        var cumW = 0.0, cumWG = 0.0
        for j in 0..<Self.points {
            cumW += sumW[row * n + j]
            cumWG += sumWG[row * n + j]
            m[j] = (cumWG + (total - cumW) * Self.grid[j]) / total
            f[j] = cumW / total
        }
        return true
    }
}

/// τ per (cell, k) at one λ, computed on first use.
struct TauTable {
    private var tau: [Double]
    private var stamp: [UInt32]
    private var generation: UInt32 = 1
    private(set) var lambda = Double.nan

    init() {
        tau = Array(repeating: 0, count: GapModel.cells * GapModel.kMax)
        stamp = Array(repeating: 0, count: tau.count)
    }

    /// Forgets every τ (after a refit or for a new λ).
    mutating func reset(lambda: Double) {
        self.lambda = lambda
        generation &+= 1
        if generation == 0 {
            for i in stamp.indices { stamp[i] = 0 }
            generation = 1
        }
    }

    /// argmin over the grid of k·M(τ) − λ·F(τ), the first grid point on ties.
    mutating func tau(_ model: GapModel, cell: Int, pending k: Int) -> Double {
        let kk = min(k, GapModel.kMax)
        let index = cell * GapModel.kMax + kk - 1
        if stamp[index] == generation { return tau[index] }
        let p = GapModel.points
        let kd = Double(kk), lambda = lambda
        let best = model.m.withUnsafeBufferPointer { mAll in
            model.f.withUnsafeBufferPointer { fAll in
                let m = mAll.baseAddress! + cell * p, f = fAll.baseAddress! + cell * p
                var best = 0
                var bestValue = kd * m[0] - lambda * f[0]
                for j in 1..<p {
                    let v = kd * m[j] - lambda * f[j]
                    if v < bestValue { bestValue = v; best = j }
                }
                return best
            }
        }
        tau[index] = GapModel.grid[best]
        stamp[index] = generation
        return tau[index]
    }
}

/// Binary min-heap of deadlines, ordered by (time, key); the key is the dataset's rank in name order.
struct DeadlineHeap {
    private var items: [(time: Double, key: Int)] = []
    var isEmpty: Bool { items.isEmpty }
    var min: (time: Double, key: Int)? { items.first }

    private static func less(_ a: (time: Double, key: Int), _ b: (time: Double, key: Int)) -> Bool {
        a.time < b.time || (a.time == b.time && a.key < b.key)
    }

    mutating func push(_ time: Double, _ key: Int) {
        items.append((time, key))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (time: Double, key: Int) {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, Self.less(items[l], items[smallest]) { smallest = l }
                if r < items.count, Self.less(items[r], items[smallest]) { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}

// MARK: - The simulation

/// One run of the adaptive policy over a frontier's test window.
struct AdaptiveSimulation {
    let frontier: Frontier
    let budget: Int
    let parameters: AdaptiveParameters
    /// cron-daily's time of day, seconds after midnight UTC: its running count paces λ.
    let cronPhase: Double

    private var model: GapModel
    private var taus = TauTable()

    /// Writes of the last `window` seconds, in time order, from `recentHead` on.
    private var recentTime: [Int64] = []
    private var recentDataset: [Int] = []
    private var recentCell: [Int] = []
    private var recentHead = 0
    /// Pending-dataset counts sampled at each test write, from `sampleHead` on, and their running sum.
    private var sampleTime: [Int64] = []
    private var sampleValue: [Int] = []
    private var sampleHead = 0
    private var sampleSum = 0

    /// Scratch of the replays and cron counts, per dataset.
    private var scratchCount: [Int]
    private var scratchDeadline: [Double]
    private var scratchSlot: [Double]
    private var scratchSeen: [Bool]
    private var touched: [Int] = []

    init(frontier: Frontier, budget: Int, parameters: AdaptiveParameters) {
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

    private func cronSlot(_ t: Int64) -> Double { ((Double(t) - cronPhase) / 86_400).rounded(.up) }

    /// Trains on the writes before the cut, then replays the test writes and deadlines in time order.
    mutating func run() -> AdaptiveRun {
        let log = frontier.log
        let datasets = log.datasetCount
        let t1 = Double(frontier.t1)
        let window = parameters.window
        let byRank = Self.nameOrder(log.names)
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
        var backups: [AdaptiveBackup] = []
        var heap = DeadlineHeap()
        var nextRefit = frontier.cut

        func backUp(_ d: Int, at b: Double) {
            backups.append(AdaptiveBackup(dataset: d, time: b))
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
                _ = heap.pop()
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
            heap.push(due, rank[d])
        }
        for d in byRank where pendingCount[d] > 0 { backUp(d, at: t1) }
        return AdaptiveRun(backups: backups, ops: ops, exposureSeconds: exposure, lambdas: lambdas)
    }

    /// Dataset indices sorted by name: integers numerically and before other names, then by text.
    static func nameOrder(_ names: [String]) -> [Int] {
        let numbers = names.map { Int64($0) }
        return names.indices.sorted { a, b in
            switch (numbers[a], numbers[b]) {
            case let (x?, y?): return x != y ? x < y : a < b
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return names[a] != names[b] ? names[a] < names[b] : a < b
            }
        }
    }

    /// Backups cron-daily made for the recent writes: distinct (dataset, slot) pairs.
    private mutating func cronCount() -> Int {
        var count = 0
        touched.removeAll(keepingCapacity: true)
        for r in recentHead..<recentTime.count {
            let d = recentDataset[r]
            let slot = cronSlot(recentTime[r])
            if scratchSlot[d].isNaN { touched.append(d) }
            if scratchSlot[d] != slot { scratchSlot[d] = slot; count += 1 }
        }
        for d in touched { scratchSlot[d] = .nan }
        return count
    }

    /// Backups the policy would make on the recent writes at price `lambda`, each dataset on its own and
    /// a dataset still pending at the end counted once.
    private mutating func replay(lambda: Double) -> Int {
        taus.reset(lambda: lambda)
        var ops = 0
        touched.removeAll(keepingCapacity: true)
        for r in recentHead..<recentTime.count {
            let d = recentDataset[r]
            let t = Double(recentTime[r])
            if !scratchSeen[d] { scratchSeen[d] = true; touched.append(d) }
            if scratchCount[d] > 0, t > scratchDeadline[d] { ops += 1; scratchCount[d] = 0 }
            scratchCount[d] += 1
            scratchDeadline[d] = t + taus.tau(model, cell: recentCell[r], pending: scratchCount[d])
        }
        for d in touched {
            if scratchCount[d] > 0 { ops += 1 }
            scratchCount[d] = 0
            scratchSeen[d] = false
        }
        return ops
    }

    /// The smallest λ in [low, high] (geometric bisection to a ratio below 1.02) whose replay of the
    /// recent writes makes at most `target` backups; `high` when none does.
    private mutating func solveLambda(target: Double) -> Double {
        var lo = parameters.lambdaLow, hi = parameters.lambdaHigh
        if Double(replay(lambda: lo)) <= target { return lo }
        for _ in 0..<30 {
            let mid = (lo * hi).squareRoot()
            if Double(replay(lambda: mid)) <= target { hi = mid } else { lo = mid }
            if hi / lo < 1.02 { break }
        }
        return hi
    }
}
