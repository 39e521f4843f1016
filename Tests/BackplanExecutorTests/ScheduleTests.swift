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
}
