import BackplanCore
@testable import BackplanStore
import BackplanTestSupport
import Crypto
import Foundation
import GRDB
import Testing

@Suite("The page tap and the probe memo")
struct ProbeMemoTests {
    /// A copy of the sample store with `pageSize`-byte pages (many leaves, rows that spill to overflow pages).
    static func store(_ dir: TempDir, pageSize: Int = 1024, wal: Bool = false) throws -> String {
        let path = dir.file("s.sqlite")
        try FileManager.default.copyItem(atPath: ExportTests.sample, toPath: path)
        let q = try DatabaseQueue(path: path)
        try q.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = \(pageSize)")
            try db.execute(sql: "VACUUM")
            if wal { try db.execute(sql: "PRAGMA journal_mode = WAL") }
        }
        try q.close()
        return path
    }

    /// A store of 4096-byte pages, its conversation ids and an empty memo.
    static func fixture() throws -> (TempDir, String, Set<String>, ProbeMemo) {
        let dir = TempDir()
        let path = try store(dir)
        return (dir, path, Set(try ids(path)), try ProbeMemo(path: dir.file("memo")))
    }

    static func ids(_ path: String) throws -> [String] {
        let q = try DatabaseQueue(path: path)
        defer { try? q.close() }
        return try q.read { try String.fetchAll($0, sql: "SELECT id FROM conversations ORDER BY id") }
    }

    @Test("SQLite's varints and a table leaf's first and last rowid, read off the page bytes")
    func varints() {
        let cases: [([UInt8], UInt64, Int)] = [([0x05], 5, 1), ([0x81, 0x00], 128, 2), ([0x7F], 127, 1),
                                               ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], UInt64.max, 9)]
        for (bytes, value, end) in cases {
            let got = bytes.withUnsafeBytes { PageSink.varint($0, 0) }
            #expect(got?.0 == value && got?.1 == end, "\(bytes)")
        }
        #expect(([0x81, 0x81] as [UInt8]).withUnsafeBytes { PageSink.varint($0, 0) } == nil, "runs off the page")
        // A leaf (0x0D) with two cells at 0x10 and 0x20: payload sizes 1, rowids 7 and 300.
        var page = [UInt8](repeating: 0, count: 64)
        page[0] = 0x0D; page[4] = 2; page[8] = 0; page[9] = 0x10; page[10] = 0; page[11] = 0x20
        page[0x10] = 1; page[0x11] = 7
        page[0x20] = 1; page[0x21] = 0x82; page[0x22] = 0x2C
        let (leaf, rowids) = page.withUnsafeBytes { PageSink.tableLeafRowids(page: 2, $0) }
        #expect(leaf && rowids == 7...300)
        page[11] = 0x3F   // a cell pointer at the last byte: its varint runs off the page
        #expect(page.withUnsafeBytes { PageSink.tableLeafRowids(page: 2, $0) }.1 == nil)
        page[0] = 0x05    // an interior page
        #expect(!page.withUnsafeBytes { PageSink.tableLeafRowids(page: 2, $0) }.0)
    }

    @Test("The tap sees each page as the file holds it, and the leaves' rowid ranges hold their cells", arguments: [512, 4096])
    func tapSeesPages(pageSize: Int) throws {
        let dir = TempDir()
        let path = try Self.store(dir, pageSize: pageSize)
        let sink = PageSink()
        let (leaves, counts) = try MessageStoreExport.probing(path, pages: sink) { probe -> ([MessageStoreExport.Probe.Leaf], [Bool]) in
            let leaves = try #require(try probe.walkLeaves())
            let counts = try leaves.map { leaf -> Bool in
                guard let r = leaf.rowids else { return false }
                let n = try Int.fetchOne(probe.db, sql: "SELECT count(*) FROM \(leaf.table) WHERE rowid BETWEEN ? AND ?", arguments: [r.lowerBound, r.upperBound])
                return (n ?? 0) > 0
            }
            return (leaves, counts)
        }
        #expect(leaves.count > 50 && counts.allSatisfy { $0 })
        #expect(Set(leaves.map(\.table)) == ["conversations", "messages", "reads"])
        let file = try #require(FileManager.default.contents(atPath: path))
        #expect(sink.pages.count >= leaves.count)
        for (number, page) in sink.pages {
            let bytes = file[Int(number - 1) * pageSize ..< Int(number) * pageSize]
            #expect(page.hash == Data(SHA256.hash(data: bytes)), "page \(number)")
        }
    }

    @Test("A WAL store: pages whose newest version is in the WAL are seen there, and the memo follows")
    func walPages() throws {
        let dir = TempDir()
        let path = try Self.store(dir, wal: true)
        let ids = try Self.ids(path)
        let memo = try ProbeMemo(path: dir.file("memo"))
        _ = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: Set(ids), memo: memo) }
        // A writer that keeps its changes in the WAL (no checkpoint) while the probe reads.
        let writer = try DatabaseQueue(path: path)
        try writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        try writer.write { db in
            for i in 0..<300 {
                try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'w', ?, 9, 0)",
                               arguments: [ids[i % 7], 1_800_000_000 + i])
            }
        }
        let maxID = try writer.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM messages") }
        let (probed, outcome, top) = try MessageStoreExport.probing(path, pages: PageSink()) { probe in
            let (m, o) = try probe.manifests(ofConversations: Set(ids), memo: memo)
            let top = try probe.walkLeaves()?.filter { $0.table == "messages" }.compactMap { $0.rowids?.upperBound }.max()
            return (m, o, top)
        }
        try writer.close()
        #expect(top == maxID, "the newest rows are on pages read from the WAL")
        #expect(outcome.path == .incremental && outcome.computed < ids.count / 2, "\(outcome)")
        let full = try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: Set(ids)) }
        #expect(probed == full)
    }

    @Test("Through seeded edits of every kind the memo's manifests equal a full probe's", arguments: Array(UInt64(1)...8))
    func memoEqualsFullProbe(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let dir = TempDir()
        let path = try Self.store(dir, pageSize: [512, 1024, 4096][Int(seed % 3)], wal: seed % 2 == 0)
        var ids = try Self.ids(path)
        let setup = try DatabaseQueue(path: path)
        try setup.write { db in   // rows that spill to overflow pages, from the start
            for c in ids.prefix(3) {
                try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, ?, 3, 1, 0)",
                               arguments: [c, String(repeating: "x", count: 6_000)])
            }
        }
        try setup.close()
        let memo = try ProbeMemo(path: dir.file("memo"))
        var incremental = 0
        for step in 0..<9 {
            let q = try DatabaseQueue(path: path)
            let c = ids[Int.random(in: 0..<ids.count, using: &rng)]
            let op = step % 3 == 1 ? 6 : Int.random(in: 0..<11, using: &rng)
            try q.writeWithoutTransaction { db in
                switch op {
                case 0: try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'n', 1, 5, 0)", arguments: [c])
                case 1: try db.execute(sql: "UPDATE messages SET size_bytes = size_bytes + 1 WHERE id = (SELECT id FROM messages WHERE conversation_id = ? LIMIT 1)", arguments: [c])
                case 2: try db.execute(sql: "DELETE FROM messages WHERE id = (SELECT max(id) FROM messages WHERE conversation_id = ?)", arguments: [c])
                case 3: try db.execute(sql: "INSERT INTO reads VALUES (?, 'r', 2, 10)", arguments: [c])
                case 4: try db.execute(sql: "UPDATE conversations SET class = 'edited' WHERE id = ?", arguments: [c])
                case 5:   // a row that spills to overflow pages
                    try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, ?, 3, 1, 0)",
                                   arguments: [c, String(repeating: "x", count: 6_000)])
                case 6:   // the same length, only the tail: SQLite overwrites the overflow pages in place, the leaf stays byte for byte
                    try db.execute(sql: """
                        UPDATE messages SET sender = substr(sender, 1, 5900) || CASE WHEN substr(sender, 5901, 1) = 'x'
                          THEN replace(substr(sender, 5901), 'x', 'z') ELSE replace(substr(sender, 5901), 'z', 'x') END
                        WHERE length(sender) = 6000 AND conversation_id = ?
                        """, arguments: [ids[Int(seed) % 3]])
                case 7: try db.execute(sql: "DELETE FROM reads WHERE conversation_id = ?", arguments: [c])
                case 8: try db.execute(sql: "VACUUM")   // pages rewritten, reads' rowids renumbered
                case 9:
                    let id = "new-\(step)"
                    try db.execute(sql: "INSERT INTO conversations(id, kind, created_at, class) VALUES (?, 'group', 0, 'group')", arguments: [id])
                    try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'n', 4, 5, 0)", arguments: [id])
                default: try db.execute(sql: "ALTER TABLE conversations ADD COLUMN note\(step) TEXT DEFAULT 'd'")   // values change, pages do not
                }
            }
            try q.close()
            ids = try Self.ids(path)
            // A random subset asked, with ids of no rows: conversations changed but not asked must not stay in the memo.
            let asked = Set(ids.filter { _ in Double.random(in: 0..<1, using: &rng) < 0.6 } + ["absent-\(step % 3)"])
            let (got, outcome) = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: asked, memo: memo) }
            let want = try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: asked) }
            for id in asked where got[id] != want[id] {
                Issue.record("seed \(seed) step \(step) op \(op): \(id) memo \(String(describing: got[id])) full \(String(describing: want[id]))")
            }
            #expect(outcome.path != .untapped)
            if outcome.path == .incremental { incremental += 1 }
        }
        #expect(incremental >= 5, "the memo was used")
    }

    @Test("Rows appended, edited and deleted on each table's last pages are summed in from those pages alone, and equal a full probe")
    func appendsAreSummed() throws {
        let (dir, path, ids, memo) = try Self.fixture()
        let first = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
        #expect(first.outcome.path == .built)
        let chosen = Array(ids.sorted().prefix(5))
        let q = try DatabaseQueue(path: path)
        let edits: [(String, (Database) throws -> Void)] = [
            ("append", { db in
                for c in chosen {
                    try db.execute(sql: "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'n', 9, 5, 0)", arguments: [c])
                }
            }),
            ("append to reads", { db in for c in chosen { try db.execute(sql: "INSERT INTO reads VALUES (?, 'r', 9, 10)", arguments: [c]) } }),
            ("edit the newest", { db in try db.execute(sql: "UPDATE messages SET size_bytes = 77 WHERE id = (SELECT max(id) FROM messages)") }),
            ("delete the newest", { db in try db.execute(sql: "DELETE FROM messages WHERE id = (SELECT max(id) FROM messages)") }),
        ]
        for (name, edit) in edits {
            try q.write(edit)
            let (got, outcome) = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
            let full = try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: ids) }
            #expect(got == full, "\(name)")
            #expect(outcome.path == .incremental && outcome.summed > 0 && outcome.saved, "\(name): \(outcome)")
            // Deleting the newest message may take a conversation's largest id away: that one is read whole.
            #expect(outcome.computed <= (name == "delete the newest" ? 1 : 0), "\(name): \(outcome)")
        }
        try q.close()
        withExtendedLifetime(dir) {}
    }

    @Test("Row sums add and subtract modulo 2^256, and the memo's blobs read back what was written")
    func sumsAndBlobs() throws {
        var rng = SplitMix64(seed: 7)
        func digest() -> SHA256.Digest { SHA256.hash(data: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }) }
        var a = Sum256(), b = Sum256()
        let ds = (0..<50).map { _ in digest() }
        for d in ds { a.add(d) }
        for d in ds.prefix(20) { b.add(d) }
        var c = a
        c.subtract(b)
        var rest = Sum256()
        for d in ds.dropFirst(20) { rest.add(d) }
        #expect(c == rest)
        c.add(b)
        #expect(c == a)
        var max = Sum256(l0: .max, l1: .max, l2: .max, l3: .max)
        max.add(Sum256(l3: 1))
        #expect(max == Sum256(), "wraps modulo 2^256")
        let leaf: [String: LeafSum] = ["c1": LeafSum(rows: 3, sum: a, maxMessageId: 42), "": LeafSum(rows: 1, sum: b, maxMessageId: nil),
                                       "é": LeafSum(rows: 2, sum: rest, maxMessageId: -5)]
        #expect(LeafSum.sums(blob: LeafSum.blob(leaf)) == leaf)
        #expect(LeafSum.sums(blob: LeafSum.blob(leaf).dropLast()) == nil, "cut short")
        var digestOf = ContentDigest(.rowSet)
        for t in MessageStoreExport.Probe.keyedTables.map(\.0) {
            digestOf.beginTable(t)
            digestOf.addRow([1, 2, 3])
        }
        let sums = try #require(RowSums(digest: digestOf, maxMessageId: 9))
        #expect(sums.manifest.digest == digestOf.finalize() && sums.manifest.rows == 3)
        #expect(RowSums(blob: sums.blob) == sums)
        #expect(RowSums(digest: ContentDigest(.rowSet), maxMessageId: nil) == nil, "not the three keyed tables")
    }

    @Test("A conversation that changed while not asked is computed again when it is asked next")
    func changedWhileNotAsked() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        let ids = try Self.ids(path)
        let memo = try ProbeMemo(path: dir.file("memo"))
        let all = Set(ids)
        _ = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: all, memo: memo) }
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: "UPDATE reads SET bytes = bytes + 1 WHERE rowid = (SELECT min(rowid) FROM reads WHERE conversation_id = ?)", arguments: [ids[1]]) }
        _ = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: [ids[0]], memo: memo) }
        let (after, outcome) = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: all, memo: memo) }
        try q.close()
        #expect(outcome.path == .incremental)
        let full = try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: all) }
        #expect(after[ids[1]] == full[ids[1]] && after == full)
    }

    @Test("A save left to the caller: not done, the next probe diffs against the older memo and is still right; done, it saves")
    func savedLater() throws {
        let (dir, path, ids, memo) = try Self.fixture()
        _ = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
        let q = try DatabaseQueue(path: path)
        func edit(_ n: Int) throws {
            try q.write { try $0.execute(sql: "UPDATE reads SET bytes = bytes + 1 WHERE rowid = (SELECT min(rowid) FROM reads WHERE conversation_id = ?)",
                                         arguments: [ids.sorted()[n]]) }
        }
        try edit(1)
        let (first, unsaved, _) = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifestsSavingLater(ofConversations: ids, memo: memo) }
        #expect(unsaved.path == .incremental && !unsaved.saved)
        #expect(first == (try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: ids) }))
        try edit(2)
        var (second, outcome, save) = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifestsSavingLater(ofConversations: ids, memo: memo) }
        #expect(outcome.path == .incremental && outcome.changedLeaves >= unsaved.changedLeaves, "both edits since the memo saved")
        #expect(second == (try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: ids) }))
        save.perform(&outcome)
        #expect(outcome.saved && outcome.seconds.last?.0 == "save")
        let (third, after) = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
        try q.close()
        #expect(after.changedLeaves == 0 && third == second, "the save took both edits in")
        withExtendedLifetime(dir) {}
    }

    @Test("The leaf diff matches (table, hash) as multisets; volatile leaves and hashes not of 32 bytes match nothing")
    func leafDiff() {
        typealias Leaf = MessageStoreExport.Probe.Leaf
        let h: [Data] = (0..<4).map { (n: Int) -> Data in Data((0..<32).map { (i: Int) -> UInt8 in UInt8((i * 7 + n * 13) % 256) }) }
        func old(_ id: Int64, _ table: String, _ hash: Data, volatile: Bool = false) -> ProbeMemo.Leaf {
            ProbeMemo.Leaf(id: id, table: table, hash: hash, volatile: volatile)
        }
        let memo = ProbeMemo.Snapshot(generation: 1, leaves: [
            old(1, "messages", h[0]), old(2, "messages", h[0]), old(3, "reads", h[0]), old(4, "messages", h[1], volatile: true),
            old(5, "messages", h[2].prefix(31)), old(6, "reads", h[3]),
        ], manifests: [:])
        let now = [
            Leaf(table: "messages", hash: h[0], rowids: nil, volatile: false),   // one of 1 and 2
            Leaf(table: "reads", hash: h[0], rowids: nil, volatile: false),      // 3: same bytes, its own table
            Leaf(table: "messages", hash: h[1], rowids: nil, volatile: false),   // 4 was volatile: fresh
            Leaf(table: "messages", hash: h[2], rowids: nil, volatile: false),   // 5's hash was cut short: fresh
            Leaf(table: "reads", hash: h[3], rowids: nil, volatile: true),       // volatile now: fresh, and 6 gone
            Leaf(table: "conversations", hash: h[3], rowids: nil, volatile: false),
        ]
        let (gone, fresh, matched) = MessageStoreExport.Probe.diff(memo, now)
        let first: Int64 = matched[0] ?? 0
        let other: Int64 = first == 1 ? 2 : 1
        #expect(first == 1 || first == 2, "one of the two equal messages leaves")
        #expect(Set(gone) == Set([other, 4, 5, 6]) && gone.count == 4)
        #expect(matched.count == 2 && matched[1] == 3)
        let hashes: [Data] = fresh.map { (leaf: Leaf) -> Data in leaf.hash }
        #expect(hashes == [h[1], h[2], h[3], h[3]])
    }

    @Test("Opening a memo of this layout again writes nothing to it")
    func reopenWritesNothing() throws {
        let (dir, path, ids, memo) = try Self.fixture()
        _ = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
        let file = dir.file("memo")
        let before = try #require(FileManager.default.contents(atPath: file))
        let modified = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        for _ in 0..<3 { _ = try ProbeMemo(path: file) }
        #expect(FileManager.default.contents(atPath: file) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date == modified)
        withExtendedLifetime(memo) {}
    }

    @Test("A memo saved by another probe since it was loaded is not used or overwritten by a stale diff")
    func generations() throws {
        let (dir, path, ids, memo) = try Self.fixture()
        _ = try MessageStoreExport.probing(path, pages: PageSink()) { try $0.manifests(ofConversations: ids, memo: memo) }
        let (store, fingerprint) = try MessageStoreExport.probing(path) { ($0.memoKey, try $0.fingerprint()) }
        let old = try #require(try memo.load(store: store, fingerprint: fingerprint))
        #expect(try memo.load(store: store, fingerprint: fingerprint + "x") == nil, "another schema")
        #expect(try memo.save(store: store, fingerprint: fingerprint, expected: old.generation, replacing: false, removed: [], added: [],
                              sums: [:], invalid: []))
        #expect(try memo.keys(ofLeaves: old.leaves.compactMap(\.id), store: store, generation: old.generation) == nil)
        #expect(try !memo.save(store: store, fingerprint: fingerprint, expected: old.generation, replacing: false, removed: [], added: [],
                               sums: [:], invalid: []), "stale")
        #expect(ProbeMemo.decodeKeys(ProbeMemo.encodeKeys(["", "a", "é"])).sorted() == ["", "a", "é"])
        #expect(ProbeMemo.decodeKeys(ProbeMemo.encodeKeys([])).isEmpty)
        withExtendedLifetime(dir) {}   // the store and memo live in it until here
    }

    @Test("A store read without the tap, a garbage memo file, another database at its path: every row read, or the memo refuses to open and touches nothing")
    func fallbacks() throws {
        let (dir, path, ids, memo) = try Self.fixture()
        let (got, outcome) = try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: ids, memo: memo) }
        #expect(outcome.path == .untapped)
        #expect(got == (try MessageStoreExport.probing(path) { try $0.manifests(ofConversations: ids) }))
        let garbage = dir.write("garbage", String(repeating: "not a database ", count: 100))
        #expect(throws: (any Error).self) { _ = try ProbeMemo(path: garbage) }
        // Another database at the memo's path is not written to.
        let q = try DatabaseQueue(path: dir.file("other.sqlite"))
        try q.write { try $0.execute(sql: "CREATE TABLE mine (x); INSERT INTO mine VALUES (1)") }
        try q.close()
        let before = try #require(FileManager.default.contents(atPath: dir.file("other.sqlite")))
        #expect(throws: InputError.self) { _ = try ProbeMemo(path: dir.file("other.sqlite")) }
        #expect(FileManager.default.contents(atPath: dir.file("other.sqlite")) == before)
        _ = try ProbeMemo(path: dir.file("memo"))   // its own file opens again
    }
}
