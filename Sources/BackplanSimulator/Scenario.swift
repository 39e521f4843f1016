import BackplanCore
import BackplanYAML
import BackplanPlanner

/// A what-if scenario (`datasets/scenarios/*.yaml`): which window of the store to replay, the failure
/// processes, and the shifts in access and price to apply during it (DESIGN §5).
public struct Scenario: Sendable, Equatable {
    public var file: String
    /// Replay the store's events after `t0 + split·(t1 − t0)`; earlier events are history.
    public var split: Double
    public var failures: [Failure]
    public var accessShift: AccessShift?
    public var priceChange: PriceChange?

    /// A failure process. `disk`, `host` and `corruption` strike datasets one at a time; `region` takes down
    /// every dataset of one of `regions` regions (datasets are spread over regions by a hash of their name).
    public struct Failure: Sendable, Equatable {
        public enum Scope: String, Sendable { case dataset, region }
        public var name: String
        public var scope: Scope
        public var mtbfSeconds: Double
        /// Corruption is found this long after it happens; the restore must reach a backup from before it.
        public var discoverySeconds: Double
        public var regions: Int
    }

    /// From `at` (a fraction of the replayed window) on, a share of the datasets writes `writesFactor` times
    /// as often: a group chat going viral.
    public struct AccessShift: Sendable, Equatable {
        public var datasetShare: Double
        public var writesFactor: Double
        public var at: Double
    }

    /// From `at` on, every price of `tier` (or of every tier when `nil`) is multiplied by `factor`.
    public struct PriceChange: Sendable, Equatable {
        public var tier: String?
        public var factor: Double
        public var at: Double
    }

    /// Reads and validates a scenario file.
    ///
    /// - Throws: ``InputError`` naming the file, line and key.
    public static func load(_ file: String) throws -> Scenario {
        var r = try YAMLReader.open(file)
        let split = try r.optionalNumber("split", minimum: 0) ?? 0.6
        guard split > 0 && split < 1 else { throw r.error("split", "must be strictly between 0 and 1, got \(split)") }
        var failures: [Failure] = []
        var f = try r.child("failures")
        for (name, var k) in try f.entries() {
            let mtbf = try k.duration("mtbf", in: Limits.mtbf)
            let scopeText = try k.optionalString("scope") ?? (name == "region" ? "region" : "dataset")
            guard let scope = Failure.Scope(rawValue: scopeText) else { throw k.error("scope", "expected dataset or region, got '\(scopeText)'") }
            let regions = scope == .region ? try k.integer("regions", minimum: 2, maximum: Limits.regions) : 1
            let discovery = Double(try k.optionalDuration("discoveryDelay", in: Limits.discoveryDelay) ?? 0)
            try k.finish()
            failures.append(Failure(name: name, scope: scope, mtbfSeconds: Double(mtbf), discoverySeconds: discovery, regions: regions))
        }
        try f.finish()
        var shift: AccessShift?
        if var s = try r.optionalChild("accessShift") {
            let share = try s.number("datasets", minimum: 0)
            guard share <= 1 else { throw s.error("datasets", "a share of the datasets, between 0 and 1; got \(share)") }
            let factor = try s.number("writesFactor", minimum: 1, maximum: Limits.writesFactor)
            let at = try s.number("at", minimum: 0)
            guard at < 1 else { throw s.error("at", "a fraction of the window, below 1; got \(at)") }
            try s.finish()
            shift = AccessShift(datasetShare: share, writesFactor: factor, at: at)
        }
        var price: PriceChange?
        if var p = try r.optionalChild("priceChange") {
            let tier = try p.optionalString("tier")
            let factor = try p.number("factor", minimum: 0, maximum: Limits.priceFactor)
            let at = try p.number("at", minimum: 0)
            guard at < 1 else { throw p.error("at", "a fraction of the window, below 1; got \(at)") }
            try p.finish()
            price = PriceChange(tier: tier, factor: factor, at: at)
        }
        _ = try r.optionalString("description")
        try r.finish()
        return Scenario(file: file, split: split, failures: failures, accessShift: shift, priceChange: price)
    }

    /// The accepted range of every numeric key of a scenario file, checked by ``load(_:)`` and listed in
    /// docs/INPUTS.md: a replay's work grows with (window / mtbf) failures per dataset and run and with
    /// `writesFactor` extra writes per write, so both are bounded (an mtbf of 1 s or a factor of 10⁹ once
    /// ran for ever).
    public enum Limits {
        /// `failures.*.mtbf`: 1 h … 100 y.
        public static let mtbf: ClosedRange<Int64> = 3_600...TimeSpan.maximumSeconds
        /// `failures.*.discoveryDelay`: 0 … 10 y.
        public static let discoveryDelay: ClosedRange<Int64> = 0...315_360_000
        /// `failures.region.regions`: 2 … 1,000.
        public static let regions = 1_000
        /// `accessShift.writesFactor`: 1 … 1,000.
        public static let writesFactor = 1_000.0
        /// `priceChange.factor`: 0 … 1,000.
        public static let priceFactor = 1_000.0
    }

    /// Checks that the price change names a tier of `catalog`.
    ///
    /// - Throws: ``InputError`` naming this scenario file, the key and the catalog's tiers.
    public func requireTiers(in catalog: PriceCatalog) throws {
        guard let tier = priceChange?.tier, !catalog.tiers.contains(where: { $0.name == tier }) else { return }
        throw InputError(file: file, "key 'priceChange.tier': unknown tier '\(tier)' "
                         + "(tiers in \(catalog.file): \(catalog.tiers.map(\.name).joined(separator: ", ")))")
    }
}
