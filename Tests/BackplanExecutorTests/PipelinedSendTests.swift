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

/// A round's restic runs start before its exports are written and wait at their gates
/// (``Executor/startSending(_:items:now:work:)``, ``Gate``); these tests check the gate, and let restic list
/// the staging folder too early on purpose (``Sending/wait()`` opens every gate) to check that no snapshot
/// missing a file is recorded.
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

        /// The round's sending for both datasets (nothing started yet).
        func start() throws -> Sending {
            try executor.startSending(try executor.batches(of: items), items: items, now: 1_000, work: work)
        }

        /// Exports dataset `i` and puts it into `sending`'s folders.
        func exportAndAdd(_ i: Int, to sending: Sending) throws -> Executor.Exported {
            let e = try export(i)
            try sending.add(i, file: "\(work)/files/\(e.filename)")
            return e
        }

        /// Ends the round's sending with `exported`.
        func finish(_ sending: Sending, _ exported: [Int: Executor.Exported]) throws -> (actions: [Executor.Action], recorded: [StateStore.Backup]) {
            try executor.finishSending(sending, items: items, exported: exported, now: 1_000) { _ in }
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
        let sending = try f.start()
        let early = sending.wait()
        #expect(Executor.foundEmpty(early[0]), "restic finds the staging folder empty")
        var exported: [Int: Executor.Exported] = [:]
        for i in f.items.indices { exported[i] = try f.exportAndAdd(i, to: sending) }
        let (actions, recorded) = try f.finish(sending, exported)
        #expect(actions.map(\.kind) == ["backup", "backup"])
        #expect(recorded == (try f.executor.state.liveBackups()).values.flatMap { $0 }.sorted { $0.id < $1.id },
                "what the round hands its retention is what the state store holds")
        let snaps = try f.snapshots()
        #expect(snaps.count == 1 && snaps.first?.files == ["/a.sqlite", "/b.sqlite"])
        #expect(try f.executor.state.liveBackups().count == 2)
    }

    @Test("restic started before any export waits at its gate: the exports that come while it derives its key all get in")
    func waitsAtTheGate() throws {
        let f = try Fixture()
        let sending = try f.start()
        sending.startAll()
        #expect(sending.hasStarted(0))
        #expect(sending.isReleased(0) == false)
        let first = try f.exportAndAdd(0, to: sending)
        // Long enough for restic to open the repository, take its lock and wait in the gate (about 0.7 s): without
        // the gate it would list the folder now, with one file of two, and the batch would be made again.
        Thread.sleep(forTimeInterval: 2)
        #expect(sending.isReleased(0) == false, "one export of two is in")
        let second = try f.exportAndAdd(1, to: sending)
        #expect(sending.isReleased(0) == true, "the batch's last export opens its gate")
        let actions = try f.finish(sending, [0: first, 1: second]).actions
        #expect(actions.map(\.kind) == ["backup", "backup"], "no snapshot abandoned and made again")
        let snaps = try f.snapshots()
        #expect(snaps.count == 1 && snaps.first?.files == ["/a.sqlite", "/b.sqlite"])
    }

    @Test("A batch whose other dataset was unchanged opens its gate at its last export")
    func skippedOpensTheGate() throws {
        let f = try Fixture()
        let sending = try f.start()
        sending.startAll()
        let first = try f.exportAndAdd(0, to: sending)
        sending.skip(1)
        #expect(sending.isReleased(0) == true)
        let actions = try f.finish(sending, [0: first]).actions
        #expect(actions.filter { $0.kind == "backup" }.map(\.dataset) == ["a"])
    }

    @Test("A round that fails before its exports are done interrupts the restic waiting at its gate: no snapshot, no lock left")
    func stopped() throws {
        let f = try Fixture()
        let sending = try f.start()
        sending.startAll()
        _ = try f.exportAndAdd(0, to: sending)
        Thread.sleep(forTimeInterval: 1)   // restic in its key derivation or at the gate
        sending.stop()
        let outcomes = sending.wait()
        #expect(outcomes.allSatisfy { if case .failure = $0 { true } else { false } })
        #expect(try f.snapshots().isEmpty)
        let locks = try FileManager.default.contentsOfDirectory(atPath: f.repo + "/locks")
        #expect(locks.isEmpty, "restic removed its lock on SIGINT")
    }

    @Test("A round that fails before starting restic starts none")
    func stoppedBeforeStart() throws {
        let f = try Fixture()
        let sending = try f.start()
        sending.stop()
        #expect(sending.hasStarted(0))
        #expect(sending.wait().allSatisfy { if case .failure = $0 { true } else { false } })
        #expect(try f.snapshots().isEmpty)
    }

    @Test("restic read one export of two: that snapshot is forgotten (abandon) and the batch made again with both")
    func missedFile() throws {
        let f = try Fixture()
        let sending = try f.start()
        var exported: [Int: Executor.Exported] = [0: try f.exportAndAdd(0, to: sending)]
        _ = sending.wait()   // restic is done: it saw only the first
        exported[1] = try f.exportAndAdd(1, to: sending)
        let actions = try f.finish(sending, exported).actions
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
        let sending = try f.start()
        let actions = try f.finish(sending, [0: try f.exportAndAdd(0, to: sending)]).actions
        #expect(actions.filter { $0.kind == "backup" }.map(\.dataset) == ["a"])
        let snaps = try f.snapshots()
        #expect(snaps.count == 1 && snaps.first?.files == ["/a.sqlite"])
        #expect(snaps.first.map { $0.tags.contains(DatasetName.tag("a")) && !$0.tags.contains(DatasetName.tag("b")) } == true)
    }
}
