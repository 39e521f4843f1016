import BackplanCore
import Foundation

/// Reads a time value under `unit`: seconds, ms, µs, ns (integers or decimals) or ISO-8601 text.
func parseMappedTime(_ raw: UnsafeBufferPointer<UInt8>, unit: TimeUnit, column: String) throws(LineError) -> Int64 {
    let looksISO = raw.count >= 10 && raw[4] == UInt8(ascii: "-")
    switch unit {
    case .iso8601:
        return try checkedTime(CivilTime.parseISO8601(raw), column: column, raw: raw)
    case .auto where looksISO:
        return try checkedTime(CivilTime.parseISO8601(raw), column: column, raw: raw)
    default:
        guard let whole = Parse.floorDecimal(raw) else {
            throw LineError(column, "not a time: '\(Parse.text(raw))' (Unix seconds, ms, µs, ns or ISO-8601)")
        }
        return try checkedTime(scaleToSeconds(whole, unit: unit), column: column, raw: raw)
    }
}

/// Scales a whole number in `unit` to seconds (rounding toward −∞); `.auto` picks the unit by magnitude.
func scaleToSeconds(_ v: Int64, unit: TimeUnit) -> Int64 {
    func div(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    switch unit {
    case .seconds, .iso8601: return v
    case .milliseconds: return div(v, 1_000)
    case .microseconds: return div(v, 1_000_000)
    case .nanoseconds: return div(v, 1_000_000_000)
    case .auto:
        let m = v.magnitude
        if m < 100_000_000_000 { return v }
        if m < 100_000_000_000_000 { return div(v, 1_000) }
        if m < 100_000_000_000_000_000 { return div(v, 1_000_000) }
        return div(v, 1_000_000_000)
    }
}

// MARK: - csv

/// Any CSV whose columns `--map` names: by header name, or by 1-based number with `--no-header`.
/// Without an `op` column every event is a write; without a `bytes` column bytes are 0.
struct MappedCSVFormat: LineFormat {
    let map: ColumnMap
    let header: Bool
    let delimiter: UInt8
    let timeUnit: TimeUnit
    private var fields = Fields()
    private var columns: (time: Int, dataset: Int, op: Int?, bytes: Int?, cls: Int?)?
    private var width = 0

    init(map: ColumnMap, header: Bool, delimiter: UInt8, timeUnit: TimeUnit) throws {
        self.map = map
        self.header = header
        self.delimiter = delimiter
        self.timeUnit = timeUnit
        if !header {
            func number(_ name: String?, _ field: String) throws -> Int? {
                guard let name else { return nil }
                guard let n = Int(name), n >= 1 else {
                    throw InputError(column: "--map", "\(field)=\(name): with --no-header, columns are 1-based numbers")
                }
                return n - 1
            }
            columns = (try number(map.time, "time")!, try number(map.dataset, "dataset")!,
                       try number(map.op, "op"), try number(map.bytes, "bytes"), try number(map.dataClass, "class"))
            width = [columns!.time, columns!.dataset, columns!.op ?? 0, columns!.bytes ?? 0, columns!.cls ?? 0].max()! + 1
        }
    }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        try fields.split(line, by: .byte(delimiter))
        guard let c = columns else {
            try readHeader(line)
            return false
        }
        guard fields.count >= width else {
            throw LineError(nil, "expected at least \(width) fields, found \(fields.count)")
        }
        let timeRaw = fields[c.time, in: line]
        let at = try parseMappedTime(timeRaw, unit: timeUnit, column: map.time)
        let key = fields[c.dataset, in: line]
        guard !key.isEmpty else { throw LineError(map.dataset, "empty dataset id") }
        var op = AccessOp.write
        if let i = c.op {
            let raw = fields[i, in: line]
            guard let parsed = AccessOp(spelling: raw) else {
                throw LineError(map.op, "unknown op '\(Parse.text(raw))' (read/write, r/w, get/put, 0/1)")
            }
            op = parsed
        }
        let bytes = try c.bytes.map { i throws(LineError) in try Parse.byteCount(fields[i, in: line], column: map.bytes ?? "bytes") } ?? 0
        if let i = c.cls {
            let cls = fields[i, in: line]
            if !cls.isEmpty { out.dataClass = fields.unescaped(i, in: line) ?? Array(cls) }
        }
        if let id = fields.unescaped(c.dataset, in: line) {
            id.withUnsafeBufferPointer { out.add(key: $0, at: at, op: op, bytes: bytes) }
        } else {
            out.add(key: key, at: at, op: op, bytes: bytes)
        }
        return true
    }

    private mutating func readHeader(_ line: UnsafeBufferPointer<UInt8>) throws(LineError) {
        var names: [String] = []
        for i in 0..<fields.count {
            names.append(String(decoding: fields[i, in: line], as: UTF8.self).trimmingBlanks())
        }
        func index(_ name: String?, _ field: String) throws(LineError) -> Int? {
            guard let name else { return nil }
            guard let i = names.firstIndex(of: name) else {
                let shown = names.prefix(12).map { InputError.printable($0, limit: 40) }.joined(separator: ", ")
                    + (names.count > 12 ? ", … (\(names.count) in all)" : "")
                throw LineError(name, "column named by --map \(field)=\(name) is not in the header (columns: \(shown))", fatal: true)
            }
            return i
        }
        let t = try index(map.time, "time")!, d = try index(map.dataset, "dataset")!
        columns = (t, d, try index(map.op, "op"), try index(map.bytes, "bytes"), try index(map.dataClass, "class"))
        width = [t, d, columns!.op ?? 0, columns!.bytes ?? 0, columns!.cls ?? 0].max()! + 1
    }
}

// MARK: - jsonl

/// One JSON object per line; `--map` names its keys. Numbers or strings are accepted for every field.
struct MappedJSONLFormat: LineFormat {
    let map: ColumnMap
    let timeUnit: TimeUnit

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into out: inout ParsedLine) throws(LineError) -> Bool {
        do {
            return try parseObject(line, into: &out)
        } catch let error as LineError {
            throw error
        } catch {
            throw LineError(nil, "\(error)")
        }
    }

    private func parseObject(_ line: UnsafeBufferPointer<UInt8>, into out: inout ParsedLine) throws -> Bool {
        let object: [String: Any]
        do {
            let data = Data(buffer: line)
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw LineError(nil, "not a JSON object")
            }
            object = o
        } catch let e as LineError {
            throw e
        } catch {
            throw LineError(nil, "not valid JSON")
        }
        func text(_ key: String) throws -> String {
            switch object[key] {
            case let s as String: return s
            case let n as NSNumber: return n.stringValue
            case nil, is NSNull: throw LineError(key, "missing")
            default: throw LineError(key, "expected a string or a number")
            }
        }
        var timeText = try text(map.time)
        let at = try timeText.withUTF8 { raw in try parseMappedTime(raw, unit: timeUnit, column: map.time) }
        let key = try text(map.dataset)
        guard !key.isEmpty else { throw LineError(map.dataset, "empty dataset id") }
        var op = AccessOp.write
        if let opKey = map.op {
            let raw = try text(opKey)
            guard let parsed = AccessOp(spelling: Array(raw.utf8)) else {
                throw LineError(opKey, "unknown op '\(raw)' (read/write, r/w, get/put, 0/1)")
            }
            op = parsed
        }
        var bytes: Int64 = 0
        if let bytesKey = map.bytes {
            var raw = try text(bytesKey)
            bytes = try raw.withUTF8 { b in try Parse.byteCount(b, column: bytesKey) }
        }
        if let clsKey = map.dataClass, let cls = object[clsKey] as? String, !cls.isEmpty {
            out.dataClass = Array(cls.utf8)
        }
        out.add(key: key, at: at, op: op, bytes: bytes)
        return true
    }
}
