import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlanner

@Suite("Tier schedules by object age: pricing and choice")
struct SchedulePricingTests {
    static let mib = 1_048_576.0, gib = 1_073_741_824.0
    /// Days in the 730-hour billing month.
    static let month = 730.0 / 24

    static func model() throws -> CostModel {
        CostModel(policy: try Policy.load(Files.policy), catalog: try PriceCatalog.load(Files.aws))
    }

    /// `count` objects of 1 MiB, all `age` whole days old; no small objects, no reads.
    static func profile(count: Double, age: Int, readsOnLarge: [Double] = []) -> AgeProfile {
        var c = [Double](repeating: 0, count: AgeProfiles.maxDays + 1), b = c
        c[age] = count
        b[age] = count * mib
        return AgeProfile(largeCountByDay: c, largeBytesByDay: b, smallCount: 0, smallBytes: 0, largeShareOfWrites: 1, largeMeanBytes: mib,
                          smallMeanBytes: 0, readsOnLargeByAge: readsOnLarge.isEmpty ? [Double](repeating: 0, count: AgeProfiles.maxDays + 1) : readsOnLarge)
    }

    static func idle(_ p: AgeProfile) -> DatasetForecast {
        var d = DatasetForecast(name: "a", dataClass: "private", sizeBytes: 100 * mib, writesPerDay: 0, readsPerDay: 0, bytesPerWrite: mib,
                                bytesPerRead: mib)
        d.ages = p
        return d
    }

    @Test("A schedule's bill over 90 days by hand: storage per tier, transitions, early deletion, GETs and retrieval (AWS S3 rules)")
    func handComputed() throws {
        let m = try Self.model()
        let gib = 100 * Self.mib / Self.gib
        // 100 objects of 1 MiB, 10 days old (priced at 10.5), under "standard-ia after 30 days" for 90 days:
        // 19.5 days on S3 Standard ($0.023/GB-month), 70.5 on Standard-IA ($0.0125), one transition request each
        // ("Lifecycle Transition requests into" Standard-IA: $0.01 per 1,000); no early deletion (Standard has no minimum).
        let one = m.scheduleBill(Self.idle(Self.profile(count: 100, age: 10)), profile: Self.profile(count: 100, age: 10),
                                 steps: [(0, 0), (30, 1)], horizonDays: 90)
        #expect(abs(one.bill.storage - gib * (0.023 * 19.5 + 0.0125 * 70.5) / Self.month) < 1e-12)
        #expect(abs(one.bill.transitions - 100 * 0.01 / 1_000) < 1e-15)
        #expect(one.bill.earlyDeletion == 0 && one.bill.requests == 0 && one.bill.retrieval == 0)
        #expect(abs(one.moves.total - 100 * 0.01 / 1_000) < 1e-15)
        // 40 days old (40.5) under "standard-ia after 30, glacier-ir after 60": moved to Standard-IA when the plan
        // starts ($0.01 per 1,000), 19.5 days there, then to Glacier IR ($0.02 per 1,000) before Standard-IA's
        // 30-day minimum: the prorated remainder of 10.5 days is charged at Standard-IA's rate (S3 "objects that
        // are transitioned before the minimum are charged a prorated fee for the remaining days"); 70.5 days on
        // Glacier IR ($0.004).
        let p = Self.profile(count: 100, age: 40)
        let two = m.scheduleBill(Self.idle(p), profile: p, steps: [(0, 0), (30, 1), (60, 2)], horizonDays: 90)
        #expect(abs(two.bill.storage - gib * (0.0125 * 19.5 + 0.004 * 70.5) / Self.month) < 1e-12)
        #expect(abs(two.bill.transitions - 100 * (0.01 + 0.02) / 1_000) < 1e-15)
        #expect(abs(two.bill.earlyDeletion - gib * 0.0125 * 10.5 / Self.month) < 1e-12)
        // 1,000 reads a day, each of 1 MiB; 30% fetch an object at least 60 days old, 50% one at least 30 days old:
        // GETs at $0.0004 (Standard), $0.001 (Standard-IA), $0.01 (Glacier IR) per 1,000, retrieval $0.01 and
        // $0.03 per GB from Standard-IA and Glacier IR.
        var reads = [Double](repeating: 0, count: AgeProfiles.maxDays + 1)
        for a in reads.indices { reads[a] = a < 30 ? 0.5 : a < 60 ? 0.5 : 0.3 }
        var d = Self.idle(Self.profile(count: 100, age: 40, readsOnLarge: reads))
        d.readsPerDay = 1_000
        let read = m.scheduleBill(d, profile: d.ages!, steps: [(0, 0), (30, 1), (60, 2)], horizonDays: 90)
        let n = 90_000.0
        #expect(abs(read.bill.requests - n * (0.5 * 0.0004 + 0.2 * 0.001 + 0.3 * 0.01) / 1_000) < 1e-12)
        #expect(abs(read.bill.retrieval - n * Self.mib / Self.gib * (0.2 * 0.01 + 0.3 * 0.03)) < 1e-12)
    }

    @Test("Future writes under a schedule: object-days per band and transitions of objects crossing a step, by hand")
    func futureWrites() throws {
        let m = try Self.model()
        var p = Self.profile(count: 0, age: 0)
        p.largeShareOfWrites = 1
        var d = Self.idle(p)
        d.writesPerDay = 10
        // 10 objects of 1 MiB a day for 90 days under "standard-ia after 30": object-days on Standard
        // ∫₀⁹⁰ min(x, 30) dx = 450 + 1,800 = 2,250 (× 10), on Standard-IA ∫ (x − 30)⁺ = 1,800 (× 10); 10 × 60 crossings; PUTs at Standard's $0.005.
        let b = m.scheduleBill(d, profile: p, steps: [(0, 0), (30, 1)], horizonDays: 90)
        let perObjectMonth = Self.mib / Self.gib / Self.month
        #expect(abs(b.bill.storage - 10 * perObjectMonth * (2_250 * 0.023 + 1_800 * 0.0125)) < 1e-12)
        #expect(abs(b.bill.transitions - 600 * 0.01 / 1_000) < 1e-15)
        #expect(abs(b.bill.requests - 900 * 0.005 / 1_000) < 1e-15)
    }

    /// Random profiles and forecasts: sizes, ages, read profiles and activity spread over orders of magnitude.
    static func randomDataset(_ rng: inout Xoshiro256StarStar, _ i: Int) -> DatasetForecast {
        var c = [Double](repeating: 0, count: AgeProfiles.maxDays + 1), b = c
        let large = rng.nextIndex(below: 3) == 0 ? 0 : rng.nextIndex(below: 2_000)
        let size = exp(rng.nextNormal(mean: 12.5, standardDeviation: 1.5)) + 131_072
        for _ in 0..<large {
            let a = rng.nextIndex(below: 240)
            c[a] += 1
            b[a] += size
        }
        var reads = [Double](repeating: 0, count: c.count)
        let decay = exp(rng.nextNormal(mean: -3, standardDeviation: 1.5)), top = Double(rng.nextIndex(below: 100)) / 100
        for a in reads.indices { reads[a] = top * exp(-decay * Double(a)) }
        let smallCount = Double(rng.nextIndex(below: 5_000))
        let p = AgeProfile(largeCountByDay: c, largeBytesByDay: b, smallCount: smallCount, smallBytes: smallCount * 2_000,
                           largeShareOfWrites: Double(rng.nextIndex(below: 100)) / 100, largeMeanBytes: size, smallMeanBytes: 2_000,
                           readsOnLargeByAge: reads)
        var d = DatasetForecast(name: "d\(i)", dataClass: "private", sizeBytes: b.reduce(0, +) + p.smallBytes,
                                writesPerDay: exp(rng.nextNormal(mean: 1, standardDeviation: 2)), readsPerDay: exp(rng.nextNormal(mean: 2, standardDeviation: 2.5)),
                                bytesPerWrite: 20_000, bytesPerRead: exp(rng.nextNormal(mean: 11, standardDeviation: 2)))
        d.ages = p
        return d
    }

    @Test("A schedule or move is never chosen when its moves cost more than it saves (seeded datasets)", arguments: 1...4 as ClosedRange<UInt64>)
    func movesPayForThemselves(seed: UInt64) throws {
        let m = try Self.model()
        var rng = Xoshiro256StarStar(seed: seed)
        var schedules = 0
        for i in 0..<200 {
            let d = Self.randomDataset(&rng, i)
            let c = try #require(m.chooseTiering(d, tiers: [0, 1, 2]))
            let choice = c.choice
            // Chosen ≤ staying put, so what it saves before its moves covers them.
            #expect(choice.chosenDollars <= choice.stayDollars * (1 + 1e-12))
            #expect(choice.stayDollars - (choice.chosenDollars - choice.chosenMoveDollars) >= choice.chosenMoveDollars * (1 - 1e-12))
            // And no candidate is cheaper, moves included.
            for steps in m.scheduleCandidates(tiers: [0, 1, 2]) {
                #expect(m.scheduleBill(d, profile: d.ages!, steps: steps, horizonDays: CostModel.scheduleHorizonDays).bill.total
                        >= choice.chosenDollars * (1 - 1e-12))
            }
            if !choice.chosen.isSingleTier { schedules += 1 }
        }
        #expect(schedules > 0, "the property was exercised on schedules")
        // With transition requests 10,000 times dearer, no move pays: every dataset with anything to move stays.
        var expensive = try PriceCatalog.load(Files.aws)
        for t in expensive.tiers.indices { expensive.tiers[t].transitionDollarsPer1000 *= 10_000 }
        let dear = CostModel(policy: m.policy, catalog: expensive)
        var rng2 = Xoshiro256StarStar(seed: seed)
        for i in 0..<200 {
            let d = Self.randomDataset(&rng2, i)
            let c = try #require(dear.chooseTiering(d, tiers: [0, 1, 2]))
            if c.choice.chosenMoveDollars > 0 {
                #expect(c.choice.chosenDollars < c.choice.stayDollars)
            }
            #expect(c.choice.chosenMoveDollars <= c.choice.stayDollars - (c.choice.chosenDollars - c.choice.chosenMoveDollars) + 1e-12)
        }
    }

    @Test("Re-planning hysteresis: the tiering in force changes only when the forecast saving exceeds the move's cost", arguments: [UInt64(5), 6])
    func hysteresis(seed: UInt64) throws {
        let m = try Self.model()
        let names = m.catalog.tiers.map(\.name)
        let candidates = m.scheduleCandidates(tiers: [0, 1, 2])
        var rng = Xoshiro256StarStar(seed: seed)
        var kept = 0, moved = 0
        for i in 0..<200 {
            var d = Self.randomDataset(&rng, i)
            let fresh = try #require(m.chooseTiering(d, tiers: [0, 1, 2]))
            // In force: another schedule, priced without the moves that put the data there.
            let steps = candidates[rng.nextIndex(below: candidates.count)]
            let current = TierSchedule(steps: steps.map { .init(afterDays: $0.days, tier: names[$0.tier]) })
            d.currentTiering = current
            let staying = m.scheduleBill(d, profile: d.ages!, steps: steps, horizonDays: CostModel.scheduleHorizonDays)
            let stayTotal = staying.bill.total - staying.atStart.total
            let c = try #require(m.chooseTiering(d, tiers: [0, 1, 2]))
            #expect(abs(c.choice.stayDollars - stayTotal) <= 1e-12 * max(1e-9, stayTotal))
            if c.choice.chosen == current {
                if fresh.choice.chosen != current { kept += 1 }
            } else {
                // It moved: the new tiering, its moves included, costs less than staying.
                #expect(c.choice.chosenDollars < stayTotal)
                moved += 1
            }
        }
        #expect(kept > 0 && moved > 0, "both branches exercised: kept \(kept), moved \(moved)")
    }

    @Test("Without age profiles (the simulator's re-plans), the tier in force is left only when the month's saving beats the move", arguments: [UInt64(7), 8])
    func singleTierHysteresis(seed: UInt64) throws {
        let m = try Self.model()
        let names = m.catalog.tiers.map(\.name)
        var rng = Xoshiro256StarStar(seed: seed)
        var kept = 0, moved = 0
        for i in 0..<300 {
            var d = Self.randomDataset(&rng, i)
            d.ages = nil
            let fresh = try #require(m.dataChoice(d, tiers: [0, 1, 2]))
            let inForce = rng.nextIndex(below: 3)
            d.currentTiering = .single(names[inForce])
            let c = try #require(m.dataChoice(d, tiers: [0, 1, 2]))
            let stay = m.dataCost(d, tier: inForce, from: inForce)
            #expect(stay.transitions == 0 && stay.earlyDeletion == 0)
            if c.tier == inForce {
                if fresh.tier != inForce { kept += 1 }
            } else {
                // It moved: the new tier with the move from the tier in force costs less than staying.
                let move = m.billing.move(sizeBytes: d.sizeBytes, objectBytes: d.bytesPerWrite, from: inForce, to: c.tier,
                                                            heldSeconds: .infinity)
                #expect(abs(c.cost.transitions - move.transitions) <= 1e-12 * max(1, move.transitions))
                #expect(c.cost.total < stay.total)
                moved += 1
            }
        }
        #expect(kept > 0 && moved > 0, "both branches exercised: kept \(kept), moved \(moved)")
    }

    @Test("Candidates obey S3 Lifecycle: Standard-IA from day 30, a move out of it 30 days after; none without the first tier or off S3")
    func candidatesAreExpressible() throws {
        let m = try Self.model()
        let all = m.scheduleCandidates(tiers: [0, 1, 2])
        #expect(all.count == 5 + 5 + 10)
        for s in all {
            #expect(s[0].days == 0 && s[0].tier == 0)
            for k in 1..<s.count {
                if s[k].tier == 1 { #expect(s[k].days >= 30) }
                if s[k - 1].tier == 1 { #expect(s[k].days >= s[k - 1].days + 30) }
            }
        }
        #expect(m.scheduleCandidates(tiers: [1, 2]).isEmpty)
        // Off S3 no export could enforce a schedule: none is offered.
        let gcs = CostModel(policy: m.policy, catalog: try PriceCatalog.load(Files.path("datasets/pricing/gcs.yaml")))
        let online = gcs.catalog.tiers.indices.filter { !gcs.catalog.tiers[$0].offline }
        #expect(online.count > 1 && gcs.scheduleCandidates(tiers: online).isEmpty)
    }

    @Test("Without an age profile the planner keeps its single-tier choice; with one the plan carries the schedule and why")
    func planCarriesSchedule() throws {
        let policy = try Policy.load(Files.policy), catalog = try PriceCatalog.load(Files.aws)
        // 2,000 large objects 100–200 days old, rarely read: a schedule (or a colder tier) pays.
        var c = [Double](repeating: 0, count: AgeProfiles.maxDays + 1), b = c
        for a in 100..<200 { c[a] = 20; b[a] = 20 * 4_000_000 }
        let p = AgeProfile(largeCountByDay: c, largeBytesByDay: b, smallCount: 0, smallBytes: 0, largeShareOfWrites: 1, largeMeanBytes: 4_000_000,
                           smallMeanBytes: 0, readsOnLargeByAge: [Double](repeating: 0, count: c.count))
        var d = DatasetForecast(name: "a", dataClass: "private", sizeBytes: b.reduce(0, +), writesPerDay: 20, readsPerDay: 50,
                                bytesPerWrite: 4_000_000, bytesPerRead: 4_000_000)
        let without = try Planner(policy: policy, catalog: catalog).plan([d], generatedAt: 0, inputs: testInputs)
        #expect(without.datasets[0].dataSchedule == nil && without.datasets[0].why.dataTiering == nil)
        d.ages = p
        let with = try Planner(policy: policy, catalog: catalog).plan([d], generatedAt: 0, inputs: testInputs)
        let entry = with.datasets[0]
        let why = try #require(entry.why.dataTiering)
        #expect(why.chosenDollars < why.stayDollars)
        let schedule = try #require(entry.dataSchedule)
        #expect(schedule == why.chosen && schedule.firstTier == "standard" && entry.dataTier == "standard")
        #expect(schedule.minObjectBytes == 131_072)
    }
}
