import BackplanCore
import BackplanPlan
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanExecutor

/// restic on PATH (`make test` installs Debian's).
private let restic: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { "\($0)/restic" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// A round's restic runs start before its exports are written (``Executor/startSending(_:items:now:work:)``);
/// these tests let restic list the staging folder too early on purpose and check that no snapshot missing a
/// file is recorded.
@Suite("Snapshots started before the exports are done", .serialized, .enabled(if: restic != nil, "restic is not on PATH"))
struct PipelinedSendTests {
    /// An executor over one local restic repository and two datasets of one store (one batch), with its work folder.
    struct Fixture {
        let dir = TempDir()
        let executor: Executor
        let items: [Executor.Due]
        var work: String { dir.file("work") }
        var repo: String { dir.file("repo") }

        init() throws {
            dir.write("pw", "pipelined\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("pw"))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try #require(restic))
            p.arguments = ["--no-cache", "-q", "init", "-r", dir.file("repo"), "--password-file", dir.file("pw")]
            try p.run()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0)
            dir.write("targets.yaml", "repositories:\n  - {region: r1, tier: standard, repository: repo, passwordFile: pw}\nlocations:\n  default: {store: chat.sqlite}\n")
            let targets = try Targets.load(dir.file("targets.yaml"))
            let datasets = ["a", "b"].map { id in
                DatasetPlan(id: id, class: "private", location: id,
                            schedule: .init(intervalSeconds: 3_600, timeOfDaySeconds: nil, quietSeconds: nil, maxDirtyWrites: nil,
                                            rpoSeconds: 14_400, fullEverySeconds: nil),
                            backupTier: "standard", dataTier: "standard", copies: [.init(tier: "standard", region: "r1", offline: false)],
                            retention: .rule(minimumSeconds: 86_400, maximumSeconds: 30 * 86_400, erase: false), encrypt: true, why: .notRead)
            }
            let digest = Plan.Digest(path: "x", sha256: String(repeating: "0", count: 64))
            let plan = Plan(schemaVersion: Plan.currentSchemaVersion, generatedAt: 0,
                            inputs: .init(statsStore: digest, model: digest, policy: digest, prices: digest),
                            totals: .init(datasets: 2, monthlyDollars: .init(CostBreakdown()), expectedExposedWrites: 0, backupsPerDay: 48,
                                          backupBytesPerDay: 0, datasetsPerBackupTier: [:], datasetsPerDataTier: [:]),
                            limits: [], infeasible: [], datasets: datasets)
            executor = Executor(plan: plan, targets: targets, state: try StateStore(path: dir.file("state.sqlite")))
            items = datasets.map { Executor.Due(plan: $0, store: "chat.sqlite", key: .conversation($0.id), shard: "s", last: nil) }
            try FileManager.default.createDirectory(atPath: dir.file("work/files"), withIntermediateDirectories: true)
        }

        /// Writes dataset `i`'s export and returns it as the round records it.
        func export(_ i: Int) throws -> Executor.Exported {
            let name = DatasetName.fileName(items[i].plan.id)
            let text = String(repeating: "rows of \(items[i].plan.id)\n", count: 100 + i)
            dir.write("work/files/\(name)", text)
            return .init(due: items[i], filename: name, manifest: .init(rows: 1, digest: "d", maxMessageId: nil, bytes: Int64(text.utf8.count)))
        }

        /// restic's snapshots of the repository: (id, tags, files in it, from `restic ls --json`).
        func snapshots() throws -> [(id: String, tags: [String], files: [String])] {
            let repo = try executor.targets.repository(region: "r1", tier: "standard")
            return try Restic().snapshots(repo, taggedAll: ["backplan"]).map { s in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: try #require(restic))
                p.arguments = ["--no-cache", "ls", "--json", s.id, "-r", repo.repository, "--password-file", dir.file("pw")]
                let out = Pipe()
                p.standardOutput = out
                try p.run()
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                let nodes = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                return (s.id, s.tags, nodes.filter { $0["type"] as? String == "file" }.compactMap { $0["path"] as? String }.sorted())
            }
        }
    }

    @Test("restic listed the folder before any export was there: the batch is made again, and recorded with every file")
    func emptyFolder() throws {
        let f = try Fixture()
        let sending = try f.executor.startSending(try f.executor.batches(of: f.items), items: f.items, now: 1_000, work: f.work)
        let early = sending.wait()
        #expect(Executor.foundEmpty(early[0]), "restic finds the staging folder empty")
        var exported: [Int: Executor.Exported] = [:]
        for i in f.items.indices {
            exported[i] = try f.export(i)
            try sending.add(i, file: "\(f.work)/files/\(exported[i]!.filename)")
        }
        let (actions, recorded) = try f.executor.finishSending(sending, items: f.items, exported: exported, now: 1_000) { _ in }
        #expect(actions.map(\.kind) == ["backup", "backup"])
        #expect(recorded == (try f.executor.state.liveBackups()).values.flatMap { $0 }.sorted { $0.id < $1.id },
                "what the round hands its retention is what the state store holds")
        let snaps = try f.snapshots()
        #expect(snaps.count == 1 && snaps.first?.files == ["/a.sqlite", "/b.sqlite"])
        #expect(try f.executor.state.liveBackups().count == 2)
    }

    @Test("A batch's restic starts once its exports still to come should take less than the lead, or when waited for")
    func startsNearTheEnd() throws {
        let f = try Fixture()
        let sending = try f.executor.startSending(try f.executor.batches(of: f.items), items: f.items, now: 1_000, work: f.work)
        sending.startDue(secondsPerExport: Sending.lead)   // two exports to come: 2 × lead
        #expect(!sending.hasStarted(0))
        let first = try f.export(0)
        try sending.add(0, file: "\(f.work)/files/\(first.filename)")
        sending.startDue(secondsPerExport: Sending.lead)   // one to come: not less than the lead
        #expect(!sending.hasStarted(0))
        sending.skip(1)                                     // the other was unchanged: nothing to come
        sending.startDue(secondsPerExport: Sending.lead)
        #expect(sending.hasStarted(0))
        let actions = try f.executor.finishSending(sending, items: f.items, exported: [0: first], now: 1_000) { _ in }.actions
        #expect(actions.filter { $0.kind == "backup" }.map(\.dataset) == ["a"])
    }

    @Test("restic read one export of two: that snapshot is forgotten (abandon) and the batch made again with both")
    func missedFile() throws {
        let f = try Fixture()
        let sending = try f.executor.startSending(try f.executor.batches(of: f.items), items: f.items, now: 1_000, work: f.work)
        var exported: [Int: Executor.Exported] = [0: try f.export(0)]
        try sending.add(0, file: "\(f.work)/files/\(exported[0]!.filename)")
        _ = sending.wait()   // restic is done: it saw only the first
        exported[1] = try f.export(1)
        try sending.add(1, file: "\(f.work)/files/\(exported[1]!.filename)")
        let actions = try f.executor.finishSending(sending, items: f.items, exported: exported, now: 1_000) { _ in }.actions
        #expect(actions.map(\.kind) == ["abandon", "backup", "backup"])
        let snaps = try f.snapshots()
        #expect(snaps.count == 1, "the incomplete snapshot is forgotten")
        #expect(snaps.first?.files == ["/a.sqlite", "/b.sqlite"])
        let recorded = try f.executor.state.liveBackups()
        let ids = recorded.values.flatMap { $0.flatMap(\.copies).map(\.snapshot) }
        #expect(ids.count == 2 && ids.allSatisfy { id in snaps.first.map { $0.id.hasPrefix(id) } == true }, "both recorded in the snapshot made again")
    }

    @Test("A dataset found unchanged at export is not in the batch's snapshot, nor in its tags")
    func unchangedAtExport() throws {
        let f = try Fixture()
        let sending = try f.executor.startSending(try f.executor.batches(of: f.items), items: f.items, now: 1_000, work: f.work)
        let exported: [Int: Executor.Exported] = [0: try f.export(0)]
        try sending.add(0, file: "\(f.work)/files/\(exported[0]!.filename)")
        let actions = try f.executor.finishSending(sending, items: f.items, exported: exported, now: 1_000) { _ in }.actions
        #expect(actions.filter { $0.kind == "backup" }.map(\.dataset) == ["a"])
        let snaps = try f.snapshots()
        #expect(snaps.count == 1 && snaps.first?.files == ["/a.sqlite"])
        #expect(snaps.first.map { $0.tags.contains(DatasetName.tag("a")) && !$0.tags.contains(DatasetName.tag("b")) } == true)
    }
}
