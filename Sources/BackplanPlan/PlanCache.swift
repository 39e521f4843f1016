import BackplanCore
import Crypto
import Foundation

/// A plan as the executor reads it (without its reasons, ``Plan/load(_:reasons:)``), kept in a file of its own
/// so the next run of the same plan skips the JSON: an executor runs every few minutes from cron against a plan
/// that changes daily, and decoding a 10,000-dataset plan (20 MB of JSON) took 0.3–0.5 s of each round on this
/// project's 2-core machine — half of what restic's own start takes — where this form reads in a few hundredths.
///
/// The file is a cache, valid only for the exact bytes of the plan: it starts with a header naming it and the
/// SHA-256 of the plan file it was made from; any other plan, a damaged or cut cache, a cache of another layout
/// is ignored and the JSON read (then the cache rewritten, through a temporary file renamed into place). A file
/// at the cache's path that does not start with the header is never written over.
///
/// Layout after the header: the plan's top level but its datasets as JSON (small), then each dataset's fields in
/// a fixed order — integers 8 bytes little-endian, strings as a 4-byte length and UTF-8, optionals behind a
/// presence byte.
///
/// ```swift
/// let plan = try PlanCache.load("out/plan.json", cache: "state.sqlite-plan")   // == Plan.load(…, reasons: false)
/// ```
public enum PlanCache {
    static let header = Array("backplan plan cache 1\n".utf8)

    /// The plan cache of the executor state store at `statePath`.
    public static func path(forState statePath: String) -> String { statePath + "-plan" }

    /// The plan in `file` read without its reasons, from `cache` when it was made from the same bytes; else
    /// from the JSON, then (with `write`) writing `cache` for the next run — unless `cache` is `file` or holds
    /// something that is not a plan cache.
    ///
    /// - Throws: what ``Plan/load(_:reasons:)`` throws; never for a cache it cannot read or write.
    public static func load(_ file: String, cache: String, write: Bool = true) throws -> Plan {
        let data = try InputFile.contents(of: file, what: "plan file")
        let digest = Array(SHA256.hash(data: data))
        let cached = FileManager.default.contents(atPath: cache)
        if let cached, let plan = read(cached, digest: digest) { return plan }
        let plan = try Plan.decode(data, file: file, reasons: false)
        if write, !sameFile(file, cache), cached.map({ $0.starts(with: header) }) ?? true,
           let bytes = try? encode(plan, digest: digest) {
            let temporary = cache + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
            if FileManager.default.createFile(atPath: temporary, contents: bytes), rename(temporary, cache) != 0 {
                try? FileManager.default.removeItem(atPath: temporary)
            }
        }
        return plan
    }

    /// The cache bytes of `plan` (read without reasons) made from a plan file whose SHA-256 is `digest`.
    static func encode(_ plan: Plan, digest: [UInt8]) throws -> Data {
        var top = plan
        top.datasets = []
        var w = Writer()
        w.bytes = header + digest
        w.string(String(decoding: try JSONEncoder().encode(top), as: UTF8.self))
        w.int(plan.datasets.count)
        for d in plan.datasets {
            for s in [d.id, d.class, d.location, d.backupTier, d.dataTier] { w.string(s) }
            let s = d.schedule
            w.int(s.intervalSeconds)
            w.optional(s.timeOfDaySeconds)
            w.optional(s.quietSeconds)
            w.optional(s.maxDirtyWrites.map(Int64.init))
            w.int(s.rpoSeconds)
            w.optional(s.fullEverySeconds)
            w.flag(d.dataSchedule != nil)
            if let t = d.dataSchedule {
                w.int(t.minObjectBytes)
                w.int(t.steps.count)
                for step in t.steps { w.int(step.afterDays); w.string(step.tier) }
            }
            w.int(d.copies.count)
            for c in d.copies {
                w.string(c.tier)
                w.string(c.region)
                w.flag(c.offline)
                w.flag(c.objectTag != nil)
                if let tag = c.objectTag { w.string(tag.key); w.string(tag.value) }
            }
            let r = d.retention
            for n in [r.daily, r.weekly, r.monthly, r.yearly] { w.int(n) }
            w.int(r.spanSeconds)
            w.optional(r.deleteAfterSeconds)
            w.string(r.restic)
            w.flag(d.encrypt)
        }
        return Data(w.bytes)
    }

    /// The plan in `bytes` when they are a cache made from a plan file whose SHA-256 is `digest`, else `nil`.
    static func read(_ bytes: Data, digest: [UInt8]) -> Plan? {
        guard bytes.starts(with: header + digest) else { return nil }
        return bytes.withUnsafeBytes { raw -> Plan? in
            var r = Reader(raw: raw, at: header.count + digest.count)
            guard let top = r.string(), var plan = try? JSONDecoder().decode(Plan.self, from: Data(top.utf8)), let count = r.count() else { return nil }
            plan.datasets.reserveCapacity(count)
            for _ in 0..<count {
                guard let d = r.dataset() else { return nil }
                plan.datasets.append(d)
            }
            return r.atEnd ? plan : nil
        }
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        let path = { (p: String) in URL(fileURLWithPath: p).resolvingSymlinksInPath().standardizedFileURL.path }
        return path(a) == path(b)
    }

    private struct Writer {
        var bytes: [UInt8] = []
        mutating func int<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func flag(_ b: Bool) { bytes.append(b ? 1 : 0) }
        mutating func optional(_ v: Int64?) { flag(v != nil); if let v { int(v) } }
        mutating func string(_ s: String) {
            withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: s.utf8)
        }
    }

    /// Reads what ``Writer`` wrote; every read is bounds-checked and `nil` past the end or on a bad value.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var at: Int
        var atEnd: Bool { at == raw.count }

        mutating func int() -> Int64? {
            guard at + 8 <= raw.count else { return nil }
            defer { at += 8 }
            return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self))
        }
        mutating func count() -> Int? { int().flatMap { $0 >= 0 && $0 <= Int64(raw.count) ? Int($0) : nil } }
        mutating func smallInt() -> Int? { int().flatMap { Int(exactly: $0) } }
        mutating func flag() -> Bool? {
            guard at < raw.count, raw[at] <= 1 else { return nil }
            defer { at += 1 }
            return raw[at] == 1
        }
        /// `.some(nil)` for an absent value, `nil` when the bytes are bad.
        mutating func optional() -> Int64?? {
            guard let present = flag() else { return nil }
            return present ? int().map { .some($0) } : .some(nil)
        }
        mutating func string() -> String? {
            guard at + 4 <= raw.count else { return nil }
            let n = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            guard at + 4 + n <= raw.count else { return nil }
            defer { at += 4 + n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[(at + 4)..<(at + 4 + n)]), as: UTF8.self)
        }

        mutating func dataset() -> DatasetPlan? {
            guard let id = string(), let cls = string(), let location = string(), let backupTier = string(), let dataTier = string(),
                  let interval = int(), let timeOfDay = optional(), let quiet = optional(), let dirty = optional(), let rpo = int(),
                  let full = optional(), let hasTiers = flag() else { return nil }
            var tiers: TierSchedule?
            if hasTiers {
                guard let minBytes = int(), let n = count() else { return nil }
                var steps: [TierSchedule.Step] = []
                for _ in 0..<n {
                    guard let days = smallInt(), let tier = string() else { return nil }
                    steps.append(.init(afterDays: days, tier: tier))
                }
                tiers = TierSchedule(steps: steps, minObjectBytes: minBytes)
            }
            guard let copyCount = count() else { return nil }
            var copies: [DatasetPlan.Copy] = []
            for _ in 0..<copyCount {
                guard let tier = string(), let region = string(), let offline = flag(), let tagged = flag() else { return nil }
                var tag: DatasetPlan.ObjectTag?
                if tagged {
                    guard let key = string(), let value = string() else { return nil }
                    tag = .init(key: key, value: value)
                }
                copies.append(.init(tier: tier, region: region, offline: offline, objectTag: tag))
            }
            guard let daily = smallInt(), let weekly = smallInt(), let monthly = smallInt(), let yearly = smallInt(), let span = int(),
                  let deleteAfter = optional(), let restic = string(), let encrypt = flag() else { return nil }
            let schedule = DatasetPlan.Schedule(intervalSeconds: interval, timeOfDaySeconds: timeOfDay, quietSeconds: quiet,
                                                maxDirtyWrites: dirty.flatMap { Int(exactly: $0) }, rpoSeconds: rpo, fullEverySeconds: full)
            let retention = DatasetPlan.Retention(daily: daily, weekly: weekly, monthly: monthly, yearly: yearly, spanSeconds: span,
                                                  deleteAfterSeconds: deleteAfter, restic: restic)
            return DatasetPlan(id: id, class: cls, location: location, schedule: schedule, backupTier: backupTier, dataTier: dataTier,
                               copies: copies, retention: retention, encrypt: encrypt, why: .notRead, dataSchedule: tiers)
        }
    }
}
