import BackplanCore
import Crypto
import Foundation

/// The content digest of a dataset's rows, in one of two schemes. A manifest's digest names its scheme, so a
/// backup made under either is verified under its own.
///
/// - ``Scheme/ordered`` (the first; a bare 64-hex-digit SHA-256): each table by name, its rows ordered by
///   every column, hashed as one stream. Computing it from a live store means sorting every dataset's rows.
/// - ``Scheme/rowSet`` (`rowset-sha256:` and 64 hex digits): each table by name as its row count and the sum,
///   modulo 2²⁵⁶, of the SHA-256 of every row, then one SHA-256 over those. A sum does not depend on the order
///   rows come in, so one plain scan of a store gives every dataset's digest — on a 10,000-conversation store
///   without the sort that made most of a round's comparison time. It is the additive multiset hash
///   (Clarke, Devadas, van Dijk, Gassend and Suh, "Incremental Multiset Hash Functions", ASIACRYPT 2003,
///   MSet-Add-Hash): equal multisets of rows give equal digests, a lost, added, changed or duplicated row
///   changes it. It guards a restore against corruption and mistakes; the restic repository's own
///   authentication guards against tampering.
///
/// Each row is hashed as ``MessageStoreExport/append(_:to:)`` encodes its values (type tag, length, bytes).
///
/// ```swift
/// var d = ContentDigest(.rowSet)
/// d.beginTable("messages")
/// d.addRow([1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 42])   // one integer column holding 42
/// d.finalize()   // "rowset-sha256:…"
/// ```
public struct ContentDigest {
    /// How rows make a digest.
    public enum Scheme: Sendable, Equatable {
        case ordered
        case rowSet

        /// The scheme a recorded digest was made with (a bare hex digest is ``ordered``).
        public init(of digest: String) {
            self = digest.hasPrefix(Self.rowSetPrefix) ? .rowSet : .ordered
        }

        static let rowSetPrefix = "rowset-sha256:"

        /// Whether rows must come ordered by every column (``ordered``) or may come in any order.
        public var needsOrder: Bool { self == .ordered }
    }

    public let scheme: Scheme
    private var stream = SHA256()
    /// Finished tables (``Scheme/rowSet``): name, rows, sum.
    private var tables: [(name: String, rows: UInt64, sum: Sum256)] = []
    private var current: (name: String, rows: UInt64, sum: Sum256)?

    public init(_ scheme: Scheme) {
        self.scheme = scheme
    }

    /// Starts the next table (tables come by name).
    public mutating func beginTable(_ name: String) {
        switch scheme {
        case .ordered: stream.update(data: Data("table \(name)\n".utf8))
        case .rowSet:
            if let c = current { tables.append(c) }
            current = (name, 0, Sum256())
        }
    }

    /// Adds one row of the current table: its values' bytes as ``MessageStoreExport/append(_:to:)`` encodes them.
    public mutating func addRow(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { addRow($0) }
    }

    /// ``addRow(_:)-([UInt8])`` from a buffer.
    public mutating func addRow(_ bytes: UnsafeRawBufferPointer) {
        switch scheme {
        case .ordered:
            stream.update(bufferPointer: bytes)
        case .rowSet:
            if current == nil { beginTable("") }
            var h = SHA256()
            h.update(bufferPointer: bytes)
            current!.rows += 1
            current!.sum.add(h.finalize())
        }
    }

    /// The digest: 64 lowercase hex digits (``Scheme/ordered``) or `rowset-sha256:` and 64 (``Scheme/rowSet``).
    public func finalize() -> String {
        switch scheme {
        case .ordered:
            return Hex.string(stream.finalize())
        case .rowSet:
            return Self.rowSetDigest(tableSums)
        }
    }

    /// A row-set digest's state: each table begun so far, with its row count and the sum of its rows' SHA-256
    /// (empty in the ordered scheme). Sums of row sets add and subtract, so the probe memo keeps this per
    /// conversation and per page and updates it from the rows of changed pages alone.
    var tableSums: [TableSum] {
        scheme == .rowSet ? tables.map { TableSum(name: $0.name, rows: $0.rows, sum: $0.sum) }
            + (current.map { [TableSum(name: $0.name, rows: $0.rows, sum: $0.sum)] } ?? []) : []
    }

    /// ``finalize()`` of a row-set digest whose tables hold `tables` (``tableSums``).
    static func rowSetDigest(_ tables: [TableSum]) -> String {
        var h = SHA256()
        h.update(data: Data("backplan rowset-sha256 1\n".utf8))
        for t in tables {
            var bytes = Array("table \(t.name)\n".utf8)
            withUnsafeBytes(of: t.rows.bigEndian) { bytes.append(contentsOf: $0) }
            for limb in t.sum.limbs { withUnsafeBytes(of: limb.bigEndian) { bytes.append(contentsOf: $0) } }
            h.update(data: bytes)
        }
        return Scheme.rowSetPrefix + Hex.string(h.finalize())
    }
}

/// One table of a row-set digest: its name, row count and the sum of its rows' SHA-256 (``ContentDigest/tableSums``).
struct TableSum: Equatable {
    var name: String
    var rows: UInt64
    var sum: Sum256
}

/// A 256-bit unsigned integer modulo 2²⁵⁶ in four 64-bit limbs, most significant first (no heap storage: a
/// batch probe keeps one per dataset and table): a sum of SHA-256 digests read as big-endian numbers.
struct Sum256: Equatable {
    var l0: UInt64 = 0, l1: UInt64 = 0, l2: UInt64 = 0, l3: UInt64 = 0

    var limbs: [UInt64] { [l0, l1, l2, l3] }

    mutating func add(_ digest: SHA256.Digest) {
        let (a0, a1, a2, a3) = digest.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
             raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian,
             raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self).bigEndian,
             raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self).bigEndian)
        }
        var carry: UInt64 = 0
        (l3, carry) = Self.add(l3, a3, carry)
        (l2, carry) = Self.add(l2, a2, carry)
        (l1, carry) = Self.add(l1, a1, carry)
        (l0, _) = Self.add(l0, a0, carry)
    }

    /// Adds `other` (modulo 2²⁵⁶).
    mutating func add(_ other: Sum256) {
        var carry: UInt64 = 0
        (l3, carry) = Self.add(l3, other.l3, carry)
        (l2, carry) = Self.add(l2, other.l2, carry)
        (l1, carry) = Self.add(l1, other.l1, carry)
        (l0, _) = Self.add(l0, other.l0, carry)
    }

    /// Subtracts `other` (modulo 2²⁵⁶): adds its two's complement.
    mutating func subtract(_ other: Sum256) {
        var negated = Sum256(l0: ~other.l0, l1: ~other.l1, l2: ~other.l2, l3: ~other.l3)
        negated.add(Sum256(l3: 1))
        add(negated)
    }

    /// The 32 bytes, big-endian.
    func append(to out: inout [UInt8]) {
        for limb in limbs { withUnsafeBytes(of: limb.bigEndian) { out.append(contentsOf: $0) } }
    }

    /// From 32 big-endian bytes at `offset` of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        l0 = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian
        l1 = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).bigEndian
        l2 = bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self).bigEndian
        l3 = bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self).bigEndian
    }

    init(l0: UInt64 = 0, l1: UInt64 = 0, l2: UInt64 = 0, l3: UInt64 = 0) {
        (self.l0, self.l1, self.l2, self.l3) = (l0, l1, l2, l3)
    }

    private static func add(_ x: UInt64, _ y: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (s1, o1) = x.addingReportingOverflow(y)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        return (s2, (o1 ? 1 : 0) + (o2 ? 1 : 0))
    }
}
