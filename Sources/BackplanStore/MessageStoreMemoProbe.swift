import BackplanCore
import Foundation
import GRDB
import GRDBSQLite

extension MessageStoreExport.Probe {
    /// How ``manifests(ofConversations:memo:)`` went, for the executor's log and the tests.
    public struct MemoOutcome: Sendable, Equatable, CustomStringConvertible {
        public enum Path: String, Sendable {
            /// No usable memo (first probe, another schema, an unreadable memo): every row read, the memo built.
            case built
            /// The memo held: only conversations with rows on changed pages computed again.
            case incremental
            /// The pages could not be read through the tap (no `dbstat`, an unparsable page, a `WITHOUT ROWID`
            /// table): every row read, the memo of this store dropped.
            case untapped
        }
        public var path: Path
        /// Table leaf pages of the store now, and those new or gone since the memo.
        public var leaves = 0, changedLeaves = 0
        /// Conversations asked whose manifests were computed from their rows (the rest came from the memo).
        public var computed = 0
        /// Whether the memo was saved (`false`: it could not be written, or another probe saved first).
        public var saved = false
        /// Wall-clock seconds of the probe's steps (walking the pages, reading the memo, computing, saving).
        public var seconds: [(String, Double)] = []

        public var description: String {
            "\(path.rawValue): \(changedLeaves) of \(leaves) leaf pages changed, \(computed) conversation(s) read\(saved ? "" : ", memo not saved")"
                + (seconds.isEmpty ? "" : " (" + seconds.map { "\($0.0) \(String(format: "%.2f", $0.1)) s" }.joined(separator: ", ") + ")")
        }

        public static func == (a: Self, b: Self) -> Bool {
            (a.path, a.leaves, a.changedLeaves, a.computed, a.saved) == (b.path, b.leaves, b.changedLeaves, b.computed, b.saved)
        }
    }

    /// The tables a conversation's rows are in, and the column holding the conversation key.
    static let keyedTables = [("conversations", "id"), ("messages", "conversation_id"), ("reads", "conversation_id")]

    /// ``manifests(ofConversations:scheme:)`` in the row-set scheme, equal to it for every conversation (tested
    /// after seeded edits of every kind, rollback and WAL stores), reading only what changed since the last
    /// probe recorded in `memo`.
    ///
    /// The probe walks each table's b-tree with SQLite's `dbstat` table while the page tap (``PageSink``) hashes
    /// every page SQLite reads — a few percent of reading the rows. A table leaf page whose bytes equal a leaf of
    /// the memo holds the same rows; the rows on leaves that are new or gone are the only rows that can differ,
    /// so only conversations with a row on one of them (their keys: read now from the new leaves by rowid range,
    /// kept in the memo for the gone ones) are computed again (through the store's indexes, or in one pass when
    /// they are more than a quarter of the leaves); every other conversation's manifest is the memo's. A leaf
    /// whose rows spill to overflow pages is never taken as unchanged. The memo then holds this probe's pages and manifests; the
    /// manifests of conversations that changed but were not asked for are dropped from it.
    ///
    /// Falls back to reading every row when the store was not opened through the tap, `dbstat` is missing, a
    /// table is not a rowid table, the schema or page format differs from the memo's, or the memo is unreadable.
    public func manifests(ofConversations ids: Set<String>, memo: ProbeMemo)
        throws -> (manifests: [String: MessageStoreExport.Manifest], outcome: MemoOutcome) {
        var clock = Date()
        var seconds: [(String, Double)] = []
        func lap(_ step: String) {
            seconds.append((step, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        let store = memoKey
        let walked = try walkLeaves()
        lap("walk")
        guard let leaves = walked else {
            try? memo.drop(store: store)
            return (try manifests(ofConversations: ids), MemoOutcome(path: .untapped, computed: ids.count))
        }
        let fingerprint = try self.fingerprint()
        let old = try? memo.load(store: store, fingerprint: fingerprint)
        let gone = old.map { Self.diff($0, leaves) }
        let goneKeys = old.flatMap { o in gone.flatMap { try? memo.keys(ofLeaves: $0.ids, store: store, generation: o.generation) } }
        lap("memo")
        guard let old, let gone, let goneKeys else {
            let all = try manifests(ofConversations: ids)
            var added: [(leaf: ProbeMemo.Leaf, keys: Set<String>)] = []
            for leaf in leaves { added.append((leaf.memoLeaf, try keys(on: leaf).keys)) }
            let saved = (try? memo.save(store: store, fingerprint: fingerprint, expected: nil, replacing: true, removed: [],
                                        added: added, computed: all, invalid: [])) ?? false
            lap("rows and save")
            return (all, MemoOutcome(path: .built, leaves: leaves.count, changedLeaves: leaves.count, computed: ids.count, saved: saved,
                                     seconds: seconds))
        }
        var changed = goneKeys
        let fresh = gone.fresh
        var added: [(leaf: ProbeMemo.Leaf, keys: Set<String>)] = []
        var allPlain = true
        for leaf in fresh {
            let (keys, plain) = try keys(on: leaf)
            allPlain = allPlain && plain
            changed.formUnion(keys)
            added.append((leaf.memoLeaf, keys))
        }
        lap("new leaves")
        let candidates = ids.filter { changed.contains($0) || old.manifests[$0] == nil }
        let computed = try manifests(ofConversations: candidates, indexed: allPlain && candidates.count <= leaves.count / 4)
        lap("rows")
        var out: [String: MessageStoreExport.Manifest] = [:]
        for id in ids { out[id] = computed[id] ?? old.manifests[id] }
        let saved = (try? memo.save(store: store, fingerprint: fingerprint, expected: old.generation, replacing: false, removed: gone.ids,
                                    added: added, computed: computed, invalid: changed)) ?? false
        lap("save")
        return (out, MemoOutcome(path: .incremental, leaves: leaves.count, changedLeaves: fresh.count + gone.ids.count,
                                 computed: candidates.count, saved: saved, seconds: seconds))
    }

    /// A memo begun by ``MessageStoreExport/Exporter/beginMemo(_:)``: the store's leaves, walked in the
    /// exporter's transaction.
    public struct MemoStart {
        let store: String
        let fingerprint: String
        let leaves: [Leaf]
    }

    func beginMemo(_ memo: ProbeMemo) throws -> MemoStart? {
        let store = memoKey
        let fingerprint = try self.fingerprint()
        guard (try? memo.generation(store: store, fingerprint: fingerprint)) ?? nil == nil, let leaves = try walkLeaves() else { return nil }
        return MemoStart(store: store, fingerprint: fingerprint, leaves: leaves)
    }

    func finishMemo(_ memo: ProbeMemo, _ start: MemoStart, manifests: [String: MessageStoreExport.Manifest]) throws -> MemoOutcome {
        var added: [(leaf: ProbeMemo.Leaf, keys: Set<String>)] = []
        for leaf in start.leaves { added.append((leaf.memoLeaf, try keys(on: leaf).keys)) }
        let saved = (try? memo.save(store: start.store, fingerprint: start.fingerprint, expected: nil, replacing: true, removed: [],
                                    added: added, computed: manifests, invalid: [])) ?? false
        return MemoOutcome(path: .built, leaves: start.leaves.count, changedLeaves: start.leaves.count, computed: 0, saved: saved)
    }

    /// The store's name in the memo: its absolute path, links resolved.
    var memoKey: String { URL(fileURLWithPath: source).resolvingSymlinksInPath().standardizedFileURL.path }

    /// The memo's leaves that are gone (their memo ids) and the leaves read now that are new: the two sides
    /// matched as multisets of (table, page hash); a leaf with overflow pages never matches.
    static func diff(_ old: ProbeMemo.Snapshot, _ leaves: [Leaf]) -> (ids: [Int64], fresh: [Leaf]) {
        var unmatched: [Data: [Int64]] = [:]
        var gone: [Int64] = []
        for leaf in old.leaves {
            guard let id = leaf.id else { continue }
            if leaf.volatile { gone.append(id) } else { unmatched[matchKey(leaf.table, leaf.hash), default: []].append(id) }
        }
        var fresh: [Leaf] = []
        for leaf in leaves {
            let k = matchKey(leaf.table, leaf.hash)
            if !leaf.volatile, var ids = unmatched[k], !ids.isEmpty {
                ids.removeLast()
                unmatched[k] = ids
            } else {
                fresh.append(leaf)
            }
        }
        return (gone + unmatched.values.joined(), fresh)
    }

    /// A table leaf page read in this transaction.
    struct Leaf {
        var table: String
        var hash: Data
        var rowids: ClosedRange<Int64>?
        var volatile: Bool
        var memoLeaf: ProbeMemo.Leaf { ProbeMemo.Leaf(id: nil, table: table, hash: hash, volatile: volatile) }
    }

    static func matchKey(_ table: String, _ hash: Data) -> Data { Data(table.utf8) + [0] + hash }

    /// Every leaf page of the keyed tables, walked by `dbstat` with the tap recording, or `nil` when that
    /// cannot be trusted: no tap, no `dbstat`, a leaf the tap did not see, a page that is not a table leaf.
    func walkLeaves() throws -> [Leaf]? {
        guard let pages else { return nil }
        pages.recording = true
        defer { pages.recording = false }
        var out: [Leaf] = []
        for (table, _) in Self.keyedTables {
            guard rowidName(table) != nil else { return nil }
            let rows: [Row]
            do {
                rows = try Row.fetchAll(db, sql: "SELECT pageno, pagetype, path, ncell FROM dbstat WHERE name = ?", arguments: [table])
            } catch {
                return nil   // SQLite built without the dbstat table
            }
            var leafPath = ""
            for r in rows {
                let (number, type, path, cells): (Int64, String, String, Int) = (r[0], r[1], r[2], r[3])
                switch type {
                case "leaf":
                    guard let page = pages.pages[number], page.tableLeaf, cells == 0 || page.rowids != nil else { return nil }
                    out.append(Leaf(table: table, hash: page.hash, rowids: page.rowids, volatile: false))
                    leafPath = path
                case "overflow":
                    guard !out.isEmpty, path.hasPrefix(leafPath) else { return nil }
                    out[out.count - 1].volatile = true
                default:
                    continue   // interior pages of a table hold rowids and child pointers only
                }
            }
        }
        return out
    }

    /// The conversation keys of the rows on `leaf` (by its rowid range), as the batch probe reads keys: text only,
    /// up to a first NUL, invalid UTF-8 repaired; `plain` is false when some key needed either (then the
    /// candidates are computed by the batch probe, which matches keys the same way, not by indexed queries).
    func keys(on leaf: Leaf) throws -> (keys: Set<String>, plain: Bool) {
        guard let rowids = leaf.rowids, let column = Self.keyedTables.first(where: { $0.0 == leaf.table })?.1,
              let rowid = rowidName(leaf.table) else { return ([], true) }
        let sql = "SELECT \(column) FROM \(leaf.table) WHERE \(rowid) BETWEEN ? AND ?"
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments([rowids.lowerBound, rowids.upperBound])
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        var keys = Set<String>()
        var plain = true
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql) }
            guard sqlite3_column_type(s, 0) == SQLITE_TEXT, let text = sqlite3_column_text(s, 0) else { continue }
            let bytes = UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(s, 0)))
            let key = String(cString: text)
            if key.utf8.count != bytes.count || !key.utf8.elementsEqual(bytes) { plain = false }
            keys.insert(key)
        }
        return (keys, plain)
    }

    /// A name of `table`'s rowid no column of it shadows (`rowid`, `_rowid_` or `oid`), or `nil`.
    func rowidName(_ table: String) -> String? {
        let names = Set(((try? db.columns(in: table)) ?? []).map { $0.name.lowercased() })
        return ["rowid", "_rowid_", "oid"].first { !names.contains($0) }
    }

    /// What the memo's pages and manifests depend on besides the rows: the keyed tables' definitions (a column
    /// added with a default changes values without changing a page), the page size and the text encoding.
    func fingerprint() throws -> String {
        let tables = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN ('conversations', 'messages', 'reads') ORDER BY name")
            .map { "\($0[0] as String? ?? ""):\($0[1] as String? ?? "")" }
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
        let encoding = try String.fetchOne(db, sql: "PRAGMA encoding") ?? ""
        return (["memo 1 rowset-sha256", "page_size=\(pageSize)", "encoding=\(encoding)"] + tables).joined(separator: "\n")
    }
}
