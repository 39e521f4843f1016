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

    /// Imports the file at `path`.
    ///
    /// - Throws: ``InputError`` naming the file (and line and column when it applies) when the file is
    ///   missing, unreadable, of the wrong format, empty, or has more bad lines than allowed; any other
    ///   error is a failure of the store itself. In both cases nothing was written.
    public func ingest(path: String) throws -> IngestReport {
        let (sha256, size) = try SourceFile.digest(path)
        if let earlier = try store.dbQueue.read({ db in
            try Int64.fetchOne(db, sql: "SELECT id FROM sources WHERE sha256 = ?", arguments: [sha256])
        }) {
            return IngestReport(
                path: path, format: options.format.rawValue, sha256: sha256, bytes: size, sourceID: earlier,
                alreadyImported: true, records: 0, events: 0, reads: 0, writes: 0, datasets: 0, newDatasets: 0,
                rejected: 0, rejects: [], firstEventAt: nil, lastEventAt: nil)
        }
        // A message store is opened (and its schema checked) before the store's write lock is taken.
        let messageStore = options.format == .messageStore ? try MessageStoreReader(path: path, keyBy: options.keyBy ?? .conversation) : nil

        let defaultClass = options.dataClass
            ?? (options.format == .messageStore && options.keyBy == .sender ? "user" : options.format.defaultClass)
        var report: IngestReport?
        try store.dbQueue.writeWithoutTransaction { db in
            // 256 MiB of page cache keeps the tails of the clustered events table in memory during bulk loads.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: """
                        INSERT INTO sources(path, format, options, sha256, bytes, imported_at, events, rejected)
                        VALUES (?, ?, ?, ?, ?, ?, 0, 0)
                        """,
                    arguments: [path, options.format.rawValue, options.signature, sha256, size,
                                Int64(Date().timeIntervalSince1970)])
                let sourceID = db.lastInsertedRowID
                let writer = try EventWriter(db: db, sourceID: sourceID, defaultClass: defaultClass)
                let tally = Tally(path: path, options: options)
                let produce = try producer(path: path, messageStore: messageStore, tally: tally)
                try runPipeline(produce: produce, consume: { try writer.consume($0) })
                try tally.checkAccepted(events: writer.events)
                try writer.finish()
                try db.execute(sql: "UPDATE sources SET events = ?, rejected = ? WHERE id = ?",
                               arguments: [writer.events, tally.rejected, sourceID])
                for r in tally.rejects {
                    try db.execute(sql: "INSERT INTO rejects(source_id, line, \"column\", message) VALUES (?, ?, ?, ?)",
                                   arguments: [sourceID, r.line, r.column, r.message])
                }
                report = IngestReport(
                    path: path, format: options.format.rawValue, sha256: sha256, bytes: size, sourceID: sourceID,
                    alreadyImported: false, records: tally.records, events: writer.events, reads: writer.reads,
                    writes: writer.writes, datasets: writer.datasetCount, newDatasets: writer.newDatasets,
                    rejected: tally.rejected, rejects: tally.rejects,
                    firstEventAt: writer.events > 0 ? writer.firstEventAt : nil,
                    lastEventAt: writer.events > 0 ? writer.lastEventAt : nil)
                return .commit
            }
        }
        guard let report else { throw InputError(file: path, "import produced no report") }
        return report
    }

    /// The reading side of the import, run on its own thread by ``runPipeline(produce:consume:)``.
    private func producer(path: String, messageStore: MessageStoreReader?, tally: Tally) throws
        -> @Sendable (EventBatcher) throws -> Void
    {
        let progress = self.progress
        if let messageStore {
            let classOverride = options.dataClass
            let job = UncheckedSendable(messageStore)
            return { batcher in
                try job.value.read(into: batcher, tally: tally, classOverride: classOverride, progress: progress)
            }
        }
        let format = UncheckedSendable(try makeLineFormat(path: path))
        return { batcher in
            try Self.readLines(path: path, format: format.value, batcher: batcher, tally: tally, progress: progress)
        }
    }

    /// Generic over the format so each format's `parse` is specialised into the loop.
    private static func readLines<F: LineFormat>(
        path: String, format: F, batcher: EventBatcher, tally: Tally, progress: (@Sendable (IngestProgress) -> Void)?
    ) throws {
        var format = format
        let reader = try LineReader(path: path)
        defer { reader.close() }
        var parsed = ParsedLine()
        try reader.forEachLine { line, lineNumber in
            if line.isEmpty || line.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
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
            try parsed.keys.withUnsafeBytes { keys in
                let cls = parsed.dataClass
                for e in parsed.events {
                    let key = UnsafeRawBufferPointer(rebasing: keys[e.keyRange])
                    let index = cls.map { c in c.withUnsafeBytes { batcher.index(of: key, dataClass: $0) } }
                        ?? batcher.index(of: key)
                    try batcher.write(index: index, at: e.at, op: e.op, bytes: e.bytes)
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

