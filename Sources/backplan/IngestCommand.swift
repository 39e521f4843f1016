import ArgumentParser
import BackplanCore
import BackplanReports
import BackplanStore
import Foundation

extension SourceFormat: ExpressibleByArgument {}
extension TimeUnit: ExpressibleByArgument {}

/// `backplan ingest`: message stores, logs and traces into the stats store.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import access statistics from message stores, message logs and storage traces into a stats store.",
        discussion: """
            Each SOURCE is imported in one transaction: it lands whole or not at all. Ingest is incremental: a source is known by its format, options and absolute path, and importing it again adds exactly what it gained since (a log: the lines appended after the recorded byte offset, whose prefix must still have the recorded SHA-256; a message store: the messages and reads above the recorded message id and reads rowid, read in one consistent snapshot while the store keeps taking writes). Importing the same bytes again is a no-op. A source that changed in place rather than grew is refused (exit 2) unless --replace swaps its earlier events for its current content. 'backplan sources list|remove' shows and undoes imports. Bad lines are skipped, counted and the first few reported with file and line; a source with more than --max-reject bad lines (default 1%), an unreadable file or a file of another format fails whole with exit code 2 and leaves the store exactly as it was. --strict fails on the first bad line.

            Formats (DESIGN §2.1–2.2):
              message-store  SQLite: conversations(id, kind, created_at, class),
                             messages(id, conversation_id, sender, sent_at,
                             size_bytes, attachment_bytes), reads(conversation_id,
                             reader, read_at, bytes); --key-by conversation
                             (default) | sender | shard. Other table and column
                             names, ms times, attachment or receipt tables:
                             --schema FILE (datasets/schemas/signal-like.yaml)
              snap-temporal  'SRC DST UNIXTS': a write to mailbox DST
                             (--sent-folder: also to 'SRC:sent')
              csv, jsonl     any columns, mapped: --map time=ts,dataset=chat
                             [,op=kind][,bytes=len][,class=c]; times in s, ms,
                             µs, ns or ISO-8601 (--time-unit, default auto)
              cloudphysics   'version,time,op,size,lbn' (op 28 read, 2a write;
                             lbn in 512-byte blocks)
              tencent-photo  'YYYYMMDDhhmmss id format sizeclass bytes …' (reads)
              tencent-cbs    'ts,offset,size,iotype,volume' (512-byte sectors;
                             iotype 0 read, 1 write)
              msr            'FILETIME,host,disk,Read|Write,offset,size,resp'
              systor         'Timestamp,Response,IOType,LUN,Offset,Size'
            Block traces are keyed by --key-by volume (default) or region:SIZE (e.g. region:64MiB).

            Examples:
              backplan ingest datasets/sample/chat-sample.sqlite \\
                --format message-store --db stats.sqlite
              backplan ingest CollegeMsg.txt --format snap-temporal --db stats.sqlite
              backplan ingest log.csv --format csv \\
                --map time=ts,dataset=chat,op=kind,bytes=len --db stats.sqlite
            """)

    @Argument(help: ArgumentHelp("Files to import; '-' (or /dev/stdin) reads standard input once.", valueName: "source"))
    var sources: [String]

    @Option(help: "Source format: \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: SourceFormat

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }

    @Option(help: ArgumentHelp("Datasets: conversation|sender|shard (message stores), volume|region:SIZE (block traces).",
                               valueName: "key"))
    var keyBy: String?

    @Flag(help: "snap-temporal: also record each message as a write to the sender's sent folder (SRC:sent).")
    var sentFolder = false

    @Option(help: ArgumentHelp("csv/jsonl: which column holds each field, e.g. time=ts,dataset=chat,op=kind,bytes=len.",
                               valueName: "mapping"))
    var map: String?

    @Option(help: ArgumentHelp("message-store: a schema file (YAML) mapping the store's own tables, columns and time unit to Backplan's (see datasets/schemas/).",
                               valueName: "file"))
    var schema: String?

    @Option(help: "csv/jsonl: unit of the time column: auto, s, ms, us, ns or iso.")
    var timeUnit: TimeUnit = .auto

    @Flag(help: "csv: the file has no header line; --map names columns by 1-based number.")
    var noHeader = false

    @Option(help: ArgumentHelp("csv: field separator (one character; 'tab' for a tab).", valueName: "char"))
    var delimiter: String = ","

    @Option(name: .customLong("class"), help: ArgumentHelp("Class for datasets first seen in these sources.", valueName: "class"))
    var dataClass: String?

    @Flag(help: "Fail on the first bad line instead of skipping it.")
    var strict = false

    @Option(help: ArgumentHelp("Largest share of bad lines a source may have, as a fraction (0.01) or percent (1%).",
                               valueName: "share"))
    var maxReject: String = "1%"

    @Flag(help: "Re-import sources that changed in place (not only grew): their earlier events are swapped for the current content in one transaction.")
    var replace = false

    @Flag(help: "Print the import reports as JSON on stdout.")
    var json = false

    func validate() throws {
        if let keyBy, KeyBy(argument: keyBy) == nil {
            throw ValidationError("--key-by '\(keyBy)': expected conversation, sender, shard, volume or region:SIZE (e.g. region:64MiB)")
        }
        if (format == .csv || format == .jsonl) && map == nil {
            throw ValidationError("--format \(format.rawValue) needs --map time=COLUMN,dataset=COLUMN[,op=COLUMN][,bytes=COLUMN]")
        }
        if let map { do { _ = try ColumnMap(argument: map) } catch let e as InputError { throw ValidationError("--map '\(map)': " + e.message) } }
        if format == .messageStore && map != nil {
            throw ValidationError("--map maps csv/jsonl columns; a message store with its own table and column names takes --schema FILE (see datasets/schemas/)")
        }
        if schema != nil && format != .messageStore {
            throw ValidationError("--schema applies to --format message-store only")
        }
        guard parsedMaxReject != nil else {
            throw ValidationError("--max-reject '\(maxReject)': expected a fraction in 0…1 or a percent like 1%")
        }
        guard delimiterByte != nil else {
            throw ValidationError("--delimiter '\(delimiter)': expected one ASCII character or 'tab'")
        }
    }

    private var parsedMaxReject: Double? {
        let value = maxReject.hasSuffix("%") ? Double(maxReject.dropLast()).map { $0 / 100 } : Double(maxReject)
        guard let value, value.isFinite, (0...1).contains(value) else { return nil }
        return value
    }

    private var delimiterByte: UInt8? {
        if delimiter == "tab" || delimiter == "\\t" { return 9 }
        guard delimiter.utf8.count == 1, let b = delimiter.utf8.first, b < 128 else { return nil }
        return b
    }

    func run() throws {
        var options = IngestOptions(format: format)
        options.keyBy = keyBy.flatMap(KeyBy.init(argument:))
        options.sentFolder = sentFolder
        options.map = try map.map(ColumnMap.init(argument:))
        options.timeUnit = timeUnit
        options.header = !noHeader
        options.delimiter = delimiterByte ?? UInt8(ascii: ",")
        options.dataClass = dataClass
        options.strict = strict
        options.maxRejectFraction = parsedMaxReject ?? 0.01
        options.replace = replace
        if let schema {
            options.messageStoreSchema = try MessageStoreSchema.load(schema)
            options.messageStoreSchemaFile = schema
        }

        // `-` and /dev/stdin: the stream, read once into a temporary file.
        let stdin = try StdinSource(sources: sources)
        defer { stdin.remove() }
        let sources = stdin.paths
        // Check every source before touching the store, so a typo in the last path costs nothing.
        for source in sources { try checkSource(source) }
        let existed = FileManager.default.fileExists(atPath: db)
        // An empty file given as --db becomes a store when opened; a failed first import puts it back empty.
        let wasEmptyFile = existed && ((try? FileManager.default.attributesOfItem(atPath: db)[.size] as? Int) ?? -1) == 0
        let store = try StatsStore.open(path: db, create: true)
        let ingestor = Ingestor(store: store, options: options, progress: { p in
            Console.progress("\(p.path): \(Format.count(p.records)) records, \(Format.count(p.events)) events")
        })
        var reports: [IngestReport] = []
        var span = try store.eventSpan()
        for source in sources {
            do {
                var report = try ingestor.ingest(path: source)
                report.path = stdin.displayName(report.path)
                Console.endProgress()
                reports.append(report)
                if !json { printReport(report) }
                if let s = span, let first = report.firstEventAt, let last = report.lastEventAt, report.events > 0,
                   last < s.first || first > s.last {
                    Console.note("warning: \(report.path)'s events (\(Format.time(first)) to \(Format.time(last))) do not overlap the rest of "
                                 + "\(db) (\(Format.time(s.first)) to \(Format.time(s.last))): forecasts and plans will span a gap no source "
                                 + "covers; keep sources from different times in separate stores (--db)")
                }
                if let first = report.firstEventAt, let last = report.lastEventAt, report.events > 0 {
                    span = span.map { (min($0.first, first), max($0.last, last)) } ?? (first, last)
                }
                for r in report.rejects.prefix(5) { Console.note("warning: skipped \(r.description)") }
                if report.rejected > 5 { Console.note("warning: \(report.rejected - 5) more bad lines in \(source) skipped") }
            } catch var error as InputError where stdin.spooled != nil && error.file == stdin.spooled {
                // Errors about the spooled stream name it as the user did.
                Console.endProgress()
                if reports.isEmpty && (!existed || wasEmptyFile) { removeStore(keepingEmptyFile: wasEmptyFile) }
                error.file = "-"
                throw error
            } catch {
                Console.endProgress()
                if reports.isEmpty && (!existed || wasEmptyFile) { removeStore(keepingEmptyFile: wasEmptyFile) }
                if !reports.isEmpty {
                    Console.note("note: \(reports.count) earlier source(s) were imported and kept; \(source) and the rest were not")
                }
                throw error
            }
        }
        if json { try Console.json(reports) }
    }

    private func checkSource(_ path: String) throws {
        try SourceCheck.readableRegularFile(path)
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        if resolved == URL(fileURLWithPath: db).resolvingSymlinksInPath().standardizedFileURL.path {
            throw InputError(file: path, "is the stats store given as --db; a store cannot import itself")
        }
    }

    /// A store this run created is removed again when its first import fails: no half-made files. An empty
    /// file the user gave stays, empty, as it was.
    private func removeStore(keepingEmptyFile: Bool) {
        for suffix in ["-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        if keepingEmptyFile {
            _ = truncate(db, 0)  // same file, same mode and owner
        } else {
            try? FileManager.default.removeItem(atPath: db)
        }
    }

    private func printReport(_ r: IngestReport) {
        if r.alreadyImported {
            Console.out(r.continues != nil
                ? "\(r.path): up to date with source \(r.sourceID); nothing new to import"
                : "\(r.path): already imported as source \(r.sourceID) (same SHA-256); nothing to do")
            return
        }
        if !r.replaced.isEmpty {
            Console.note("note: \(r.path): replaced source(s) \(r.replaced.map(String.init).joined(separator: ", ")) with its current content")
        }
        var line = "\(r.path): \(r.continues.map { "\(Format.count(r.events)) new events since source \($0)" } ?? "\(Format.count(r.events)) events") (\(Format.count(r.reads)) reads, \(Format.count(r.writes)) writes)"
        line += " into \(Format.count(r.datasets)) datasets (\(Format.count(r.newDatasets)) new)"
        if let first = r.firstEventAt, let last = r.lastEventAt {
            line += ", \(Format.time(first)) to \(Format.time(last))"
        }
        line += "; \(Format.count(r.rejected)) bad lines skipped"
        Console.out(line)
    }
}
