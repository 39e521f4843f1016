import BackplanCore
import Foundation
import GRDB

/// One rejected line (or row) of a source: where and why.
public struct RejectedLine: Codable, Sendable, Equatable {
    public var file: String
    /// 1-based line number; for SQLite message stores, the row's id.
    public var line: Int
    public var column: String?
    public var message: String

    public var description: String { InputError(file: file, line: line, column: column, message).description }
}

/// What one `ingest` of one source did.
public struct IngestReport: Codable, Sendable {
    public var path: String
    public var format: String
    public var sha256: String
    public var bytes: Int64
    /// `sources.id` of the import, or of the earlier import of the same bytes when ``alreadyImported``.
    public var sourceID: Int64
    /// The same bytes were imported before: nothing was written.
    public var alreadyImported: Bool
    /// The earlier import of the same source that this one continues: only what the source gained since
    /// was read (`nil` for a first import).
    public var continues: Int64? = nil
    /// Earlier imports of the source swapped out by `--replace`.
    public var replaced: [Int64] = []
    /// Data lines (or rows) read, good and bad; headers, comments and blank lines excluded.
    public var records: Int64
    public var events: Int64
    public var reads: Int64
    public var writes: Int64
    public var datasets: Int
    public var newDatasets: Int
    public var rejected: Int64
    /// The first few rejected lines (at most ``Ingestor/rejectsKept``).
    public var rejects: [RejectedLine]
    public var firstEventAt: Int64?
    public var lastEventAt: Int64?
}

/// Progress of a running import, reported every few hundred thousand records.
public struct IngestProgress: Sendable {
    public var path: String
    public var records: Int64
    public var events: Int64
}

/// Imports sources into a stats store, one transaction per source: a source either lands whole, with its
/// `sources` row, or leaves the store exactly as it was.
public struct Ingestor {
    /// Rejected lines kept per source, in the report and in the `rejects` table.
    public static let rejectsKept = 20

    public let store: StatsStore
    public var options: IngestOptions
    /// Called on the importing thread; must be cheap.
    public var progress: (@Sendable (IngestProgress) -> Void)?

    public init(store: StatsStore, options: IngestOptions, progress: (@Sendable (IngestProgress) -> Void)? = nil) {
        self.store = store
        self.options = options
        self.progress = progress
    }

    /// Imports the file at `path`, or what it gained since its last import.
    ///
    /// A source is identified by its format, options and absolute path (``SourceIdentity``). The first
    /// import reads it whole; a later one reads only what was appended (logs: the bytes after the recorded
    /// offset, whose prefix must still have the recorded SHA-256; message stores: rows above the recorded
    /// message id and reads rowid) and records it as a new import that continues the earlier one. Bytes
    /// already imported (from this path or any other) are a no-op. Everything happens in one immediate
    /// transaction, so two imports of one source at once serialise and neither counts an event twice.
    ///
    /// - Throws: ``InputError`` naming the file (and line and column when it applies) when the file is
    ///   missing, not a regular file, unreadable, of the wrong format, empty, has more bad lines than
    ///   allowed, or changed in place since its last import (without ``IngestOptions/replace``); any other
    ///   error is a failure of the store itself. In both cases nothing was written.
    public func ingest(path: String) throws -> IngestReport {
        try SourceFile.checkReadableFile(path)
        let identity = SourceIdentity.of(path: path, options: options)
        // A message store is opened (and its schema checked) before the store's write lock is taken.
        if options.messageStoreSchema != nil && options.format != .messageStore {
            throw InputError(column: "--schema", "--schema applies to message stores only (csv and jsonl take --map)")
        }
        let messageStore = options.format == .messageStore
            ? try MessageStoreReader(path: path, keyBy: options.keyBy ?? .conversation,
                                     schema: options.messageStoreSchema ?? .builtIn, schemaFile: options.messageStoreSchemaFile)
            : nil
        var report: IngestReport?
        do {
            try write(path: path, identity: identity, messageStore: messageStore, into: &report)
        } catch let error as DatabaseError {
            throw StatsStore.inputError(error, path: store.path)
        }
        guard let report else { throw InputError(file: path, "import produced no report") }
        return report
    }

    private func write(path: String, identity: String, messageStore: MessageStoreReader?, into report: inout IngestReport?) throws {
        try store.dbQueue.writeWithoutTransaction { db in
            // 256 MiB of page cache keeps the tails of the clustered events table in memory during bulk loads.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            try db.inTransaction(.immediate) {
                report = try ingest(db, path: path, identity: identity, messageStore: messageStore)
                return report?.alreadyImported == true ? .rollback : .commit
            }
        }
    }

    /// The import inside the write transaction. A report with `alreadyImported` means nothing new was found
    /// (and the caller rolls back whatever was started).
    private func ingest(_ db: Database, path: String, identity: String, messageStore: MessageStoreReader?) throws -> IngestReport {
        var earlier = try EarlierImport.latest(db, identity: identity)
        var replaced: [Int64] = []
        if options.replace, let e = earlier {
            let first = try Int64.fetchOne(db, sql: "SELECT min(id) FROM sources WHERE identity = ?", arguments: [identity]) ?? e.id
            replaced = try StatsStore.removeSources(db, ids: [first]).sources
            earlier = nil
        }
        let digest = try SourceFile.digest(path, prefixBytes: messageStore == nil ? earlier?.bytes : nil)
        let unchanged = IngestReport(
            path: path, format: options.format.rawValue, sha256: digest.sha256, bytes: digest.bytes, sourceID: 0,
            alreadyImported: true, continues: earlier?.id, records: 0, events: 0, reads: 0, writes: 0, datasets: 0,
            newDatasets: 0, rejected: 0, rejects: [], firstEventAt: nil, lastEventAt: nil)
        // A message store's main file can keep its bytes while its WAL takes rows: only its rows decide.
        if let earlier, messageStore == nil, earlier.sha256 == digest.sha256 {
            return IngestReport.with(unchanged) { $0.sourceID = earlier.id }
        }
        if earlier == nil, let same = try Int64.fetchOne(db, sql: "SELECT id FROM sources WHERE sha256 = ? ORDER BY id LIMIT 1",
                                                         arguments: [digest.sha256]) {
            return IngestReport.with(unchanged) { $0.sourceID = same }
        }
        var startLines = 0
        if let earlier, messageStore == nil {
            guard digest.bytes > earlier.bytes, digest.prefixSHA256 == earlier.sha256 else {
                throw earlier.rewritten(path: path, digest.bytes < earlier.bytes
                    ? "it has \(digest.bytes) bytes, fewer than the \(earlier.bytes) imported"
                    : "its first \(earlier.bytes) bytes are not the bytes imported then")
            }
            guard earlier.position.endsWithNewline != false else {
                throw earlier.rewritten(path: path, "its last line had no newline when imported, and the file has grown since (that line may have been cut mid-write)")
            }
            startLines = earlier.position.lines ?? 0
        }
        let defaultClass = options.dataClass
            ?? (options.format == .messageStore && options.keyBy == .sender ? "user" : options.format.defaultClass)
        try db.execute(
            sql: """
                INSERT INTO sources(path, format, options, sha256, bytes, imported_at, events, rejected, identity, previous)
                VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)
                """,
            arguments: [path, options.format.rawValue, options.signature, digest.sha256, digest.bytes,
                        Int64(Date().timeIntervalSince1970), identity, earlier?.id])
        let sourceID = db.lastInsertedRowID
        let writer = try EventWriter(db: db, sourceID: sourceID, defaultClass: defaultClass)
        let tally = Tally(path: path, options: options)
        let reached = PositionBox()
        let produce = try producer(path: path, messageStore: messageStore, tally: tally, earlier: earlier,
                                   startLines: startLines, limit: digest.bytes, reached: reached)
        try runPipeline(produce: produce, consume: { try writer.consume($0) })
        var position = reached.value
        if messageStore == nil {
            position.offset = digest.bytes
            position.endsWithNewline = digest.lastByte == UInt8(ascii: "\n")
        }
        if let earlier, tally.records == 0 {
            // Grew by nothing that holds events (blank lines, or rows outside the scanned tables): nothing to add.
            return IngestReport.with(unchanged) { $0.sourceID = earlier.id }
        }
        try tally.checkAccepted(events: writer.events)
        try writer.finish()
        try db.execute(sql: "UPDATE sources SET events = ?, rejected = ?, position = ? WHERE id = ?",
                       arguments: [writer.events, tally.rejected, position.json, sourceID])
        for r in tally.rejects {
            try db.execute(sql: "INSERT INTO rejects(source_id, line, \"column\", message) VALUES (?, ?, ?, ?)",
                           arguments: [sourceID, r.line, r.column, r.message])
        }
        return IngestReport(
            path: path, format: options.format.rawValue, sha256: digest.sha256, bytes: digest.bytes, sourceID: sourceID,
            alreadyImported: false, continues: earlier?.id, replaced: replaced, records: tally.records,
            events: writer.events, reads: writer.reads, writes: writer.writes, datasets: writer.datasetCount,
            newDatasets: writer.newDatasets, rejected: tally.rejected, rejects: tally.rejects,
            firstEventAt: writer.events > 0 ? writer.firstEventAt : nil,
            lastEventAt: writer.events > 0 ? writer.lastEventAt : nil)
    }

    /// The reading side of the import, run on its own thread by ``runPipeline(produce:consume:)``.
    private func producer(path: String, messageStore: MessageStoreReader?, tally: Tally, earlier: EarlierImport?,
                          startLines: Int, limit: Int64, reached: PositionBox) throws
        -> @Sendable (EventBatcher) throws -> Void
    {
        let progress = self.progress
        if let messageStore {
            let classOverride = options.dataClass
            let job = UncheckedSendable((messageStore, earlier))
            return { batcher in
                reached.value = try job.value.0.read(into: batcher, tally: tally, classOverride: classOverride,
                                                     after: job.value.1, progress: progress)
            }
        }
        let format = UncheckedSendable(try makeLineFormat(path: path))
        return { batcher in
            reached.value.lines = try Self.readLines(
                path: path, format: format.value, batcher: batcher, tally: tally, startLines: startLines, limit: limit,
                progress: progress)
        }
    }

    /// Generic over the format so each format's `parse` is specialised into the loop.
    ///
    /// Lines up to `startLines` were imported before: they are passed to the format only until the first of
    /// them that holds events or fails (so a header is still read), and never counted or written again.
    /// Returns the number of lines read.
    private static func readLines<F: LineFormat>(
        path: String, format: F, batcher: EventBatcher, tally: Tally, startLines: Int, limit: Int64,
        progress: (@Sendable (IngestProgress) -> Void)?
    ) throws -> Int {
        var format = format
        let reader = try LineReader(path: path)
        defer { reader.close() }
        var parsed = ParsedLine()
        var inHeader = true
        return try reader.forEachLine(limit: limit) { line, lineNumber in
            if line.isEmpty || line.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            if lineNumber <= startLines {
                guard inHeader else { return }
                parsed.reset()
                let carries = (try? format.parse(line, lineNumber: lineNumber, into: &parsed)) ?? true
                if carries { inHeader = false }
                return
            }
            parsed.reset()
            let carriesEvents: Bool
            do {
                carriesEvents = try format.parse(line, lineNumber: lineNumber, into: &parsed)
            } catch {
                tally.records += 1
                try tally.reject(line: lineNumber, error)
                return
            }
            guard carriesEvents else { return }
            tally.records += 1
            if let bad = parsed.keys.withUnsafeBytes({ keys in
                parsed.events.lazy.compactMap { DatasetKey.problem(UnsafeRawBufferPointer(rebasing: keys[$0.keyRange])) }.first
                    ?? parsed.sends.lazy.compactMap { DatasetKey.problem(UnsafeRawBufferPointer(rebasing: keys[$0.keyRange])) }.first
            }) {
                try tally.reject(line: lineNumber, LineError("dataset", bad))
                return
            }
            try parsed.keys.withUnsafeBytes { keys in
                let cls = parsed.dataClass
                for e in parsed.events {
                    let key = UnsafeRawBufferPointer(rebasing: keys[e.keyRange])
                    let index = cls.map { c in c.withUnsafeBytes { batcher.index(of: key, dataClass: $0) } }
                        ?? batcher.index(of: key)
                    try batcher.write(index: index, at: e.at, op: e.op, bytes: e.bytes)
                }
                for send in parsed.sends {
                    try batcher.send(key: UnsafeRawBufferPointer(rebasing: keys[send.keyRange]), at: send.at)
                }
            }
            if tally.records & 0x3FFFF == 0, let progress {
                progress(IngestProgress(path: path, records: tally.records, events: batcher.events))
            }
        }
    }

    private func makeLineFormat(path: String) throws -> any LineFormat {
        let keyBy = options.keyBy ?? (options.format.isBlockTrace ? .volume : .conversation)
        if options.format.isBlockTrace {
            guard keyBy == .volume || { if case .region = keyBy { return true } else { return false } }() else {
                throw InputError(column: "--key-by", "\(options.format.rawValue) traces are keyed by 'volume' or 'region:SIZE', not '\(keyBy)'")
            }
        } else if options.keyBy != nil && options.format != .messageStore {
            throw InputError(column: "--key-by", "--key-by applies to message stores and block traces, not \(options.format.rawValue)")
        }
        if options.sentFolder && options.format != .snapTemporal {
            throw InputError(column: "--sent-folder", "--sent-folder applies to snap-temporal logs only")
        }
        switch options.format {
        case .snapTemporal: return SnapTemporalFormat(sentFolder: options.sentFolder)
        case .cloudphysics: return CloudPhysicsFormat(path: path, keyBy: keyBy)
        case .tencentPhoto: return TencentPhotoFormat()
        case .tencentCBS: return TencentCBSFormat(keyBy: keyBy)
        case .msr: return MSRFormat(keyBy: keyBy)
        case .systor: return SystorFormat(keyBy: keyBy)
        case .csv, .jsonl:
            guard let map = options.map else {
                throw InputError(column: "--map", "\(options.format.rawValue) needs --map time=COLUMN,dataset=COLUMN[,op=…,bytes=…,class=…]")
            }
            if options.format == .jsonl { return MappedJSONLFormat(map: map, timeUnit: options.timeUnit) }
            return try MappedCSVFormat(map: map, header: options.header, delimiter: options.delimiter, timeUnit: options.timeUnit)
        case .messageStore:
            throw InputError(file: path, "message stores are SQLite files, not lines")
        }
    }
}

/// The position a producer reached, handed to the writing side after the pipeline has joined.
final class PositionBox: @unchecked Sendable {
    var value = SourcePosition()
}

extension IngestReport {
    static func with(_ base: IngestReport, _ change: (inout IngestReport) -> Void) -> IngestReport {
        var r = base
        change(&r)
        return r
    }
}

/// Counts records and bad ones, and applies the reject policy (`--strict`, `--max-reject`).
/// Filled on the reading thread, read by the writer after the pipeline has joined.
final class Tally: @unchecked Sendable {
    let path: String
    let options: IngestOptions
    var records: Int64 = 0
    var rejected: Int64 = 0
    var rejects: [RejectedLine] = []

    init(path: String, options: IngestOptions) {
        self.path = path
        self.options = options
    }

    func reject(line: Int, _ error: any Error) throws {
        let lineError = error as? LineError ?? LineError(nil, "\(error)")
        if lineError.fatal || options.strict {
            throw InputError(file: path, line: line, column: lineError.column, lineError.message)
        }
        rejected += 1
        if rejects.count < Ingestor.rejectsKept {
            rejects.append(RejectedLine(file: path, line: line, column: lineError.column, message: lineError.message))
        }
    }

    /// Fails the source when it has no events or too many bad lines.
    func checkAccepted(events: Int64) throws {
        if records == 0 {
            throw InputError(file: path, "no events: the source has no data lines (empty file, or only a header or comments)")
        }
        let share = Double(rejected) / Double(records)
        if rejected > 0, share > options.maxRejectFraction || events == 0 {
            let first = rejects.first
            throw InputError(
                file: path, line: first?.line, column: first?.column,
                "\(first?.message ?? "bad line"); \(rejected) of \(records) lines are bad (\(percent(share))), more than --max-reject \(percent(options.maxRejectFraction)) allows: is --format \(options.format.rawValue) right?")
        }
    }

    private func percent(_ x: Double) -> String {
        let p = x * 100
        return p >= 10 || p == p.rounded() ? "\(Int(p.rounded()))%" : "\((p * 100).rounded() / 100)%"
    }
}

