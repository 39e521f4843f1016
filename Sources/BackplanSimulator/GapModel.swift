import BackplanCore
import Foundation

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

