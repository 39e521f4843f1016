import BackplanCore
import BackplanExecutor
import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing

@Suite("The executor's state store and its audit chain")
struct StateStoreTests {
    static func filled(_ dir: TempDir) throws -> String {
        let path = dir.file("state.sqlite")
        let s = try StateStore(path: path)
        let m = MessageStoreExport.Manifest(rows: 3, digest: String(repeating: "a", count: 64), maxMessageId: 9, bytes: 100)
        for i in 0..<5 {
            try s.recordBackup(dataset: "c\(i)", time: Int64(1_000 * i), filename: "c\(i).sqlite", manifest: m,
                               copies: [.init(region: "region-1", tier: "standard", repository: "/r", snapshot: "s\(i)", forgottenAt: nil)])
        }
        try s.recordForget(dataset: "c0", repository: "/r", snapshots: ["s0"], time: 9_000, erasure: true)
        try s.audit(time: 9_001, action: "prune", detail: "repository=/r")
        return path
    }

    static func tamper(_ path: String, _ sql: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: sql) }
        try q.close()
    }

    @Test("An untouched log verifies; backups, forgets and prunes are all in it")
    func intact() throws {
        let dir = TempDir()
        let s = try StateStore(path: try Self.filled(dir))
        #expect(try s.verifyAudit() == nil)
        #expect(try s.auditEntries().map(\.action) == ["backup", "backup", "backup", "backup", "backup", "erase", "prune"])
        #expect(try s.lastBackup(of: "c0") == nil)   // its only copy was erased
        #expect(try s.lastBackup(of: "c3")?.copies.first?.snapshot == "s3")
    }

    @Test("An edited entry is detected")
    func edited() throws {
        let dir = TempDir()
        let path = try Self.filled(dir)
        try Self.tamper(path, "UPDATE audit SET detail = 'dataset=c9' WHERE seq = 3")
        #expect(try StateStore(path: path).verifyAudit()?.contains("entry 3 was edited") == true)
    }

    @Test("A deleted entry is detected, in the middle and at the end")
    func deleted() throws {
        let dir = TempDir()
        let path = try Self.filled(dir)
        try Self.tamper(path, "DELETE FROM audit WHERE seq = 4")
        #expect(try StateStore(path: path).verifyAudit() != nil)
        let dir2 = TempDir()
        let path2 = try Self.filled(dir2)
        try Self.tamper(path2, "DELETE FROM audit WHERE seq = 7")
        #expect(try StateStore(path: path2).verifyAudit()?.contains("head") == true)
    }

    @Test("Reordered entries are detected, even with their sequence numbers swapped")
    func reordered() throws {
        let dir = TempDir()
        let path = try Self.filled(dir)
        try Self.tamper(path, "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = -1")
        #expect(try StateStore(path: path).verifyAudit() != nil)
    }

    @Test("A second executor on the same state store is refused by the lock, and may run once the first is done")
    func lock() throws {
        let dir = TempDir()
        let path = dir.file("state.sqlite")
        let first = try ExecutorLock(state: path)
        #expect(throws: InputError.self) { _ = try ExecutorLock(state: path) }
        first.release()
        let again = try ExecutorLock(state: path)
        again.release()
    }

    @Test("A read-only store on a missing file creates nothing")
    func readOnlyCreatesNothing() throws {
        let dir = TempDir()
        let s = try StateStore(path: dir.file("none.sqlite"), readOnly: true)
        #expect(try s.datasets().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.file("none.sqlite")))
    }
}
