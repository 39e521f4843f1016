import BackplanCore
import BackplanPlan
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlanner

/// Every numeric key of a policy and a catalog has a range (docs/INPUTS.md); values outside it are refused
/// at load with file, line and key, so the planner never meets them (issue 10's crash classes).
@Suite("Policy and catalog ranges")
struct InputRangeTests {
    static func policy(replacing needle: String, with value: String) throws -> String {
        let text = try String(contentsOfFile: Files.policy, encoding: .utf8)
        let range = try #require(text.range(of: needle))
        return text.replacingCharacters(in: range, with: value)
    }

    static let policyCases: [(String, String, String)] = [
        ("count: 3", "count: 9223372036854775807", "classes.private.copies.count': must be at most 16"),
        ("minInterval: 5m", "minInterval: 0s", "executor.minInterval': must be between 1s and 1d"),
        ("restoreThroughputPerSecond: 100MiB", "restoreThroughputPerSecond: 0", "restoreThroughputPerSecond': must be between 1KiB"),
        ("mtbf: 3y", "mtbf: 1s", "failures.disk.mtbf': must be between 1h and 100y"),
        ("lossDollarsPerMessage: 0.02", "lossDollarsPerMessage: 1e308", "lossDollarsPerMessage': must be between 0 and 1000000000"),
        ("retentionMin: 30d", "retentionMin: 9223372036854775807", "retentionMin'"),
    ]

    @Test("A policy value out of range is refused naming file, line and key", arguments: 0..<policyCases.count)
    func policyOutOfRange(_ i: Int) throws {
        let (needle, value, message) = Self.policyCases[i]
        let dir = TempDir()
        let text = try Self.policy(replacing: needle, with: value)
        let file = dir.write("p.yaml", text)
        let line = text[..<text.range(of: value)!.lowerBound].filter { $0 == "\n" }.count + 1
        #expect {
            _ = try Policy.load(file)
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.file == file && e.line == line && e.message.contains(message)
        }
    }

    @Test("The example policy and every catalog load inside their ranges") func examplesLoad() throws {
        _ = try Policy.load(Files.policy)
        for c in Files.catalogs { _ = try PriceCatalog.load(c) }
    }

    @Test("A price of 1e308 (or NaN, or negative) is refused naming the key", arguments: ["1e308", ".nan", "-1", "1001"])
    func priceOutOfRange(_ value: String) throws {
        let dir = TempDir()
        let text = try String(contentsOfFile: Files.aws, encoding: .utf8)
        let file = dir.write("c.yaml", text.replacingOccurrences(of: "storagePerGiBMonth: 0.023,", with: "storagePerGiBMonth: \(value),"))
        #expect {
            _ = try PriceCatalog.load(file)
        } throws: { error in
            "\(error)".contains("tiers.standard.storagePerGiBMonth") && (error as? InputError)?.line != nil
        }
    }

    @Test("A limit that cannot hold records no shadow price, and the entries say it cannot hold")
    func unholdableBudgetHasNoShadowPrice() throws {
        var policy = try Policy.load(Files.policy)
        policy.budgetDollarsPerDatasetMonth = nil
        policy.budgetDollarsPerMonth = 1e-9
        // Dear losses: without the budget every dataset would back up often, so the budget moves them all.
        policy.classes["private"]?.lossDollarsPerMessage = 100
        let catalog = try PriceCatalog.load(Files.aws)
        let forecasts = (0..<20).map { i in
            DatasetForecast(name: "d\(i)", dataClass: "private", sizeBytes: 1_073_741_824, writesPerDay: 50, readsPerDay: 10,
                            bytesPerWrite: 1_000, bytesPerRead: 1_000, meanSessionSeconds: nil, meanQuietGapSeconds: nil,
                            busiestBlockEndSeconds: 0)
        }
        let inputs = Plan.Inputs(statsStore: .init(path: "s", sha256: ""), model: .init(path: "m", sha256: ""),
                                 policy: .init(path: "p", sha256: ""), prices: .init(path: "c", sha256: ""))
        let plan = try Planner(policy: policy, catalog: catalog).plan(forecasts, generatedAt: 0, inputs: inputs)
        let budget = try #require(plan.limits.first { $0.name == "budget" })
        #expect(budget.used > budget.limit)
        #expect(budget.shadowPrice == 0)
        #expect(!plan.infeasible.isEmpty)
        #expect(plan.datasets.allSatisfy { !$0.why.decidedBy.contains("shadow price 1") })
        #expect(plan.datasets.contains { $0.why.decidedBy.contains("cannot hold at any price") })
    }
}
