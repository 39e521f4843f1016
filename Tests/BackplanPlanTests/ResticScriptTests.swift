import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlan

/// restic 0.14's `forget` for `--keep-within-{daily,weekly,monthly,yearly}`, as `ApplyPolicy` in
/// `internal/restic/snapshot_policy.go` does it (UTC calendar): newest first, the newest snapshot of each
/// bucket among those newer than `latest − duration` is kept.
enum ResticPolicyModel {
    static let utc: Calendar = {
        var c = Calendar(identifier: .iso8601)
        c.timeZone = TimeZone(identifier: "UTC") ?? .current
        return c
    }()

    static func bucket(_ option: String, _ t: Int64) -> Int {
        let date = Date(timeIntervalSince1970: TimeInterval(t))
        let c = utc.dateComponents([.year, .month, .day, .yearForWeekOfYear, .weekOfYear], from: date)
        switch option {
        case "--keep-within-daily": return (c.year ?? 0) * 10_000 + (c.month ?? 0) * 100 + (c.day ?? 0)
        case "--keep-within-weekly": return (c.yearForWeekOfYear ?? 0) * 100 + (c.weekOfYear ?? 0)
        case "--keep-within-monthly": return (c.year ?? 0) * 100 + (c.month ?? 0)
        default: return c.year ?? 0
        }
    }

    /// The times kept of `times` under `options` (pairs of option and `<n>d`).
    static func kept(_ times: [Int64], options: [String]) -> [Int64] {
        let list = times.sorted(by: >)
        guard let latest = list.first else { return [] }
        var last: [String: Int] = [:]
        var keep: [Int64] = []
        for t in list {
            var k = false
            for i in stride(from: 0, to: options.count, by: 2) {
                let days = Int64(options[i + 1].dropLast()) ?? 0
                guard t > latest - days * 86_400 else { continue }
                let b = bucket(options[i], t)
                if last[options[i]] != b {
                    last[options[i]] = b
                    k = true
                }
            }
            if k { keep.append(t) }
        }
        return keep
    }
}

@Suite("plan.restic.txt: one forget per dataset by tag, keep options that cover the span, one prune")
struct ResticScriptTests {
    static let hostileIDs = ["it's", "two words", "$HOME", "`id`", "new\nline", "a,b", "\"q\"", "#hash", "-dash", "",
                             "ünï", "a;b&&c|d>e"]

    static func plan(ids: [String], span: Int64 = 35 * 86_400, interval: Int64 = 3_600, erase: Bool = false) -> Plan {
        var p = samplePlan()
        let template = p.datasets[0]
        p.datasets = ids.map { id in
            var d = template
            d.id = id
            d.location = id
            d.schedule.intervalSeconds = interval
            d.retention = .rule(minimumSeconds: span, maximumSeconds: 3 * 365 * 86_400, erase: erase)
            return d
        }
        return p
    }

    @Test("Shell script shape: shebang, set -eu, comments only on their own lines, one forget per dataset, one prune last")
    func shape() {
        let plan = Self.plan(ids: Self.hostileIDs, erase: true)
        let script = plan.resticScript()
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "#!/bin/sh")
        #expect(lines.contains("set -eu"))
        let commands = lines.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for c in commands { #expect(!c.contains("#"), "no trailing comment: \(c)") }
        let forgets = commands.filter { $0.hasPrefix("restic forget ") }
        #expect(forgets.count == Self.hostileIDs.count)
        #expect(commands.filter { $0.hasPrefix("restic prune") }.count == 1 && commands.last == "restic prune")
        for f in forgets {
            #expect(f.contains(" --group-by tags ") && !f.contains("--prune") && !f.contains("--host") && !f.contains("--path"))
            #expect(!f.contains("--keep-daily") && !f.contains("--keep-weekly"), "count-based keeps fall short of spans")
        }
        #expect(script.contains("RESTIC_REPOSITORY") && script.contains("RESTIC_PASSWORD_FILE"))
        #expect(script.contains("restic \(Plan.resticCheckedVersion)") && script.contains("erasure"))
        #expect(script.contains("erase after 3y"))
        #expect(script.hasSuffix("\n"))
    }

    @Test("Hostile ids reach restic as exactly one tag argument each, escaped as the executor tags snapshots")
    func quoting() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        // A stand-in restic that records its arguments, one per line (escaped ids hold no newline).
        dir.write("bin/restic", "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> \"$LOG\"\nprintf '%s\\n' -- >> \"$LOG\"\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.file("bin/restic"))
        let plan = Self.plan(ids: Self.hostileIDs)
        dir.write("plan.restic.txt", plan.resticScript())
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [dir.file("plan.restic.txt")]
        p.environment = ["PATH": dir.file("bin") + ":/usr/bin:/bin", "LOG": dir.file("log"), "RESTIC_REPOSITORY": "/nowhere",
                         "RESTIC_PASSWORD_FILE": "/nowhere/pw", "HOME": dir.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let calls = String(decoding: try #require(dir.bytes("log")), as: UTF8.self).components(separatedBy: "--\n").dropLast()
            .map { $0.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
        #expect(calls.count == Self.hostileIDs.count + 1)
        let tags = calls.compactMap { c in c.count > 2 && c[1] == "--tag" ? c[2] : nil }
        #expect(Set(tags) == Set(Self.hostileIDs.map(DatasetName.tag)))
        for c in calls.dropLast() {
            #expect(Array(c.prefix(2)) == ["forget", "--tag"] && Array(c[3...4]) == ["--group-by", "tags"])
        }
        #expect(calls.last == ["prune"])
    }

    @Test("Without RESTIC_REPOSITORY the script stops before running restic")
    func needsEnvironment() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        dir.write("bin/restic", "#!/bin/sh\necho ran >> \"$LOG\"\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.file("bin/restic"))
        dir.write("s.sh", Self.plan(ids: ["a"]).resticScript())
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [dir.file("s.sh")]
        p.environment = ["PATH": dir.file("bin") + ":/usr/bin:/bin", "LOG": dir.file("log")]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus != 0 && dir.bytes("log") == nil)
    }

    @Test("Worked example: 35-day span, hourly backups")
    func example() {
        let r = DatasetPlan.Retention.rule(minimumSeconds: 35 * 86_400, maximumSeconds: 365 * 86_400, erase: false)
        #expect(r.resticKeepOptions(intervalSeconds: 3_600) == ["--keep-within-daily", "7d", "--keep-within-weekly", "45d"])
        let y = DatasetPlan.Retention.rule(minimumSeconds: 400 * 86_400, maximumSeconds: 7 * 31_536_000, erase: false)
        #expect(y.resticKeepOptions(intervalSeconds: 86_400).suffix(2) == ["--keep-within-yearly", "\(730 + 367 + 1 + 1)d"])
    }

    @Test("Over seeded histories restic's rule (modelled) keeps a snapshot at least the span before the newest")
    func coverageProperty() {
        var rng = Xoshiro256StarStar(seed: 12)
        let day: Int64 = 86_400
        for _ in 0..<300 {
            let intervals: [Int64] = [900, 3_600, 6 * 3_600, day, 3 * day, 7 * day]
            let interval = intervals[Int.random(in: 0..<intervals.count, using: &rng)]
            // Short intervals with short spans only, so a history stays a few thousand snapshots.
            let longestSpan: Int64 = interval < 3_600 ? 20 : interval < day ? 60 : 500
            let spanDays = Int64.random(in: 1...longestSpan, using: &rng)
            let r = DatasetPlan.Retention.rule(minimumSeconds: spanDays * day, maximumSeconds: 3 * 365 * day, erase: false)
            // Backups at most `interval` apart (jittered earlier, never later), reaching well past the window.
            let end: Int64 = 1_750_000_000 + Int64.random(in: 0..<(7 * day), using: &rng)
            var times: [Int64] = []
            var t = end
            let window = r.resticWindowSeconds(intervalSeconds: interval)
            let start: Int64 = end - window - 3 * interval - 40 * day
            while t > start {
                times.append(t)
                let jitter = Int64.random(in: 0...(interval / 3), using: &rng)
                t -= interval - jitter
            }
            let options = r.resticKeepOptions(intervalSeconds: interval)
            let kept = ResticPolicyModel.kept(times, options: options)
            let oldest = kept.min() ?? .max
            #expect(oldest <= end - r.spanSeconds, "span \(r.spanSeconds / day)d interval \(interval)s options \(options)")
            #expect(kept.contains(end), "the newest is kept")
            #expect(kept.count < times.count || times.count < 20, "thinning keeps fewer than all")
        }
    }
}
