import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlan

/// restic on PATH (Debian: `apt-get install restic`; `make test` installs it).
let resticExecutable: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { "\($0)/restic" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// A local restic repository in a temporary folder, driven by restic's own environment variables.
struct ResticRepository {
    let dir = TempDir()
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RESTIC_REPOSITORY"] = dir.file("repo")
        env["RESTIC_PASSWORD_FILE"] = dir.file("pw")
        env["RESTIC_CACHE_DIR"] = dir.file("cache")
        env["TZ"] = "UTC"
        return env
    }

    init() throws {
        dir.write("pw", "correct horse battery staple\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("pw"))
        let r = try run(["init"])
        try #require(r.status == 0, "\(r.err)")
    }

    func start(_ executable: String, _ args: [String], stdin: Data? = nil) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let input = Pipe()
            p.standardInput = input
            try p.run()
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        return (p, out, err)
    }

    static func finish(_ started: (Process, Pipe, Pipe)) -> (status: Int32, out: String, err: String) {
        let o = started.1.fileHandleForReading.readDataToEndOfFile()
        let e = started.2.fileHandleForReading.readDataToEndOfFile()
        started.0.waitUntilExit()
        return (started.0.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        Self.finish(try start(try #require(resticExecutable), args))
    }

    /// (time, tags) of every snapshot.
    func snapshots() throws -> [(time: Int64, tags: [String])] {
        let r = try run(["snapshots", "--json"])
        try #require(r.status == 0, "\(r.err)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let g = ISO8601DateFormatter()
        return try list.map { s in
            let text = try #require(s["time"] as? String)
            let date = try #require(f.date(from: text) ?? g.date(from: text))
            return (Int64(date.timeIntervalSince1970.rounded()), s["tags"] as? [String] ?? [])
        }
    }
}

@Suite("plan.restic.txt run by /bin/sh on a real restic repository", .serialized,
       .enabled(if: resticExecutable != nil, "restic is not on PATH (make test installs it)"))
struct ResticRepositoryTests {
    @Test("A year of snapshots from two hosts: each dataset keeps its span back from its newest, other datasets untouched")
    func yearOfSnapshots() throws {
        let day: Int64 = 86_400
        let repo = try ResticRepository()
        let version = try repo.run(["version"])
        #expect(version.out.hasPrefix("restic \(Plan.resticCheckedVersion) "), "the header names the restic it was checked with: \(version.out)")
        // Spans covering each keep step: daily, weekly, monthly, and monthly reaching past half a year.
        let spans: [(id: String, span: Int64)] = [("it's a \"q\" $HOME `id`\nline", 5 * day), ("weekly one", 35 * day),
                                                  ("quarter,tag", 90 * day), ("half-year", 200 * day)]
        let interval = 6 * day + 6 * 3_600
        var plan = ResticScriptTests.plan(ids: spans.map(\.id), interval: interval)
        for (i, s) in spans.enumerated() {
            plan.datasets[i].retention = .rule(minimumSeconds: s.span, maximumSeconds: 3 * 365 * day, erase: false)
        }
        // Every 6 days (jittered up to 6 h earlier) for a year up to a fixed past day, alternating two hosts;
        // a fifth dataset outside the plan, and a snapshot without the dataset tag.
        let end: Int64 = 1_748_779_200   // 2025-06-01T12:00:00Z
        var rng = Xoshiro256StarStar(seed: 3)
        var jobs: [(tag: String, time: Int64, host: String)] = []
        for tag in spans.map({ DatasetName.tag($0.id) }) + [DatasetName.tag("outside the plan")] {
            var t = end
            var k = 0
            while t >= end - 366 * day {
                jobs.append((tag, t, k % 2 == 0 ? "host-a" : "host-b"))
                t -= 6 * day - Int64.random(in: 0...(6 * 3_600), using: &rng)
                k += 1
            }
        }
        jobs.append(("untagged", end - 100 * day, "host-a"))
        // A small restic backup takes about a second here but only ~0.05 s of CPU, so sixteen run at a time.
        let restic = try #require(resticExecutable)
        for batch in stride(from: 0, to: jobs.count, by: 16) {
            let started = try jobs[batch..<min(batch + 16, jobs.count)].map { job in
                let time = ResticScriptTests.restic(time: job.time)
                var args = ["backup", "--no-cache", "-q", "--stdin", "--stdin-filename", "d.sqlite", "--host", job.host, "--time", time]
                if job.tag != "untagged" { args += ["--tag", "backplan", "--tag", job.tag] }
                return try repo.start(restic, args, stdin: Data("\(job.tag) \(job.time)".utf8))
            }
            for s in started {
                let r = ResticRepository.finish(s)
                try #require(r.status == 0, "\(r.err)")
            }
        }
        let before = try repo.snapshots()
        #expect(before.count == jobs.count)

        repo.dir.write("plan.restic.txt", plan.resticScript())
        let sh = ResticRepository.finish(try repo.start("/bin/sh", [repo.dir.file("plan.restic.txt")]))
        try #require(sh.status == 0, "\(sh.err)")

        let after = try repo.snapshots()
        for (i, s) in spans.enumerated() {
            let tag = DatasetName.tag(s.id)
            let had = before.filter { $0.tags.contains(tag) }.map(\.time)
            let kept = after.filter { $0.tags.contains(tag) }.map(\.time)
            let newest = try #require(had.max())
            #expect(kept.contains(newest), "\(s.id): the newest is kept")
            let span = plan.datasets[i].retention.spanSeconds
            #expect(span >= s.span)
            #expect((kept.min() ?? .max) <= newest - span, "\(s.id): oldest kept \((newest - (kept.min() ?? newest)) / day)d back, span \(span / day)d")
            #expect(kept.count < had.count, "\(s.id): retention forgot some (\(kept.count) of \(had.count))")
            let window = plan.datasets[i].retention.resticWindowSeconds(intervalSeconds: interval)
            #expect(kept.allSatisfy { newest - $0 < window }, "\(s.id): nothing older than the window")
            #expect(Set(kept).isSubset(of: Set(had)))
        }
        let outside = DatasetName.tag("outside the plan")
        #expect(after.filter { $0.tags.contains(outside) }.count == before.filter { $0.tags.contains(outside) }.count)
        #expect(after.contains { $0.tags.isEmpty }, "a snapshot without the tag is untouched")
        let check = try repo.run(["check"])
        #expect(check.status == 0, "\(check.err)")
    }
}

extension ResticScriptTests {
    /// `YYYY-MM-DD HH:MM:SS` (UTC; the repository's environment sets TZ=UTC) for `restic backup --time`.
    static func restic(time t: Int64) -> String {
        Plan.isoDate(t).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
    }
}
