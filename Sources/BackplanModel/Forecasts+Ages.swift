import BackplanCore
import BackplanPlan
import BackplanStore

extension Forecasts {
    /// `forecasts` with each dataset's ``AgeProfile`` at `now` (from the store's writes and reads before it), so
    /// the planner can price tier schedules by object age.
    ///
    /// ```swift
    /// let made = try Forecasts.make(store: store, model: model)
    /// let forecasts = try Forecasts.withAgeProfiles(made.forecasts, store: store, at: made.generatedAt)
    /// ```
    ///
    /// - Complexity: one scan of the store's writes and one of its reads.
    public static func withAgeProfiles(_ forecasts: [DatasetForecast], store: StatsStore, at now: Int64) throws -> [DatasetForecast] {
        let writes = try store.eventTimes(of: .write), reads = try store.eventTimes(of: .read)
        let readIndex = Dictionary(uniqueKeysWithValues: reads.names.enumerated().map { ($1, $0) })
        let n = writes.names.count
        let ages = AgeProfiles.make(
            names: writes.names, writes: (0..<n).map { writes.times[writes.offsets[$0]..<writes.offsets[$0 + 1]] },
            bytes: (0..<n).map { writes.bytes.isEmpty ? [] : writes.bytes[writes.offsets[$0]..<writes.offsets[$0 + 1]] },
            reads: writes.names.map { name in readIndex[name].map { reads.times[reads.offsets[$0]..<reads.offsets[$0 + 1]] } ?? [] },
            at: now)
        return forecasts.map { f in
            var f = f
            f.ages = ages[f.name]
            return f
        }
    }
}
