import Foundation

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

