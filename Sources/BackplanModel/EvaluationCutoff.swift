import BackplanCore
import BackplanStore

/// A model evaluated at one cutoff of a store, with what the caller should warn about.
public struct CutoffEvaluation: Sendable, Equatable {
    public var evaluation: Evaluation
    /// True when the store is the one the model was trained on (same content digest) and the cutoff is before
    /// the model's cut: the evaluation rows then overlap its training data.
    public var overlapsTraining: Bool
    /// True when the store's content is not the one the model was trained on (another store, or the same one
    /// grown or changed since).
    public var otherStore: Bool = false
    /// True when no cutoff was given and the model's own cut lies outside this store's time span, so the
    /// store's own split (the model's split fraction, or 0.6) was used instead.
    public var cutoffFromStoreSpan: Bool = false
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
        // The model's own cut means something only on a store whose events reach it: on another store it once
        // evaluated 22 years after that store's last event, with nothing to score.
        let ownCutFits = model.training.cutAt > span.first && model.training.cutAt <= span.last
        let cutoff = split?.cut(span: span)
            ?? (ownCutFits ? model.training.cutAt : SplitPoint.fraction(model.training.split ?? 0.6).cut(span: span))
        guard cutoff > span.first && cutoff <= span.last else {
            throw ModelError.invalidArgument("the cutoff \(cutoff) is outside the store's time span \(span.first) … \(span.last): "
                                             + "nothing before it to forecast from, or nothing after it to score")
        }
        let evaluation = try evaluate(model: model, store: store, cutoffAt: cutoff, storeLastEventAt: span.last)
        let sameStore = try ForecastModel.digest(of: store).sha256 == model.store.sha256
        var result = CutoffEvaluation(evaluation: evaluation, overlapsTraining: sameStore && evaluation.cutoffAt < model.training.cutAt)
        result.otherStore = !sameStore
        result.cutoffFromStoreSpan = split == nil && !ownCutFits
        return result
    }
}
