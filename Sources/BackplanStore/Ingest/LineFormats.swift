import BackplanCore
import Foundation

/// The events one line yields (at most a few), with their dataset keys in one reusable byte buffer.
struct ParsedLine {
    struct Event {
        var keyRange: Range<Int>
        var at: Int64
        var op: AccessOp
        var bytes: Int64
    }

    var keys: [UInt8] = []
    var events: [Event] = []
    /// Sends by the owner named by `keys[range]` at a time (``addSend(key:at:)``).
    var sends: [(keyRange: Range<Int>, at: Int64)] = []
    /// Class named by the line itself (a mapped CSV/JSONL class column), if any.
    var dataClass: [UInt8]?

    init() {
        keys.reserveCapacity(256)
        events.reserveCapacity(4)
    }

    mutating func reset() {
        keys.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        sends.removeAll(keepingCapacity: true)
        dataClass = nil
    }

    /// Adds an event whose key is `parts` concatenated.
    @inline(__always)
    mutating func add(key parts: UnsafeBufferPointer<UInt8>..., suffix: String = "", at: Int64, op: AccessOp, bytes: Int64) {
        let start = keys.count
        for p in parts { keys.append(contentsOf: p) }
        if !suffix.isEmpty { keys.append(contentsOf: suffix.utf8) }
        events.append(Event(keyRange: start..<keys.count, at: at, op: op, bytes: bytes))
    }

    /// Adds a send by the dataset named `key` (the owner's own sending activity, DESIGN §2.2).
    @inline(__always)
    mutating func addSend(key: UnsafeBufferPointer<UInt8>, at: Int64) {
        let start = keys.count
        keys.append(contentsOf: key)
        sends.append((start..<keys.count, at))
    }

    /// Adds an event whose key is a string.
    mutating func add(key: String, at: Int64, op: AccessOp, bytes: Int64) {
        let start = keys.count
        keys.append(contentsOf: key.utf8)
        events.append(Event(keyRange: start..<keys.count, at: at, op: op, bytes: bytes))
    }
}

/// A text format read line by line. `parse` fills `out` with the line's events and returns `false` for a
/// line that carries none by design (header, comment); it throws ``LineError`` for a bad line.
protocol LineFormat {
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool
}

/// Times Backplan accepts: 1970-01-01 up to 9999-12-31 (Unix seconds). Traces with relative clocks
/// (CloudPhysics starts near 0) fit; a negative or absurd value is a bad line.
let validTimes: ClosedRange<Int64> = 0...253_402_300_799

@inline(__always)
func checkedTime(_ t: Int64?, column: String, raw: UnsafeBufferPointer<UInt8>) throws(LineError) -> Int64 {
    guard let t else { throw LineError(column, "not a time: '\(Parse.text(raw))'") }
    guard validTimes.contains(t) else { throw LineError(column, "time \(t) out of range (0 … 253402300799 Unix seconds)") }
    return t
}

/// Block traces: the dataset of a request at `offsetBytes` of `volume` under `keyBy`.
@inline(__always)
func addBlockEvent(_ out: inout ParsedLine, volume: UnsafeBufferPointer<UInt8>, prefix: String, keyBy: KeyBy,
                   offsetBytes: Int64, at: Int64, op: AccessOp, bytes: Int64) {
    // The volume's bytes as they are: decoding them to a String first repaired invalid UTF-8 to U+FFFD,
    // so two different invalid ids merged instead of being rejected by the one id rule (DatasetKey).
    let prefixBytes = Array(prefix.utf8)
    prefixBytes.withUnsafeBufferPointer { p in
        if case .region(let size) = keyBy {
            out.add(key: p, volume, suffix: ":r\(offsetBytes / size)", at: at, op: op, bytes: bytes)
        } else {
            out.add(key: p, volume, at: at, op: op, bytes: bytes)
        }
    }
}

// MARK: - snap-temporal

/// `SRC DST UNIXTS` (SNAP temporal networks such as CollegeMsg): one write of 0 bytes to mailbox DST, a send
/// by SRC (the owner's own sending activity, kept in `sends`), and with `sentFolder` one more write to `SRC:sent`. Lines starting with `#` or `%` are comments; extra columns
/// are ignored.
struct SnapTemporalFormat: LineFormat {
    var sentFolder: Bool
    private var fields = Fields()

    init(sentFolder: Bool) { self.sentFolder = sentFolder }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        if let first = line.first, first == UInt8(ascii: "#") || first == UInt8(ascii: "%") { return false }
        try fields.split(line, by: .blanks)
        guard fields.count >= 3 else {
            throw LineError(nil, "expected 3 fields 'SRC DST UNIXTS', found \(fields.count)")
        }
        let src = fields[0, in: line], dst = fields[1, in: line], ts = fields[2, in: line]
        let at = try checkedTime(Parse.floorDecimal(ts), column: "UNIXTS", raw: ts)
        out.add(key: dst, at: at, op: .write, bytes: 0)
        out.addSend(key: src, at: at)
        if sentFolder { out.add(key: src, suffix: ":sent", at: at, op: .write, bytes: 0) }
        return true
    }
}

// MARK: - cloudphysics

/// `version,time,op,size,lbn`: time in seconds, op a SCSI opcode in hex (READ 08/28/a8/88, WRITE
/// 0a/2a/aa/8a), size in bytes, lbn in 512-byte blocks. The volume is the file's name without extension.
struct CloudPhysicsFormat: LineFormat {
    var volume: [UInt8]
    var keyBy: KeyBy
    private var fields = Fields()

    init(path: String, keyBy: KeyBy) {
        volume = Array(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.utf8)
        self.keyBy = keyBy
    }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        if lineNumber == 1, line.starts(with: "version".utf8) { return false }
        try fields.split(line, by: .byte(UInt8(ascii: ",")))
        guard fields.count == 5 else { throw LineError(nil, "expected 5 fields 'version,time,op,size,lbn', found \(fields.count)") }
        let ts = fields[1, in: line]
        let at = try checkedTime(Parse.floorDecimal(ts), column: "time", raw: ts)
        let opField = fields[2, in: line]
        let op: AccessOp
        switch Parse.hex(opField) {
        case 0x08, 0x28, 0xa8, 0x88: op = .read
        case 0x0a, 0x2a, 0xaa, 0x8a: op = .write
        default: throw LineError("op", "unknown SCSI opcode '\(Parse.text(opField))' (expected 28 read or 2a write)")
        }
        let bytes = try Parse.byteCount(fields[3, in: line], column: "size")
        guard let lbn = Parse.int64(fields[4, in: line]), lbn >= 0, lbn <= Int64.max / 512 else {
            throw LineError("lbn", "not a block number: '\(Parse.text(fields[4, in: line]))'")
        }
        volume.withUnsafeBufferPointer { v in
            addBlockEvent(&out, volume: v, prefix: "", keyBy: keyBy, offsetBytes: lbn * 512, at: at, op: op, bytes: bytes)
        }
        return true
    }
}

// MARK: - tencent-photo

/// `YYYYMMDDhhmmss photoid format sizeclass bytes …` (Tencent QQ photo-cache trace): a read of `bytes`
/// from the photo's dataset. Times are taken as UTC.
struct TencentPhotoFormat: LineFormat {
    private var fields = Fields()

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        try fields.split(line, by: .blanks)
        guard fields.count >= 5 else {
            throw LineError(nil, "expected at least 5 fields 'YYYYMMDDhhmmss id format sizeclass bytes', found \(fields.count)")
        }
        let ts = fields[0, in: line]
        let at = try checkedTime(CivilTime.parseCompact(ts), column: "time", raw: ts)
        let bytes = try Parse.byteCount(fields[4, in: line], column: "bytes")
        out.add(key: fields[1, in: line], at: at, op: .read, bytes: bytes)
        return true
    }
}

// MARK: - tencent-cbs

/// `ts,offset,size,iotype,volume` (Tencent CBS, ATC 2020 release): seconds, offset and size in 512-byte
/// sectors, iotype 0 read / 1 write. Datasets are `vol<id>` or regions of it.
struct TencentCBSFormat: LineFormat {
    var keyBy: KeyBy
    private var fields = Fields()

    init(keyBy: KeyBy) { self.keyBy = keyBy }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        try fields.split(line, by: .byte(UInt8(ascii: ",")))
        guard fields.count == 5 else { throw LineError(nil, "expected 5 fields 'ts,offset,size,iotype,volume', found \(fields.count)") }
        let ts = fields[0, in: line]
        let at = try checkedTime(Parse.floorDecimal(ts), column: "ts", raw: ts)
        guard let sector = Parse.int64(fields[1, in: line]), sector >= 0, sector <= Int64.max / 512 else {
            throw LineError("offset", "not a sector number: '\(Parse.text(fields[1, in: line]))'")
        }
        let sectors = try Parse.byteCount(fields[2, in: line], column: "size")
        guard sectors <= Int64.max / 512 else { throw LineError("size", "size \(sectors) sectors is too large") }
        let op: AccessOp
        switch Parse.int64(fields[3, in: line]) {
        case 0: op = .read
        case 1: op = .write
        default: throw LineError("iotype", "unknown I/O type '\(Parse.text(fields[3, in: line]))' (0 read, 1 write)")
        }
        let volume = fields[4, in: line]
        guard !volume.isEmpty else { throw LineError("volume", "empty volume id") }
        addBlockEvent(&out, volume: volume, prefix: "vol", keyBy: keyBy, offsetBytes: sector * 512, at: at, op: op,
                      bytes: sectors * 512)
        return true
    }
}

// MARK: - msr

/// `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime` (MSR Cambridge): Windows FILETIME
/// (100 ns ticks since 1601-01-01), `Read`/`Write`, offset and size in bytes. Datasets are `host_disk`.
struct MSRFormat: LineFormat {
    var keyBy: KeyBy
    private var fields = Fields()
    private var volume: [UInt8] = []

    init(keyBy: KeyBy) { self.keyBy = keyBy }

    /// Seconds between 1601-01-01 and 1970-01-01.
    static let fileTimeEpochOffset: Int64 = 11_644_473_600

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        if lineNumber == 1, line.starts(with: "Timestamp".utf8) { return false }
        try fields.split(line, by: .byte(UInt8(ascii: ",")))
        guard fields.count == 7 else {
            throw LineError(nil, "expected 7 fields 'Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime', found \(fields.count)")
        }
        let ts = fields[0, in: line]
        let ticks = Parse.int64(ts)
        let at = try checkedTime(ticks.map { $0 / 10_000_000 - Self.fileTimeEpochOffset }, column: "Timestamp", raw: ts)
        let op: AccessOp
        switch Parse.text(fields[3, in: line]) {
        case "Read", "read", "R": op = .read
        case "Write", "write", "W": op = .write
        default: throw LineError("Type", "unknown type '\(Parse.text(fields[3, in: line]))' (Read or Write)")
        }
        guard let offset = Parse.int64(fields[4, in: line]), offset >= 0 else {
            throw LineError("Offset", "not a byte offset: '\(Parse.text(fields[4, in: line]))'")
        }
        let bytes = try Parse.byteCount(fields[5, in: line], column: "Size")
        volume.removeAll(keepingCapacity: true)
        volume.append(contentsOf: fields[1, in: line])
        volume.append(UInt8(ascii: "_"))
        volume.append(contentsOf: fields[2, in: line])
        volume.withUnsafeBufferPointer { v in
            addBlockEvent(&out, volume: v, prefix: "", keyBy: keyBy, offsetBytes: offset, at: at, op: op, bytes: bytes)
        }
        return true
    }
}

// MARK: - systor

/// `Timestamp,Response,IOType,LUN,Offset,Size` (SYSTOR '17): Unix seconds with a fraction, `R`/`W`,
/// offset and size in bytes. Datasets are `lun<N>`.
struct SystorFormat: LineFormat {
    var keyBy: KeyBy
    private var fields = Fields()

    init(keyBy: KeyBy) { self.keyBy = keyBy }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        if lineNumber == 1, line.starts(with: "Timestamp".utf8) { return false }
        try fields.split(line, by: .byte(UInt8(ascii: ",")))
        guard fields.count == 6 else {
            throw LineError(nil, "expected 6 fields 'Timestamp,Response,IOType,LUN,Offset,Size', found \(fields.count)")
        }
        let ts = fields[0, in: line]
        let at = try checkedTime(Parse.floorDecimal(ts), column: "Timestamp", raw: ts)
        let op: AccessOp
        switch Parse.text(fields[2, in: line]) {
        case "R", "r", "Read": op = .read
        case "W", "w", "Write": op = .write
        default: throw LineError("IOType", "unknown I/O type '\(Parse.text(fields[2, in: line]))' (R or W)")
        }
        let lun = fields[3, in: line]
        guard Parse.int64(lun) != nil else { throw LineError("LUN", "not a LUN number: '\(Parse.text(lun))'") }
        guard let offset = Parse.int64(fields[4, in: line]), offset >= 0 else {
            throw LineError("Offset", "not a byte offset: '\(Parse.text(fields[4, in: line]))'")
        }
        let bytes = try Parse.byteCount(fields[5, in: line], column: "Size")
        addBlockEvent(&out, volume: lun, prefix: "lun", keyBy: keyBy, offsetBytes: offset, at: at, op: op, bytes: bytes)
        return true
    }
}
