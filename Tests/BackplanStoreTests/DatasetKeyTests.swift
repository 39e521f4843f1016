import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanStore

/// Ids that cannot travel unchanged (NUL, invalid UTF-8) are refused at ingest, named by file and line;
/// every other id survives byte for byte.
@Suite("Dataset ids at ingest")
struct DatasetKeyTests {
    @Test("The rule: valid UTF-8 without NUL; quotes, commas, slashes, newlines and any Unicode pass")
    func rule() {
        func problem(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { DatasetKey.problem($0) } }
        #expect(problem(Array("q\"uote's,a/b\nc ünïcødé 会话".utf8)) == nil)
        #expect(problem([0x7A, 0x7A, 0x00, 0x78])?.contains("NUL") == true)
        #expect(problem([0x61, 0xFF])?.contains("UTF-8") == true)
        #expect(problem([0xC3]) != nil)
    }

    @Test("A log line whose id has a NUL or invalid UTF-8 is rejected with its line; others keep their bytes")
    func logLines() throws {
        let dir = TempDir()
        var bytes = Array("1 zz 100\n1 zz".utf8) + [0] + Array("x 200\n1 a".utf8) + [0xFF] + Array(" 300\n".utf8)
        bytes += Array((0..<300).map { "1 q\"uote's \(400 + $0)\n" }.joined().utf8)
        let path = dir.write("m.txt", bytes: bytes)
        let (store, report) = try ingest(path, options(.snapTemporal) { $0.maxRejectFraction = 0.05 }, into: dir)
        #expect(report.rejected == 2)
        #expect(report.rejects.map(\.line) == [2, 3])
        #expect(report.rejects.first?.message.contains("NUL") == true && report.rejects.first?.column == "dataset")
        #expect(Set(try allEvents(store).map(\.0)) == ["zz", "q\"uote's"])
    }

    @Test("A message store's conversation or message with a NUL in its id is rejected, by row id")
    func messageStoreIds() throws {
        let dir = TempDir()
        let path = dir.file("chat.sqlite")
        try makeMessageStore(path, conversations: [("zz", "group", 0, "group")],
                             messages: (1...200).map { ($0, "zz", "u", 1_000 * $0, 10, nil) }, reads: [])
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO conversations VALUES (CAST(X'7A7A0078' AS TEXT), 'group', 0, 'group')")
            try db.execute(sql: "INSERT INTO messages VALUES (201, CAST(X'7A7A0078' AS TEXT), 'u', 999, 10, 0)")
        }
        try queue.close()
        let (store, report) = try ingest(path, options(.messageStore), into: dir)
        #expect(report.rejected == 2)
        #expect(report.rejects.contains { $0.column == "conversations.id" && $0.message.contains("NUL") })
        #expect(report.rejects.contains { $0.line == 201 && $0.column == "messages.conversation_id" })
        #expect(try allEvents(store).count == 200)
        #expect(try store.dbQueue.read { try String.fetchAll($0, sql: "SELECT name FROM datasets") } == ["zz"])
    }
}
