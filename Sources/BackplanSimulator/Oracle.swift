import BackplanCore

/// The hindsight oracle: the least total exposure any policy can reach with a given number of backups,
/// knowing every test write in advance (DESIGN §5). It is the lower bound the adaptive policy is held to.
///
/// With the test writes of a dataset sorted, w₁ ≤ … ≤ wₙ, an optimal policy backs up right at the last
/// write of each group of consecutive writes, so choosing backups is choosing a partition of 1…n into
/// runs. A run i…j costs Σₖ (wⱼ − wₖ) = (j − i + 1)·wⱼ − (Sⱼ − Sᵢ₋₁) exposure, with S the prefix sums.
/// A price λ per backup makes the datasets independent:
///
///     f(j) = min over 1 ≤ i ≤ j of  f(i − 1) + (j − i + 1)·wⱼ − (Sⱼ − Sᵢ₋₁) + λ,   f(0) = 0
///
/// Written as min over m = i − 1 of the lines −m·x + (f(m) + Sₘ) at x = wⱼ, with slopes falling and
/// queries rising, it is solved by the monotone convex-hull trick in O(n). Bisection on λ finds the
/// cheapest price whose backups fit the budget (Lagrangian relaxation; Everett 1963).
extension Frontier {
    /// Exposure (seconds, summed over test writes) and backups of every dataset at price `lambda`
    /// (seconds of exposure one backup is worth).
    public func oracleCost(lambda: Double) -> (exposureSeconds: Double, ops: Int) {
        var exposure = 0.0, ops = 0
        var scratch = OracleScratch()
        for d in 0..<log.datasetCount {
            let w = testWrites(d)
            guard !w.isEmpty else { continue }
            let (e, k) = scratch.solve(w, lambda: lambda)
            exposure += e
            ops += k
        }
        return (exposure, ops)
    }

    /// `oracle`: the least mean exposure with at most `budget` backups in the test window.
    ///
    /// - Complexity: O(test writes × bisection steps).
    public func oracle(budget: Int, steps: Int = 64) -> Outcome {
        let (outcome, _) = oracleWithPrice(budget: budget, steps: steps)
        return outcome
    }

    /// ``oracle(budget:steps:)`` and the price λ (seconds of exposure per backup) it settled on.
    public func oracleWithPrice(budget: Int, steps: Int = 64) -> (Outcome, lambda: Double) {
        let n = testWriteCount
        let datasets = testDatasetCount
        guard n > 0 else { return (Outcome(name: "oracle", ops: 0, exposureHours: 0), 0) }
        // Every dataset with test writes needs one backup; below that no price helps.
        let target = max(budget, datasets)
        var lo = 0.0
        var hi = Double(t1 - t0 + 1) * Double(n)   // one backup per dataset is then always cheapest
        for _ in 0..<steps {
            let mid = (lo + hi) / 2
            if oracleCost(lambda: mid).ops <= target { hi = mid } else { lo = mid }
        }
        let (e, k) = oracleCost(lambda: hi)
        return (Outcome(name: "oracle", ops: k, exposureHours: e / Double(n) / 3_600), hi)
    }
}

/// Reusable buffers for the per-dataset dynamic programme.
struct OracleScratch {
    private var f: [Double] = []
    private var count: [Int] = []
    /// The m (run start − 1) each f(j) came from, to read the runs back.
    private var from: [Int] = []
    private var prefix: [Double] = []
    private var hull: [Int] = []

    /// Minimum of exposure + λ·backups for one dataset's sorted writes; returns (exposure, backups).
    mutating func solve(_ writes: ArraySlice<Int64>, lambda: Double) -> (Double, Int) {
        let n = writes.count
        guard n > 0, let origin = writes.first else { return (0, 0) }
        // Times relative to the first write keep every product exact in a Double.
        f = Array(repeating: 0, count: n + 1)
        count = Array(repeating: 0, count: n + 1)
        from = Array(repeating: 0, count: n + 1)
        prefix = Array(repeating: 0, count: n + 1)
        var j = 0
        for w in writes {
            prefix[j + 1] = prefix[j] + Double(w - origin)
            j += 1
        }
        hull.removeAll(keepingCapacity: true)
        var head = 0
        // Line m: y = slope(m)·x + intercept(m), slope −m, intercept f(m) + S(m).
        func slope(_ m: Int) -> Double { -Double(m) }
        func intercept(_ m: Int) -> Double { f[m] + prefix[m] }
        func value(_ m: Int, _ x: Double) -> Double { slope(m) * x + intercept(m) }
        // Line b is useless between a and c when a and c cross at or below where a and b cross.
        func useless(_ a: Int, _ b: Int, _ c: Int) -> Bool {
            (intercept(c) - intercept(a)) * (slope(a) - slope(b)) <= (intercept(b) - intercept(a)) * (slope(a) - slope(c))
        }
        var index = writes.startIndex
        for j in 1...n {
            let m = j - 1
            while hull.count - head >= 2, useless(hull[hull.count - 2], hull[hull.count - 1], m) { hull.removeLast() }
            hull.append(m)
            if head >= hull.count { head = hull.count - 1 }
            let x = Double(writes[index] - origin)
            index += 1
            while head + 1 < hull.count, value(hull[head + 1], x) <= value(hull[head], x) { head += 1 }
            let best = hull[head]
            f[j] = value(best, x) + Double(j) * x - prefix[j] + lambda
            count[j] = count[best] + 1
            from[j] = best
        }
        return (f[n] - lambda * Double(count[n]), count[n])
    }

    /// The backup times of the optimum at price λ: the last write of each run, in order.
    mutating func backupTimes(_ writes: ArraySlice<Int64>, lambda: Double) -> [Int64] {
        guard !writes.isEmpty else { return [] }
        _ = solve(writes, lambda: lambda)
        var ends: [Int64] = []
        var j = writes.count
        while j > 0 {
            ends.append(writes[writes.startIndex + j - 1])
            j = from[j]
        }
        return ends.reversed()
    }
}
