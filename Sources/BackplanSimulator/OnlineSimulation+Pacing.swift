import Foundation

/// The pacing of the online policy (DESIGN §5): cron-daily's recent backup count and the daily re-solve of λ
/// by replaying the last window of writes.
extension OnlineSimulation {
    /// Backups cron-daily made for the recent writes: distinct (dataset, slot) pairs.
    mutating func cronCount() -> Int {
        var count = 0
        touched.removeAll(keepingCapacity: true)
        for r in recentHead..<recentTime.count where !recentIsSend[r] {
            let d = recentDataset[r]
            let slot = cronSlot(recentTime[r])
            if scratchSlot[d].isNaN { touched.append(d) }
            if scratchSlot[d] != slot { scratchSlot[d] = slot; count += 1 }
        }
        for d in touched { scratchSlot[d] = .nan }
        return count
    }

    /// Backups the policy would make on the recent writes (and sends) at price `lambda`, each dataset on its
    /// own and a dataset still pending at the end counted once.
    mutating func replay(lambda: Double) -> Int {
        taus.reset(lambda: lambda)
        if parameters.useSends { sendTaus.reset(lambda: lambda) }
        var ops = 0
        touched.removeAll(keepingCapacity: true)
        for r in recentHead..<recentTime.count {
            let d = recentDataset[r]
            let t = Double(recentTime[r])
            if recentIsSend[r] {
                // A send re-decides a pending dataset's deadline, as in the run itself.
                guard scratchCount[d] > 0 else { continue }
                if t >= scratchDeadline[d] {
                    ops += 1
                    scratchCount[d] = 0
                } else {
                    scratchDeadline[d] = t + sendTaus.tau(sendModel, cell: recentCell[r], pending: scratchCount[d])
                }
                continue
            }
            if !scratchSeen[d] { scratchSeen[d] = true; touched.append(d) }
            if scratchCount[d] > 0, t > scratchDeadline[d] { ops += 1; scratchCount[d] = 0 }
            scratchCount[d] += 1
            scratchDeadline[d] = t + writeTau(dataset: d, at: recentTime[r], cell: recentCell[r], pending: scratchCount[d],
                                              lambda: lambda)
        }
        for d in touched {
            if scratchCount[d] > 0 { ops += 1 }
            scratchCount[d] = 0
            scratchSeen[d] = false
        }
        return ops
    }

    /// The smallest λ in [low, high] (geometric bisection to a ratio below 1.02) whose replay of the
    /// recent writes makes at most `target` backups; `high` when none does.
    mutating func solveLambda(target: Double) -> Double {
        var lo = parameters.lambdaLow, hi = parameters.lambdaHigh
        if Double(replay(lambda: lo)) <= target { return lo }
        for _ in 0..<30 {
            let mid = (lo * hi).squareRoot()
            if Double(replay(lambda: mid)) <= target { hi = mid } else { lo = mid }
            if hi / lo < 1.02 { break }
        }
        return hi
    }
}
