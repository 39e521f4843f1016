import BackplanCore
import BackplanPlan
import BackplanStore
import Foundation

/// Builds the planner's per-dataset inputs (``DatasetForecast``, the plan contract's type) from a stats store
/// and a trained model, so the planner itself needs no store.
///
/// ```swift
/// let store = try StatsStore.open(path: "stats.sqlite", create: false)
/// let model = try ForecastModel.load(directory: "models/default")
/// let made = try Forecasts.make(store: store, model: model)      // at the store's last event + 1 s
/// let plan = try Planner(policy: policy, catalog: catalog).plan(made.forecasts, generatedAt: made.generatedAt,
///     inputs: try Forecasts.inputs(store: store, modelDirectory: "models/default", policy: policyFile, prices: pricesFile))
/// ```
public enum Forecasts {
    /// Forecasts for every dataset with history before `cutoff` (default: the store's last event + 1 s, the
    /// plan's "now"), from events before it only.
    ///
    /// Reads and writes per day are the model's predicted counts over its horizon divided by the horizon in
    /// days; size is the mean over the model's horizon of the size the dataset will have: the bytes written
    /// before the cutoff (not `datasets.size_bytes`, the size at the store's end, which would leak the future
    /// into plans made at an earlier cutoff) plus half the horizon's forecast write bytes (writes per day ×
    /// bytes per write × horizon days / 2: storage is billed on the size over the month, not at its start);
    /// bytes per read and per write come from the
    /// hourly roll-up's whole hours before the cutoff (``StatsStore/datasetActivity(before:)``); session,
    /// quiet-gap and busiest-hours figures are the model's own history features.
    ///
    /// - Throws: ``InputError`` when the store has no events; ``ModelError`` for a model/store mismatch.
    public static func make(store: StatsStore, model: ForecastModel, at cutoff: Int64? = nil) throws
        -> (forecasts: [DatasetForecast], generatedAt: Int64)
    {
        guard let span = try store.eventSpan() else {
            throw InputError(file: store.path, "the stats store has no events to plan from")
        }
        let now = cutoff ?? span.last + 1
        let rows = try FeatureExtractor(horizonSeconds: model.horizonSeconds).extract(from: store, cutoffs: [now], schema: model.features)
        let predicted = try model.predict(rows)
        try requirePlausible(predicted, names: rows.datasetNames, horizonSeconds: model.horizonSeconds)
        let activity = try store.datasetActivity(before: now)
        let unknown = StatsStore.DatasetActivity(dataClass: "default", sizeBytes: 0, bytesRead: 0, reads: 0, bytesWritten: 0, writes: 0)
        let names = model.features.names
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        let session = column("log1p_mean_session_seconds")
        let quiet = column("log1p_mean_quiet_gap_seconds")
        let blocks = (0..<8).compactMap { column("share_utc_\($0 * 3 < 10 ? "0" : "")\($0 * 3)h") }
        let days = Double(model.horizonSeconds) / 86_400
        var out: [DatasetForecast] = []
        out.reserveCapacity(rows.count)
        for i in 0..<rows.count {
            let name = rows.datasetNames[i]
            let m = activity[name] ?? unknown
            func x(_ column: Int) -> Double { rows.features[i, column] }
            var busiest = 0
            if blocks.count == 8 {
                for b in 1..<8 where x(blocks[b]) > x(blocks[busiest]) { busiest = b }
            }
            let sessionSeconds = session.map { expm1(x($0)) }.flatMap { $0 > 0 ? $0 : nil }
            let quietSeconds = quiet.map { expm1(x($0)) }.flatMap { $0 > 0 ? $0 : nil }
            let writesPerDay = (predicted[.writes]?[i] ?? 0) / days
            let bytesPerWrite = m.writes > 0 ? m.bytesWritten / m.writes : 0
            out.append(DatasetForecast(
                name: name, dataClass: m.dataClass, sizeBytes: m.sizeBytes + max(0, writesPerDay) * bytesPerWrite * days / 2,
                writesPerDay: writesPerDay, readsPerDay: (predicted[.reads]?[i] ?? 0) / days,
                bytesPerWrite: bytesPerWrite, bytesPerRead: m.reads > 0 ? m.bytesRead / m.reads : 0,
                meanSessionSeconds: sessionSeconds, meanQuietGapSeconds: quietSeconds,
                busiestBlockEndSeconds: Int64((busiest + 1) % 8) * 10_800))
        }
        return (out, now)
    }

    /// Most events per day a forecast may predict for one dataset: 10⁹ (about 11,600 a second, every second).
    public static let maximumEventsPerDay = 1e9

    /// Refuses a forecast that is not a finite count within ``maximumEventsPerDay``, so no NaN or infinity
    /// reaches a plan: a model that passed its file checks can still extrapolate wildly on another store.
    ///
    /// - Throws: ``InputError`` naming the dataset, the target and the value.
    static func requirePlausible(_ predicted: [ForecastTarget: [Double]], names: [String], horizonSeconds: Int64) throws {
        let days = Double(horizonSeconds) / 86_400
        for (target, means) in predicted.sorted(by: { $0.key < $1.key }) {
            for (i, mu) in means.enumerated() where !(mu.isFinite && mu >= 0 && mu / days <= maximumEventsPerDay) {
                throw InputError(column: "model", "the model forecasts \(mu) \(target.rawValue) over its horizon for dataset "
                                 + "'\(names[i])', not a count within 0 … \(Int(maximumEventsPerDay)) a day: the model does not fit this store")
            }
        }
    }

    /// The inputs a plan records: the store's content digest (``ForecastModel/digest(of:)``, with the store's
    /// path) and the SHA-256 of the model's `model.json`, the policy file and the price catalog.
    public static func inputs(store: StatsStore, modelDirectory: String, policy: String, prices: String) throws -> Plan.Inputs {
        let content = try ForecastModel.digest(of: store)
        return try Plan.Inputs.files(statsStore: Plan.Digest(path: store.path, sha256: content.sha256),
                                     modelDirectory: modelDirectory, policy: policy, prices: prices)
    }
}
