import BackplanCore
import BackplanExecutor
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing

/// The state store's side of shared snapshots: a round's backups recorded together, a forgotten snapshot
/// marking every member's copy, the whole history read at once, and the unfinished-round marks.
@Suite("State store: shared snapshots, rounds")
struct SharedSnapshotStateTests {
    static let m = MessageStoreExport.Manifest(rows: 3, digest: String(repeating: "b", count: 64), maxMessageId: 9, bytes: 100)

    static func copy(_ snapshot: String) -> StateStore.Copy {
        .init(region: "region-1", tier: "standard", repository: "/r", snapshot: snapshot, forgottenAt: nil)
    }

    @Test("A round's backups share a snapshot; forgetting it marks every member's copy, with one audit entry per dataset")
    func sharedForget() throws {
        let dir = TempDir()
        let s = try StateStore(path: dir.file("state.sqlite"))
        let ids = try s.recordBackups(["a", "b", "c"].map {
            .init(dataset: $0, time: 100, filename: "\($0).sqlite", manifest: Self.m, copies: [Self.copy("s1")])
        })
        #expect(ids.count == 3 && Set(ids).count == 3)
        try s.recordBackups([.init(dataset: "a", time: 200, filename: "a.sqlite", manifest: Self.m, copies: [Self.copy("s2")])])
        let all = try s.liveBackups()
        #expect(all.keys.sorted() == ["a", "b", "c"])
        #expect(all["a"]?.map(\.time) == [100, 200])
        #expect(all["b"]?.first?.copies.first?.snapshot == "s1")
        #expect(Set(try s.liveSnapshots(in: "/r")) == ["s1", "s2"])

        try s.recordForgets([.init(dataset: "a", repository: "/r", snapshots: ["s1"], erasure: false),
                             .init(dataset: "b", repository: "/r", snapshots: ["s1"], erasure: false)], time: 300)
        #expect(try s.liveSnapshots(in: "/r") == ["s2"])
        #expect(try s.lastBackup(of: "c") == nil, "c's only copy was in s1")
        #expect(try s.lastBackup(of: "a")?.time == 200)
        #expect(try s.liveBackups().mapValues { $0.map(\.time) } == ["a": [200]], "backups with no copy left are not read")
        #expect(try s.auditEntries().map(\.action) == ["backup", "backup", "backup", "backup", "forget", "forget"])
        #expect(try s.verifyAudit() == nil)
    }

    @Test("Ids holding a NUL are keyed as the store keeps them (up to the NUL) in the round's history reads")
    func nulIDs() throws {
        let dir = TempDir()
        let s = try StateStore(path: dir.file("state.sqlite"))
        let id = "nul\u{0}/new\nline"
        let backupID = try s.recordBackup(dataset: id, time: 100, filename: "x.sqlite", manifest: Self.m, copies: [Self.copy("s1")])
        try s.recordDrill(dataset: id, backupID: backupID, time: 200, ok: true, seconds: 1, message: "ok")
        let stored = StateStore.storedID(id)
        #expect(stored == "nul")
        #expect(try s.liveBackups().keys.sorted() == [stored])
        #expect(try s.lastVerifiedBackups() == [stored: backupID])
        #expect(try s.lastBackup(of: id)?.id == backupID, "found by the id as given")
    }

    @Test("Unfinished-round marks: per group, cleared per group or all at once")
    func rounds() throws {
        let dir = TempDir()
        let s = try StateStore(path: dir.file("state.sqlite"))
        #expect(try s.unfinishedRounds().isEmpty)
        try s.markRoundUnfinished("group=every-1h")
        try s.markRoundUnfinished("all")
        #expect(try s.unfinishedRounds() == ["group=every-1h", "all"])
        try s.markRoundFinished("all")
        #expect(try s.unfinishedRounds() == ["group=every-1h"])
        try s.markRoundUnfinished("group=daily-0200")
        try s.markRoundFinished(nil)
        #expect(try s.unfinishedRounds().isEmpty)
    }

    @Test("Two stores open on one file write at once from many threads: every entry lands and the audit stays one chain")
    func concurrentWriters() throws {
        let dir = TempDir()
        let path = dir.file("state.sqlite")
        let a = try StateStore(path: path), b = try StateStore(path: path)
        nonisolated(unsafe) let stores = [a, b]
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            let s = stores[i % 2]
            try? s.recordBackups([.init(dataset: "d\(i)", time: Int64(i), filename: "d\(i).sqlite", manifest: Self.m,
                                        copies: [Self.copy("s\(i)")])])
            try? s.audit(time: Int64(i), action: "prune", detail: "repository=/r")
        }
        #expect(try a.auditEntries().count == 80)
        #expect(try a.liveBackups().count == 40)
        #expect(try b.verifyAudit() == nil)
    }
}
