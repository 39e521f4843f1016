import Foundation

extension HostileCases {
    static let durationValues = [("huge", "9223372036854775807"), ("negative", "-5m"), ("NaN", ".nan"), ("Inf", ".inf")]
    static let byteValues = [("huge", "99999999PiB"), ("negative", "-1MiB"), ("NaN", ".nan"), ("Inf", ".inf"), ("zero", "0")]
    static let numberValues = [("huge", "1e308"), ("negative", "-1"), ("NaN", ".nan"), ("Inf", ".inf")]
    static let integerValues = [("huge", "9223372036854775807"), ("negative", "-1"), ("NaN", ".nan"), ("fraction", "2.5")]

    /// Every numeric key of the example policy.
    static func policyKeys(_ f: HostileFixture) -> [HostileCase] {
        let keys: [(String, String, [(String, String)])] = [
            ("minInterval: 5m", "executor.minInterval", durationValues + [("zero", "0s")]),
            ("restoreThroughputPerSecond: 100MiB", "executor.restoreThroughputPerSecond", byteValues),
            ("budgetDollarsPerDatasetMonth: 0.0018", "budgetDollarsPerDatasetMonth", numberValues),
            ("backupWindowPerDay: 50GiB", "backupWindowPerDay", byteValues),
            ("mtbf: 3y", "failures.disk.mtbf", durationValues + [("zero", "0s"), ("tiny", "1s")]),
            ("discoveryDelay: 14d", "failures.corruption.discoveryDelay", durationValues),
            ("rpoMax: 4h", "classes.private.rpoMax", durationValues + [("zero", "0s")]),
            ("rtoMax: 4h", "classes.private.rtoMax", durationValues + [("zero", "0s")]),
            ("retentionMin: 30d", "classes.private.retentionMin", durationValues),
            ("retentionMax: 1y", "classes.private.retentionMax", durationValues),
            ("count: 3", "classes.private.copies.count", integerValues + [("zero", "0")]),
            ("regions: 2", "classes.private.copies.regions", integerValues + [("zero", "0")]),
            ("offline: 1", "classes.private.copies.offline", integerValues),
            ("lossDollarsPerMessage: 0.02", "classes.private.lossDollarsPerMessage", numberValues),
            ("downtimeDollarsPerHour: 0.05", "classes.private.downtimeDollarsPerHour", numberValues),
        ]
        return keys.flatMap { needle, key, values in
            keyCases(f, role: "policy", good: f.policy, needle: needle, key: key, values: values)
        }
    }

    /// Every numeric key of a price catalog tier.
    static func priceKeys(_ f: HostileFixture) -> [HostileCase] {
        let keys: [(String, String, [(String, String)])] = [
            ("storagePerGiBMonth: 0.023", "tiers.standard.storagePerGiBMonth", numberValues),
            ("retrievalPerGiB: 0,", "tiers.standard.retrievalPerGiB", numberValues),
            ("putPer1000: 0.005", "tiers.standard.putPer1000", numberValues),
            ("getPer1000: 0.0004", "tiers.standard.getPer1000", numberValues),
            ("minStorageDays: 30", "tiers.standard-ia.minStorageDays", numberValues),
            ("minBillableSize: 128KiB", "tiers.standard-ia.minBillableSize", byteValues.filter { $0.0 != "zero" }),
            ("firstByteLatency: 5h", "firstByteLatency", durationValues),
        ]
        return keys.flatMap { needle, key, values in
            keyCases(f, role: "prices", good: f.prices, needle: needle, key: key, values: values.map { ($0.0, $0.1 + (needle.hasSuffix(",") ? "," : "")) })
        }
    }

    /// Every numeric key of a scenario, with the values that once crashed or hung `simulate`.
    static func scenarioKeys(_ f: HostileFixture) -> [HostileCase] {
        let keys: [(String, String, [(String, String)])] = [
            ("split: 0.6", "split", numberValues + [("zero", "0"), ("one", "1")]),
            ("mtbf: 1y", "failures.disk.mtbf", durationValues + [("zero", "0s"), ("tiny", "1s")]),
            ("regions: 2", "failures.region.regions", integerValues + [("one", "1")]),
            ("discoveryDelay: 14d", "failures.corruption.discoveryDelay", durationValues),
            ("datasets: 0.02", "accessShift.datasets", numberValues),
            ("writesFactor: 10", "accessShift.writesFactor", numberValues + [("billion", "1e9")]),
            ("at: 0.5", "accessShift.at", numberValues + [("one", "1")]),
            ("factor: 1.4", "priceChange.factor", numberValues),
            ("at: 0.33", "priceChange.at", numberValues),
            ("tier: standard", "priceChange.tier", [("unknown tier", "no-such-tier")]),
        ]
        return keys.flatMap { needle, key, values in
            keyCases(f, role: "scenario", good: f.scenario, needle: needle, key: key, values: values).map { c in
                // The unknown tier is found against the catalog, after the file is read: it names the key, not a line.
                guard key == "priceChange.tier", case .rejected(let mentions) = c.expectation else { return c }
                var c = c
                c.expectation = .rejected(mentioning: [String(mentions[0].split(separator: ":")[0]), key])
                return c
            }
        }
    }
}
