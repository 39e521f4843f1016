import BackplanCore
import BackplanPlan
import Testing
@testable import BackplanReports

@Suite("Plan summary and explanation tables")
struct ReportsTests {
    @Test("Counts, bytes and tables as a terminal shows them")
    func formats() {
        #expect(Format.count(12_345_678) == "12,345,678")
        #expect(Format.count(-1_000) == "-1,000")
        #expect(Format.count(999) == "999")
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(1_536) == "1.5 KiB")
        #expect(Format.time(1_082_040_961) == "2004-04-15 14:56:01 UTC")
        #expect(Format.table([["tier", "datasets"], ["standard", "12"], ["glacier-ir", "3"]])
                == "tier        datasets\nstandard          12\nglacier-ir         3")
    }

    static func entry() -> DatasetPlan {
        var cost = CostBreakdown()
        cost.storage = 0.5
        cost.expectedLoss = 0.125
        let chosen = DatasetPlan.Option(intervalSeconds: 86_400, backupTier: "standard-ia", dataTier: "standard",
                                        monthlyDollars: .init(cost), exposedWrites: 1.25, restoreSeconds: 59.5)
        return DatasetPlan(
            id: "conv-1", class: "private", location: "conv-1",
            schedule: .init(intervalSeconds: 86_400, timeOfDaySeconds: 75_600, quietSeconds: 1_800, maxDirtyWrites: nil,
                            rpoSeconds: 172_800, fullEverySeconds: nil),
            backupTier: "standard-ia", dataTier: "standard",
            copies: [.init(tier: "standard-ia", region: "region-1", offline: false), .init(tier: "deep-archive", region: "region-2", offline: true)],
            retention: .rule(minimumSeconds: 30 * 86_400, maximumSeconds: 365 * 86_400, erase: true), encrypt: true,
            why: .init(forecast: .init(sizeBytes: 3_145_728, writesPerDay: 12.4, readsPerDay: 80, meanSessionSeconds: nil,
                                       meanQuietGapSeconds: 20_000),
                       chosen: chosen, runnerUp: nil, decidedBy: "price: the lowest expected monthly cost"))
    }

    @Test("An entry explained line by line")
    func explanation() {
        let lines = Explanation.text(Self.entry()).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            "Dataset conv-1 (class private)",
            "Forecast: 12.40 writes/day, 80.00 reads/day, 3.0 MiB, quiet gaps of 5.6 h on average",
            "Chosen:    every 1.0 d to standard-ia (data on standard): $0.6250/month = storage 0.5000 + operations 0.0000 + retrieval 0.0000 + expected loss 0.1250 + downtime 0.0000; 1.25 writes exposed; restore 1.0 min",
            "Decided by price: the lowest expected monthly cost.",
            "Schedule: every 1d (RPO 2d) at 21:00 UTC, or after 30m of quiet following a write.",
            "Copies: standard-ia in region-1, deep-archive in region-2 (offline). Retention: newest per day for 7 d, per week for 5 weeks (reaches back 35d); erased after 1y. "
                + "The executor applies it to this dataset's own snapshots; restic users: restic forget --tag 'dataset=conv-1' "
                + "--group-by tags --keep-within-daily 7d --keep-within-weekly 45d. Encrypted.",
        ])
    }

    @Test("A runner-up cheaper in total than the chosen option is explained: the budget limits spend, not risk")
    func cheaperRunnerUpIsExplained() {
        var entry = Self.entry()
        var cost = CostBreakdown()
        // The chosen option: storage 0.50 + expected loss 0.125 = 0.625; this one 0.55 in total, all of it spend.
        cost.storage = 0.55
        cost.expectedLoss = 0.0
        entry.why.runnerUp = DatasetPlan.Option(intervalSeconds: 3_600, backupTier: "standard", dataTier: "standard",
                                                monthlyDollars: .init(cost), exposedWrites: 0.1, restoreSeconds: 10)
        let text = Explanation.text(entry)
        #expect(text.contains("The runner-up costs $0.0750/month less in total but spends $0.0500/month more on storage, operations and retrieval"))
        // A dearer runner-up needs no excuse.
        cost.storage = 2
        entry.why.runnerUp = DatasetPlan.Option(intervalSeconds: 3_600, backupTier: "standard", dataTier: "standard",
                                                monthlyDollars: .init(cost), exposedWrites: 0.1, restoreSeconds: 10)
        #expect(!Explanation.text(entry).contains("The runner-up costs"))
    }
}
