import BackplanCore
import Foundation
import Testing
@testable import BackplanPlanner

/// Pruning a dataset's options (``Planner/keep(_:limits:into:hull:)``), checked over hundreds of seeded random
/// option sets against brute force: whatever the multipliers, the kept contenders hold a cost-minimiser of all
/// options, and with one limit the kept chain is exactly the lower convex hull.
@Suite("Hull pruning keeps every option that can win")
struct HullPropertyTests {
    typealias Candidate = Planner.Candidate

    /// `n` options with spend, risk and bytes spread over decades (no two equal, so no ties).
    static func options(_ rng: inout Xoshiro256StarStar, _ n: Int) -> [Candidate] {
        (0..<n).map { i in
            Candidate(interval: Double(300 * (i + 1)), tier: rng.nextIndex(below: 4),
                      spend: exp(rng.nextNormal(mean: 0, standardDeviation: 2)), risk: exp(rng.nextNormal(mean: 0, standardDeviation: 2)),
                      bytes: exp(rng.nextNormal(mean: 10, standardDeviation: 2)))
        }
    }

    static func keep(_ all: [Candidate], budget: Bool, window: Bool) -> (kept: [Int], contenders: Int) {
        var kept: [Int] = []
        var hull: [Int32] = []
        let contenders = all.withUnsafeBufferPointer { Planner.keep($0, limits: (budget, window), into: &kept, hull: &hull) }
        return (kept, contenders)
    }

    /// Multipliers from 0 over many decades.
    static func multipliers(_ rng: inout Xoshiro256StarStar) -> [Double] {
        [0] + (0..<40).map { _ in exp(rng.nextNormal(mean: 0, standardDeviation: 4)) }
    }

    @Test("With a budget, some contender minimises risk + (1 + μ)·spend over all options for every μ ≥ 0", arguments: 0..<300)
    func budgetKeepsTheMinimiser(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed))
        let all = Self.options(&rng, 1 + rng.nextIndex(below: 40))
        let (kept, contenders) = Self.keep(all, budget: true, window: false)
        #expect(contenders >= 1 && contenders <= kept.count)
        for mu in Self.multipliers(&rng) {
            let best = all.map { Planner.objective($0, mu, 0) }.min() ?? 0
            let bestKept = kept.prefix(contenders).map { Planner.objective(all[$0], mu, 0) }.min() ?? .infinity
            #expect(bestKept == best, "μ = \(mu)")
        }
    }

    @Test("With a backup window, some contender minimises risk + spend + ν·bytes for every ν ≥ 0", arguments: 0..<300)
    func windowKeepsTheMinimiser(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed) &+ 10_000)
        let all = Self.options(&rng, 1 + rng.nextIndex(below: 40))
        let (kept, contenders) = Self.keep(all, budget: false, window: true)
        for nu in Self.multipliers(&rng) {
            let scaled = nu * 1e-9
            let best = all.map { Planner.objective($0, 0, scaled) }.min() ?? 0
            let bestKept = kept.prefix(contenders).map { Planner.objective(all[$0], 0, scaled) }.min() ?? .infinity
            #expect(bestKept == best, "ν = \(scaled)")
        }
    }

    @Test("With both limits, the kept options hold a minimiser for every μ, ν ≥ 0", arguments: 0..<200)
    func bothLimitsKeepTheMinimiser(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed) &+ 20_000)
        let all = Self.options(&rng, 1 + rng.nextIndex(below: 30))
        let (kept, contenders) = Self.keep(all, budget: true, window: true)
        for (mu, nu) in zip(Self.multipliers(&rng), Self.multipliers(&rng)) {
            let best = all.map { Planner.objective($0, mu, nu * 1e-9) }.min() ?? 0
            let bestKept = kept.prefix(contenders).map { Planner.objective(all[$0], mu, nu * 1e-9) }.min() ?? .infinity
            #expect(bestKept == best)
        }
    }

    @Test("Without limits the best option is the one contender, and the runner-up is kept", arguments: 0..<100)
    func noLimitsKeepBestAndRunnerUp(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed) &+ 30_000)
        let all = Self.options(&rng, 2 + rng.nextIndex(below: 30))
        let (kept, contenders) = Self.keep(all, budget: false, window: false)
        let byValue = all.indices.sorted { all[$0].value < all[$1].value }
        #expect(contenders == 1 && kept == [byValue[0], byValue[1]])
    }

    /// The lower-left convex chain by Andrew's monotone chain: the lower hull from the least x to the least y.
    static func lowerLeftChain(_ x: [Double], _ y: [Double]) -> [Int] {
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && y[$0] < y[$1]) }
        var hull: [Int] = []
        for i in order {
            while hull.count >= 2 {
                let a = hull[hull.count - 2], b = hull[hull.count - 1]
                let cross = (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a])
                if cross <= 0 { hull.removeLast() } else { break }
            }
            hull.append(i)
        }
        // Up to the least y: past it the hull rises.
        let lowest = hull.indices.min { y[hull[$0]] < y[hull[$1]] } ?? 0
        return Array(hull[...lowest])
    }

    @Test("With one limit the kept chain is exactly the lower convex hull", arguments: 0..<300)
    func chainIsTheLowerHull(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed) &+ 40_000)
        let all = Self.options(&rng, 1 + rng.nextIndex(below: 40))
        let budget = Self.keep(all, budget: true, window: false).kept
        let spendChain = Self.lowerLeftChain(all.map(\.spend), all.map(\.risk))
        #expect(Array(budget.prefix(spendChain.count)) == spendChain)
        #expect(budget.count <= spendChain.count + 1, "only the runner-up may follow the chain")
        let window = Self.keep(all, budget: false, window: true).kept
        let bytesChain = Self.lowerLeftChain(all.map(\.bytes), all.map(\.value))
        #expect(Array(window.prefix(bytesChain.count)) == bytesChain)
        #expect(window.count <= bytesChain.count + 1)
    }
}
