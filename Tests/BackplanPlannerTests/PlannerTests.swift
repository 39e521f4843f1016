import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlanner

@Suite("Checkpoint formulas")
struct CheckpointTests {
    /// DESIGN §4's table (Daly 2006): restart 10 min, checkpoint δ = 5 min; minutes.
    static let table: [(mtbf: Double, daly: Double, young: Double)] = [(1_440, 117, 120), (360, 57, 60), (15, 9.1, 12.2)]

    @Test("Young's and Daly's formulas reproduce the published table") func youngAndDalyFormulasReproduceTheTable() {
        for row in Self.table {
            #expect(abs(Checkpointing.young(checkpointCost: 5, mtbf: row.mtbf) / row.young - 1) < 0.005, "\(row)")
            #expect(abs(Checkpointing.daly(checkpointCost: 5, mtbf: row.mtbf) / row.daly - 1) < 0.01, "\(row)")
        }
        // Past δ ≥ 2M Daly's rule is to checkpoint every M.
        #expect(Checkpointing.daly(checkpointCost: 40, mtbf: 15) == 15)
    }

    @Test("Minimising Daly's exact wall-time cost finds the table's intervals")
    func minimisingDalysExactCostFindsTheTable() {
        for row in Self.table {
            let t = Checkpointing.minimize(in: 0.01, 10_000, tolerance: 1e-9) {
                Checkpointing.dalyWallTimePerWork(interval: $0, checkpointCost: 5, restart: 10, mtbf: row.mtbf)
            }
            #expect(abs(t / row.daly - 1) < 0.01, "exact optimum \(t) min for M = \(row.mtbf) min")
        }
    }

    @Test("The golden-section search finds known minima, and monotone functions end at the bound")
    func goldenSectionFindsKnownMinima() {
        #expect(abs(Checkpointing.minimize(in: 1, 1_000) { pow(log($0) - log(42), 2) } / 42 - 1) < 1e-6)
        #expect(Checkpointing.minimize(in: 5, 5) { $0 } == 5)
        // Monotone functions end at the bound.
        #expect(abs(Checkpointing.minimize(in: 2, 50) { $0 } / 2 - 1) < 1e-6)
    }
}

@Suite("Planner")
struct PlannerTests {
    /// A busy dataset (every interval sees writes), one failure kind, loss priced per message.
    static let busy = DatasetForecast(
        name: "busy", dataClass: "default", sizeBytes: 1_048_576, writesPerDay: 2_000, readsPerDay: 10,
        bytesPerWrite: 100, bytesPerRead: 1_000)

    @Test("Without limits the cost model's optimum and the planner's interval are Young's within 1%")
    func unconstrainedIntervalIsYoungs() throws {
        let policy = simplePolicy(loss: 0.001)
        let planner = Planner(policy: policy, catalog: simpleCatalog())
        let young = try #require(planner.model.youngIntervalSeconds(Self.busy, policy: policy.classes["default"]!, tier: 0))
        // Young: √(2·C_b/(λ·r·c)) with C_b = $0.000005, λ = 1/y, r = 2000/d, c = $0.001: about 3,770 s.
        let expected = (2 * 0.005 / 1_000 / (1 / 31_536_000.0 * 2_000 / 86_400 * 0.001)).squareRoot()
        #expect(abs(young / expected - 1) < 1e-5)  // C_b also counts the write's bytes as part of a request
        // The full cost model's continuous optimum is Young's interval to within 1%.
        let c = policy.classes["default"]!
        let exact = Checkpointing.minimize(in: 60, 604_800) {
            planner.model.backupCost(Self.busy, policy: c, intervalSeconds: $0, tier: 0, retentionDays: 30).total
        }
        #expect(abs(exact / young - 1) < 0.01, "cost-model optimum \(exact) s, Young \(young) s")
        // And the planner chooses it.
        let plan = try planner.plan([Self.busy], generatedAt: 0, inputs: testInputs)
        let chosen = Double(try #require(plan.datasets.first).schedule.intervalSeconds)
        #expect(abs(chosen / young - 1) < 0.01, "planner chose \(chosen) s, Young \(young) s")
    }

    /// More writes never lengthen the interval while every interval sees writes (r·T ≫ 1: Young's regime).
    @Test("More writes never lengthen the interval of a busy dataset", arguments: 1...6 as ClosedRange<UInt64>)
    func moreWritesNeverLengthenTheInterval(seed: UInt64) throws {
        var rng = Xoshiro256StarStar(seed: seed)
        let policy = simplePolicy(loss: exp(rng.nextNormal(mean: -7, standardDeviation: 1)), minInterval: 600)
        let planner = Planner(policy: policy, catalog: simpleCatalog())
        var d = Self.busy
        d.writesPerDay = 20_000 * (1 + Double(rng.nextIndex(below: 10)))
        var last = Int64.max
        for _ in 0..<8 {
            let interval = try planner.plan([d], generatedAt: 0, inputs: testInputs).datasets[0].schedule.intervalSeconds
            // The continuous optimum is searched to a relative precision of `intervalTolerance`.
            #expect(Double(interval) <= Double(last) * (1 + Planner.intervalTolerance), "writes/day \(d.writesPerDay): \(interval) s after \(last) s")
            last = interval
            d.writesPerDay *= 1.7
        }
    }

    /// Why the property above needs busy datasets: with skip-if-unchanged, a dataset written rarely pays for
    /// a backup only when it changed, so short intervals are nearly free and the planner backs it up soon
    /// after each write; once writes are frequent enough that most intervals see one, each interval costs a
    /// backup and longer ones win. (Young's formula assumes every interval costs a backup.)
    @Test("Rarely written datasets get the shortest interval under skip-if-unchanged, busier ones longer")
    func rareWritesGetShortIntervalsUnderSkipIfUnchanged() throws {
        let policy = simplePolicy(loss: 0.001, minInterval: 300)
        let planner = Planner(policy: policy, catalog: simpleCatalog())
        var rare = Self.busy
        rare.name = "rare"
        rare.writesPerDay = 0.5
        var busier = Self.busy
        busier.name = "busier"
        busier.writesPerDay = 200
        let plan = try planner.plan([rare, busier], generatedAt: 0, inputs: testInputs)
        let interval = Dictionary(uniqueKeysWithValues: plan.datasets.map { ($0.id, $0.schedule.intervalSeconds) })
        #expect(interval["rare"] == 300)
        #expect((interval["busier"] ?? 0) > 300)
    }

    @Test("A tighter RPO never lengthens an interval, and no interval exceeds the RPO",
          arguments: 1...5 as ClosedRange<UInt64>)
    func tighterRPONeverLengthensTheInterval(seed: UInt64) throws {
        var policy = try Policy.load(Files.policy)
        policy.budgetDollarsPerMonth = nil
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        policy.backupWindowBytesPerDay = nil
        let catalog = try PriceCatalog.load(Files.aws)
        let forecasts = randomForecasts(seed: seed, count: 60)
        var previous: [String: Int64] = [:]
        for rpo: Int64 in [7 * 86_400, 86_400, 21_600, 3_600, 900, 300] {
            for name in policy.classes.keys { policy.classes[name]!.rpoMaxSeconds = rpo }
            let plan = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: testInputs)
            for d in plan.datasets {
                #expect(d.schedule.intervalSeconds <= rpo)
                if let p = previous[d.id] { #expect(d.schedule.intervalSeconds <= p, "\(d.id) at RPO \(rpo)") }
                previous[d.id] = d.schedule.intervalSeconds
            }
        }
    }

    @Test("Every plan on every catalog keeps each class's RPO, RTO, retention, copies and global limits",
          arguments: 1...4 as ClosedRange<UInt64>)
    func everyPlanKeepsEveryClassLimit(seed: UInt64) throws {
        var policy = try Policy.load(Files.policy)
        policy.budgetDollarsPerMonth = nil  // the example's is sized for the committed sample
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        for file in Files.catalogs {
            let catalog = try PriceCatalog.load(file)
            let plan = try Planner(policy: policy, catalog: catalog).plan(randomForecasts(seed: seed, count: 200), generatedAt: 0, inputs: testInputs)
            #expect(plan.datasets.count + plan.infeasible.count == 200)
            for d in plan.datasets {
                let c = try #require(policy.policy(forClass: d.class)?.policy)
                #expect(d.schedule.intervalSeconds <= c.rpoMaxSeconds && d.schedule.intervalSeconds >= policy.executorMinIntervalSeconds)
                #expect(d.why.chosen.restoreSeconds <= Double(c.rtoMaxSeconds), "\(d.id) restores in \(d.why.chosen.restoreSeconds) s")
                #expect(d.retention.spanSeconds >= c.retentionMinSeconds && d.retention.spanSeconds <= c.retentionMaxSeconds)
                #expect(d.copies.count == c.copies && d.copies.filter(\.offline).count == c.offlineCopies)
                #expect(Set(d.copies.map(\.region)).count == c.regions)
                // A cold tier never takes data (or backups) whose RTO it cannot meet.
                let dataTier = try #require(catalog.tiers.first { $0.name == d.dataTier })
                #expect(!dataTier.offline && dataTier.firstByteSeconds <= Double(c.rtoMaxSeconds))
                let backupTier = try #require(catalog.tiers.first { $0.name == d.backupTier })
                #expect(backupTier.firstByteSeconds <= Double(c.rtoMaxSeconds))
                if c.erase { #expect(d.retention.deleteAfterSeconds == c.retentionMaxSeconds) }
                #expect(d.encrypt == c.encrypt)
            }
            for l in plan.limits { #expect(l.used <= l.limit * (1 + 1e-9), "\(l.name) on \(file)") }
        }
    }

    @Test("A tight budget binds with a shadow price, and an impossible one names the infeasible datasets")
    func budgetBindsWithAShadowPriceAndInfeasibleLimitsNameDatasets() throws {
        var policy = try Policy.load(Files.policy)
        policy.backupWindowBytesPerDay = nil
        let catalog = try PriceCatalog.load(Files.aws)
        let forecasts = randomForecasts(seed: 9, count: 300)
        policy.budgetDollarsPerMonth = nil
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        let free = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: testInputs)
        let spend = free.totals.monthlyDollars.storage + free.totals.monthlyDollars.operations + free.totals.monthlyDollars.retrieval
        let least = Planner(policy: policy, catalog: catalog).bounds(forecasts).leastSpend
        #expect(least < spend && abs(Planner(policy: policy, catalog: catalog).bounds(forecasts).freeSpend / spend - 1) < 1e-9)
        let limit = (least + spend) / 2
        policy.budgetDollarsPerMonth = limit
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        let tight = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: testInputs)
        let budget = try #require(tight.limits.first { $0.name == "budget" })
        #expect(budget.binding && budget.shadowPrice > 0 && budget.used <= limit)
        #expect(tight.infeasible.isEmpty)
        // Spending less costs risk: the expected loss and downtime go up.
        #expect(tight.totals.monthlyDollars.expectedLoss + tight.totals.monthlyDollars.downtime
                >= free.totals.monthlyDollars.expectedLoss + free.totals.monthlyDollars.downtime)
        #expect(tight.datasets.contains { $0.why.decidedBy.hasPrefix("the budget") })
        policy.budgetDollarsPerMonth = 0.0001
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        let impossible = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: testInputs)
        #expect(!impossible.infeasible.isEmpty && impossible.infeasible.allSatisfy { $0.reason.contains("cannot all hold") })
    }

    @Test("A tight backup window binds with a shadow price and leaves no dataset infeasible")
    func backupWindowBinds() throws {
        var policy = try Policy.load(Files.policy)
        policy.budgetDollarsPerMonth = nil
        policy.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        policy.backupWindowBytesPerDay = nil
        let catalog = try PriceCatalog.load(Files.aws)
        let forecasts = randomForecasts(seed: 4, count: 200)
        let free = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: testInputs)
        let least = Planner(policy: policy, catalog: catalog).bounds(forecasts).leastBytes
        #expect(least < free.totals.backupBytesPerDay)
        let limit = (least + free.totals.backupBytesPerDay) / 2
        policy.backupWindowBytesPerDay = limit
        let tight = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: testInputs)
        let window = try #require(tight.limits.first { $0.name == "backupWindow" })
        #expect(window.binding && window.used <= limit && window.shadowPrice > 0)
        #expect(tight.infeasible.isEmpty)
    }

    @Test("Plans are the same bytes in any input order and match the plan schema")
    func plansAreDeterministicAndMatchTheSchema() throws {
        let policy = try Policy.load(Files.policy)
        let catalog = try PriceCatalog.load(Files.aws)
        let forecasts = randomForecasts(seed: 3, count: 150)
        let a = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 1_700_000_000, inputs: testInputs).jsonData()
        let b = try Planner(policy: policy, catalog: catalog).plan(forecasts.reversed(), generatedAt: 1_700_000_000, inputs: testInputs).jsonData()
        #expect(a == b, "the same inputs in another order must give the same bytes")
        let schemaData = try Data(contentsOf: URL(fileURLWithPath: Files.path("plan.schema.json")))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let problems = SchemaValidator(root: schema).validate(try JSONSerialization.jsonObject(with: a), schema)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // And the validator does catch a broken plan.
        var broken = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        broken["datasets"] = [["id": "x"]]
        #expect(!SchemaValidator(root: schema).validate(broken, schema).isEmpty)
    }

    @Test("Retention rules stay within their class's bounds, and erasure deletes at the maximum")
    func retentionRulesStayWithinLegalBounds() {
        let day: Int64 = 86_400
        for (lo, hi) in [(1, 1), (7, 30), (30, 365), (90, 90), (14, 20), (365, 7 * 365), (400, 2_555), (3 * 365, 7 * 365)] as [(Int64, Int64)] {
            let r = DatasetPlan.Retention.rule(minimumSeconds: lo * day, maximumSeconds: hi * day, erase: false)
            #expect(r.spanSeconds >= lo * day && r.spanSeconds <= hi * day, "\(lo)…\(hi) d: \(r)")
            #expect(r.restic.hasPrefix("--keep-daily"))
        }
        let erased = DatasetPlan.Retention.rule(minimumSeconds: 30 * day, maximumSeconds: 90 * day, erase: true)
        #expect(erased.deleteAfterSeconds == 90 * day)
    }

    @Test("The S3 lifecycle and restic exports name every rule, and a non-S3 catalog has no lifecycle")
    func exportsNameEveryRule() throws {
        let policy = try Policy.load(Files.policy)
        let plan = try Planner(policy: policy, catalog: try PriceCatalog.load(Files.aws)).plan(randomForecasts(seed: 5, count: 100), generatedAt: 0, inputs: testInputs)
        let catalog = try PriceCatalog.load(Files.aws)
        let lifecycle = try #require(try plan.s3Lifecycle(catalog: catalog))
        let document = try #require(try JSONSerialization.jsonObject(with: lifecycle.json) as? [String: Any])
        #expect(document["TransitionDefaultMinimumObjectSize"] as? String == "all_storage_classes_128K")
        let rules = try #require((document["LifecycleConfiguration"] as? [String: Any])?["Rules"] as? [[String: Any]])
        // Every copy's object tag names a rule of the export.
        let ids = Set(rules.compactMap { $0["ID"] as? String })
        for d in plan.datasets { for c in d.copies { #expect(c.objectTag.map { ids.contains($0.value) } == true, "\(d.id): \(c)") } }
        #expect(!rules.isEmpty && rules.allSatisfy { $0["Status"] as? String == "Enabled" && $0["ID"] != nil })
        for r in rules {
            for t in r["Transitions"] as? [[String: Any]] ?? [] where t["StorageClass"] as? String == "STANDARD_IA" {
                #expect((t["Days"] as? Int ?? 0) >= 30, "S3 refuses Standard-IA transitions before day 30")
            }
        }
        let restic = plan.resticScript()
        for d in plan.datasets {
            #expect(restic.contains("restic forget --tag '\(DatasetName.tag(d.id))' --group-by tags "
                + d.retention.resticKeepOptions(intervalSeconds: d.schedule.intervalSeconds).joined(separator: " ") + "\n"))
        }
        // Not an S3 catalog: no lifecycle.
        let gcs = try Planner(policy: policy, catalog: try PriceCatalog.load(Files.catalogs[1])).plan(randomForecasts(seed: 5, count: 10), generatedAt: 0, inputs: testInputs)
        #expect(try gcs.s3Lifecycle(catalog: try PriceCatalog.load(Files.catalogs[1])) == nil)
        #expect(gcs.datasets.allSatisfy { $0.copies.allSatisfy { $0.objectTag == nil } }, "no S3 object tags off S3")
    }
}
