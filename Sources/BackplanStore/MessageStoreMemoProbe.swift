import BackplanCore
import Foundation
import GRDB
import GRDBSQLite

extension MessageStoreExport.Probe {
    /// How ``manifests(ofConversations:memo:prepared:)`` went, for the executor's log and the tests.
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
        /// Conversations asked whose manifests were computed from all their rows.
        public var computed = 0
        /// Conversations whose row sums were brought up to date from the changed pages' rows alone.
        public var summed = 0
        /// Whether the memo was saved (`false`: it could not be written, or another probe saved first).
        public var saved = false
        /// Wall-clock seconds of the probe's steps (walking the pages, reading the memo, computing, saving).
        public var seconds: [(String, Double)] = []

        public var description: String {
            "\(path.rawValue): \(changedLeaves) of \(leaves) leaf pages changed, \(summed) conversation(s) updated from their rows, "
                + "\(computed) read whole\(saved ? "" : ", memo not saved")"
                + (seconds.isEmpty ? "" : " (" + seconds.map { "\($0.0) \(String(format: "%.2f", $0.1)) s" }.joined(separator: ", ") + ")")
        }

        public static func == (a: Self, b: Self) -> Bool {
            (a.path, a.leaves, a.changedLeaves, a.computed, a.summed, a.saved) == (b.path, b.leaves, b.changedLeaves, b.computed, b.summed, b.saved)
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
    /// the memo holds the same rows; the rows on leaves that are new or gone are the only rows that can differ.
    /// The memo keeps each conversation's row sums (``RowSums``: a row-set digest adds and subtracts) and, for
    /// the pages likely to change next — each table's last leaf, where new rows land, and the pages that changed
    /// last time — the sums of their rows per conversation (``LeafSum``). A conversation with rows on changed
    /// pages is brought up to date from those rows alone: minus the gone pages' sums, plus the new pages' (read
    /// now, by rowid range). Only a conversation with rows on a gone page the memo kept no sums of (its keys
    /// only), or whose largest message id may have left, is read whole again (through the store's indexes, or in
    /// one pass when they are many). A leaf whose rows spill to overflow pages is never taken as unchanged.
    ///
    /// Falls back to reading every row when the store was not opened through the tap, `dbstat` is missing, a
    /// table is not a rowid table, the schema or page format differs from the memo's, the memo is unreadable,
    /// or more than a quarter of the leaves changed (a VACUUM): then the memo is built again.
    ///
    /// - Parameter prepared: ``prepareMemo(_:)`` of this same probe, done ahead (the executor's probe session
    ///   does it while the plan is read); `nil` does it here.
    public func manifests(ofConversations ids: Set<String>, memo: ProbeMemo, prepared: MemoPrepared? = nil)
        throws -> (manifests: [String: MessageStoreExport.Manifest], outcome: MemoOutcome) {
        var (manifests, outcome, save) = try manifestsSavingLater(ofConversations: ids, memo: memo, prepared: prepared)
        save.perform(&outcome)
        return (manifests, outcome)
    }

    /// A memo save ``manifestsSavingLater(ofConversations:memo:prepared:)`` left to its caller: the executor saves
    /// once its restic runs have started (a save is a write transaction and its syncs, ~0.02 s). Not saving is
    /// safe: the next probe compares the store with the memo as it was (one more changed page to read).
    public struct MemoSave {
        let write: () -> Bool

        /// Saves, setting `outcome.saved` and adding the save's seconds to `outcome.seconds`.
        public func perform(_ outcome: inout MemoOutcome) {
            let clock = Date()
            outcome.saved = write()
            outcome.seconds.append(("save", Date().timeIntervalSince(clock)))
        }
    }

    /// ``manifests(ofConversations:memo:prepared:)`` whose memo save is the caller's to do (``MemoSave``), after
    /// the work that waits for the manifests; the save does not need this probe's transaction.
    public func manifestsSavingLater(ofConversations ids: Set<String>, memo: ProbeMemo, prepared: MemoPrepared? = nil)
        throws -> (manifests: [String: MessageStoreExport.Manifest], outcome: MemoOutcome, save: MemoSave) {
        let p = try prepared ?? prepareMemo(memo)
        var clock = Date()
        var seconds = p.seconds
        func lap(_ step: String) {
            seconds.append((step, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        switch p.kind {
        case .untapped:
            let store = p.store
            return (try manifests(ofConversations: ids), MemoOutcome(path: .untapped, computed: ids.count),
                    MemoSave { try? memo.drop(store: store); return false })
        case .rebuild(let leaves):
            let all = try digests(ofConversations: ids)
            let added = try? newLeaves(leaves)
            lap("rows")
            let (store, fingerprint) = (p.store, p.fingerprint)
            let sums = all.compactMapValues(RowSums.init)
            return (all.mapValues(\.manifest), MemoOutcome(path: .built, leaves: leaves.count, changedLeaves: leaves.count, computed: ids.count,
                                                          seconds: seconds),
                    MemoSave {
                        guard let added else { return false }
                        return (try? memo.save(store: store, fingerprint: fingerprint, expected: nil, replacing: true, removed: [], added: added,
                                               sums: sums, invalid: [])) ?? false
                    })
        case .incremental(let u):
            var sums = u.sums
            let candidates = ids.filter { u.whole.contains($0) || (u.old.manifests[$0] == nil && sums[$0] == nil) }
            let computed = try digests(ofConversations: candidates, indexed: u.plain && candidates.count <= u.leaves / 4)
            for (k, c) in computed { sums[k] = RowSums(c) }
            lap("rows")
            var out: [String: MessageStoreExport.Manifest] = [:]
            for id in ids { out[id] = computed[id]?.manifest ?? sums[id]?.manifest ?? u.old.manifests[id] }
            let (store, fingerprint) = (p.store, p.fingerprint)
            return (out, MemoOutcome(path: .incremental, leaves: u.leaves, changedLeaves: u.changedLeaves,
                                     computed: candidates.count, summed: u.updated, seconds: seconds),
                    MemoSave {
                        (try? memo.save(store: store, fingerprint: fingerprint, expected: u.old.generation, replacing: false, removed: u.gone,
                                        added: u.added, summed: u.summed, sums: sums, invalid: u.whole)) ?? false
                    })
        }
    }

    /// What ``manifests(ofConversations:memo:prepared:)`` does before it needs the conversations asked: the
    /// store's pages walked, the memo read and compared with them, the changed pages' rows summed. A round
    /// does this while it reads its plan (the executor's probe session); the result belongs to this probe's
    /// read transaction and is used in it only.
    public struct MemoPrepared {
        enum Kind {
            case untapped
            case rebuild(leaves: [Leaf])
            case incremental(Update)
        }
        struct Update {
            var old: ProbeMemo.Snapshot
            var leaves: Int, changedLeaves: Int, updated: Int
            var plain: Bool
            var gone: [Int64]
            var added: [ProbeMemo.NewLeaf]
            var summed: [Int64: [String: LeafSum]]
            var sums: [String: RowSums]
            var whole: Set<String>
        }
        let store: String
        let fingerprint: String
        let kind: Kind
        let seconds: [(String, Double)]
    }

    /// ``MemoPrepared`` for this probe and `memo`.
    public func prepareMemo(_ memo: ProbeMemo) throws -> MemoPrepared {
        var clock = Date()
        var seconds: [(String, Double)] = []
        func lap(_ step: String) {
            seconds.append((step, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        let store = memoKey
        let walked = try walkLeaves()
        lap("walk")
        guard let leaves = walked else { return MemoPrepared(store: store, fingerprint: "", kind: .untapped, seconds: seconds) }
        let fingerprint = try self.fingerprint()
        let old = try? memo.load(store: store, fingerprint: fingerprint)
        let diff = old.map { Self.diff($0, leaves) }
        let few = diff.map { $0.fresh.count <= Swift.max(16, leaves.count / 4) } ?? false
        let contents = few ? old.flatMap { o in diff.flatMap { try? memo.contents(ofLeaves: $0.gone, store: store, generation: o.generation) } } : nil
        lap("memo")
        guard let old, let diff, let contents else {
            return MemoPrepared(store: store, fingerprint: fingerprint, kind: .rebuild(leaves: leaves), seconds: seconds)
        }
        // The rows on new pages, plus; those on gone pages, minus (their keys only, for pages kept without sums).
        var delta: [String: SumDelta] = [:]
        var added: [ProbeMemo.NewLeaf] = []
        var plain = old.leaves.allSatisfy(\.plain)
        for leaf in diff.fresh {
            let (sums, p) = try self.sums(on: leaf)
            plain = plain && p
            added.append(.init(leaf: leaf.memoLeaf(plain: p), keys: [], sums: sums))
            for (k, s) in sums { delta[k, default: SumDelta()].add(s, table: leaf.table) }
        }
        for (table, sums) in contents.sums {
            for (k, s) in sums { delta[k, default: SumDelta()].subtract(s, table: table) }
        }
        // Each table's last leaf (where new rows land) kept with its sums, so the next append finds them.
        var summed: [Int64: [String: LeafSum]] = [:]
        for i in lastLeaves(leaves) {
            guard let id = diff.matched[i], old.leaves.first(where: { $0.id == id })?.summed == false else { continue }
            summed[id] = try self.sums(on: leaves[i]).sums
        }
        lap("new leaves")
        var whole = contents.keys
        let before = try memo.sums(of: Set(delta.keys).subtracting(whole), store: store)
        var sums: [String: RowSums] = [:]
        for (k, d) in delta where !whole.contains(k) {
            if let s = before[k], let next = d.applied(to: s) { sums[k] = next } else { whole.insert(k) }
        }
        let update = MemoPrepared.Update(old: old, leaves: leaves.count, changedLeaves: diff.fresh.count + diff.gone.count, updated: sums.count,
                                         plain: plain, gone: diff.gone, added: added, summed: summed, sums: sums, whole: whole)
        return MemoPrepared(store: store, fingerprint: fingerprint, kind: .incremental(update), seconds: seconds)
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

    func finishMemo(_ memo: ProbeMemo, _ start: MemoStart, sums: [String: RowSums]) throws -> MemoOutcome {
        let saved = (try? memo.save(store: start.store, fingerprint: start.fingerprint, expected: nil, replacing: true, removed: [],
                                    added: try newLeaves(start.leaves), sums: sums, invalid: [])) ?? false
        return MemoOutcome(path: .built, leaves: start.leaves.count, changedLeaves: start.leaves.count, computed: 0, saved: saved)
    }

    /// Every leaf of a memo built anew: each table's last leaf with its rows' sums, the others with their keys.
    private func newLeaves(_ leaves: [Leaf]) throws -> [ProbeMemo.NewLeaf] {
        let last = lastLeaves(leaves)
        return try leaves.indices.map { i in
            if last.contains(i) {
                let (sums, plain) = try sums(on: leaves[i])
                return .init(leaf: leaves[i].memoLeaf(plain: plain), keys: [], sums: sums)
            }
            let (keys, plain) = try keys(on: leaves[i])
            return .init(leaf: leaves[i].memoLeaf(plain: plain), keys: keys, sums: nil)
        }
    }

    /// The indexes of each table's leaf holding its largest rowids (where rows appended land).
    private func lastLeaves(_ leaves: [Leaf]) -> Set<Int> {
        var last: [String: Int] = [:]
        for (i, leaf) in leaves.enumerated() {
            guard let top = leaf.rowids?.upperBound else { continue }
            if let j = last[leaf.table], let t = leaves[j].rowids?.upperBound, t >= top { continue }
            last[leaf.table] = i
        }
        return Set(last.values)
    }

    /// The store's name in the memo: its absolute path, links resolved.
    var memoKey: String { URL(fileURLWithPath: source).resolvingSymlinksInPath().standardizedFileURL.path }

    /// The memo's leaves that are gone (their memo ids), the leaves read now that are new, and those that match
    /// one of the memo (index among `leaves` → memo id): the two sides matched as multisets of (table, page
    /// hash); a leaf with overflow pages never matches.
    static func diff(_ old: ProbeMemo.Snapshot, _ leaves: [Leaf]) -> (gone: [Int64], fresh: [Leaf], matched: [Int: Int64]) {
        var unmatched: [LeafKey: [Int64]] = [:]
        unmatched.reserveCapacity(old.leaves.count)
        var gone: [Int64] = []
        for leaf in old.leaves {
            guard let id = leaf.id else { continue }
            if !leaf.volatile, let k = LeafKey(leaf.table, leaf.hash) { unmatched[k, default: []].append(id) } else { gone.append(id) }
        }
        var fresh: [Leaf] = []
        var matched: [Int: Int64] = [:]
        matched.reserveCapacity(leaves.count)
        for (i, leaf) in leaves.enumerated() {
            if !leaf.volatile, let k = LeafKey(leaf.table, leaf.hash), let id = unmatched[k]?.popLast() {
                matched[i] = id
            } else {
                fresh.append(leaf)
            }
        }
        return (gone + unmatched.values.joined(), fresh, matched)
    }

    /// What a leaf is matched by: its table and the SHA-256 of its bytes, held as four words (hashed and
    /// compared without a `Data` per leaf: 15,000 of them per round). `nil` for a hash that is not 32 bytes
    /// (a damaged memo's), which then matches nothing.
    struct LeafKey: Hashable {
        let table: String
        let words: (UInt64, UInt64, UInt64, UInt64)

        init?(_ table: String, _ hash: Data) {
            guard hash.count == 32 else { return nil }
            self.table = table
            words = hash.withUnsafeBytes { b in
                (b.loadUnaligned(fromByteOffset: 0, as: UInt64.self), b.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 b.loadUnaligned(fromByteOffset: 16, as: UInt64.self), b.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            }
        }

        static func == (a: Self, b: Self) -> Bool { a.table == b.table && a.words == b.words }

        func hash(into h: inout Hasher) {
            h.combine(table)
            h.combine(words.0)
            h.combine(words.1)
            h.combine(words.2)
            h.combine(words.3)
        }
    }

    /// A table leaf page read in this transaction.
    struct Leaf {
        var table: String
        var hash: Data
        var rowids: ClosedRange<Int64>?
        var volatile: Bool
        func memoLeaf(plain: Bool) -> ProbeMemo.Leaf { ProbeMemo.Leaf(id: nil, table: table, hash: hash, volatile: volatile, plain: plain) }
    }

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
