import BackplanCore
import BackplanLinAlg
import Foundation

/// The forecasters `train` fits and chooses between, per target.
public enum ForecastCandidate: String, Codable, Sendable, CaseIterable {
    /// The Poisson GLM on the standardised features (PoissonGLM.swift).
    case glm
    /// Gradient-boosted Poisson trees on the raw features (XGBoost `count:poisson`, GradientBoosting.swift).
    case gbdt
    /// The EWMA baseline with its half-life tuned on the training rows (Baselines.swift).
    case ewma
}

/// What `train` chose for each target and the validation it chose on (the model card's "Model choice").
///
/// The choice is causal: the training part's cutoffs are split in time into an inner-training part and a
/// validation part (the last quarter of the cutoffs, at least one); every candidate is fitted on the inner
/// part only, scored on the validation part, and the one with the lowest mean Poisson deviance is refitted
/// on all training rows. Nothing after the cut is seen.
public struct ModelSelection: Codable, Sendable, Equatable {
    /// First validation cutoff (inner-training targets end at or before it); `nil` when there was no room
    /// for an inner split (fewer than two training cutoffs).
    public var validationFromAt: Int64?
    public var innerTrainingRows: Int
    public var validationRows: Int
    /// The gradient-boosting parameters tried (its `rounds` is the most tried; each target's own are in its choice).
    public var gbdt: GBDTParameters
    /// Writes first, then reads.
    public var choices: [Choice]

    /// One target's choice.
    public struct Choice: Codable, Sendable, Equatable {
        public var target: String
        public var chosen: ForecastCandidate
        /// Validation mean Poisson deviance of each candidate and of the other baselines, best first.
        public var validation: [PredictorMetrics]
        /// The trees' parameters for this target: rounds and input variant chosen on the validation part
        /// (the refitted trees have these).
        public var gbdt: GBDTParameters
        /// Why, in a sentence for the card.
        public var reason: String
    }

    public func choice(for target: ForecastTarget) -> Choice? { choices.first { $0.target == target.rawValue } }
}

/// Fits the candidates on an inner time split of the training rows and chooses per target.
public enum ModelSelector {
    /// Candidate rounds tried on the validation part: every 25 up to `parameters.rounds`.
    static func roundGrid(_ maximum: Int) -> [Int] {
        Array(Swift.stride(from: 25, through: max(25, maximum), by: 25))
    }

    /// Chooses per target and returns the choice with the boosters refitted on all `rows` (XGBoost JSON per
    /// target name).
    ///
    /// - Parameters:
    ///   - rows: the training rows (targets end at or before the cut).
    ///   - glm: the GLM as the final model fits it (same λ and iterations).
    ///   - baselines: the baselines fitted on all `rows` (the final trees' EWMA anchor).
    public static func select(
        rows: FeatureRows, glm: PoissonGLM, parameters: GBDTParameters, baselines: Baselines,
        progress: (@Sendable (String) -> Void)? = nil
    ) throws(ModelError) -> (selection: ModelSelection, boosters: [String: Data]) {
        let cuts = Array(Set(rows.cutoffs)).sorted()
        let validationCount = max(1, cuts.count / 4)
        let validationFrom = cuts.count >= 2 ? cuts[cuts.count - validationCount] : nil
        var inner: [Int] = [], validation: [Int] = []
        if let validationFrom {
            for i in 0..<rows.count {
                if rows.cutoffs[i] >= validationFrom {
                    validation.append(i)
                } else if rows.cutoffs[i] + rows.horizonSeconds <= validationFrom {
                    inner.append(i)
                }
            }
        }
        let split = validationFrom != nil && !inner.isEmpty && !validation.isEmpty
        var choices: [ModelSelection.Choice] = []
        var boosters: [String: Data] = [:]
        let innerRows = rows.subset(inner), validationRows = rows.subset(validation)
        let innerBaselines = Baselines(fitting: innerRows)
        for target in [ForecastTarget.writes, .reads] {
            var trees = parameters
            var choice: ModelSelection.Choice
            if split {
                progress?("choosing the \(target.rawValue) model on \(inner.count) + \(validation.count) rows")
                let y = innerRows.targets[target] ?? [], yv = validationRows.targets[target] ?? []
                let scaler = Scaler(fitting: innerRows.features)
                let fit = try glm.fit(features: innerRows.features, scaler: scaler, y: y, target: target.rawValue)
                let glmMu = PoissonGLM.means(features: validationRows.features, scaler: scaler, fit.coefficients)
                let tuned = try tuneTrees(
                    inner: innerRows, validation: validationRows, baselines: innerBaselines, target: target,
                    parameters: parameters)
                trees = tuned.parameters
                var scores = [
                    Metrics.evaluate(name: ForecastCandidate.glm.rawValue, y: yv, mu: glmMu),
                    Metrics.evaluate(name: ForecastCandidate.gbdt.rawValue, y: yv, mu: tuned.mu),
                ]
                for b in innerBaselines.predictions(validationRows, target: target) {
                    scores.append(Metrics.evaluate(name: b.name, y: yv, mu: b.mu, hot: b.hot))
                }
                scores.sort { ($0.poissonDeviance, $0.name) < ($1.poissonDeviance, $1.name) }
                let candidates = Set(ForecastCandidate.allCases.map(\.rawValue))
                let winner = scores.first { candidates.contains($0.name) }
                let chosen = winner.flatMap { ForecastCandidate(rawValue: $0.name) } ?? .ewma
                let baseline = scores.first { !candidates.contains($0.name) || $0.name == "ewma" }
                var reason = "lowest validation deviance among glm, gbdt and ewma (\(format(winner?.poissonDeviance)))"
                if let baseline, let winner, baseline.name != winner.name {
                    reason += String(format: "; %.3f× the best baseline (%@)",
                                     winner.poissonDeviance / max(baseline.poissonDeviance, 1e-12), baseline.name)
                }
                choice = .init(target: target.rawValue, chosen: chosen, validation: scores, gbdt: trees, reason: reason)
            } else {
                choice = .init(target: target.rawValue, chosen: .glm, validation: [], gbdt: trees,
                               reason: "fewer than two training cutoffs: no inner validation, the GLM is kept")
            }
            progress?("boosting \(trees.rounds) trees for \(target.rawValue) on \(rows.count) rows")
            let booster = try XGBooster.train(
                features: BoostingInputs.matrix(rows, parameters: trees), y: rows.targets[target] ?? [],
                baseMargin: BoostingInputs.margin(rows, baselines: baselines, target: target, parameters: trees),
                parameters: trees)
            boosters[target.rawValue] = try booster.jsonData()
            choices.append(choice)
        }
        let selection = ModelSelection(
            validationFromAt: split ? validationFrom : nil, innerTrainingRows: split ? inner.count : 0,
            validationRows: split ? validation.count : 0, gbdt: parameters, choices: choices)
        return (selection, boosters)
    }

    /// The input variants the trees are tried with: the rates as they are, and with their shares of all
    /// activity added (``GBDTParameters/shareFeatures``).
    static func variants(_ parameters: GBDTParameters) -> [GBDTParameters] {
        [false, true].map { share in
            var p = parameters
            p.shareFeatures = share
            return p
        }
    }

    /// Fits the trees on `inner` for each input variant and picks the variant and the number of rounds
    /// (``roundGrid(_:)``) with the lowest deviance on `validation`.
    static func tuneTrees(
        inner: FeatureRows, validation: FeatureRows, baselines: Baselines, target: ForecastTarget,
        parameters: GBDTParameters
    ) throws(ModelError) -> (parameters: GBDTParameters, deviance: Double, mu: [Double]) {
        let yv = validation.targets[target] ?? []
        var best = (parameters: parameters, deviance: Double.infinity, mu: [Double]())
        for variant in variants(parameters) {
            let booster = try XGBooster.train(
                features: BoostingInputs.matrix(inner, parameters: variant), y: inner.targets[target] ?? [],
                baseMargin: BoostingInputs.margin(inner, baselines: baselines, target: target, parameters: variant),
                parameters: variant)
            let inputs = BoostingInputs.matrix(validation, parameters: variant)
            let margin = BoostingInputs.margin(validation, baselines: baselines, target: target, parameters: variant)
            for r in roundGrid(variant.rounds) {
                let mu = try booster.predict(features: inputs, baseMargin: margin, rounds: r, threads: variant.threads)
                let d = Metrics.meanPoissonDeviance(y: yv, mu: mu)
                if d < best.deviance {
                    best = (variant, d, mu)
                    best.parameters.rounds = r
                }
            }
        }
        return best
    }

    private static func format(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
}

extension FeatureRows {
    /// The rows at `indices`, in that order, with their targets and baseline inputs.
    public func subset(_ indices: [Int]) -> FeatureRows {
        let p = features.columns
        var flat: [Double] = []
        flat.reserveCapacity(indices.count * p)
        for i in indices { flat += features.elements[(i * p)..<((i + 1) * p)] }
        var out = self
        out.datasetNames = indices.map { datasetNames[$0] }
        out.cutoffs = indices.map { cutoffs[$0] }
        out.features = Matrix(rows: indices.count, columns: p, elements: flat)
        out.targets = targets.mapValues { y in indices.map { y[$0] } }
        out.baselines = indices.map { baselines[$0] }
        return out
    }
}

// MARK: - Predictions per candidate, and the booster files

extension ForecastModel {
    /// `gbdt-<target>.json`: the gradient-boosted candidate's file in the model directory.
    public static func boosterFileName(target: String) -> String { "gbdt-\(target).json" }

    /// The candidate that forecasts `target` (the GLM in models without a selection).
    public func choice(for target: ForecastTarget) -> ForecastCandidate {
        selection?.choice(for: target)?.chosen ?? .glm
    }

    /// Predicted means of one candidate for `target` on `rows` (rows computed with this model's schema).
    public func means(
        of candidate: ForecastCandidate, fit: TargetFit, target: ForecastTarget, rows: FeatureRows
    ) throws(ModelError) -> [Double] {
        switch candidate {
        case .glm:
            return PoissonGLM.means(features: rows.features, scaler: scaler, fit.coefficients)
        case .gbdt:
            guard let json = boosters[target.rawValue] else {
                throw .badModelFile(path: Self.boosterFileName(target: target.rawValue),
                                    detail: "the model has no gradient-boosted trees for \(target.rawValue)")
            }
            let parameters = selection?.choice(for: target)?.gbdt ?? selection?.gbdt ?? GBDTParameters()
            return try XGBooster.load(json: json).predict(
                features: BoostingInputs.matrix(rows, parameters: parameters),
                baseMargin: BoostingInputs.margin(rows, baselines: baselines, target: target, parameters: parameters),
                threads: parameters.threads)
        case .ewma:
            return baselines.predictions(rows, target: target).first { $0.name == "ewma" }?.mu ?? []
        }
    }

    /// Predictions of the GLM and, when the model has them, the gradient-boosted trees: what rolling
    /// evaluation reports beside the chosen `model` (named `glm` and `gbdt`).
    public func candidateMeans(_ rows: FeatureRows) throws(ModelError) -> [(name: String, mu: [ForecastTarget: [Double]])] {
        var out: [(name: String, mu: [ForecastTarget: [Double]])] = []
        for candidate in [ForecastCandidate.glm, .gbdt] where candidate == .glm || !boosters.isEmpty {
            var mu: [ForecastTarget: [Double]] = [:]
            for fit in targets {
                guard let target = ForecastTarget(rawValue: fit.target) else { continue }
                mu[target] = try means(of: candidate, fit: fit, target: target, rows: rows)
            }
            out.append((candidate.rawValue, mu))
        }
        return out
    }

    /// Writes each booster with `XGBoosterSaveModel` to `directory/gbdt-<target>.json`.
    func saveBoosters(directory: String) throws {
        for (target, json) in boosters.sorted(by: { $0.key < $1.key }) {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(Self.boosterFileName(target: target)).path
            try XGBooster.load(json: json).save(path: path)
        }
    }

    /// Reads the boosters the selection refers to (every target's, when the model has a selection).
    static func loadBoosters(directory: String) throws(ModelError) -> [String: Data] {
        var out: [String: Data] = [:]
        for target in ForecastTarget.allCases {
            let path = URL(fileURLWithPath: directory)
                .appendingPathComponent(boosterFileName(target: target.rawValue)).path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            // XGBoost would block on a FIFO and read a device without end.
            guard InputFile.isRegularFile(path) else { throw .badModelFile(path: path, detail: "is not a regular file") }
            do {
                out[target.rawValue] = try XGBooster.load(path: path).jsonData()
            } catch {
                throw .badModelFile(path: path, detail: "not an XGBoost JSON model (\(error))")
            }
        }
        return out
    }
}
