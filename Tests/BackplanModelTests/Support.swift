import BackplanCore
import BackplanLinAlg
import BackplanStore
import BackplanTestSupport
import Foundation

/// A stats store in `dir` holding the snap-temporal `lines` (`SRC DST UNIXTS`).
func store(_ lines: [String], in dir: TempDir, name: String = "stats.sqlite") throws -> StatsStore {
    let file = dir.write(name + ".txt", lines.joined(separator: "\n") + "\n")
    let store = try StatsStore.open(path: dir.file(name), create: true)
    _ = try Ingestor(store: store, options: IngestOptions(format: .snapTemporal)).ingest(path: file)
    return store
}

/// Simulated mailbox traffic: each mailbox writes as a Poisson process whose daily rate drifts slowly
/// (a random walk on log rate, one step a day), so the recent past predicts the near future.
func simulatedMailboxLines(seed: UInt64, mailboxes: Int = 60, days: Int = 120, start: Int64 = 1_000_000_000) -> [String] {
    var rng = Xoshiro256StarStar(seed: seed)
    var lines: [(Int64, String)] = []
    for m in 0..<mailboxes {
        var logRate = rng.nextNormal(mean: -0.5, standardDeviation: 1.2)
        let born = rng.nextIndex(below: days / 3)
        for day in born..<days {
            logRate += rng.nextNormal(mean: 0, standardDeviation: 0.25)
            let n = rng.nextPoisson(mean: exp(logRate))
            for _ in 0..<n {
                // Activity concentrated in the mailbox's own busy hours.
                let hour = (m * 5 + rng.nextIndex(below: 8)) % 24
                let t = start + Int64(day) * 86_400 + Int64(hour) * 3_600 + Int64(rng.nextIndex(below: 3_600))
                lines.append((t, "\(m + 1000) \(m) \(t)"))
            }
        }
    }
    return lines.sorted { $0.0 < $1.0 }.map(\.1)
}

/// A design matrix `[1, x…]` from raw rows (no standardisation).
func designWithIntercept(_ rows: [[Double]]) throws -> Matrix {
    try Matrix(rowArrays: rows.map { [1] + $0 })
}
