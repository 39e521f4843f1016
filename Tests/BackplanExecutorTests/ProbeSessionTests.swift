import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanExecutor

/// A store's probe begun before the plan is read (``ProbeSession``) gives what the round's own probe gives.
@Suite("Probe sessions begun before the round")
struct ProbeSessionTests {
    static let sample = Checkout.root.appendingPathComponent("datasets/sample/chat-sample.sqlite").path

    /// A copy of the sample store (1 KiB pages: many leaves), a targets file naming it, and the state path
    /// whose probe memo was built by a first probe; then one message appended to two conversations.
    static func fixture() throws -> (dir: TempDir, store: String, targets: Targets, state: String, ids: Set<String>) {
        let dir = TempDir()
        let store = dir.file("s.sqlite")
        try FileManager.default.copyItem(atPath: sample, toPath: store)
        let q = try DatabaseQueue(path: store)
        try q.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 1024")
            try db.execute(sql: "VACUUM")
        }
        let ids = Set(try q.read { try String.fetchAll($0, sql: "SELECT id FROM conversations") })
        dir.write("targets.yaml", "repositories:\n  - {region: r1, tier: standard, repository: repo, passwordFile: pw}\nlocations:\n  default: {store: \(store)}\n")
        dir.write("pw", "x\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("pw"))
        let state = dir.file("state.sqlite")
        let memo = try ProbeMemo(path: ProbeMemo.path(forState: state))
        _ = try MessageStoreExport.probing(store, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
        try q.write { db in
            for c in ids.sorted().prefix(2) {
                try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'u1', 99999999, 10, 0)",
                               arguments: [c])
            }
        }
        try q.close()
        return (dir, store, try Targets.load(dir.file("targets.yaml")), state, ids)
    }

    @Test("The session's probe, prepared ahead, equals a probe made in the round, and it goes on incrementally")
    func sameAsInline() throws {
        let f = try Self.fixture()
        // The inline probe runs on a copy of the memo, so both start from the same one.
        try FileManager.default.copyItem(atPath: ProbeMemo.path(forState: f.state), toPath: f.dir.file("copy-probe"))
        let inline = try MessageStoreExport.probing(f.store, pages: PageSink()) {
            try $0.manifests(ofConversations: f.ids, memo: ProbeMemo(path: f.dir.file("copy-probe")))
        }
        let sessions = ProbeSession.start(targets: f.targets, state: f.state)
        #expect(Array(sessions.keys) == [f.store])
        let memo = try ProbeMemo(path: ProbeMemo.path(forState: f.state))
        let early = try sessions[f.store]?.run { probe, prepared in
            #expect(prepared != nil)
            return try probe.manifests(ofConversations: f.ids, memo: memo, prepared: prepared)
        }
        let ahead = try #require(early)
        #expect(ahead.manifests == inline.manifests)
        #expect(ahead.outcome.path == .incremental && ahead.outcome.summed >= 2 && ahead.outcome == inline.outcome)
        #expect(try sessions[f.store]?.run { _, _ in 1 } == nil, "a session runs once")
    }

    @Test("No memo yet, a missing store, a cancelled session: the round probes by itself")
    func fallsBack() throws {
        let f = try Self.fixture()
        let noMemo = ProbeSession.start(targets: f.targets, state: f.dir.file("other-state.sqlite"))
        #expect(try noMemo[f.store]?.run { _, _ in 1 } == nil)
        #expect(!FileManager.default.fileExists(atPath: ProbeMemo.path(forState: f.dir.file("other-state.sqlite"))), "a session writes no memo")
        try FileManager.default.removeItem(atPath: f.store)
        let missing = ProbeSession.start(targets: f.targets, state: f.state)
        #expect(try missing[f.store]?.run { _, _ in 1 } == nil)
        let cancelled = ProbeSession.start(targets: f.targets, state: f.state)
        cancelled.values.forEach { $0.cancel() }
        #expect(try cancelled[f.store]?.run { _, _ in 1 } == nil)
    }
}
