import ArgumentParser
import BackplanCore

/// `--db`: the stats store, the one option every command that reads or writes statistics shares.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Stats store: Backplan's SQLite file of access statistics (ingest creates it when missing).",
                               valueName: "store"))
    var db: String
}

/// Durations on the command line: `90s`, `15m`, `6h`, `7d`, `2w`, `1y6mo`, `1d12h`, `P30D`, `PT6H`, `P1Y6M`
/// (see ``TimeSpan``). Options declare `transform: TimeSpan.argument` so that a bad value is reported with the
/// reason, not only as invalid.
extension TimeSpan: ExpressibleByArgument {
    public init?(argument: String) {
        guard let span = try? TimeSpan(parsing: argument) else { return nil }
        self = span
    }

    public var defaultValueDescription: String { description }

    /// Parses an option's value, throwing the parser's reason (shown after "The value '…' is invalid for …").
    static func argument(_ text: String) throws -> TimeSpan {
        do {
            return try TimeSpan(parsing: text)
        } catch {
            throw ValidationError(error.reason)
        }
    }
}
