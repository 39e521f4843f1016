import BackplanCore

/// The names and order of a model's features (DESIGN §3). A model is only valid with the schema it was
/// trained with: ``ForecastModel/load(directory:)`` refuses a model whose schema differs from the code's.
public struct FeatureSchema: Codable, Sendable, Equatable {
    /// Bumped whenever a feature is added, removed, reordered or computed differently.
    /// features-v2 (issue 14): the owner's own sends (``sendNames``).
    public static let currentVersion = "features-v2"

    /// Window lengths of the count features, in seconds: 1 h, 6 h, 1 d, 7 d, 30 d, 90 d.
    public static let countWindows: [(label: String, seconds: Int64)] = [
        ("1h", 3_600), ("6h", 21_600), ("1d", 86_400), ("7d", 604_800), ("30d", 2_592_000), ("90d", 7_776_000),
    ]

    /// The longest count window (90 d): older events never enter a count feature again.
    public static let longestWindowSeconds: Int64 = 7_776_000

    /// Half-lives of the exponentially smoothed rates (Levandoski, Larson, Stoica, "Identifying hot and cold
    /// data in main-memory databases", ICDE 2013), in seconds: 1 d, 7 d, 30 d.
    public static let rateHalfLives: [(label: String, seconds: Double)] = [
        ("1d", 86_400), ("7d", 604_800), ("30d", 2_592_000),
    ]

    /// A gap of at least this long ends a session (30 min).
    public static let sessionGapSeconds: Int64 = 1_800

    /// "Never accessed" is encoded as this many seconds since the last access (365 d), with an indicator.
    public static let neverSeconds: Double = 31_536_000

    /// The features every model has, in order, before the class one-hot columns.
    public static let baseNames: [String] = {
        var names: [String] = []
        for op in ["reads", "writes"] {
            for w in countWindows { names.append("log1p_\(op)_\(w.label)") }
        }
        for op in ["reads", "writes"] {
            for h in rateHalfLives { names.append("log1p_\(op)_per_day_ewma_\(h.label)") }
        }
        names += [
            "log1p_seconds_since_read", "never_read", "log1p_seconds_since_write", "never_written",
            "log1p_age_seconds", "log1p_bytes_written", "log1p_bytes_per_write", "write_gap_cv",
            "log1p_mean_session_seconds", "log1p_mean_quiet_gap_seconds",
        ]
        for block in 0..<8 { names.append("share_utc_\(String(format2(block * 3)))h") }
        return names + sendNames
    }()

    /// The owner's own sends (`sends` in the stats store), last among the base features: see `SendHistory`.
    public static let sendNames: [String] = [
        "log1p_sends_1d", "log1p_sends_7d", "log1p_sends_per_day_ewma_1d", "log1p_seconds_since_send", "never_sent",
    ]

    /// Schema version (``currentVersion`` for models the code can use).
    public var version: String
    /// Dataset classes seen in training, sorted; each is one 0/1 column after ``baseNames``.
    public var classes: [String]
    /// All feature names in column order: ``baseNames`` then `class=<name>` per class.
    public var names: [String]

    /// The current schema with one-hot columns for `classes` (deduplicated and sorted).
    public init(classes: [String]) {
        let sorted = Array(Set(classes)).sorted()
        version = Self.currentVersion
        self.classes = sorted
        names = Self.baseNames + sorted.map { "class=\($0)" }
    }

    /// Number of features (columns before the intercept is added).
    public var count: Int { names.count }

    /// Checks that a schema read from a model file is the one this code computes.
    ///
    /// - Throws: ``ModelError/schemaMismatch(expected:found:)`` naming the first differing feature.
    public func requireCompatible() throws(ModelError) {
        let expected = FeatureSchema(classes: classes)
        guard version == expected.version else {
            throw .schemaMismatch(
                expected: "version \(expected.version)", found: "version \(version)")
        }
        guard names == expected.names else {
            let i = (0..<min(names.count, expected.names.count)).first(where: { names[$0] != expected.names[$0] })
                ?? min(names.count, expected.names.count)
            let found = i < names.count ? "'\(names[i])'" : "nothing"
            let wanted = i < expected.names.count ? "'\(expected.names[i])'" : "nothing"
            throw .schemaMismatch(
                expected: "\(expected.names.count) features, feature \(i) \(wanted)",
                found: "\(names.count) features, feature \(i) \(found)")
        }
    }
}

/// `3` → `"03"`: zero-padded hours without Foundation.
private func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
