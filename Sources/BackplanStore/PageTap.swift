import CPageTap
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The pages of a message store as SQLite reads them inside one read transaction, each kept as its SHA-256 (and,
/// for a table b-tree leaf, the first and last rowid on it): what ``MessageStoreExport/Probe/manifests(ofConversations:memo:prepared:)``
/// compares with the pages of the previous probe to find the few conversations whose rows may have changed.
///
/// SQLite reads the pages through the pass-through VFS `backplan-tap` (C target `CPageTap`), which hands each
/// page read to the sink named in the connection's URI: from the database file, or from the WAL frame that
/// holds the page's newest version visible to the transaction — so a WAL store taking writes is seen as
/// consistently as every other read of the probe. Nothing is parsed but a table leaf's cell pointers and the
/// rowid varints they point at (SQLite file format §1.6, sqlite.org/fileformat2.html).
///
/// ```swift
/// let sink = PageSink()
/// try MessageStoreExport.probing("chat.sqlite", pages: sink) { probe in … sink.pages[42]?.hash … }
/// ```
public final class PageSink: @unchecked Sendable {
    /// One page read: its SHA-256 and, for a table b-tree leaf with cells, the rowids of its first and last cell.
    public struct Page: Sendable, Equatable {
        public var hash: Data
        public var rowids: ClosedRange<Int64>?
        /// A table b-tree leaf (page type 0x0D).
        public var tableLeaf: Bool
    }

    /// Pages read while ``recording``, by page number (1-based). A page read twice in one transaction has one
    /// content, so the last read stands.
    public private(set) var pages: [Int64: Page] = [:]
    /// On only while the probe walks the tables (exports read far more pages, none of which need a hash). A
    /// page of a table SQLite had read before, from its cache, is not seen again: the walk then finds a leaf
    /// it has no hash of and the probe reads every row instead.
    public var recording = false

    public init() {}

    func record(page: Int64, bytes: UnsafeRawBufferPointer) {
        guard recording else { return }
        let (leaf, rowids) = Self.tableLeafRowids(page: page, bytes)
        pages[page] = Page(hash: Data(SHA256.hash(data: bytes)), rowids: rowids, tableLeaf: leaf)
    }

    /// Whether `bytes` (page `page`) is a table b-tree leaf, and its cells' first and last rowid (`nil`: no
    /// cells, or a cell pointer or varint outside the page — then the probe treats the page as unreadable).
    static func tableLeafRowids(page: Int64, _ bytes: UnsafeRawBufferPointer) -> (Bool, ClosedRange<Int64>?) {
        let header = page == 1 ? 100 : 0
        guard bytes.count >= header + 8, bytes[header] == 0x0D else { return (false, nil) }
        let cells = Int(bytes[header + 3]) << 8 | Int(bytes[header + 4])
        guard cells > 0, header + 8 + 2 * cells <= bytes.count else { return (true, nil) }
        func rowid(_ cell: Int) -> Int64? {
            let at = Int(bytes[header + 8 + 2 * cell]) << 8 | Int(bytes[header + 9 + 2 * cell])
            guard let (_, afterSize) = varint(bytes, at), let (id, _) = varint(bytes, afterSize) else { return nil }
            return Int64(bitPattern: id)
        }
        guard let first = rowid(0), let last = rowid(cells - 1), first <= last else { return (true, nil) }
        return (true, first...last)
    }

    /// SQLite's big-endian varint at `at` (1–9 bytes; the ninth byte contributes all 8 bits) and the offset after it.
    static func varint(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> (UInt64, Int)? {
        var value: UInt64 = 0
        for i in 0..<9 {
            guard at + i < bytes.count, at + i >= 0 else { return nil }
            let b = bytes[at + i]
            if i == 8 { return ((value << 8) | UInt64(b), at + 9) }
            value = (value << 7) | UInt64(b & 0x7F)
            if b < 0x80 { return (value, at + i + 1) }
        }
        return nil
    }

    /// A URI opening `path` read-only through the tap, reporting to `sink` (percent-encoded: `?`, `#`, `%` and
    /// every byte outside the unreserved set of a path), or `nil` when the tap VFS could not be registered.
    static func uri(path: String, sink: PageSink) -> String? {
        guard register() else { return nil }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var encoded = ""
        for b in absolute.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.append(Character(Unicode.Scalar(b)))
            default:
                encoded += String(format: "%%%02X", b)
            }
        }
        let address = UInt(bitPattern: Unmanaged.passUnretained(sink).toOpaque())
        return "file:\(encoded)?vfs=\(String(cString: backplan_tap_vfs_name))&mode=ro&backplan_tap=\(address)"
    }

    private static let registered: Bool = backplan_tap_register { sink, page, bytes, count in
        guard let sink, let bytes, count > 0 else { return }
        Unmanaged<PageSink>.fromOpaque(sink).takeUnretainedValue()
            .record(page: page, bytes: UnsafeRawBufferPointer(start: bytes, count: Int(count)))
    } == SQLITE_OK

    static func register() -> Bool { registered }
}
