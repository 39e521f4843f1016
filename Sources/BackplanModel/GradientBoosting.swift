import BackplanLinAlg
import CXGBoost
import Foundation

/// Hyper-parameters of the gradient-boosted Poisson trees (XGBoost, Chen & Guestrin, "XGBoost: A Scalable Tree
/// Boosting System", KDD 2016), with the names XGBoost's own parameter strings use.
///
/// The objective is `count:poisson`: the trees add up to the log of the mean (η = base + Σ trees, μ = e^η),
/// each fitted to the gradient and Hessian of the Poisson negative log-likelihood.
///
/// ```swift
/// var p = GBDTParameters()
/// p.rounds = 300
/// let booster = try XGBooster.train(features: x, y: y, parameters: p)
/// ```
public struct GBDTParameters: Codable, Sendable, Equatable {
    /// Boosting rounds (trees).
    public var rounds = 600
    /// Learning rate `eta`.
    public var learningRate = 0.05
    /// `max_depth` of every tree.
    public var maxDepth = 4
    /// `min_child_weight`: the least Hessian sum (for Poisson, Σ μ) a leaf may hold.
    public var minChildWeight = 1.0
    /// `lambda`: L2 penalty on leaf weights.
    public var l2 = 1.0
    /// `subsample` fraction of rows per tree (1 = all rows: no randomness besides the seed).
    public var subsample = 0.8
    /// `colsample_bytree` fraction of features per tree.
    public var columnSample = 0.8
    /// `max_delta_step`: XGBoost's safeguard for Poisson leaves (its default for `count:poisson` is 0.7).
    public var maxDeltaStep = 0.7
    /// `max_bin` of the histogram method.
    public var maxBin = 256
    /// `seed` of XGBoost's random number generator (row and column sampling).
    public var seed: UInt64 = 0
    /// `nthread`: worker threads; set explicitly, never XGBoost's "all cores" default.
    public var threads = 1
    /// Add each smoothed rate's share of all datasets' at the same cutoff as extra columns (Backplan's
    /// input, not an XGBoost parameter; GradientBoostingInputs.swift).
    public var shareFeatures = false
    /// Start every row from log of the tuned EWMA forecast (XGBoost's `base_margin`) instead of a constant.
    public var anchorOnEWMA = false

    public init() {}

    /// The `(name, value)` pairs given to `XGBoosterSetParam`, in a fixed order.
    public var xgboostParameters: [(String, String)] {
        [
            ("objective", "count:poisson"), ("tree_method", "hist"), ("booster", "gbtree"),
            ("eta", "\(learningRate)"), ("max_depth", "\(maxDepth)"), ("min_child_weight", "\(minChildWeight)"),
            ("lambda", "\(l2)"), ("subsample", "\(subsample)"), ("colsample_bytree", "\(columnSample)"),
            ("max_delta_step", "\(maxDeltaStep)"), ("max_bin", "\(maxBin)"), ("seed", "\(seed)"),
            ("nthread", "\(threads)"), ("verbosity", "0"), ("validate_parameters", "1"),
        ]
    }
}

/// One trained XGBoost booster (an owned `BoosterHandle`, freed with the object).
///
/// Features go to XGBoost as 32-bit floats (its own precision); predictions come back as floats and are
/// widened to `Double`. Every failing C call throws ``ModelError/boosterFailed(call:detail:)`` with
/// `XGBGetLastError()`.
public final class XGBooster: @unchecked Sendable {
    // @unchecked: XGBoost's prediction is thread-safe for one booster; training happens before the object escapes.
    private let handle: BoosterHandle

    private init(handle: BoosterHandle) { self.handle = handle }

    deinit { XGBoosterFree(handle) }

    /// XGBoost's version as `major.minor.patch` (the library linked at run time).
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        XGBoostVersion(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Trains `parameters.rounds` trees on `features` (rows × columns, raw values) and counts `y`.
    ///
    /// - Parameter baseMargin: per-row starting log-mean (an anchor such as log EWMA); `nil` for XGBoost's
    ///   constant `base_score`.
    /// - Complexity: O(rounds · rows · columns) with the histogram method.
    public static func train(
        features: Matrix, y: [Double], baseMargin: [Double]? = nil, parameters: GBDTParameters
    ) throws(ModelError) -> XGBooster {
        guard y.count == features.rows, features.rows > 0 else {
            throw .invalidArgument("gradient boosting: \(features.rows) feature rows, \(y.count) targets")
        }
        let matrix = try DMatrix(features, threads: parameters.threads)
        let labels = y.map { Float($0) }
        try check("XGDMatrixSetFloatInfo(label)") {
            XGDMatrixSetFloatInfo(matrix.handle, "label", labels, UInt64(labels.count))
        }
        if let baseMargin { try matrix.setBaseMargin(baseMargin) }
        var out: BoosterHandle?
        try check("XGBoosterCreate") {
            var handles: [DMatrixHandle?] = [matrix.handle]
            return XGBoosterCreate(&handles, 1, &out)
        }
        guard let out else { throw .boosterFailed(call: "XGBoosterCreate", detail: "no booster returned") }
        let booster = XGBooster(handle: out)
        for (name, value) in parameters.xgboostParameters {
            try check("XGBoosterSetParam(\(name))") { XGBoosterSetParam(out, name, value) }
        }
        for round in 0..<parameters.rounds {
            try check("XGBoosterUpdateOneIter(\(round))") { XGBoosterUpdateOneIter(out, Int32(round), matrix.handle) }
        }
        return booster
    }

    /// Predicted means e^η for each row of `features`, using the first `rounds` trees (all when `nil`).
    public func predict(
        features: Matrix, baseMargin: [Double]? = nil, rounds: Int? = nil, threads: Int = 1
    ) throws(ModelError) -> [Double] {
        guard features.rows > 0 else { return [] }
        try Self.check("XGBoosterSetParam(nthread)") { XGBoosterSetParam(handle, "nthread", "\(threads)") }
        var config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": \(rounds ?? 0), "
            + "\"strict_shape\": false"
        var shape: UnsafePointer<UInt64>?
        var dimension: UInt64 = 0
        var result: UnsafePointer<Float>?
        if let baseMargin {
            let matrix = try DMatrix(features, threads: threads)
            try matrix.setBaseMargin(baseMargin)
            try Self.check("XGBoosterPredictFromDMatrix") {
                XGBoosterPredictFromDMatrix(handle, matrix.handle, config + "}", &shape, &dimension, &result)
            }
        } else {
            // In-place prediction on the dense floats (no DMatrix copy), described by an __array_interface__.
            config += ", \"cache_id\": 0, \"missing\": NaN}"
            let floats = features.elements.map { Float($0) }
            try floats.withUnsafeBufferPointer { buffer throws(ModelError) in
                let address = UInt(bitPattern: buffer.baseAddress)
                let interface = "{\"data\": [\(address), true], \"shape\": [\(features.rows), \(features.columns)], "
                    + "\"typestr\": \"<f4\", \"version\": 3}"
                try Self.check("XGBoosterPredictFromDense") {
                    XGBoosterPredictFromDense(handle, interface, config, nil, &shape, &dimension, &result)
                }
            }
        }
        guard let result else { throw .boosterFailed(call: "XGBoosterPredictFromDMatrix", detail: "no result") }
        return (0..<features.rows).map { Double(result[$0]) }
    }

    /// The booster in XGBoost's own JSON model format (what `XGBoosterSaveModel` writes to a `.json` file).
    public func jsonData() throws(ModelError) -> Data {
        var length: UInt64 = 0
        var bytes: UnsafePointer<CChar>?
        try Self.check("XGBoosterSaveModelToBuffer") {
            XGBoosterSaveModelToBuffer(handle, "{\"format\": \"json\"}", &length, &bytes)
        }
        guard let bytes else { return Data() }
        return Data(bytes: bytes, count: Int(length))
    }

    /// Writes the booster to `path` with `XGBoosterSaveModel` (JSON format: the path must end in `.json`).
    public func save(path: String) throws(ModelError) {
        try Self.check("XGBoosterSaveModel(\(path))") { XGBoosterSaveModel(handle, path) }
    }

    /// A booster read from an XGBoost JSON model file.
    public static func load(path: String) throws(ModelError) -> XGBooster {
        let booster = try empty()
        try check("XGBoosterLoadModel(\(path))") { XGBoosterLoadModel(booster.handle, path) }
        return booster
    }

    /// A booster read from XGBoost JSON model bytes (see ``jsonData()``).
    public static func load(json: Data) throws(ModelError) -> XGBooster {
        let booster = try empty()
        try check("XGBoosterLoadModelFromBuffer") {
            json.withUnsafeBytes { XGBoosterLoadModelFromBuffer(booster.handle, $0.baseAddress, UInt64($0.count)) }
        }
        return booster
    }

    private static func empty() throws(ModelError) -> XGBooster {
        var out: BoosterHandle?
        try check("XGBoosterCreate") { XGBoosterCreate(nil, 0, &out) }
        guard let out else { throw .boosterFailed(call: "XGBoosterCreate", detail: "no booster returned") }
        return XGBooster(handle: out)
    }

    /// Runs one C call and turns a non-zero status into an error carrying `XGBGetLastError()`.
    static func check(_ call: String, _ body: () -> Int32) throws(ModelError) {
        guard body() != 0 else { return }
        let message = XGBGetLastError().map { String(cString: $0) } ?? "no message"
        throw .boosterFailed(call: call, detail: message)
    }
}

/// An owned `DMatrixHandle` over a dense copy of the features as floats (NaN marks a missing value; our
/// features have none).
private final class DMatrix {
    let handle: DMatrixHandle

    init(_ features: Matrix, threads: Int) throws(ModelError) {
        let floats = features.elements.map { Float($0) }
        var out: DMatrixHandle?
        try XGBooster.check("XGDMatrixCreateFromMat_omp") {
            XGDMatrixCreateFromMat_omp(floats, UInt64(features.rows), UInt64(features.columns), Float.nan, &out,
                                       Int32(threads))
        }
        guard let out else { throw .boosterFailed(call: "XGDMatrixCreateFromMat_omp", detail: "no matrix returned") }
        handle = out
    }

    deinit { XGDMatrixFree(handle) }

    func setBaseMargin(_ margin: [Double]) throws(ModelError) {
        let floats = margin.map { Float($0) }
        try XGBooster.check("XGDMatrixSetFloatInfo(base_margin)") {
            XGDMatrixSetFloatInfo(handle, "base_margin", floats, UInt64(floats.count))
        }
    }
}
