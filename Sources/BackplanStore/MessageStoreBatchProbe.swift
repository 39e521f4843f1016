import BackplanCore
import Crypto
import Foundation
import GRDB
import GRDBSQLite

extension MessageStoreExport.Probe {
    /// ``manifest(of:scheme:)`` of many conversations at once, equal to it for each (tested): one pass over
    /// each table, each row's bytes added to its conversation's ``ContentDigest`` — instead of a few indexed
    /// queries per conversation, which cost a round ~4 ms per dataset on a 10,000-conversation store.
    /// Conversations with no rows get the manifest of an empty export.
    ///
    /// In the ``ContentDigest/Scheme/rowSet`` scheme the pass is a plain scan of each table, rows in any order.
    /// The ``ContentDigest/Scheme/ordered`` scheme (backups made before it) needs every conversation's rows
    /// ordered by every column: the pass is ordered by conversation and then by every column, and SQLite's
    /// sort of the rows was most of its time (on the benchmark's store, 1.4 s of a 1.7 s probe).
    ///
    /// The rows are read straight off SQLite's statement (no `Row` per row: on a 1 M-row store that was
    /// most of the pass) and hashed on a second thread (``DigestPipeline``), and each value is encoded as ``MessageStoreExport/append(_:to:)`` encodes the
    /// `DatabaseValue` GRDB would make of it — text up to its first NUL, invalid UTF-8 repaired — so the
    /// digests stay those of the exports.
    ///
    /// ```swift
    /// let m = try MessageStoreExport.probing("chat.sqlite") { try $0.manifests(ofConversations: ["c000042", "c000043"]) }
    /// ```
    ///
    /// With `indexed`, each table is read only for the asked keys (`WHERE <key> IN (…)`, 500 keys a statement,
    /// through the store's indexes) instead of scanned: for the few conversations the probe memo leaves to
    /// compute. A row is matched by its key text as bound, so keys that are not their own `String(cString:)`
    /// (a NUL, invalid UTF-8) must not be asked this way (``manifests(ofConversations:memo:prepared:)`` does not).
    public func manifests(ofConversations ids: Set<String>, scheme: ContentDigest.Scheme = .rowSet,
                          indexed: Bool = false) throws -> [String: MessageStoreExport.Manifest] {
        try digests(ofConversations: ids, scheme: scheme, indexed: indexed).mapValues(\.manifest)
    }

    /// ``manifests(ofConversations:scheme:indexed:)`` with each conversation's digest before it is finished (the
    /// probe memo keeps its row-set state, ``RowSums``).
    func digests(ofConversations ids: Set<String>, scheme: ContentDigest.Scheme = .rowSet,
                 indexed: Bool = false) throws -> [String: (manifest: MessageStoreExport.Manifest, digest: ContentDigest)] {
        let names = Array(ids)
        var index: [String: Int] = [:]
        var short: [ShortKey: Int] = [:]   // the ids a key's raw bytes can be looked up by without a String
        for (i, id) in names.enumerated() {
            index[id] = i
            if let k = Array(id.utf8).withUnsafeBytes({ ShortKey($0) }) { short[k] = i }
        }
        // The rows' hashing runs on a thread of its own while this one reads (``DigestPipeline``).
        let pipeline = DigestPipeline(count: names.count, scheme: scheme)
        var finished: [ContentDigest]?
        defer { if finished == nil { _ = pipeline.finish() } }
        var counts = [Int](repeating: 0, count: names.count)
        var maxIDs = [Int64?](repeating: nil, count: names.count)
        for (table, keyColumn) in [("conversations", "id"), ("messages", "conversation_id"), ("reads", "conversation_id")] {
            pipeline.beginTable(table)
            let columns = try db.columns(in: table)
            guard let keyIndex = columns.firstIndex(where: { $0.name == keyColumn }) else { continue }
            let idIndex = table == "messages" ? columns.firstIndex(where: { $0.name == "id" }) : nil
            let order = scheme.needsOrder ? " ORDER BY \(keyColumn), " + (1...max(columns.count, 1)).map(String.init).joined(separator: ", ") : ""
            let parts = indexed ? stride(from: 0, to: names.count, by: 500).map { Array(names[$0..<min($0 + 500, names.count)]) } : [[]]
            for part in parts {
                let filter = indexed ? " WHERE \(keyColumn) IN (" + Array(repeating: "?", count: part.count).joined(separator: ", ") + ")" : ""
                let sql = "SELECT * FROM \(table)\(filter)\(order)"
                let statement = try db.makeStatement(sql: sql)
                if indexed { try statement.setArguments(StatementArguments(part)) }
                let s = statement.sqliteStatement
                let width = sqlite3_column_count(s)
                while true {
                    let rc = sqlite3_step(s)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage, sql: sql)
                    }
                    let k = Int32(keyIndex)
                    guard sqlite3_column_type(s, k) == SQLITE_TEXT, let keyText = sqlite3_column_text(s, k) else { continue }
                    let key = UnsafeRawBufferPointer(start: keyText, count: Int(sqlite3_column_bytes(s, k)))
                    // A short ASCII key is its own String(cString:): looked up by its bytes, no allocation per row.
                    let found = ShortKey(key).map { short[$0] } ?? index[String(cString: keyText)]
                    guard let c = found else { continue }
                    counts[c] += 1
                    pipeline.append(row: c) { chunk in for i in 0..<width { Self.appendColumn(s, i, to: chunk) } }
                    if let idIndex, sqlite3_column_type(s, Int32(idIndex)) == SQLITE_INTEGER {
                        let id = sqlite3_column_int64(s, Int32(idIndex))
                        maxIDs[c] = Swift.max(maxIDs[c] ?? id, id)
                    }
                }
            }
        }
        let digests = pipeline.finish()
        finished = digests
        var out: [String: (manifest: MessageStoreExport.Manifest, digest: ContentDigest)] = [:]
        for (i, id) in names.enumerated() {
            out[id] = (MessageStoreExport.Manifest(rows: counts[i], digest: digests[i].finalize(), maxMessageId: maxIDs[i], bytes: 0), digests[i])
        }
        return out
    }

    /// Column `i` of the current row of `s`, appended to `out` as ``MessageStoreExport/append(_:to:)`` appends
    /// the `DatabaseValue` GRDB makes of it (GRDB: `String(cString: sqlite3_column_text(…))` for text): type
    /// tag, byte count (8 bytes, big-endian), bytes.
    static func appendColumn(_ s: OpaquePointer, _ i: Int32, to out: ByteChunk) {
        switch sqlite3_column_type(s, i) {
        case SQLITE_INTEGER:
            out.put(UInt8(1))
            out.put(UInt64(8))
            out.put(UInt64(bitPattern: sqlite3_column_int64(s, i)))
        case SQLITE_FLOAT:
            out.put(UInt8(2))
            out.put(UInt64(8))
            out.put(sqlite3_column_double(s, i).bitPattern)
        case SQLITE_TEXT:
            guard let p = sqlite3_column_text(s, i) else { return appendNull(to: out) }
            let text = UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i)))
            // ASCII without NUL is its own UTF-8 and String(cString:) keeps it whole: copy it as it is.
            if text.allSatisfy({ $0 != 0 && $0 < 0x80 }) {
                out.put(UInt8(3))
                out.put(UInt64(text.count))
                out.put(text)
            } else {
                var bytes: [UInt8] = []
                MessageStoreExport.append(String(cString: p).databaseValue, to: &bytes)
                out.put(bytes)
            }
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(s, i))
            out.put(UInt8(4))
            out.put(UInt64(n))
            if n > 0, let p = sqlite3_column_blob(s, i) { out.put(UnsafeRawBufferPointer(start: p, count: n)) }
        default:
            appendNull(to: out)
        }
    }

    private static func appendNull(to out: ByteChunk) {
        out.put(UInt8(0))
        out.put(UInt64(0))
    }
}

/// A dataset key of at most 16 ASCII bytes without NUL, held inline: what most conversation ids are, looked up
/// per row of a batch probe without making a `String` of it (for such bytes `String(cString:)` is the same text).
struct ShortKey: Hashable {
    var low: UInt64 = 0, high: UInt64 = 0, count: Int

    /// `nil` when `bytes` is longer than 16, or holds a NUL or a non-ASCII byte.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= 16 else { return nil }
        count = bytes.count
        for (i, b) in bytes.enumerated() {
            guard b != 0, b < 0x80 else { return nil }
            if i < 8 { low |= UInt64(b) << (8 * UInt64(i)) } else { high |= UInt64(b) << (8 * UInt64(i - 8)) }
        }
    }
}
