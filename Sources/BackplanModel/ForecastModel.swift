import BackplanCore
import BackplanLinAlg
import Crypto
import BackplanStore
import Foundation

/// A trained forecast model: what `model.json` holds (DESIGN §3).
public struct ForecastModel: Codable, Sendable, Equatable {
    /// Version of the `model.json` layout (not of the features: see ``FeatureSchema/version``).
    public static let currentFormatVersion = 1

    /// One target's fitted GLM.
    public struct TargetFit: Codable, Sendable, Equatable {
        public var target: String
        /// Intercept first, then one weight per feature in ``FeatureSchema/names`` order (standardised scale).
        public var coefficients: [Double]
        public var iterations: Int
        public var converged: Bool
    }

    /// Where the training rows came from.
    public struct TrainingWindow: Codable, Sendable, Equatable {
        /// First and last event of the store (Unix seconds).
        public var storeFirstEventAt: Int64
        public var storeLastEventAt: Int64
        /// The split: training targets end at or before it; held-out evaluation starts at it.
        public var cutAt: Int64
        /// `--split` fraction when the cut came from one.
        public var split: Double?
        public var firstCutoffAt: Int64
        public var lastCutoffAt: Int64
        public var strideSeconds: Int64
        public var warmupSeconds: Int64
        public var cutoffs: Int
        public var rows: Int
        public var datasets: Int
    }

    /// The stats store the model was trained on, identified by content rather than file bytes (the file also
    /// holds import times and paths, which differ between two ingests of the same data).
    public struct StoreDigest: Codable, Sendable, Equatable {
        /// The store's path as given to `backplan train`.
        public var path: String
        /// SHA-256 over the sorted source digests and the event count: equal for two stores ingested from the
        /// same bytes with the same options, whatever their paths or import times.
        public var sha256: String
        /// Sources imported into the store, in import order.
        public var sources: [Source]
        public var events: Int64

        /// One imported source: the SHA-256 of its bytes, its format and the events it gave.
        public struct Source: Codable, Sendable, Equatable {
            public var sha256: String
            public var format: String
            public var events: Int64
        }
    }

    public var formatVersion: Int
    public var features: FeatureSchema
    public var scaler: Scaler
    public var targets: [TargetFit]
    public var horizonSeconds: Int64
    public var lambda: Double
    public var training: TrainingWindow
    public var store: StoreDigest
    public var baselines: Baselines
    public var trainingMetrics: [TargetMetrics]
    /// Metrics at the cut, on the held-out window [cut, cut + H), when it was evaluated.
    public var heldOut: Evaluation?
    /// Metrics at weekly (``TrainingOptions/rollingEverySeconds``) cutoffs from the cut to the end of the store,
    /// with bootstrap intervals over datasets (RollingEvaluation.swift); the model card's default held-out
    /// table. `nil` when trained with `--single-cutoff`, before it existed, or when no whole horizon fits.
    public var rolling: RollingEvaluation? = nil
    /// Which candidate (GLM, gradient-boosted trees, EWMA) forecasts each target, and why; `nil` in models
    /// trained before the choice existed (the GLM then forecasts both targets). See ModelSelection.swift.
    public var selection: ModelSelection? = nil
    /// XGBoost JSON model bytes of the gradient-boosted candidate per target name; saved beside `model.json`
    /// as `gbdt-<target>.json` (``boosterFileName(target:)``), not inside it.
    public var boosters: [String: Data] = [:]

    enum CodingKeys: String, CodingKey {
        case formatVersion, features, scaler, targets, horizonSeconds, lambda, training, store, baselines
        case trainingMetrics, heldOut, rolling, selection
    }

    /// Predicted means per target for rows computed with this model's schema.
    public func predict(_ rows: FeatureRows) throws(ModelError) -> [ForecastTarget: [Double]] {
        guard rows.schema == features else {
            throw .schemaMismatch(expected: "\(features.count) features (\(features.version))",
                                  found: "rows with \(rows.schema.count) features (\(rows.schema.version))")
        }
        try rows.requireFinite()
        var out: [ForecastTarget: [Double]] = [:]
        for fit in targets {
            guard let target = ForecastTarget(rawValue: fit.target) else { continue }
            // Standardised block by block from the raw features (no design copy); same values as on the design.
            out[target] = try means(of: choice(for: target), fit: fit, target: target, rows: rows)
        }
        return out
    }

    /// Metrics of the model and every baseline on `rows`, writes first.
    public func metrics(on rows: FeatureRows) throws(ModelError) -> [TargetMetrics] {
        let predictions = try predict(rows)
        return [ForecastTarget.writes, .reads].map { target in
            let y = rows.targets[target] ?? []
            var predictors = [Metrics.evaluate(name: "model", y: y, mu: predictions[target] ?? y.map { _ in 0 })]
            for b in baselines.predictions(rows, target: target) {
                predictors.append(Metrics.evaluate(name: b.name, y: y, mu: b.mu, hot: b.hot))
            }
            return TargetMetrics(target: target.rawValue, rows: y.count, total: y.reduce(0, +), predictors: predictors)
        }
    }
}

/// Metrics of a model and its baselines at one cutoff.
public struct Evaluation: Codable, Sendable, Equatable {
    public var cutoffAt: Int64
    public var horizonSeconds: Int64
    /// False when the store ends before cutoff + H, so the targets count part of a horizon only.
    public var horizonComplete: Bool
    public var datasets: Int
    /// Writes first, then reads.
    public var targets: [TargetMetrics]
}

// MARK: - Files

extension ForecastModel {
    /// `model.json` bytes: sorted keys, two-space indentation, Swift's shortest round-trip decimal for every
    /// number, so the same model always gives the same bytes.
    public func jsonData() throws -> Data { try CanonicalJSON.data(self) }

    /// Writes `model.json` and the model card `README.md` into `directory` (created when missing).
    public func save(directory: String) throws {
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try jsonData().write(to: url.appendingPathComponent("model.json"), options: .atomic)
        try Data(modelCard().utf8).write(to: url.appendingPathComponent("README.md"), options: .atomic)
        try saveBoosters(directory: directory)
    }

    /// Reads `directory/model.json` and checks that its feature schema is the one this code computes.
    ///
    /// - Throws: ``ModelError/badModelFile(path:detail:)`` for a missing or malformed file or a number outside
    ///   ``Limits`` (``validate(path:)``), ``ModelError/schemaMismatch(expected:found:)`` for a model trained with other features.
    public static func load(directory: String) throws(ModelError) -> ForecastModel {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("model.json").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw .badModelFile(path: path, detail: "no such model file (train one with 'backplan train --out \(directory)')")
        }
        let data: Data
        do {
            data = try InputFile.contents(of: path, what: "model file")
        } catch let error as InputError {
            throw .badModelFile(path: path, detail: error.message)
        } catch {
            throw .badModelFile(path: path, detail: "\(error)")
        }
        var model: ForecastModel
        do {
            model = try JSONDecoder().decode(ForecastModel.self, from: data)
        } catch {
            throw .badModelFile(path: path, detail: "not a Backplan model file (\(error))")
        }
        guard model.formatVersion == currentFormatVersion else {
            throw .badModelFile(path: path, detail: "model format \(model.formatVersion); this Backplan reads \(currentFormatVersion)")
        }
        try model.features.requireCompatible()
        let p = model.features.count
        guard model.scaler.means.count == p, model.scaler.stds.count == p,
              model.targets.allSatisfy({ $0.coefficients.count == p + 1 }) else {
            throw .badModelFile(path: path, detail: "scalers or coefficients do not match its \(p) features")
        }
        try model.validate(path: path)
        model.boosters = try loadBoosters(directory: directory)
        return model
    }

    /// The content digest of a stats store: its sources' digests, formats and event counts.
    public static func digest(of store: StatsStore) throws -> StoreDigest {
        let (sources, events) = try store.contentSummary()
        var hasher = SHA256()
        var list: [StoreDigest.Source] = []
        for imported in sources {
            let source = StoreDigest.Source(sha256: imported.sha256, format: imported.format, events: imported.events)
            hasher.update(data: Data("\(source.sha256) \(source.format) \(imported.options) \(source.events)\n".utf8))
            list.append(source)
        }
        hasher.update(data: Data("events \(events)\n".utf8))
        return StoreDigest(path: store.path, sha256: Hex.string(hasher.finalize()), sources: list, events: events)
    }
}
