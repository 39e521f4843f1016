import BackplanCore
import Foundation

/// A plan schedule as cron can say it (UTC): the plan's interval rounded to the nearest interval cron repeats
/// evenly (nearest by ratio), never longer than the class's RPO, so the class bound still holds.
///
/// Cron repeats evenly every 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes (`*/m` divides the hour), every
/// 1, 2, 3, 4, 6, 8 or 12 hours (`*/h` divides the day), daily and weekly. Anything else (90 minutes, 2 days:
/// `*/2` in the day-of-month field restarts every month) is rounded to one of these, and the rounding is said
/// in ``rounding``. A time of day is rounded up to the whole minute, so cron never fires before the slot the
/// executor counts from. Intervals under a minute round up to a minute (cron's finest).
///
/// Firings fall on `offsetSeconds + k · intervalSeconds` after the Unix epoch (midnight UTC, a Thursday), the
/// same slots the executor's schedule uses, so `backplan execute --once` run by this cron finds the backup due.
///
/// ```swift
/// let c = CronSchedule(intervalSeconds: 5_400, timeOfDaySeconds: nil, rpoSeconds: 3_600 * 4)
/// c.expression          // "0 */2 * * *"
/// c.intervalSeconds     // 7200 (2 h is nearer 90 min than 1 h is, by ratio)
/// c.rounding            // "every 90m rounded up to every 2h (cron repeats evenly only at divisors of an hour or a day)"
/// CronSchedule(intervalSeconds: 86_400, timeOfDaySeconds: 8_130).expression   // "16 2 * * *" (02:15:30 → 02:16)
/// ```
public struct CronSchedule: Sendable, Hashable {
    /// Five cron fields (minute hour day-of-month month day-of-week), UTC.
    public var expression: String
    /// The interval cron fires at, seconds (≤ the plan's unless under a minute).
    public var intervalSeconds: Int64
    /// Firings are at `offsetSeconds + k · intervalSeconds` Unix seconds (0 ≤ offset < interval).
    public var offsetSeconds: Int64
    /// The plan's interval and time of day this was made from.
    public var plannedIntervalSeconds: Int64
    public var plannedTimeOfDaySeconds: Int64?
    /// What was rounded and why, in words; `nil` when cron says the plan's schedule exactly.
    public var rounding: String?

    /// Intervals cron repeats evenly, seconds, ascending.
    public static let expressibleSeconds: [Int64] =
        [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30].map { Int64($0) * 60 } + [1, 2, 3, 4, 6, 8, 12].map { Int64($0) * 3_600 }
        + [86_400, 7 * 86_400]

    /// - Parameter rpoSeconds: the longest interval allowed (the class's RPO, or the plan's interval when that
    ///   is longer); `nil`: the plan's interval, so the schedule only ever rounds down.
    public init(intervalSeconds planned: Int64, timeOfDaySeconds: Int64?, rpoSeconds: Int64? = nil) {
        plannedIntervalSeconds = planned
        plannedTimeOfDaySeconds = timeOfDaySeconds
        // A plan keeps its interval within the RPO; should one not, its own interval is the bound.
        let ceiling = Swift.max(rpoSeconds ?? planned, planned, 60)
        func distance(_ c: Int64) -> Double { abs(log(Double(c) / Double(Swift.max(planned, 1)))) }
        let interval = Self.expressibleSeconds.filter { $0 <= ceiling }.min { distance($0) < distance($1) } ?? 60
        intervalSeconds = interval
        var notes: [String] = []
        if interval != planned {
            let why = planned < 60 ? "cron fires at most once a minute, so this is LESS often than planned"
                : planned > 7 * 86_400 ? "cron repeats evenly at most weekly"
                : planned > 86_400 ? "cron's day-of-month steps restart every month"
                : "cron repeats evenly only at divisors of an hour or a day"
            notes.append("every \(DurationText.format(planned)) \(interval < planned ? "rounded down" : "rounded up") to every \(DurationText.format(interval)) (\(why))")
        }
        let day: Int64 = 86_400
        if interval >= day {
            let tod = ((timeOfDaySeconds ?? 0) % day + day) % day
            let minuteUp = (tod + 59) / 60 * 60
            if minuteUp != tod { notes.append("time of day \(Self.clock(tod, seconds: true)) rounded up to \(Self.clock(minuteUp % day, seconds: false)) UTC") }
            let minute = minuteUp % day
            // The epoch's day (1970-01-01) was a Thursday, cron's day 4.
            let weekday = (4 + minuteUp / day) % 7
            offsetSeconds = interval == day ? minute : minuteUp
            expression = "\(minute / 60 % 60) \(minute / 3_600) * * " + (interval == day ? "*" : "\(weekday)")
        } else {
            offsetSeconds = 0
            if interval < 3_600 {
                let m = interval / 60
                expression = m == 1 ? "* * * * *" : "*/\(m) * * * *"
            } else {
                let h = interval / 3_600
                expression = h == 1 ? "0 * * * *" : "0 */\(h) * * *"
            }
        }
        rounding = notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    /// The same firings in AWS's six-field form, `cron(minute hour day-of-month month day-of-week year)`
    /// (one of the day fields must be `?`; steps are written `0/n`), as AWS Backup's `ScheduleExpression`
    /// takes it (docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html).
    public var awsExpression: String {
        let f = expression.split(separator: " ").map { $0.replacingOccurrences(of: "*/", with: "0/") }
        let weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        let dow = f[4] == "*" ? "*" : weekdays[Int(f[4]) ?? 0]
        return "cron(\(f[0]) \(f[1]) ? * \(dow) *)"
    }

    /// A short name for the schedule, usable in Kubernetes object names: `every-15m`, `every-2h`,
    /// `daily-0216`, `weekly-thu-0216`.
    public var name: String {
        let day: Int64 = 86_400
        if intervalSeconds < day { return "every-" + DurationText.format(intervalSeconds) }
        let hhmm = Self.clock(offsetSeconds % day, seconds: false).replacingOccurrences(of: ":", with: "")
        if intervalSeconds == day { return "daily-" + hhmm }
        let weekday = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][Int((4 + offsetSeconds / day) % 7)]
        return "weekly-\(weekday)-" + hhmm
    }

    /// `HH:MM` or `HH:MM:SS` of a second of the day.
    static func clock(_ s: Int64, seconds: Bool) -> String {
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(s / 3_600)):\(two(s / 60 % 60))" + (seconds ? ":\(two(s % 60))" : "")
    }
}
