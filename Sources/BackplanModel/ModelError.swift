import BackplanLinAlg

/// Why training, evaluation or loading a model failed, with the context a user needs to act on it.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A feature value is NaN or infinite.
    case nonFiniteFeature(dataset: String, feature: String, cutoff: Int64, value: Double)
    /// A target value is negative, NaN or infinite.
    case invalidTarget(row: Int, value: Double)
    /// There are no training rows (no dataset existed at any training cutoff, or the window is too short).
    case emptyTrainingSet(detail: String)
    /// The model file's feature schema is not the one this code computes.
    case schemaMismatch(expected: String, found: String)
    /// The model file is missing, unreadable or malformed.
    case badModelFile(path: String, detail: String)
    /// A linear-algebra step failed even with the added ridge.
    case solverFailed(target: String, iteration: Int, cause: LinAlgError)
    /// A call into XGBoost's C API failed; `detail` is `XGBGetLastError()`.
    case boosterFailed(call: String, detail: String)
    /// Arguments that cannot work together (a split outside 0…1, a horizon of 0, …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .nonFiniteFeature(dataset, feature, cutoff, value):
            return "feature '\(feature)' of dataset '\(dataset)' at cutoff \(cutoff) is not finite (\(value))"
        case let .invalidTarget(row, value):
            return "target of training row \(row) is \(value); targets must be finite counts ≥ 0"
        case let .emptyTrainingSet(detail):
            return "empty training set: \(detail)"
        case let .schemaMismatch(expected, found):
            return "model feature schema differs from this Backplan's (expected \(expected), model has \(found)); retrain the model with 'backplan train'"
        case let .badModelFile(path, detail):
            return "\(path): \(detail)"
        case let .solverFailed(target, iteration, cause):
            return "fitting '\(target)' failed at IRLS iteration \(iteration): \(cause)"
        case let .boosterFailed(call, detail):
            return "XGBoost \(call) failed: \(detail)"
        case let .invalidArgument(detail):
            return detail
        }
    }
}
