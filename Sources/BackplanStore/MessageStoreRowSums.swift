import BackplanCore
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// A conversation's rows as the probe memo keeps them: per keyed table (conversations, messages, reads, in
/// that order) the row count and the sum modulo 2²⁵⁶ of the rows' SHA-256 — the state of its row-set
/// ``ContentDigest`` — and its largest message id. Row sets add and subtract, so after a few pages changed
/// the memo takes the rows on the pages that went out and adds those on the pages that came in
/// (``LeafSum``), without reading the conversation's other rows.
///
/// ```swift
/// var s = RowSums(digest: d, maxMessageId: 42)!   // d: a row-set ContentDigest of the three tables
/// s.manifest.digest == d.finalize()              // true
/// ```
struct RowSums: Equatable {
    /// Rows and sum per table of ``MessageStoreExport/Probe/keyedTables``, in order.
    var tables: [TableSum]
    var maxMessageId: Int64?

    /// The state of `digest`, or `nil` when it is not a row-set digest of exactly the three keyed tables.
    init?(digest: ContentDigest, maxMessageId: Int64?) {
        let tables = digest.tableSums
        guard tables.map(\.name) == MessageStoreExport.Probe.keyedTables.map(\.0) else { return nil }
        self.tables = tables
        self.maxMessageId = maxMessageId
    }

    /// The state of a batch probe's digest (``MessageStoreExport/Probe/digests(ofConversations:scheme:indexed:)``).
    init?(_ probed: (manifest: MessageStoreExport.Manifest, digest: ContentDigest)) {
        self.init(digest: probed.digest, maxMessageId: probed.manifest.maxMessageId)
    }

    /// The manifest these rows give (the digest's ``ContentDigest/finalize()``; no file, so no bytes).
    var manifest: MessageStoreExport.Manifest {
        .init(rows: Int(tables.reduce(0) { $0 + $1.rows }), digest: ContentDigest.rowSetDigest(tables), maxMessageId: maxMessageId, bytes: 0)
    }

    /// 3 × (row count, 8 bytes; sum, 32 bytes), then a byte saying whether a largest message id follows (8 bytes).
    var blob: Data {
        var out: [UInt8] = []
        for t in tables { LeafSum.appendCountAndSum(t.rows, t.sum, to: &out) }
        LeafSum.appendMaxID(maxMessageId, to: &out)
        return Data(out)
    }

    init?(blob: Data) {
        let names = MessageStoreExport.Probe.keyedTables.map(\.0)
        guard blob.count == names.count * 40 + 9 else { return nil }
        (tables, maxMessageId) = blob.withUnsafeBytes { raw in
            (names.enumerated().map { i, name in
                TableSum(name: name, rows: raw.loadUnaligned(fromByteOffset: i * 40, as: UInt64.self).bigEndian, sum: Sum256(raw, at: i * 40 + 8))
            }, LeafSum.maxID(raw, at: names.count * 40))
        }
    }
}

/// The rows of one conversation on one table leaf page: their count, the sum of their SHA-256 and their largest
/// message id (``RowSums``, per page).
struct LeafSum: Equatable {
    var rows: UInt64 = 0
    var sum = Sum256()
    var maxMessageId: Int64?

    /// A page's sums per conversation key: each key's UTF-8 and a NUL (keys never hold one: they are text up to
    /// a first NUL), the row count (8 bytes), the sum (32), a byte saying whether a message id follows (8).
    static func blob(_ sums: [String: LeafSum]) -> Data {
        var out: [UInt8] = []
        for (key, s) in sums.sorted(by: { $0.key < $1.key }) {
            out.append(contentsOf: key.utf8)
            out.append(0)
            appendCountAndSum(s.rows, s.sum, to: &out)
            appendMaxID(s.maxMessageId, to: &out)
        }
        return Data(out)
    }

    /// ``blob(_:)`` read back; `nil` when it is cut short.
    static func sums(blob: Data) -> [String: LeafSum]? {
        blob.withUnsafeBytes { raw -> [String: LeafSum]? in
            var out: [String: LeafSum] = [:]
            var i = 0
            while i < raw.count {
                guard let nul = raw[i...].firstIndex(of: 0), nul + 50 <= raw.count else { return nil }
                let key = String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<nul]), as: UTF8.self)
                out[key] = LeafSum(rows: raw.loadUnaligned(fromByteOffset: nul + 1, as: UInt64.self).bigEndian,
                                   sum: Sum256(raw, at: nul + 9), maxMessageId: maxID(raw, at: nul + 41))
                i = nul + 50
            }
            return out
        }
    }

    static func appendCountAndSum(_ rows: UInt64, _ sum: Sum256, to out: inout [UInt8]) {
        withUnsafeBytes(of: rows.bigEndian) { out.append(contentsOf: $0) }
        sum.append(to: &out)
    }

    static func appendMaxID(_ id: Int64?, to out: inout [UInt8]) {
        out.append(id == nil ? 0 : 1)
        withUnsafeBytes(of: (id ?? 0).bigEndian) { out.append(contentsOf: $0) }
    }

    static func maxID(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int64? {
        raw[offset] == 0 ? nil : raw.loadUnaligned(fromByteOffset: offset + 1, as: Int64.self).bigEndian
    }
}

extension MessageStoreExport.Probe {
    /// The rows on `leaf` (read by its rowid range) summed per conversation key, each row encoded as the batch
    /// probe encodes it (``appendColumn(_:_:to:)``) and keyed as it keys rows (text only, up to a first NUL,
    /// invalid UTF-8 repaired); `plain` is false when some key needed either.
    func sums(on leaf: Leaf) throws -> (sums: [String: LeafSum], plain: Bool) {
        guard let rowids = leaf.rowids, let column = Self.keyedTables.first(where: { $0.0 == leaf.table })?.1,
              let rowid = rowidName(leaf.table) else { return ([:], true) }
        let columns = try db.columns(in: leaf.table)
        guard let keyIndex = columns.firstIndex(where: { $0.name == column }).map(Int32.init) else { return ([:], true) }
        let idIndex = leaf.table == "messages" ? columns.firstIndex(where: { $0.name == "id" }).map(Int32.init) : nil
        let sql = "SELECT * FROM \(leaf.table) WHERE \(rowid) BETWEEN ? AND ?"
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments([rowids.lowerBound, rowids.upperBound])
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        let width = sqlite3_column_count(s)
        let chunk = ByteChunk(capacity: 4096)
        var out: [String: LeafSum] = [:]
        var plain = true
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql) }
            guard sqlite3_column_type(s, keyIndex) == SQLITE_TEXT, let text = sqlite3_column_text(s, keyIndex) else { continue }
            let bytes = UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(s, keyIndex)))
            let key = String(cString: text)
            if key.utf8.count != bytes.count || !key.utf8.elementsEqual(bytes) { plain = false }
            chunk.reset()
            for i in 0..<width { Self.appendColumn(s, i, to: chunk) }
            var h = SHA256()
            h.update(bufferPointer: UnsafeRawBufferPointer(start: chunk.base, count: chunk.count))
            var entry = out[key] ?? LeafSum()
            entry.rows += 1
            entry.sum.add(h.finalize())
            if let idIndex, sqlite3_column_type(s, idIndex) == SQLITE_INTEGER {
                let id = sqlite3_column_int64(s, idIndex)
                entry.maxMessageId = Swift.max(entry.maxMessageId ?? id, id)
            }
            out[key] = entry
        }
        return (out, plain)
    }
}

/// What the changed pages did to one conversation's rows: per keyed table the rows and sums that came (new
/// pages) and went (gone pages), and the largest message id on each side.
struct SumDelta {
    var came = [LeafSum](repeating: LeafSum(), count: MessageStoreExport.Probe.keyedTables.count)
    var went = [LeafSum](repeating: LeafSum(), count: MessageStoreExport.Probe.keyedTables.count)

    mutating func add(_ s: LeafSum, table: String) { Self.merge(s, into: &came, table: table) }
    mutating func subtract(_ s: LeafSum, table: String) { Self.merge(s, into: &went, table: table) }

    private static func merge(_ s: LeafSum, into side: inout [LeafSum], table: String) {
        guard let i = MessageStoreExport.Probe.keyedTables.firstIndex(where: { $0.0 == table }) else { return }
        side[i].rows += s.rows
        side[i].sum.add(s.sum)
        if let id = s.maxMessageId { side[i].maxMessageId = max(side[i].maxMessageId ?? id, id) }
    }

    /// `before` with these rows gone and come, or `nil` when that cannot be known without reading the
    /// conversation whole: its largest message id may have been on a gone page and no row that came matches
    /// it, or more rows went than it had (a memo out of step with the store).
    func applied(to before: RowSums) -> RowSums? {
        var next = before
        for i in next.tables.indices {
            guard next.tables[i].rows + came[i].rows >= went[i].rows else { return nil }
            next.tables[i].rows = next.tables[i].rows + came[i].rows - went[i].rows
            next.tables[i].sum.add(came[i].sum)
            next.tables[i].sum.subtract(went[i].sum)
        }
        // Largest message id: rows on pages that stayed are at most the old one. If a gone page may have held it,
        // only a row that came as large or larger settles the new one.
        let wentMax = went.compactMap(\.maxMessageId).max(), cameMax = came.compactMap(\.maxMessageId).max()
        if let old = before.maxMessageId, let w = wentMax, w >= old {
            guard let c = cameMax, c >= old else { return nil }
            next.maxMessageId = c
        } else if let c = cameMax {
            next.maxMessageId = max(before.maxMessageId ?? c, c)
        }
        return next
    }
}
