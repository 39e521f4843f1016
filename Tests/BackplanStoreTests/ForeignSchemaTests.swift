import BackplanCore
import BackplanTestSupport
import Foundation
import GRDB
import Testing
@testable import BackplanStore

/// Message stores in the layouts real messengers use, mapped by the committed schema files in
/// datasets/schemas/ (each with an SQL fixture that builds a small store in that layout).
@Suite("Message stores in foreign schemas")
struct ForeignSchemaTests {
    static func fixture(_ name: String, in dir: TempDir) throws -> String {
        let sql = try String(contentsOf: Checkout.root.appendingPathComponent("datasets/schemas/\(name).sql"), encoding: .utf8)
        let path = dir.file("\(name).sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return path
    }

    static func schema(_ name: String) throws -> MessageStoreSchema {
        try MessageStoreSchema.load(Checkout.root.appendingPathComponent("datasets/schemas/\(name).yaml").path)
    }

    func scalar<T: DatabaseValueConvertible>(_ store: StatsStore, _ sql: String) throws -> T? {
        try store.dbQueue.read { try T.fetchOne($0, sql: sql) }
    }

    @Test("A Signal-like store: ms times, attachments in 'part', read receipts as reads")
    func signalLike() throws {
        let dir = TempDir()
        let path = try Self.fixture("signal-like", in: dir)
        let o = options(.messageStore) { $0.messageStoreSchema = try? Self.schema("signal-like") }
        let (store, report) = try ingest(path, o, into: dir)
        #expect(report.writes == 90 && report.reads == 23 && report.rejected == 0)
        #expect(try scalar(store, "SELECT sum(bytes_written) FROM buckets") as Int64? == 2_945 + 1_695_000)
        #expect(try scalar(store, "SELECT min(at) FROM events") as Int64? == 1_767_225_600 + 1_020)
        #expect(try store.dbQueue.read { try String.fetchAll($0, sql: "SELECT class FROM datasets ORDER BY name") } == ["private", "group", "private"])
        #expect(try scalar(store, "SELECT created_at FROM datasets WHERE name = '2'") as Int64? == 1_767_222_000)
        #expect(try bucketsMatchEvents(store))

        // The live store takes a message with a picture: the next ingest adds exactly that.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO message VALUES (91, 1767400000000, NULL, 3, 2, 4, 87, 'hello')")
            try db.execute(sql: "INSERT INTO part (mid, content_type, data_size) VALUES (91, 'image/png', 5000)")
        }
        try queue.close()
        let grown = try Ingestor(store: store, options: o).ingest(path: path)
        #expect(grown.events == 1 && grown.writes == 1 && grown.continues == report.sourceID)
        #expect(try scalar(store, "SELECT size_bytes FROM datasets WHERE name = '3'") as Int64?
            == (try scalar(store, "SELECT sum(bytes_written) FROM buckets WHERE dataset_id = (SELECT id FROM datasets WHERE name = '3')") as Int64?))
    }

    @Test("A WhatsApp-like store: conversations by table and column names, own messages as sender 'me'")
    func whatsAppLike() throws {
        let dir = TempDir()
        let path = try Self.fixture("whatsapp-like", in: dir)
        let schema = try Self.schema("whatsapp-like")
        #expect(schema.conversations?.sql == #"SELECT "_id" AS id, "created_timestamp" AS created_at FROM "chat""#)
        let (store, report) = try ingest(path, options(.messageStore) { $0.messageStoreSchema = schema }, into: dir)
        #expect(report.writes == 60 && report.reads == 10 && report.datasets == 2)
        #expect(try scalar(store, "SELECT sum(bytes_written) FROM buckets") as Int64? == 2_130 + 446_000)
        let bySender = try ingest(path, options(.messageStore) { $0.messageStoreSchema = schema; $0.keyBy = .sender },
                                  into: dir, store: "by-sender.sqlite")
        #expect(Set(try allEvents(bySender.0).map(\.0)) == ["me", "1", "2"])
    }

    @Test("A query that writes, misses a column or does not run is refused, naming the schema file and kind")
    func badSchemas() throws {
        let dir = TempDir()
        let path = try Self.fixture("signal-like", in: dir)
        let before = try sha256(ofFile: path)
        func attempt(_ yaml: String) throws -> InputError? {
            let file = dir.write("schema.yaml", yaml)
            do {
                let schema = try MessageStoreSchema.load(file)
                _ = try ingest(path, options(.messageStore) { $0.messageStoreSchema = schema; $0.messageStoreSchemaFile = file },
                               into: dir, store: "x\(UUID().uuidString).sqlite")
                return nil
            } catch let e as InputError {
                return e
            }
        }
        let writes = try #require(try attempt("messages:\n  sql: DELETE FROM message\n"))
        #expect(writes.message.contains("not a read-only SELECT") && writes.column == "messages" && writes.file?.hasSuffix("schema.yaml") == true)
        let missing = try #require(try attempt("messages:\n  sql: SELECT _id AS id, thread_id AS conversation_id FROM message\n"))
        #expect(missing.message.contains("'sender', 'sent_at', 'size_bytes'"), "\(missing)")
        let broken = try #require(try attempt("messages:\n  table: messages\n"))
        #expect(broken.message.contains("does not run") && broken.message.contains("no such table"), "\(broken)")
        let typo = try #require(try attempt("timeunit: ms\nmessages:\n  table: message\n"))
        #expect(typo.line == 1 && typo.message.contains("timeunit"), "\(typo)")
        let both = try #require(try attempt("messages:\n  table: message\n  sql: SELECT 1\n"))
        #expect(both.message.contains("either 'sql' or 'table'"), "\(both)")
        #expect(try sha256(ofFile: path) == before, "the message store must not change")
    }

    @Test("Views named like Backplan's tables are read like the tables")
    func viewsAreTables() throws {
        let dir = TempDir()
        let path = dir.file("views.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE conv(cid TEXT PRIMARY KEY, k TEXT);
                CREATE TABLE msg(mid INTEGER PRIMARY KEY, cid TEXT, who TEXT, ms INTEGER, n INTEGER);
                CREATE VIEW conversations AS SELECT cid AS id, k AS kind, NULL AS created_at, NULL AS class FROM conv;
                CREATE VIEW messages AS SELECT mid AS id, cid AS conversation_id, who AS sender, ms / 1000 AS sent_at,
                                               n AS size_bytes, 0 AS attachment_bytes FROM msg;
                CREATE VIEW reads AS SELECT cid AS conversation_id, who AS reader, ms / 1000 AS read_at, 0 AS bytes FROM msg WHERE 0;
                INSERT INTO conv VALUES ('a', 'group');
                INSERT INTO msg VALUES (1, 'a', 'u', 1700000000000, 10), (2, 'a', 'v', 1700000060000, 20);
                """)
        }
        try queue.close()
        let (store, report) = try ingest(path, options(.messageStore), into: dir)
        #expect(report.writes == 2 && report.reads == 0)
        #expect(try allEvents(store).map(\.1) == [1_700_000_000, 1_700_000_060])
    }
}
