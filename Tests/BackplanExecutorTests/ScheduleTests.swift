import BackplanCore
import BackplanExecutor
import BackplanPlan
import Testing

@Suite("When a backup is due")
struct ScheduleTests {
    static func schedule(_ interval: Int64, at timeOfDay: Int64? = nil) -> DatasetPlan.Schedule {
        .init(intervalSeconds: interval, timeOfDaySeconds: timeOfDay, quietSeconds: nil, maxDirtyWrites: nil, rpoSeconds: interval,
              fullEverySeconds: nil)
    }

    @Test("Without a time of day the interval counts from the last backup")
    func interval() {
        let s = Self.schedule(3_600)
        #expect(s.isDue(lastBackup: nil, now: 0))
        #expect(!s.isDue(lastBackup: 1_000, now: 4_599))
        #expect(s.isDue(lastBackup: 1_000, now: 4_600))
        #expect(s.nextDue(after: 1_000) == 4_600)
    }

    @Test("With a time of day the backup falls due at the day's slot, once")
    func timeOfDay() {
        let s = Self.schedule(86_400, at: 7_200)   // daily at 02:00 UTC
        let day: Int64 = 20_000 * 86_400
        #expect(!s.isDue(lastBackup: day + 7_300, now: day + 86_000))        // already done today
        #expect(s.isDue(lastBackup: day + 7_300, now: day + 86_400 + 7_200))  // tomorrow's slot
        #expect(s.isDue(lastBackup: day + 3_600, now: day + 7_200))          // before today's slot
        #expect(s.nextDue(after: day + 7_300) == day + 86_400 + 7_200)
    }

    static func quiet(_ interval: Int64, quiet: Int64?, rpo: Int64, at timeOfDay: Int64? = nil) -> DatasetPlan.Schedule {
        .init(intervalSeconds: interval, timeOfDaySeconds: timeOfDay, quietSeconds: quiet, maxDirtyWrites: nil, rpoSeconds: rpo,
              fullEverySeconds: nil)
    }

    @Test("The quiet trigger holds a due backup while the dataset is written, until it is quiet or the deadline comes")
    func quietTrigger() {
        // Hourly, 30 min quiet, 4 h RPO; last backup at 0, so due at 3 600, deadline min(3 600 + 1 800, 14 400).
        let s = Self.quiet(3_600, quiet: 1_800, rpo: 14_400)
        #expect(s.quietDecision(lastBackup: 0, newestWrite: 3_500, now: 3_600) == .wait(until: 5_300, deadline: 5_400))
        #expect(s.quietDecision(lastBackup: 0, newestWrite: 3_500, now: 5_299) == .wait(until: 5_300, deadline: 5_400))
        #expect(s.quietDecision(lastBackup: 0, newestWrite: 3_500, now: 5_300) == .run, "quiet for 30 min")
        // Written again: the wait moves with the newest write, but the deadline holds.
        #expect(s.quietDecision(lastBackup: 0, newestWrite: 5_000, now: 5_300) == .wait(until: 5_400, deadline: 5_400))
        #expect(s.quietDecision(lastBackup: 0, newestWrite: 5_390, now: 5_400) == .run, "the deadline")
        // Quiet already, no messages at all, no earlier backup, no trigger: at once.
        #expect(s.quietDecision(lastBackup: 0, newestWrite: 1_000, now: 3_600) == .run)
        #expect(s.quietDecision(lastBackup: 0, newestWrite: nil, now: 3_600) == .run)
        #expect(s.quietDecision(lastBackup: nil, newestWrite: 3_590, now: 3_600) == .run)
        #expect(Self.quiet(3_600, quiet: nil, rpo: 14_400).quietDecision(lastBackup: 0, newestWrite: 3_590, now: 3_600) == .run)
    }

    @Test("The quiet trigger never waits past the RPO: with the interval at the RPO the timer decides")
    func quietKeepsRPO() {
        let tight = Self.quiet(14_400, quiet: 1_800, rpo: 14_400)
        #expect(tight.quietDecision(lastBackup: 0, newestWrite: 14_000, now: 14_400) == .run)
        let some = Self.quiet(13_086, quiet: 1_800, rpo: 14_400)   // 1 314 s of room
        #expect(some.quietDecision(lastBackup: 0, newestWrite: 13_000, now: 13_086) == .wait(until: 14_400, deadline: 14_400))
        #expect(some.quietDecision(lastBackup: 0, newestWrite: 13_000, now: 14_400) == .run)
        // Daily at 02:00 with a 2-day RPO: due at the slot, waits at most one quiet gap past it.
        let day: Int64 = 20_000 * 86_400
        let daily = Self.quiet(86_400, quiet: 1_800, rpo: 2 * 86_400, at: 7_200)
        #expect(daily.quietDecision(lastBackup: day + 7_200, newestWrite: day + 86_400 + 7_000, now: day + 86_400 + 7_200)
            == .wait(until: day + 86_400 + 8_800, deadline: day + 86_400 + 9_000))
    }

    @Test("Over a seeded stream of writes, waits never delay a backup past its deadline nor add backups")
    func quietProperty() {
        var rng = SplitMix64(seed: 42)
        func next(_ n: Int64) -> Int64 { Int64.random(in: 0..<n, using: &rng) }
        let days: Int64 = 10 * 86_400
        for _ in 0..<60 {
            let interval = 600 + next(20_000), quiet = 60 + next(3_600), rpo = interval + next(7_200)
            let s = Self.quiet(interval, quiet: quiet, rpo: rpo)
            var writes: [Int64] = []
            var t: Int64 = 0
            while t < days { t += 1 + next(2 * quiet); writes.append(t) }
            var last: Int64 = 0
            var now: Int64 = 0
            var backups = 0
            var seen = 0   // writes at or before now
            while now < days {
                now += 60
                while seen < writes.count && writes[seen] <= now { seen += 1 }
                guard s.isDue(lastBackup: last, now: now) else { continue }
                let newest = seen > 0 ? writes[seen - 1] : nil
                if case .wait(let until, let deadline) = s.quietDecision(lastBackup: last, newestWrite: newest, now: now) {
                    #expect(until <= deadline && deadline <= last + rpo && now < deadline)
                    continue
                }
                #expect(now - last >= interval, "never earlier than the timer")
                #expect(now - last <= max(rpo, interval) + 60, "never past the RPO (one 60 s tick of slack)")
                last = now
                backups += 1
            }
            #expect(backups <= days / interval)
        }
    }
}
