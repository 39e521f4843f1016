import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlan

/// The five-field cron forms ``CronSchedule`` writes (`*`, `*/n`, a number per field), evaluated minute by
/// minute in UTC: a reference to check the expressions against, independent of how they were made.
enum CronModel {
    static func matches(_ field: Substring, _ value: Int64) -> Bool {
        if field == "*" { return true }
        if field.hasPrefix("*/"), let n = Int64(field.dropFirst(2)) { return value % n == 0 }
        return Int64(field) == value
    }

    /// Unix seconds (whole minutes) in `[from, to)` at which `expression` fires.
    static func firings(_ expression: String, from: Int64, to: Int64) -> [Int64] {
        let f = expression.split(separator: " ")
        var out: [Int64] = []
        var t = (from + 59) / 60 * 60
        while t < to {
            let (_, month, dayOfMonth) = CivilTime.civil(fromDays: CivilTime.day(ofUnixSeconds: t))
            let weekday = ((t / 86_400) % 7 + 4) % 7
            if matches(f[0], t / 60 % 60) && matches(f[1], t / 3_600 % 24) && matches(f[2], dayOfMonth) && matches(f[3], month)
                && matches(f[4], weekday) {
                out.append(t)
            }
            t += 60
        }
        return out
    }
}

@Suite("Cron schedules: intervals rounded to what cron can say, never less often than planned, every rounding said")
struct CronScheduleTests {
    @Test("Worked examples")
    func examples() {
        let hourly = CronSchedule(intervalSeconds: 3_600, timeOfDaySeconds: nil)
        #expect(hourly.expression == "0 * * * *" && hourly.rounding == nil && hourly.name == "every-1h")
        #expect(hourly.awsExpression == "cron(0 * ? * * *)")
        let ninety = CronSchedule(intervalSeconds: 5_400, timeOfDaySeconds: nil)
        #expect(ninety.expression == "0 * * * *" && ninety.intervalSeconds == 3_600)
        #expect(ninety.rounding?.contains("rounded down to every 1h") == true)
        let quarter = CronSchedule(intervalSeconds: 900, timeOfDaySeconds: nil)
        #expect(quarter.expression == "*/15 * * * *" && quarter.awsExpression == "cron(0/15 * ? * * *)" && quarter.name == "every-15m")
        let sixHours = CronSchedule(intervalSeconds: 6 * 3_600, timeOfDaySeconds: nil)
        #expect(sixHours.expression == "0 */6 * * *" && sixHours.awsExpression == "cron(0 0/6 ? * * *)")
        let daily = CronSchedule(intervalSeconds: 86_400, timeOfDaySeconds: 8_130)
        #expect(daily.expression == "16 2 * * *" && daily.offsetSeconds == 8_160 && daily.name == "daily-0216")
        #expect(daily.rounding == "time of day 02:15:30 rounded up to 02:16 UTC")
        #expect(CronSchedule(intervalSeconds: 86_400, timeOfDaySeconds: 8_160).rounding == nil)
        let twoDays = CronSchedule(intervalSeconds: 2 * 86_400, timeOfDaySeconds: 0)
        #expect(twoDays.expression == "0 0 * * *" && twoDays.rounding?.contains("restart every month") == true)
        let weekly = CronSchedule(intervalSeconds: 7 * 86_400, timeOfDaySeconds: 3_600)
        #expect(weekly.expression == "0 1 * * 4" && weekly.awsExpression == "cron(0 1 ? * THU *)" && weekly.name == "weekly-thu-0100")
        let late = CronSchedule(intervalSeconds: 7 * 86_400, timeOfDaySeconds: 86_399)
        #expect(late.expression == "0 0 * * 5" && late.offsetSeconds == 86_400)
        let up = CronSchedule(intervalSeconds: 5_400, timeOfDaySeconds: nil, rpoSeconds: 14_400)
        #expect(up.expression == "0 */2 * * *" && up.rounding?.hasPrefix("every 90m rounded up to every 2h") == true)
        let almostDaily = CronSchedule(intervalSeconds: 85_415, timeOfDaySeconds: nil, rpoSeconds: 86_400)
        #expect(almostDaily.expression == "0 0 * * *" && almostDaily.name == "daily-0000")
        #expect(CronSchedule(intervalSeconds: 85_415, timeOfDaySeconds: nil, rpoSeconds: 86_000).intervalSeconds == 12 * 3_600)
        let tooFast = CronSchedule(intervalSeconds: 20, timeOfDaySeconds: nil)
        #expect(tooFast.intervalSeconds == 60 && tooFast.rounding?.contains("LESS often") == true)
    }

    @Test("Over seeded schedules: rounded down to an expressible interval, and the expression fires exactly on the slots")
    func property() {
        var rng = Xoshiro256StarStar(seed: 7)
        for _ in 0..<60 {
            let planned = Int64.random(in: 60...(21 * 86_400), using: &rng)
            let tod: Int64? = planned >= 86_400 ? Int64.random(in: 0..<86_400, using: &rng) : nil
            let rpo: Int64? = Bool.random(using: &rng) ? planned + Int64.random(in: 0...planned, using: &rng) : nil
            let c = CronSchedule(intervalSeconds: planned, timeOfDaySeconds: tod, rpoSeconds: rpo)
            let ceiling = max(rpo ?? planned, planned)
            #expect(c.intervalSeconds <= ceiling, "never past the RPO (without one, never less often than planned)")
            #expect(CronSchedule.expressibleSeconds.contains(c.intervalSeconds))
            func ratio(_ x: Int64) -> Double { abs(log(Double(x) / Double(planned))) }
            #expect(!CronSchedule.expressibleSeconds.contains { $0 <= ceiling && ratio($0) < ratio(c.intervalSeconds) }, "the nearest such interval")
            #expect((c.rounding == nil) == (c.intervalSeconds == planned && (tod ?? 0) % 60 == 0), "\(planned) \(String(describing: tod))")
            #expect(c.offsetSeconds >= 0 && c.offsetSeconds < c.intervalSeconds)
            if let tod, c.intervalSeconds >= 86_400 {
                let slot = c.offsetSeconds % 86_400
                #expect(slot >= tod || tod > 86_340, "never fires before the planned time of day")
                #expect((slot - tod + 86_400) % 86_400 < 60)
            }
            // Two weeks from a seeded start: cron's firings are exactly offset + k·interval.
            let from = 1_700_000_000 + Int64.random(in: 0..<(30 * 86_400), using: &rng) / 60 * 60
            let to = from + 15 * 86_400
            let fired = CronModel.firings(c.expression, from: from, to: to)
            var expected: [Int64] = []
            var t = c.offsetSeconds + (from - c.offsetSeconds + c.intervalSeconds - 1) / c.intervalSeconds * c.intervalSeconds
            while t < to {
                expected.append(t)
                t += c.intervalSeconds
            }
            #expect(fired == expected, "\(c.expression) every \(c.intervalSeconds)s offset \(c.offsetSeconds)")
        }
    }

    @Test("Schedule groups: one per cron schedule, roundings counted, a group cut out on its cron's slots")
    func groups() throws {
        var plan = ResticScriptTests.plan(ids: ["a", "b", "c", "d"])
        plan.datasets[1].schedule.intervalSeconds = 4_500
        plan.datasets[2].schedule.intervalSeconds = 86_400
        plan.datasets[2].schedule.timeOfDaySeconds = 8_130
        plan.datasets[3].schedule.intervalSeconds = 900
        let groups = plan.scheduleGroups()
        #expect(groups.map(\.name) == ["every-15m", "every-1h", "daily-0216"])
        #expect(groups[1].datasetIDs == ["a", "b"])
        #expect(groups[1].roundings == ["1 dataset: every 75m rounded down to every 1h (cron repeats evenly only at divisors of an hour or a day)"])
        #expect(plan.scheduleRoundings().count == 2)
        let hourly = try plan.restricted(toScheduleGroup: "every-1h", file: "p.json")
        #expect(hourly.datasets.map(\.id) == ["a", "b"])
        #expect(hourly.datasets.allSatisfy { $0.schedule.intervalSeconds == 3_600 && $0.schedule.timeOfDaySeconds == 0 })
        let daily = try plan.restricted(toScheduleGroup: "daily-0216", file: "p.json")
        #expect(daily.datasets.first?.schedule.timeOfDaySeconds == 8_160)
        #expect { try plan.restricted(toScheduleGroup: "nope", file: "p.json") } throws: {
            ($0 as? InputError)?.message == "no schedule group 'nope' in the plan (groups: every-15m, every-1h, daily-0216)"
        }
    }
}
