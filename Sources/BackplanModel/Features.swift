import BackplanCore
import BackplanLinAlg
import BackplanStore
import Foundation

/// What the baselines need about one row (dataset at a cutoff), computed in the same pass as the features.
public struct BaselineInputs: Sendable, Equatable {
    /// Reads and writes in [t − H, t).
    public var lastWindow: [Double]
    /// Seconds since the last read or write at t, `nil` when the dataset was never accessed before t.
    public var secondsSinceAccess: Double?
    /// Decayed counts per op (0 reads, 1 writes) and half-life of ``ewmaHalfLivesSeconds``, at t.
    public var decayed: [[Double]]

    /// The EWMA baseline's grid of half-lives, in seconds (1, 3, 7, 14, 30 d).
    public static var ewmaHalfLivesSeconds: [Double] { decayHalfLives }
}

/// Feature rows for datasets at one or more cutoffs, with their targets (DESIGN §3).
public struct FeatureRows: Sendable {
    public var schema: FeatureSchema
    public var horizonSeconds: Int64
    /// Per row: the dataset's external id (`datasets.name`) and the cutoff time t.
    public var datasetNames: [String]
    public var cutoffs: [Int64]
    /// Raw (unstandardised) features, one row per (dataset, cutoff), columns in `schema.names` order.
    public var features: Matrix
    /// Reads and writes in [t, t + H), per row.
    public var targets: [ForecastTarget: [Double]]
    public var baselines: [BaselineInputs]

    public var count: Int { datasetNames.count }

    /// The first NaN or infinite feature, as an error naming the dataset, feature and cutoff.
    public func requireFinite() throws(ModelError) {
        let p = features.columns
        for (k, v) in features.elements.enumerated() where !v.isFinite {
            let row = k / p
            throw .nonFiniteFeature(
                dataset: datasetNames[row], feature: schema.names[k % p], cutoff: cutoffs[row], value: v)
        }
    }
}

/// The two forecast targets.
public enum ForecastTarget: String, Codable, Sendable, CaseIterable, Comparable {
    case reads, writes

    /// `AccessOp` raw value in the store's `events.op`.
    var op: Int { self == .reads ? 0 : 1 }

    public static func < (a: Self, b: Self) -> Bool { a.op < b.op }
}

/// Computes feature rows from a stats store in one pass over `events` in `(dataset_id, at)` order.
///
/// For each dataset, events are folded into a ``DatasetHistory`` in time order; when the next event is at or
/// after a cutoff t, the features at t are taken from the history, which has seen events before t only, so
/// later events cannot change them. Targets count events in [t, t + H).
///
/// - Complexity: O(events · log + rows · features) time; memory O(rows · features) plus one dataset's last
///   90 days of event times.
public struct FeatureExtractor: Sendable {
    public var horizonSeconds: Int64

    public init(horizonSeconds: Int64) {
        self.horizonSeconds = horizonSeconds
    }

    /// Rows for every dataset that exists at each of `cutoffs` (an event before t, or `created_at` before t).
    ///
    /// - Parameters:
    ///   - cutoffs: cutoff times, any order (rows come sorted by dataset, then cutoff).
    ///   - schema: the columns; a dataset whose class is not in `schema.classes` gets zeros in every class column.
    public func extract(
        from store: StatsStore, cutoffs: [Int64], schema: FeatureSchema,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> FeatureRows {
        let cuts = Array(Set(cutoffs)).sorted()
        let horizon = horizonSeconds
        var rows = FeatureRows(
            schema: schema, horizonSeconds: horizon, datasetNames: [], cutoffs: [],
            features: Matrix(rows: 0, columns: schema.count), targets: [.reads: [], .writes: []], baselines: [])
        guard let lastCut = cuts.last else { return rows }
        let classColumn = Dictionary(uniqueKeysWithValues: schema.classes.enumerated().map { ($1, $0) })
        var flat: [Double] = []
        var targetReads: [Double] = [], targetWrites: [Double] = []

        // The owner's own sends, by dataset name; only those before a cutoff enter its features.
        let sends = try store.sendTimes()
        var sendSlice: [String: Range<Int>] = [:]
        for (k, name) in sends.names.enumerated() { sendSlice[name] = sends.offsets[k]..<sends.offsets[k + 1] }
        try store.withDatasetsAndEvents(before: lastCut + horizon) { datasets, events in
            var pending = try events.next()
            for (n, dataset) in datasets.enumerated() {
                let id = dataset.id
                let name = dataset.name
                let dataClass = dataset.dataClass
                let createdAt = dataset.createdAt
                var history = DatasetHistory()
                let sendHistory = SendHistory(times: sendSlice[name].map { sends.times[$0] } ?? [])
                var target = [[Double]](repeating: [Double](repeating: 0, count: cuts.count), count: 2)
                var snapshots: [(cut: Int, features: [Double], baseline: BaselineInputs)] = []
                var next = 0

                func snapshot(upTo time: Int64?) {
                    while next < cuts.count, time.map({ cuts[next] <= $0 }) ?? true {
                        let t = cuts[next]
                        history.forget(before: t - FeatureSchema.longestWindowSeconds)
                        if !history.isEmpty || (createdAt.map { $0 < t } ?? false) {
                            var f: [Double] = []
                            f.reserveCapacity(schema.count)
                            history.appendFeatures(at: t, createdAt: createdAt.flatMap { $0 < t ? $0 : nil }, to: &f)
                            sendHistory.appendFeatures(at: t, to: &f)
                            var onehot = [Double](repeating: 0, count: schema.classes.count)
                            if let c = classColumn[dataClass] { onehot[c] = 1 }
                            f += onehot
                            let b = BaselineInputs(
                                lastWindow: (0..<2).map { Double(history.count(op: $0, seconds: horizon, before: t)) },
                                secondsSinceAccess: history.secondsSinceAccess(at: t),
                                decayed: (0..<2).map { o in
                                    decayHalfLives.indices.map { history.decayedCount(op: o, halfLifeIndex: $0, at: t) }
                                })
                            snapshots.append((next, f, b))
                        }
                        next += 1
                    }
                }

                while let event = pending {
                    if event.datasetID < id { pending = try events.next(); continue }
                    if event.datasetID > id { break }
                    let at = event.at
                    let op = event.op
                    let bytes = event.bytes
                    snapshot(upTo: at)
                    // This event falls in the target window [t, t + H) of every cutoff t in (at − H, at].
                    var k = lowerBound(cuts, at - horizon + 1)
                    while k < cuts.count && cuts[k] <= at { target[op == 0 ? 0 : 1][k] += 1; k += 1 }
                    if at < lastCut { history.add(at: at, op: op, bytes: bytes) }
                    pending = try events.next()
                }
                snapshot(upTo: nil)
                for s in snapshots {
                    rows.datasetNames.append(name)
                    rows.cutoffs.append(cuts[s.cut])
                    flat += s.features
                    targetReads.append(target[0][s.cut])
                    targetWrites.append(target[1][s.cut])
                    rows.baselines.append(s.baseline)
                }
                if n % 1_000 == 999 { progress?(n + 1) }
            }
        }
        rows.features = Matrix(rows: rows.datasetNames.count, columns: schema.count, elements: flat)
        rows.targets = [.reads: targetReads, .writes: targetWrites]
        return rows
    }

    /// Classes of the datasets that exist before `t` (an event or a creation time before it), sorted.
    public static func classes(in store: StatsStore, before t: Int64) throws -> [String] {
        try store.classes(before: t)
    }

    /// First and last event times of the store, `nil` when it has no events.
    public static func eventSpan(of store: StatsStore) throws -> (first: Int64, last: Int64)? {
        try store.eventSpan()
    }
}

/// Index of the first element of sorted `a` that is ≥ `x`.
func lowerBound(_ a: [Int64], _ x: Int64) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
