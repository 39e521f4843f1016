import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlanner

/// The catalogs carry what ``Billing`` needs, and the planner's cost model prices live data by it.
@Suite("Catalog billing fields and the planner's live-data cost")
struct CatalogBillingTests {
    @Test("All three catalogs give the 730-hour month and transition prices; S3 its archive overhead and Intelligent-Tiering")
    func catalogsCarryTheBillingFields() throws {
        for file in Files.catalogs {
            let c = try PriceCatalog.load(file)
            #expect(c.hoursPerMonth == 730, "\(file)")
            #expect(c.tiers.allSatisfy { $0.transitionDollarsPer1000 > 0 }, "\(file)")
        }
        let s3 = try PriceCatalog.load(Files.aws)
        let glacier = try s3.tiers[s3.tier(named: "glacier-flexible")], deep = try s3.tiers[s3.tier(named: "deep-archive")]
        for t in [glacier, deep] {
            #expect(t.overheadStandardBytes == 8_192 && t.overheadTierBytes == 32_768 && t.minBillableBytes == 0, "\(t.name)")
        }
        #expect(try s3.tiers[s3.tier(named: "standard-ia")].transitionDollarsPer1000 == 0.01)
        let it = try #require(s3.autoTiering)
        #expect(it.monitoringDollarsPer1000Objects == 0.0025 && it.minObjectBytes == 131_072)
        #expect(it.steps.map(\.idleDays) == [30, 90])
        #expect(try it.steps.map(\.tier) == [s3.tier(named: "standard-ia"), s3.tier(named: "glacier-ir")])
        #expect(try PriceCatalog.load(Files.path("datasets/pricing/gcs.yaml")).autoTiering?.monitoringDollarsPer1000Objects == 0.0025)
        #expect(try PriceCatalog.load(Files.path("datasets/pricing/azure-blob.yaml")).autoTiering == nil)
    }

    @Test("An auto-tiering step to a tier the catalog lacks names the key")
    func badAutoTieringStep() throws {
        let dir = TempDir()
        let text = try String(contentsOfFile: Files.aws, encoding: .utf8).replacingOccurrences(of: "glacier-ir: { idle: 90d }", with: "glacir-ir: { idle: 90d }")
        let file = dir.write("bad.yaml", text)
        #expect {
            _ = try PriceCatalog.load(file)
        } throws: { error in
            (error as? InputError)?.file == file && "\(error)".contains("glacir-ir")
        }
    }

    @Test("S3's minimum storage duration applies to data deleted early, not to appended messages: writes add no storage on Standard-IA")
    func appendedWritesPayNoMinimumDuration() throws {
        let model = CostModel(policy: try Policy.load(Files.policy), catalog: try PriceCatalog.load(Files.aws))
        let ia = try model.catalog.tier(named: "standard-ia")
        func forecast(writes: Double) -> DatasetForecast {
            DatasetForecast(name: "d", dataClass: "mailbox", sizeBytes: 10 * 1_073_741_824, writesPerDay: writes, readsPerDay: 0,
                            bytesPerWrite: 1_048_576, bytesPerRead: 0)
        }
        let quiet = model.dataCost(forecast(writes: 0), tier: ia), busy = model.dataCost(forecast(writes: 5_000), tier: ia)
        #expect(abs(quiet.storage - 10 * 0.0125) < 1e-12, "10 GiB for a 730-hour month")
        #expect(busy.storage == quiet.storage)
        // The writes are billed as PUTs (Standard-IA: $0.01 per 1,000) over a month of 730/24 days, and moving the
        // 10,240 objects there from Standard is 10,240 transition requests at $0.01 per 1,000, counted against a month.
        let puts: Double = 5_000 * 730 / 24 * 0.01 / 1_000
        let moveIn: Double = 10_240 * 0.01 / 1_000
        #expect(abs(busy.operations - (puts + moveIn)) < 1e-9)
        #expect(abs(quiet.operations - moveIn) < 1e-9)
        #expect(model.dataCost(forecast(writes: 0), tier: 0).operations == 0, "data already on Standard moves nowhere")
    }
}
