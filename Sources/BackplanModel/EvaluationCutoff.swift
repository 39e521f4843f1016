import BackplanCore
import BackplanStore

/// A model evaluated at one cutoff of a store, with what the caller should warn about.
public struct CutoffEvaluation: Sendable, Equatable {
    public var evaluation: Evaluation
    /// True when the store is the one the model was trained on (same content digest) and the cutoff is before
    /// the model's cut: the evaluation rows then overlap its training data.
    public var overlapsTraining: Bool
}

extension Trainer {
    /// Evaluates `model` on `store` at the cutoff `split` names, or at the model's own cut when `split` is nil
    /// (``evaluate(model:store:cutoffAt:storeLastEventAt:)``).
    ///
    ///     let result = try Trainer.evaluate(model: model, store: store, split: .fraction(0.6))
    ///     if result.overlapsTraining { /* warn: rows overlap the model's training data */ }
    ///
    /// - Throws: ``ModelError/emptyTrainingSet(detail:)`` when the store has no events, or no dataset has history
    ///   before the cutoff.
    public static func evaluate(model: ForecastModel, store: StatsStore, split: SplitPoint?) throws -> CutoffEvaluation {
        guard let span = try FeatureExtractor.eventSpan(of: store) else {
            throw ModelError.emptyTrainingSet(detail: "the stats store has no events to evaluate on")
        }
        let cutoff = split?.cut(span: span) ?? model.training.cutAt
        let evaluation = try evaluate(model: model, store: store, cutoffAt: cutoff, storeLastEventAt: span.last)
        let sameStore = try ForecastModel.digest(of: store).sha256 == model.store.sha256
        return CutoffEvaluation(evaluation: evaluation, overlapsTraining: sameStore && evaluation.cutoffAt < model.training.cutAt)
    }
}
