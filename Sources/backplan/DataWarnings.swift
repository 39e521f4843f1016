import BackplanCore
import BackplanModel
import BackplanPlan
import BackplanReports
import BackplanStore

/// Warnings about what the data lacks or where a model came from, printed by `plan` (not errors: the plan is
/// still right for what the store holds, but an operator should know what it rests on).
enum DataWarnings {
    /// Warnings for a plan made from `forecasts` of `store` with `model`.
    ///
    /// - no dataset has a size: storage, transfer and restore times are planned as zero;
    /// - the store has no reads: the reads forecast rests on the model alone;
    /// - the model was trained on another store, or on events that do not overlap this store's time span.
    static func plan(forecasts: [DatasetForecast], store: StatsStore, storePath: String, model: ForecastModel, modelPath: String) throws -> [String] {
        var out: [String] = []
        if !forecasts.isEmpty && forecasts.allSatisfy({ $0.sizeBytes == 0 }) {
            out.append("warning: \(storePath) records no sizes (every dataset is 0 B): storage, bytes moved and restore times are planned as zero; "
                       + "ingest a source with sizes (a bytes column, or a message store) for real figures")
        }
        // The store, not the forecasts: a model forecasts some reads from any history.
        if !forecasts.isEmpty, try store.datasetNames(withEventsOf: .read).isEmpty {
            out.append("warning: \(storePath) records no reads: the reads forecast is the model's guess from writes alone, "
                       + "and no read costs or read sizes come from the data")
        }
        out += try self.model(model, modelPath: modelPath, store: store, storePath: storePath)
        return out
    }

    /// A model used on a store it was not trained on, or whose events do not overlap the store's.
    static func model(_ model: ForecastModel, modelPath: String, store: StatsStore, storePath: String) throws -> [String] {
        var out: [String] = []
        let trained = (model.training.storeFirstEventAt, model.training.storeLastEventAt)
        if try ForecastModel.digest(of: store).sha256 != model.store.sha256 {
            if let span = try store.eventSpan(), span.last < trained.0 || span.first > trained.1 {
                out.append("warning: \(modelPath) was trained on events from \(Format.time(trained.0)) to \(Format.time(trained.1)); "
                           + "\(storePath) spans \(Format.time(span.first)) to \(Format.time(span.last)), which does not overlap: "
                           + "its forecasts extrapolate (train a model on this store: backplan train --db \(storePath))")
            } else {
                out.append("note: \(modelPath) was trained on another store (\(model.store.path)) or on this one before it changed")
            }
        }
        return out
    }
}
