import BackplanCore
import BackplanPlan
import Foundation

/// Pruning a dataset's options to those that can win for some multipliers: the lower convex hull (one limit) or
/// the options no other dominates (two limits).
extension Planner {

    /// The candidates that can win for some multipliers, plus the runner-up at no multiplier, as indices into
    /// `all` (written to `kept`). With no global limit: the best and the runner-up. With one: the lower-left
    /// convex chain in (limited quantity, rest of the objective), from the least of the limited quantity to the
    /// least of the rest (gift wrapping, O(options × chain)). With two: every option no other beats on risk,
    /// spend and bytes at once.
    ///
    /// Returns how many of the kept options, from the first, can be chosen for some multipliers μ, ν ≥ 0 (the
    /// contenders): with at most one limit, those up to the unconstrained best b. With a budget the chain runs
    /// in increasing spend, so the options after b spend more; for μ ≥ 0, risk + (1 + μ)·spend =
    /// (risk + spend) + μ·spend, and b has the least risk + spend, so none of them beats b (a tie goes to the
    /// earlier option, b). With a window the chain ends at b (the least risk + spend). The runner-up at no
    /// multiplier, appended last unless on the chain, lies on or above the chain, so it never beats every chain
    /// option. The passes and the entries choose among the contenders only, with the same results up to
    /// rounding ties; the runner-up is still looked for among every kept option.
    static func keep(_ all: UnsafeBufferPointer<Candidate>, limits: (budget: Bool, window: Bool), into kept: inout [Int], hull: inout [Int32]) -> Int {
        kept.removeAll(keepingCapacity: true)
        let n = all.count
        // The best and the runner-up at no multiplier (ties to the earlier).
        var first = 0, firstValue = Double.infinity
        for (i, c) in all.enumerated() where c.value < firstValue { first = i; firstValue = c.value }
        var second = -1, secondValue = 0.0
        for (i, c) in all.enumerated() where i != first && (second < 0 || c.value < secondValue) { second = i; secondValue = c.value }
        let contenders: Int
        switch limits {
        case (false, false):
            kept.append(first)
            contenders = 1
        case (true, true):
            for i in all.indices {
                let a = all[i]
                let dominated = all.contains { b in
                    b.risk <= a.risk && b.spend <= a.spend && b.bytes <= a.bytes && (b.risk < a.risk || b.spend < a.spend || b.bytes < a.bytes)
                }
                if !dominated { kept.append(i) }
            }
            contenders = kept.count
        case (true, false):
            chain(n, { all[$0].spend }, { all[$0].risk }, open: &hull, into: &kept)
            if !kept.contains(first) { kept.append(first) }
            contenders = kept.firstIndex(of: first)! + 1
        case (false, true):
            chain(n, { all[$0].bytes }, { all[$0].value }, open: &hull, into: &kept)
            if !kept.contains(first) { kept.append(first) }
            contenders = kept.firstIndex(of: first)! + 1
        }
        if second >= 0 && !kept.contains(second) { kept.append(second) }
        return contenders
    }

    /// The lower-left convex chain of the points (x(i), y(i)), i < n, appended to `kept` (gift wrapping):
    /// start at the least x (ties: least y) and walk to the point of steepest descent until y stops falling.
    /// A point left of or above one vertex is so of every later one (they lie right of and below it), so each
    /// step scans only the points the previous one could take (kept, in their order, in two halves of `open`,
    /// a buffer reused across calls, read from one and written to the other in turn).
    @inline(__always)
    private static func chain(_ n: Int, _ x: (Int) -> Double, _ y: (Int) -> Double, open: inout [Int32], into kept: inout [Int]) {
        if open.count < 2 * n { open.append(contentsOf: repeatElement(0, count: 2 * n - open.count)) }
        var current = 0
        for i in 1..<max(1, n) where x(i) < x(current) || (x(i) == x(current) && y(i) < y(current)) { current = i }
        kept.append(current)
        open.withUnsafeMutableBufferPointer { open in
            var from = open.baseAddress!, to = open.baseAddress! + n
            var openCount = -1  // every point, before the first step
            while true {
                let (x0, y0) = (x(current), y(current))
                // The points right of and below the vertex, in their order (without branches).
                var count = 0
                if openCount < 0 {
                    for i in 0..<n {
                        to[count] = Int32(i)
                        count += (x(i) > x0 ? 1 : 0) & (y(i) < y0 ? 1 : 0)
                    }
                } else {
                    for k in 0..<openCount {
                        let i = Int(from[k])
                        to[count] = Int32(i)
                        count += (x(i) > x0 ? 1 : 0) & (y(i) < y0 ? 1 : 0)
                    }
                }
                swap(&from, &to)
                openCount = count
                var next = -1
                var slope = 0.0
                for k in 0..<count {
                    let i = Int(from[k])
                    let dx = x(i) - x0, dy = y(i) - y0
                    // dy/dx is negative. When it is above the best slope by far more than rounding, its quotient
                    // cannot be below or equal to it: skip the division.
                    if next >= 0 && dy > slope * dx * (1 - 1e-12) { continue }
                    let s = dy / dx
                    if next < 0 || s < slope || (s == slope && x(i) > x(next)) { next = i; slope = s }
                }
                guard next >= 0 else { break }
                kept.append(next)
                current = next
            }
        }
    }
}
