import ArgumentParser
import BackplanCore
import BackplanStore
import Foundation

extension SourceFormat: ExpressibleByArgument {}
extension TimeUnit: ExpressibleByArgument {}

/// `backplan ingest`: message stores, logs and traces into the stats store.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import access statistics from message stores, message logs and storage traces into a stats store.",
        discussion: """
            Each SOURCE is imported in one transaction: it lands whole or not at all. Importing the same bytes again is a no-op (sources are identified by their SHA-256). Bad lines are skipped, counted and the first few reported with file and line; a source with more than --max-reject bad lines (default 1%), an unreadable file or a file of another format fails whole with exit code 2 and leaves the store exactly as it was. --strict fails on the first bad line.

            Formats (DESIGN §2.1–2.2):
              message-store  SQLite: conversations(id, kind, created_at, class),
                             messages(id, conversation_id, sender, sent_at,
                             size_bytes, attachment_bytes), reads(conversation_id,
                             reader, read_at, bytes); --key-by conversation
                             (default) | sender | shard
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

    @Argument(help: ArgumentHelp("Files to import.", valueName: "source"))
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

    @Flag(help: "Print the import reports as JSON on stdout.")
    var json = false

    func validate() throws {
        if let keyBy, KeyBy(argument: keyBy) == nil {
            throw ValidationError("--key-by '\(keyBy)': expected conversation, sender, shard, volume or region:SIZE (e.g. region:64MiB)")
        }
        if (format == .csv || format == .jsonl) && map == nil {
            throw ValidationError("--format \(format.rawValue) needs --map time=COLUMN,dataset=COLUMN[,op=COLUMN][,bytes=COLUMN]")
        }
        if let map { do { _ = try ColumnMap(argument: map) } catch let e as InputError { throw ValidationError(e.message) } }
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

        // Check every source before touching the store, so a typo in the last path costs nothing.
        for source in sources { try checkSource(source) }
        let existed = FileManager.default.fileExists(atPath: db)
        let store = try StatsStore.open(path: db, create: true)
        let ingestor = Ingestor(store: store, options: options, progress: { p in
            Console.progress("\(p.path): \(Format.count(p.records)) records, \(Format.count(p.events)) events")
        })
        var reports: [IngestReport] = []
        for source in sources {
            do {
                let report = try ingestor.ingest(path: source)
                Console.endProgress()
                reports.append(report)
                if !json { printReport(report) }
                for r in report.rejects.prefix(5) { Console.note("warning: skipped \(r.description)") }
                if report.rejected > 5 { Console.note("warning: \(report.rejected - 5) more bad lines in \(source) skipped") }
            } catch {
                Console.endProgress()
                if !existed && reports.isEmpty { removeStore() }
                if !reports.isEmpty {
                    Console.note("note: \(reports.count) earlier source(s) were imported and kept; \(source) and the rest were not")
                }
                throw error
            }
        }
        if json { try Console.json(reports) }
    }

    private func checkSource(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "no such file")
        }
        if isDirectory.boolValue { throw InputError(file: path, "is a directory, expected a file") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw InputError(file: path, "permission denied") }
    }

    /// A store this run created is removed again when its first import fails: no half-made files.
    private func removeStore() {
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
    }

    private func printReport(_ r: IngestReport) {
        if r.alreadyImported {
            Console.out("\(r.path): already imported as source \(r.sourceID) (same SHA-256); nothing to do")
            return
        }
        var line = "\(r.path): \(Format.count(r.events)) events (\(Format.count(r.reads)) reads, \(Format.count(r.writes)) writes)"
        line += " into \(Format.count(r.datasets)) datasets (\(Format.count(r.newDatasets)) new)"
        if let first = r.firstEventAt, let last = r.lastEventAt {
            line += ", \(Format.time(first)) to \(Format.time(last))"
        }
        line += "; \(Format.count(r.rejected)) bad lines skipped"
        Console.out(line)
    }
}
