import BackplanCore

/// The source formats `backplan ingest` reads (DESIGN §2.1–§2.2).
public enum SourceFormat: String, Sendable, CaseIterable, Codable {
    /// SQLite message store: `conversations`, `messages`, `reads` (DESIGN §2.1).
    case messageStore = "message-store"
    /// SNAP temporal network, `SRC DST UNIXTS`: a write to DST's mailbox.
    case snapTemporal = "snap-temporal"
    /// Any CSV, columns mapped with `--map`.
    case csv
    /// JSON lines, keys mapped with `--map`.
    case jsonl
    /// CloudPhysics vSCSI trace, `version,time,op,size,lbn` (Waldspurger et al., FAST 2015).
    case cloudphysics
    /// Tencent QQ photo-cache trace, `YYYYMMDDhhmmss id format sizeclass bytes …` (SNIA IOTTA).
    case tencentPhoto = "tencent-photo"
    /// Tencent cloud block storage trace, `ts,offset,size,iotype,volume` (offset and size in 512-byte sectors).
    case tencentCBS = "tencent-cbs"
    /// MSR Cambridge trace, `FILETIME,host,disk,Read|Write,offset,size,resp` (Narayanan et al., FAST 2008).
    case msr
    /// SYSTOR '17 trace, `Timestamp,Response,IOType,LUN,Offset,Size` (Lee et al., SYSTOR 2017).
    case systor

    /// Class given to datasets a source of this format creates, unless `--class` says otherwise.
    public var defaultClass: String {
        switch self {
        case .messageStore, .csv, .jsonl: return "default"
        case .snapTemporal: return "mailbox"
        case .tencentPhoto: return "attachments"
        case .cloudphysics, .tencentCBS, .msr, .systor: return "volume"
        }
    }

    /// Whether this is a block-storage trace, keyed by volume or address region.
    public var isBlockTrace: Bool {
        switch self {
        case .cloudphysics, .tencentCBS, .msr, .systor: return true
        default: return false
        }
    }
}

/// How an importer turns records into datasets.
public enum KeyBy: Sendable, Equatable, CustomStringConvertible {
    /// Message stores: one dataset per conversation (the default).
    case conversation
    /// Message stores: one dataset per user (writes keyed by sender, reads by reader).
    case sender
    /// Message stores: the whole file is one dataset.
    case shard
    /// Block traces: one dataset per volume (the default).
    case volume
    /// Block traces: one dataset per fixed-size address region of a volume.
    case region(bytes: Int64)

    /// Parses `conversation`, `sender`, `shard`, `volume` or `region:SIZE` (SIZE like `64MiB`, `1GiB`, `4096`).
    public init?(argument: String) {
        switch argument {
        case "conversation": self = .conversation
        case "sender": self = .sender
        case "shard": self = .shard
        case "volume": self = .volume
        default:
            guard argument.hasPrefix("region:"), let size = ByteSize.parse(String(argument.dropFirst(7))), size > 0
            else { return nil }
            self = .region(bytes: size)
        }
    }

    public var description: String {
        switch self {
        case .conversation: return "conversation"
        case .sender: return "sender"
        case .shard: return "shard"
        case .volume: return "volume"
        case .region(let bytes): return "region:\(ByteSize.format(bytes))"
        }
    }
}

/// How a number in a time column is read.
public enum TimeUnit: String, Sendable, CaseIterable {
    /// Decide per value: ISO-8601 text, else by magnitude (< 10¹¹ seconds, < 10¹⁴ ms, < 10¹⁷ µs, else ns).
    case auto
    case seconds = "s"
    case milliseconds = "ms"
    case microseconds = "us"
    case nanoseconds = "ns"
    case iso8601 = "iso"
}

/// What `--map` says: which column or key holds each field of an event (CSV and JSONL).
public struct ColumnMap: Sendable, Equatable {
    public var time: String
    public var dataset: String
    public var op: String?
    public var bytes: String?
    public var dataClass: String?

    public init(time: String, dataset: String, op: String? = nil, bytes: String? = nil, dataClass: String? = nil) {
        self.time = time
        self.dataset = dataset
        self.op = op
        self.bytes = bytes
        self.dataClass = dataClass
    }

    /// Parses `time=ts,dataset=chat,op=kind,bytes=len[,class=tier]`. `time` and `dataset` are required.
    public init(argument: String) throws {
        var fields: [String: String] = [:]
        for pair in argument.split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingBlanks() }
            guard kv.count == 2, !kv[1].isEmpty else {
                throw InputError(column: "--map", "expected FIELD=COLUMN pairs, got '\(pair)'")
            }
            guard ["time", "dataset", "op", "bytes", "class"].contains(kv[0]) else {
                throw InputError(column: "--map", "unknown field '\(kv[0])' (fields: time, dataset, op, bytes, class)")
            }
            guard fields[kv[0]] == nil else { throw InputError(column: "--map", "field '\(kv[0])' given twice") }
            fields[kv[0]] = kv[1]
        }
        guard let time = fields["time"] else { throw InputError(column: "--map", "missing time=COLUMN") }
        guard let dataset = fields["dataset"] else { throw InputError(column: "--map", "missing dataset=COLUMN") }
        self.init(time: time, dataset: dataset, op: fields["op"], bytes: fields["bytes"], dataClass: fields["class"])
    }

    var description: String {
        var s = "time=\(time),dataset=\(dataset)"
        if let op { s += ",op=\(op)" }
        if let bytes { s += ",bytes=\(bytes)" }
        if let dataClass { s += ",class=\(dataClass)" }
        return s
    }
}

/// Everything `backplan ingest` can be told about one run.
public struct IngestOptions: Sendable {
    public var format: SourceFormat
    /// `nil` means the format's default (`conversation` for message stores, `volume` for block traces).
    public var keyBy: KeyBy?
    /// snap-temporal: also record each message as a write to SRC's sent folder (`SRC:sent`).
    public var sentFolder = false
    public var map: ColumnMap?
    public var timeUnit: TimeUnit = .auto
    /// CSV: the first line is a header (column names); otherwise `--map` names columns by 1-based number.
    public var header = true
    /// CSV field separator.
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Class for datasets first seen in this source (overrides the format's default and the source's own).
    public var dataClass: String?
    /// Fail on the first bad line instead of skipping it.
    public var strict = false
    /// How a message store's tables map to Backplan's (``MessageStoreSchema/builtIn`` when `nil`), and the
    /// file it came from, for error messages.
    public var messageStoreSchema: MessageStoreSchema?
    public var messageStoreSchemaFile: String?
    /// Re-import a source that changed in place (not only grew): its earlier imports' events are swapped for
    /// the file's current content in the same transaction.
    public var replace = false
    /// Largest share of bad lines (0…1) a source may have and still be imported.
    public var maxRejectFraction = 0.01

    public init(format: SourceFormat) { self.format = format }

    /// The options that change what the same bytes import as, recorded in `sources.options`.
    var signature: String {
        var parts: [String] = []
        if let keyBy { parts.append("key-by=\(keyBy)") }
        if sentFolder { parts.append("sent-folder") }
        if let map { parts.append("map=\(map.description)") }
        if timeUnit != .auto { parts.append("time-unit=\(timeUnit.rawValue)") }
        if !header { parts.append("no-header") }
        if delimiter != UInt8(ascii: ",") { parts.append("delimiter=\(Character(Unicode.Scalar(delimiter)))") }
        if let dataClass { parts.append("class=\(dataClass)") }
        if let signature = messageStoreSchema?.signature, !signature.isEmpty { parts.append(signature) }
        return parts.joined(separator: " ")
    }
}

/// Byte sizes with binary suffixes, for options such as `--key-by region:64MiB`.
public enum ByteSize {
    /// `4096`, `64KiB`, `64MiB`, `1GiB`, `2TiB` (also `K`, `M`, `G`, `T`, `KB`… as binary multiples).
    public static func parse(_ s: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
            ("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10),
            ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1),
        ]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            guard let n = Int64(s.dropLast(suffix.count)) else { return nil }
            let (v, overflow) = n.multipliedReportingOverflow(by: factor)
            return overflow ? nil : v
        }
        return Int64(s)
    }

    /// The largest exact binary unit: 67108864 → `64MiB`.
    public static func format(_ n: Int64) -> String {
        for (suffix, factor) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where n >= factor && n % factor == 0 {
            return "\(n / factor)\(suffix)"
        }
        return "\(n)"
    }
}

extension String {
    func trimmingBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
