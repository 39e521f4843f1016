import BackplanCore
import Foundation
import GRDB

/// How far a source was read when it was imported, recorded in `sources.position` (JSON), so that the next
/// import of the same source adds exactly what is new.
///
/// - Append-only logs: the bytes and lines read (``offset``, ``lines``) and whether the last byte read was a
///   newline; the import's SHA-256 (`sources.sha256`) is then the digest of the grown file's prefix.
/// - Message stores (SQLite): the highest `messages.id` and `reads` rowid imported, and how many rows were
///   at or below them, read in the same read transaction as the rows themselves. A later import reads only
///   rows above them; fewer (or more) rows at or below them than recorded means rows were deleted or
///   inserted in the past: the store was rewritten, not grown.
///
/// ```json
/// {"endsWithNewline":true,"lines":59835,"offset":1150439}
/// {"messagesMaxID":72000,"messagesRows":72000,"readsMaxRowID":9120,"readsRows":9120}
/// ```
public struct SourcePosition: Codable, Sendable, Equatable {
    public var offset: Int64?
    public var lines: Int?
    public var endsWithNewline: Bool?
    public var messagesMaxID: Int64?
    public var messagesRows: Int64?
    public var readsMaxRowID: Int64?
    public var readsRows: Int64?

    public init() {}

    /// The position as stored: canonical JSON (sorted keys).
    var json: String { (try? CanonicalJSON.data(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }

    static func decode(_ json: String?) -> SourcePosition {
        guard let json, let data = json.data(using: .utf8) else { return SourcePosition() }
        return (try? JSONDecoder().decode(SourcePosition.self, from: data)) ?? SourcePosition()
    }
}

/// What makes two imports "the same source": the format, the options that change what the bytes mean, and
/// the file's absolute path with links resolved. Two shards with the same file name on two hosts (two
/// folders) are two sources.
enum SourceIdentity {
    static func of(path: String, options: IngestOptions) -> String {
        let absolute = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        return "\(options.format.rawValue)\u{1F}\(options.signature)\u{1F}\(absolute)"
    }
}

/// The last import of a source identity, as the next import of it needs it.
struct EarlierImport {
    var id: Int64
    var sha256: String
    var bytes: Int64
    var importedAt: Int64
    var position: SourcePosition

    /// The newest import of `identity`, if any.
    static func latest(_ db: Database, identity: String) throws -> EarlierImport? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT id, sha256, bytes, imported_at, position FROM sources WHERE identity = ? ORDER BY id DESC LIMIT 1",
            arguments: [identity])
        else { return nil }
        return EarlierImport(id: row[0], sha256: row[1], bytes: row[2], importedAt: row[3],
                             position: SourcePosition.decode(row[4]))
    }

    /// `2026-03-31 23:59 UTC`.
    static func utc(_ t: Int64) -> String {
        let (y, m, d) = CivilTime.civil(fromDays: CivilTime.day(ofUnixSeconds: t))
        let s = t - CivilTime.day(ofUnixSeconds: t) * 86_400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(s / 3600)):\(two(s / 60 % 60)) UTC"
    }

    /// The error for a source that changed in place instead of growing.
    func rewritten(path: String, _ detail: String) -> InputError {
        InputError(
            file: path,
            "changed since it was imported as source \(id) at \(Self.utc(importedAt)): \(detail). It is not a grown copy of what was imported, so adding its events would count some twice. Re-import it with --replace (swaps source \(id)'s events for the file's current content in one transaction), or undo the earlier import with 'backplan sources remove \(id)'")
    }
}
