import BackplanCore
import BackplanModel
import BackplanStore

import Foundation
import GRDB

/// Builds the planner's per-dataset inputs from a stats store and a trained model.
public enum Forecasts {
    /// Forecasts for every dataset with history before `cutoff` (default: the store's last event + 1 s, the
    /// plan's "now"), from events before it only.
    ///
    /// Reads and writes per day are the model's predicted counts over its horizon divided by the horizon in
    /// days; size is `datasets.size_bytes` (the store's size now); bytes per read and per write come from the
    /// hourly roll-up's whole hours before the cutoff; session, quiet-gap and busiest-hours figures are the model's own history features.
    ///
    /// - Throws: ``InputError`` when the store has no events; ``ModelError`` for a model/store mismatch.
    public static func make(store: StatsStore, model: ForecastModel, at cutoff: Int64? = nil) throws
        -> (forecasts: [DatasetForecast], generatedAt: Int64)
    {
        guard let span = try FeatureExtractor.eventSpan(of: store) else {
            throw InputError(file: store.path, "the stats store has no events to plan from")
        }
        let now = cutoff ?? span.last + 1
        let rows = try FeatureExtractor(horizonSeconds: model.horizonSeconds).extract(from: store, cutoffs: [now], schema: model.features)
        let predicted = try model.predict(rows)
        let meta: [String: (dataClass: String, size: Double, readBytes: Double, reads: Double, writeBytes: Double, writes: Double)] =
            try store.dbQueue.read { db in
                var out: [String: (String, Double, Double, Double, Double, Double)] = [:]
                let cursor = try Row.fetchCursor(db, sql: """
                    SELECT d.name, d.class, d.size_bytes,
                           coalesce(sum(b.bytes_read), 0), coalesce(sum(b.reads), 0),
                           coalesce(sum(b.bytes_written), 0), coalesce(sum(b.writes), 0)
                    FROM datasets d LEFT JOIN buckets b ON b.dataset_id = d.id AND b.start + 3600 <= ?
                    GROUP BY d.id
                    """, arguments: [now])
                while let r = try cursor.next() {
                    out[r[0]] = (r[1], r[2], r[3], r[4], r[5], r[6])
                }
                return out
            }
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
            let m = meta[name] ?? ("default", 0, 0, 0, 0, 0)
            func x(_ column: Int) -> Double { rows.features[i, column] }
            var busiest = 0
            if blocks.count == 8 {
                for b in 1..<8 where x(blocks[b]) > x(blocks[busiest]) { busiest = b }
            }
            let sessionSeconds = session.map { expm1(x($0)) }.flatMap { $0 > 0 ? $0 : nil }
            let quietSeconds = quiet.map { expm1(x($0)) }.flatMap { $0 > 0 ? $0 : nil }
            out.append(DatasetForecast(
                name: name, dataClass: m.dataClass, sizeBytes: m.size,
                writesPerDay: (predicted[.writes]?[i] ?? 0) / days, readsPerDay: (predicted[.reads]?[i] ?? 0) / days,
                bytesPerWrite: m.writes > 0 ? m.writeBytes / m.writes : 0, bytesPerRead: m.reads > 0 ? m.readBytes / m.reads : 0,
                meanSessionSeconds: sessionSeconds, meanQuietGapSeconds: quietSeconds,
                busiestBlockEndSeconds: Int64((busiest + 1) % 8) * 10_800))
        }
        return (out, now)
    }

    /// SHA-256 of a file's bytes, hex, read in chunks (the stats store's source digest).
    public static func fileDigest(_ path: String) throws -> Plan.Digest {
        Plan.Digest(path: path, sha256: try FileDigest.sha256(path).sha256)
    }
}
