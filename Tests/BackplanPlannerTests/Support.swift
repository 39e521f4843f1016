import BackplanCore
import BackplanTestSupport
import Foundation
@testable import BackplanPlanner

/// The committed example policy and catalogs.
enum Files {
    static func path(_ relative: String) -> String { Checkout.root.appendingPathComponent(relative).path }
    static var policy: String { path("datasets/policies/messaging.yaml") }
    static var aws: String { path("datasets/pricing/aws-s3.yaml") }
    static var catalogs: [String] { ["aws-s3", "gcs", "azure-blob"].map { path("datasets/pricing/\($0).yaml") } }
}

/// A policy with one class `c` and one failure kind, without limits, for closed-form checks.
func simplePolicy(rpo: Int64 = 7 * 86_400, rto: Int64 = 30 * 86_400, mtbf: Int64 = 31_536_000, loss: Double = 1,
                  copies: Int = 1, offline: Int = 0, minInterval: Int64 = 60) -> Policy {
    Policy(
        file: "test.yaml",
        classes: ["default": ClassPolicy(
            rpoMaxSeconds: rpo, rtoMaxSeconds: rto, retentionMinSeconds: 30 * 86_400, retentionMaxSeconds: 365 * 86_400,
            erase: false, copies: copies, regions: 1, offlineCopies: offline, encrypt: false,
            lossDollarsPerMessage: loss, lossDollarsPerGiB: 0, downtimeDollarsPerHour: 0, allowedTiers: nil)],
        failures: [FailureKind(name: "disk", mtbfSeconds: mtbf, discoverySeconds: 0)],
        budgetDollarsPerMonth: nil, backupWindowBytesPerDay: nil, executorMinIntervalSeconds: minInterval,
        restoreBytesPerSecond: 100 * 1_048_576)
}

/// One tier whose only cost that depends on the interval is its PUT price.
func simpleCatalog(putPer1000: Double = 0.005) -> PriceCatalog {
    PriceCatalog(file: "prices.yaml", provider: "test", region: "r", source: "test", asOf: "test", tiers: [
        Tier(name: "hot", storageDollarsPerGiBMonth: 0.02, retrievalDollarsPerGiB: 0, putDollarsPer1000: putPer1000,
             getDollarsPer1000: 0, minStorageDays: 0, minBillableBytes: 0, firstByteSeconds: 0, offline: false),
    ])
}

/// Random datasets over the example policy's classes.
func randomForecasts(seed: UInt64, count: Int) -> [DatasetForecast] {
    var rng = Xoshiro256StarStar(seed: seed)
    let classes = ["private", "group", "channel", "mailbox", "attachments", "other"]
    return (0..<count).map { i in
        DatasetForecast(
            name: "d\(i)", dataClass: classes[rng.nextIndex(below: classes.count)],
            sizeBytes: exp(rng.nextNormal(mean: 14, standardDeviation: 3)),
            writesPerDay: rng.nextIndex(below: 5) == 0 ? 0 : exp(rng.nextNormal(mean: 1, standardDeviation: 2.5)),
            readsPerDay: exp(rng.nextNormal(mean: 1, standardDeviation: 2.5)),
            bytesPerWrite: exp(rng.nextNormal(mean: 7, standardDeviation: 2)), bytesPerRead: exp(rng.nextNormal(mean: 8, standardDeviation: 2)),
            meanSessionSeconds: 600, meanQuietGapSeconds: 20_000, busiestBlockEndSeconds: Int64(rng.nextIndex(below: 8)) * 10_800)
    }
}

let testInputs = Plan.Inputs(
    statsStore: .init(path: "s", sha256: String(repeating: "0", count: 64)), model: .init(path: "m", sha256: String(repeating: "1", count: 64)),
    policy: .init(path: "p", sha256: String(repeating: "2", count: 64)), prices: .init(path: "c", sha256: String(repeating: "3", count: 64)))

/// A validator for the JSON Schema subset `plan.schema.json` uses: type, const, enum, required, properties,
/// additionalProperties, items, minItems, minimum, maximum, pattern and local `$ref`s. Returns the problems.
struct SchemaValidator {
    let root: [String: Any]

    func validate(_ value: Any, _ schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            let parts = ref.dropFirst(2).split(separator: "/").map(String.init)
            var node: Any = root
            for p in parts { node = (node as? [String: Any])?[p] ?? [:] }
            return validate(value, node as? [String: Any] ?? [:], at: path)
        }
        var problems: [String] = []
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            if !types.contains(where: { Self.matches(value, $0) }) { return ["\(path): expected \(types), got \(value)"] }
        }
        if let c = schema["const"], "\(c)" != "\(value)" { problems.append("\(path): expected \(c)") }
        if let e = schema["enum"] as? [Any], !e.contains(where: { "\($0)" == "\(value)" }) { problems.append("\(path): not in \(e)") }
        if let n = (value as? NSNumber)?.doubleValue {
            if let m = (schema["minimum"] as? NSNumber)?.doubleValue, n < m { problems.append("\(path): \(n) < \(m)") }
            if let m = (schema["maximum"] as? NSNumber)?.doubleValue, n > m { problems.append("\(path): \(n) > \(m)") }
        }
        if let s = value as? String, let pattern = schema["pattern"] as? String, s.range(of: pattern, options: .regularExpression) == nil {
            problems.append("\(path): '\(s)' does not match \(pattern)")
        }
        if let o = value as? [String: Any] {
            for r in schema["required"] as? [String] ?? [] where o[r] == nil { problems.append("\(path): missing \(r)") }
            let props = schema["properties"] as? [String: Any] ?? [:]
            for (k, v) in o {
                if let p = props[k] as? [String: Any] {
                    problems += validate(v, p, at: "\(path).\(k)")
                } else if let extra = schema["additionalProperties"] {
                    if let b = extra as? Bool, !b { problems.append("\(path): unexpected key \(k)") }
                    if let s = extra as? [String: Any] { problems += validate(v, s, at: "\(path).\(k)") }
                }
            }
        }
        if let a = value as? [Any] {
            if let m = schema["minItems"] as? Int, a.count < m { problems.append("\(path): fewer than \(m) items") }
            if let items = schema["items"] as? [String: Any] {
                for (i, v) in a.enumerated() { problems += validate(v, items, at: "\(path)[\(i)]") }
            }
        }
        return problems
    }

    static func matches(_ v: Any, _ type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        // Foundation on Linux bridges JSON booleans and numbers loosely; the validator does not tell them apart.
        case "boolean": return v is Bool
        case "integer": return (v as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": return v is NSNumber
        case "null": return v is NSNull
        default: return false
        }
    }
}
