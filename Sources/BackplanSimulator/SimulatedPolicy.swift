import BackplanCore

/// A backup-and-tiering policy the simulator replays.
public enum SimulatedPolicy: Sendable, Equatable {
    /// Back up every `seconds` from the window's start (skip-if-unchanged); backups and live data on the
    /// catalog's first (hottest) tier.
    case fixed(seconds: Int64)
    /// One backup a day at the time of day best for the history before the window; hot tiers.
    case cronDaily
    /// `replanned`: Backplan's plan, re-made every `cadence` from the model's forecasts at that time: each
    /// dataset's interval, backup tier and data tier. (Named `adaptive` before; not the frontier's online policy,
    /// ``Frontier/online(budget:)``.)
    case replanned(cadenceSeconds: Int64)
    /// Cron-daily backups; live data under the catalog's automatic tiering (``AutoTiering``: S3
    /// Intelligent-Tiering, GCS Autoclass) as the provider documents it: after 30 days without access billed
    /// at the second tier's rate, after 90 at the third; a monitoring fee per 1,000 objects; objects under
    /// 128 KiB never tiered and free of the fee; no retrieval or transition fees. A catalog without
    /// automatic tiering (Azure) bills it like `all-hot`.
    case intelligentTiering
    /// Cron-daily backups, everything on the hottest tier.
    case allHot
    /// The hindsight oracle's backup times at cron-daily's number of backups; hot tiers. A bound on backup
    /// timing only: live data stays hot, so its cost is no bound on tiering.
    case oracle

    public var name: String {
        switch self {
        case .fixed(let s): "fixed-\(Frontier.durationName(s))"
        case .cronDaily: "cron-daily"
        case .replanned: "replanned"
        case .intelligentTiering: "intelligent-tiering"
        case .allHot: "all-hot"
        case .oracle: "oracle"
        }
    }

    /// Every policy name `parse` accepts, for help and error messages.
    public static let names = "fixed-<duration>, cron-daily, replanned, intelligent-tiering, all-hot, oracle"

    /// Old names still accepted, with the name that replaces each: callers should warn when one is used.
    public static let deprecatedNames: [String: String] = ["adaptive": "replanned"]

    /// `fixed-1h`, `cron-daily`, `replanned`, `intelligent-tiering`, `all-hot`, `oracle` (and the names in
    /// ``deprecatedNames``); nil for anything else.
    ///
    ///     SimulatedPolicy.parse("fixed-90m", cadenceSeconds: 604_800)   // .fixed(seconds: 5_400)
    public static func parse(_ text: String, cadenceSeconds: Int64) -> SimulatedPolicy? {
        switch deprecatedNames[text] ?? text {
        case "cron-daily": return .cronDaily
        case "replanned": return .replanned(cadenceSeconds: cadenceSeconds)
        case "intelligent-tiering", "s3-intelligent-tiering": return .intelligentTiering
        case "all-hot": return .allHot
        case "oracle": return .oracle
        default:
            guard text.hasPrefix("fixed-"), let s = try? TimeSpan(parsing: String(text.dropFirst(6))).seconds else { return nil }
            return .fixed(seconds: s)
        }
    }
}
