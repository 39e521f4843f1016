import ArgumentParser
import BackplanCore
import BackplanReports
import BackplanSimulator
import BackplanStore
import Foundation

/// `backplan frontier`: exposure against backups for each policy on a held-out window (DESIGN §5).
struct FrontierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontier",
        abstract: "Measure the policy frontier: mean exposure of a write and backups made, per policy, on held-out time.",
        discussion: """
            Splits the store's write log at t0 + split·(t1 − t0). Policies back up only what changed, and every dataset with unprotected writes gets a final backup at the last write t1. Exposure of a test write is the time to the first backup of its dataset at or after it.

              fixed-24h    backups every 24 h from the cut
              cron-daily   one backup a day at the time of day (30-minute grid)
                           best for the training window; its backup count is
                           the budget of the others
              online       learns each dataset's time to its next write
                           from the writes seen so far; backs up when waiting
                           costs more exposure than the backup it may save;
                           paced daily against cron-daily's count; at most
                           budget × 1.01 in practice. Where the log records
                           the owner's own sends (SNAP SRC, a message store
                           keyed by sender) they are decision points too, if
                           an inner split of the training window says they help
              oracle       knows the test writes: least exposure within the
                           budget (the lower bound)

            Example:
              backplan ingest CollegeMsg.txt --format snap-temporal --db stats.sqlite
              backplan frontier --db stats.sqlite --split 0.6
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }

    @Option(help: "Where the held-out window starts, as a fraction of the time span (0 < split < 1).")
    var split = 0.6

    @Flag(help: "Print {split, testWrites, datasets, budgetOps, policies: [{name, ops, exposureHours, exposureRatio…}], onlineVariant} as JSON.")
    var json = false

    func validate() throws {
        guard split > 0, split < 1 else { throw ValidationError("--split must be between 0 and 1 (exclusive), got \(split)") }
    }

    func run() throws {
        let report = try Frontier.report(store: StatsStore.open(path: db, create: false), split: split)
        if json {
            try Console.json(report)
            return
        }
        Console.out("Policy frontier of \(db): split \(split), \(Format.count(report.testWrites)) test writes in "
                    + "\(Format.count(report.datasets)) datasets, budget \(Format.count(report.budgetOps)) backups (cron-daily's)")
        Console.out(Format.table([["policy", "backups", "mean exposure"]] + report.policies.map {
            [$0.name, Format.count($0.ops), String(format: "%.2f h", $0.exposureHours)]
        }))
        if let online = report.policies.first(where: { $0.name == "online" }), let r = online.exposureRatio,
           let low = online.exposureRatioLow, let high = online.exposureRatioHigh {
            Console.out(String(format: "online / cron-daily exposure: %.3f× (95%% interval %.3f–%.3f, paired bootstrap over datasets)",
                               r, low, high))
        }
        let at = report.onlineVariant.usesSends ? "writes and the owner's own sends" : "writes"
        let curves = report.onlineShrinkage.map { String(format: "; each dataset's own time-of-day × weekday curves shrunk toward the pooled ones (κ = %g)", $0) } ?? ""
        Console.out("online decides at: \(at)\(curves) (variant \(report.onlineVariant.rawValue), chosen on an inner split of the training window)")
    }
}
