import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlanner

/// The planner's shortcuts give what the plain methods give: shared interval terms, the grid-started search,
/// the RPO shortcut, the hull's contenders, the bisection over open datasets, the name order.
@Suite("Planner shortcuts")
struct PlannerShortcutTests {
    /// The example policy and the S3 catalog, with the given global limits.
    static func planner(budget: Double? = nil, window: Double? = nil) throws -> Planner {
        var policy = try Policy.load(Files.policy)
        policy.budgetDollarsPerMonth = budget
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        policy.backupWindowBytesPerDay = window
        return Planner(policy: policy, catalog: try PriceCatalog.load(Files.aws))
    }

    @Test("Shared interval terms price a backup exactly as the pricer and the cost model do",
          arguments: 1...3 as ClosedRange<UInt64>)
    func sharedIntervalTermsPriceLikeThePricer(seed: UInt64) throws {
        let planner = try Self.planner()
        let classes = planner.classInfos()
        var rng = Xoshiro256StarStar(seed: seed)
        for d in randomForecasts(seed: seed, count: 50) {
            let info = classes.first { $0.name == d.dataClass } ?? classes.first { $0.name == "default" }!
            for tier in planner.model.catalog.tiers.indices {
                let pricer = BackupPricer(planner.model, d, policy: info.policy, tier: tier, retentionDays: info.retentionDays)
                let interval = exp(rng.nextNormal(mean: 9, standardDeviation: 2)).rounded() + 60
                let shared = pricer.quick(pricer.terms(interval)), alone = pricer.quick(interval)
                #expect(shared.spend == alone.spend && shared.risk == alone.risk && shared.bytes == alone.bytes)
                // The entries' breakdown adds up to exactly what the optimiser compared.
                let cost = planner.model.backupCost(d, policy: info.policy, intervalSeconds: interval, tier: tier, retentionDays: info.retentionDays)
                #expect(cost.spend == alone.spend && cost.risk == alone.risk && cost.backupBytesPerDay == alone.bytes)
            }
        }
    }

    /// From the grid's bracket, Brent's search ends within its tolerance (on log T) of the minimum found from
    /// the whole range to 1e-9, or at a cost no higher.
    @Test("The grid-started search ends within its tolerance of the minimum, or at a cost no higher")
    func gridStartedSearchFindsTheMinimum() throws {
        // Smooth unimodal functions with known minima, inside the range and at both ends.
        let grid = Planner.intervalGrid
        for c in [60.0, 250, 1_000, 5_000, 40_000, 300_000, 2_000_000, 2_592_000, 9e6] {
            let f = { (t: Double) in pow(log(t) - log(c), 2) + 0.1 * pow(log(t) - log(c), 4) }
            let found = Checkpointing.minimize(in: 60, 2_592_000, points: grid, value: { f(grid[$0]) }, tolerance: 0.02, f)
            let expected = min(max(c, 60), 2_592_000)
            #expect(abs(log(found / expected)) <= 0.02, "minimum at \(c): found \(found)")
        }
        // The planner's costs, every tier, random datasets.
        let planner = try Self.planner()
        let classes = planner.classInfos()
        let lo = Double(planner.model.policy.executorMinIntervalSeconds), longest = Planner.longestIntervalSeconds
        var searched = 0
        for d in randomForecasts(seed: 21, count: 150) {
            let info = classes.first { $0.name == d.dataClass } ?? classes.first { $0.name == "default" }!
            for tier in planner.model.catalog.tiers.indices {
                let pricer = BackupPricer(planner.model, d, policy: info.policy, tier: tier, retentionDays: info.retentionDays)
                func cost(_ t: Double) -> Double { let q = pricer.quick(t); return q.spend + q.risk }
                let found = planner.continuousOptimum(info, grid: { cost(info.intervals[$0]) }, cost: cost, shortcut: false)
                let exact = Checkpointing.minimize(in: lo, longest, tolerance: 1e-9, cost)
                #expect(abs(log(found / exact)) <= Planner.intervalTolerance || cost(found) <= cost(exact) * (1 + 1e-12),
                        "\(d.name) tier \(tier): \(found) s, exact \(exact) s")
                searched += 1
            }
        }
        #expect(searched > 500)
    }

    /// The RPO shortcut says "past the RPO" only when the search would end past it, and the plans agree.
    @Test("The RPO shortcut says past the RPO only when the full search ends past it",
          arguments: [3_600, 14_400, 86_400] as [Int64])
    func rpoShortcutAgreesWithTheSearch(rpo: Int64) throws {
        var policy = try Policy.load(Files.policy)
        policy.budgetDollarsPerMonth = nil
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        policy.backupWindowBytesPerDay = nil
        for name in policy.classes.keys { policy.classes[name]!.rpoMaxSeconds = rpo }
        let planner = Planner(policy: policy, catalog: try PriceCatalog.load(Files.aws))
        var shortcuts = 0
        for info in planner.classInfos() {
            for d in randomForecasts(seed: UInt64(rpo), count: 80) {
                for tier in planner.model.catalog.tiers.indices {
                    let pricer = BackupPricer(planner.model, d, policy: info.policy, tier: tier, retentionDays: info.retentionDays)
                    func cost(_ t: Double) -> Double { let q = pricer.quick(t); return q.spend + q.risk }
                    let quick = planner.continuousOptimum(info, grid: { cost(info.intervals[$0]) }, cost: cost)
                    let full = planner.continuousOptimum(info, grid: { cost(info.intervals[$0]) }, cost: cost, shortcut: false)
                    let hi = Double(rpo)
                    #expect((quick > hi) == (full > hi), "\(d.name) tier \(tier) RPO \(rpo): \(quick) vs \(full)")
                    if quick > hi { #expect(quick == info.beyondRPO?.1 || quick == full) }
                    if quick == info.beyondRPO?.1 && quick != full { shortcuts += 1 }
                }
            }
        }
        #expect(shortcuts > 0, "the shortcut was never taken")
    }

    /// The hull as the gift wrapping over every option finds it, and the contenders choose as every kept
    /// option would, at random multipliers.
    @Test("The kept options match plain gift wrapping, and the contenders choose as all kept options do",
          arguments: [(true, false), (false, true), (true, true), (false, false)] as [(Bool, Bool)])
    func keptOptionsAndContendersMatchThePlainHull(budget: Bool, window: Bool) throws {
        let planner = try Self.planner(budget: budget ? 1 : nil, window: window ? 1 : nil)
        let classes = planner.classInfos()
        var rng = Xoshiro256StarStar(seed: 5)
        var scratch = Planner.Scratch()
        var sets: [[Planner.Candidate]] = []
        for d in randomForecasts(seed: 8, count: 300) {
            guard case .success(let p) = planner.price(d, classes: classes, into: &scratch) else { continue }
            sets.append(Array(scratch.candidates[..<p.options]))
        }
        // And random clouds with ties and collinear points.
        for _ in 0..<300 {
            let n = 1 + rng.nextIndex(below: 30)
            sets.append((0..<n).map { _ in
                let spend = Double(rng.nextIndex(below: 12)) / 4, risk = Double(rng.nextIndex(below: 12)) / 4
                return Planner.Candidate(interval: 60, tier: 0, spend: spend, risk: risk, bytes: Double(rng.nextIndex(below: 12)))
            })
        }
        var kept: [Int] = [], hull: [Int32] = []
        for all in sets {
            let contenders = all.withUnsafeBufferPointer { Planner.keep($0, limits: (budget, window), into: &kept, hull: &hull) }
            #expect(kept == Self.plainKeep(all, limits: (budget, window)))
            #expect(contenders >= 1 && contenders <= kept.count)
            for _ in 0..<20 {
                let mu = budget ? exp(rng.nextNormal(mean: 0, standardDeviation: 3)) * Double(rng.nextIndex(below: 2)) : 0
                let nu = window ? exp(rng.nextNormal(mean: 0, standardDeviation: 3)) * Double(rng.nextIndex(below: 2)) : 0
                // The same option, or (a tie) one as good.
                let fromKept = Planner.best(kept.map { all[$0] }, mu, nu)
                let fromContenders = Planner.best(kept.prefix(contenders).map { all[$0] }, mu, nu)
                #expect(fromKept == fromContenders
                        || Planner.objective(all[kept[fromKept]], mu, nu) == Planner.objective(all[kept[fromContenders]], mu, nu))
            }
        }
    }

    /// The bisection over the open datasets returns the multiplier the full passes' bisection does.
    @Test("The bisection over open datasets finds the multiplier that full-pass bisection finds",
          arguments: [(true, 0.3), (true, 0.7), (false, 0.5)] as [(Bool, Double)])
    func openDatasetBisectionMatchesFullPasses(onSpend: Bool, share: Double) throws {
        let forecasts = randomForecasts(seed: 12, count: 5_000)
        let free = try Self.planner()
        let bounds = free.bounds(forecasts)
        let limit = onSpend ? bounds.leastSpend + share * (bounds.freeSpend - bounds.leastSpend)
                            : bounds.leastBytes + share * (bounds.freeBytes - bounds.leastBytes)
        let planner = try Self.planner(budget: onSpend ? limit : nil, window: onSpend ? nil : limit)
        let ordered = Planner.NameOrdered(base: forecasts, order: try Planner.nameOrder(forecasts))
        let (prepared, blocks) = planner.prepareAll(ordered, classes: planner.classInfos())
        var dataSpend = 0.0
        for p in prepared where p.options > 0 { dataSpend += p.dataSpend }
        let passes = Multipliers(prepared: prepared, blocks: blocks, dataSpend: dataSpend)
        #expect(blocks.count > 1)
        let found = try #require(passes.leastMultiplier(limit: limit, onSpend: onSpend, other: 0, steps: 24, huge: 1e12))
        // The plain bisection, every step a full pass.
        func fits(_ m: Double) -> Bool { onSpend ? passes.totals(m, 0).spend <= limit : passes.totals(0, m).bytes <= limit }
        var lo = 0.0, hi = 1.0
        while !fits(hi) { lo = hi; hi *= 16 }
        for _ in 0..<24 { let mid = (lo + hi) / 2; if fits(mid) { hi = mid } else { lo = mid } }
        #expect(found > 0 && found == hi)
    }

    @Test("Dataset names sort in UTF-8 byte order, and the same name twice is an error")
    func namesSortInUTF8ByteOrder() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let pieces = ["a", "ab", "a\u{0}", "é", "e\u{301}", "Z", "dataset-000000", "dataset-0000001", "dataset-00000010", "😀", "\u{0}"]
        var names = Set<String>()
        while names.count < 400 {
            names.insert((0..<(1 + rng.nextIndex(below: 3))).map { _ in pieces[rng.nextIndex(below: pieces.count)] }.joined())
        }
        var forecasts = names.map { DatasetForecast(name: $0, dataClass: "default", sizeBytes: 1, writesPerDay: 1, readsPerDay: 1, bytesPerWrite: 1, bytesPerRead: 1) }
        forecasts.shuffle(using: &rng)
        let order = try #require(try Planner.nameOrder(forecasts))
        let sorted = order.map { forecasts[Int($0)].name }
        #expect(Set(order).count == forecasts.count)
        for i in sorted.indices.dropFirst() { #expect(sorted[i - 1].utf8.lexicographicallyPrecedes(sorted[i].utf8)) }
        // In order already: nothing to sort.
        #expect(try Planner.nameOrder(order.map { forecasts[Int($0)] }) == nil)
        // The same bytes twice is an error; canonically equivalent but different bytes are two datasets.
        #expect(throws: InputError.self) { try Planner.nameOrder(forecasts + [forecasts[7]]) }
        var composed = forecasts[0], decomposed = forecasts[0]
        composed.name = "caf\u{E9}"
        decomposed.name = "cafe\u{301}"
        #expect(try Planner.nameOrder([composed, decomposed]) != nil)
    }

    /// Gift wrapping over every option, as the planner did before it scanned only the open points.
    static func plainKeep(_ all: [Planner.Candidate], limits: (budget: Bool, window: Bool)) -> [Int] {
        let first = Planner.best(all, 0, 0)
        var second = -1
        for (i, c) in all.enumerated() where i != first {
            if second < 0 || Planner.objective(c, 0, 0) < Planner.objective(all[second], 0, 0) { second = i }
        }
        var kept: [Int]
        switch limits {
        case (false, false):
            kept = [first]
        case (true, true):
            kept = all.indices.filter { i in
                let a = all[i]
                return !all.contains { b in
                    b.risk <= a.risk && b.spend <= a.spend && b.bytes <= a.bytes && (b.risk < a.risk || b.spend < a.spend || b.bytes < a.bytes)
                }
            }
        case (let budget, _):
            func x(_ i: Int) -> Double { budget ? all[i].spend : all[i].bytes }
            func y(_ i: Int) -> Double { budget ? all[i].risk : all[i].risk + all[i].spend }
            var current = 0
            for i in all.indices where x(i) < x(current) || (x(i) == x(current) && y(i) < y(current)) { current = i }
            kept = [current]
            while true {
                var next = -1
                var slope = 0.0
                let (x0, y0) = (x(current), y(current))
                for i in all.indices where x(i) > x0 && y(i) < y0 {
                    let s = (y(i) - y0) / (x(i) - x0)
                    if next < 0 || s < slope || (s == slope && x(i) > x(next)) { next = i; slope = s }
                }
                guard next >= 0 else { break }
                kept.append(next)
                current = next
            }
            if !kept.contains(first) { kept.append(first) }
        }
        if second >= 0 && !kept.contains(second) { kept.append(second) }
        return kept
    }
}
