import ArgumentParser
import BackplanCore
import BackplanReports
import BackplanStore
import Foundation

/// `backplan datasets …`: sample message stores for demos, tests and benchmarks.
struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Generate sample message stores.",
        subcommands: [Generate.self])
}

extension Datasets {
    /// `backplan datasets generate`: a seeded SQLite message store in the layout of DESIGN §2.1.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a seeded, realistic SQLite message store (conversations, messages, reads).",
            discussion: """
                Activity follows the model documented in datasets/README.md: Zipf-like conversation \
                popularity, bursty sessions under a daily and weekly cycle, reads that decay with message \
                age (about tenfold from day 1 to day 7, after f4), per-class sizes and attachments, \
                conversations created mid-way and going dormant. The same seed and options always give \
                the same rows. Progress and logs go to stderr; --json prints a summary to stdout.

                Example:
                  backplan datasets generate --seed 42 --conversations 400 --days 90 \\
                    --out datasets/sample/chat-sample.sqlite
                """)

        @Option(help: "Seed for every random choice; the same seed and options give identical rows.")
        var seed: UInt64 = 1

        @Option(help: ArgumentHelp(
            "Output .sqlite file, or a directory when --shards > 1 (receives shard-000.sqlite, …).",
            valueName: "path"))
        var out: String

        @Option(help: "Number of conversations (datasets).")
        var conversations: Int = 1_000

        @Option(help: "Length of the window in days.")
        var days: Int = 90

        @Option(help: ArgumentHelp("Start of the window: a UTC date, or any ISO-8601 date-time.", valueName: "YYYY-MM-DD"))
        var start: String = "2026-01-01"

        @Option(help: "Approximate total messages over all shards (default: conversations × days).")
        var messages: Int?

        @Option(help: "Number of shard files; conversation i goes to shard i mod K.")
        var shards: Int = 1

        @Option(name: .customLong("zipf-exponent"), help: "Exponent s of conversation popularity, rate ∝ rank^(−s).")
        var zipfExponent: Double = MessageStoreGenerator.ActivityModel.default.popularityExponent

        @Option(name: .customLong("utc-offset"), help: "Local time of the users, hours from UTC, for the daily cycle.")
        var utcOffsetHours: Double = 0

        @Flag(help: "Also create an index on messages(conversation_id, sent_at) (larger file).")
        var index = false

        @Flag(help: "Print a JSON summary (files, conversations, messages, reads, time span) to stdout.")
        var json = false

        @Flag(help: "Overwrite existing output files.")
        var force = false

        /// The generator configuration these options describe.
        func generatorConfiguration() throws -> MessageStoreGenerator.Configuration {
            guard let startAt = CivilTime.parseISO8601(Array(start.utf8)) else {
                throw ValidationError("--start must be a date YYYY-MM-DD (or an ISO-8601 date-time), got '\(start)'")
            }
            guard utcOffsetHours.isFinite, abs(utcOffsetHours) <= 14,
                  (utcOffsetHours * 4).rounded() == utcOffsetHours * 4
            else {
                throw ValidationError("--utc-offset must be a multiple of 0.25 hours within ±14, got \(utcOffsetHours)")
            }
            var model = MessageStoreGenerator.ActivityModel.default
            model.popularityExponent = zipfExponent
            model.utcOffsetSeconds = Int64((utcOffsetHours * 3_600).rounded())
            return MessageStoreGenerator.Configuration(
                seed: seed, conversations: conversations, days: days, startAt: startAt,
                targetMessages: messages, shards: shards, indexMessages: index, model: model)
        }

        func validate() throws {
            let configuration = try generatorConfiguration()
            do {
                try configuration.validate()
            } catch {
                let option = error.column.map { name -> String in
                    switch name {
                    case "popularityExponent": "--zipf-exponent"
                    case "utcOffsetSeconds": "--utc-offset"
                    default: "--" + name
                    }
                }
                throw ValidationError([option, error.message].compactMap { $0 }.joined(separator: " "))
            }
            guard !out.isEmpty else { throw ValidationError("--out must name a file or directory") }
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory)
            if shards == 1 && exists && isDirectory.boolValue {
                throw ValidationError("--out \(out) is a directory; with one shard it must name a .sqlite file")
            }
            if shards > 1 && exists && !isDirectory.boolValue {
                throw ValidationError("--out \(out) is a file; with --shards \(shards) it must name a directory")
            }
            if !force {
                let generator = try MessageStoreGenerator(configuration)
                if let existing = generator.outputPaths(for: out).first(where: { FileManager.default.fileExists(atPath: $0) }) {
                    throw ValidationError("\(existing) already exists; pass --force to overwrite it")
                }
            }
        }

        func run() throws {
            let generator = try MessageStoreGenerator(generatorConfiguration())
            let configuration = generator.configuration
            let began = Date()
            Console.note("generating ~\(Format.count(configuration.expectedMessages)) messages in "
                + "\(Format.count(configuration.conversations)) conversations over \(configuration.days) days "
                + "(seed \(configuration.seed), \(configuration.shards) file(s))")
            let summary = try generator.write(to: out, overwrite: force) { progress in
                let percent = min(100, 100 * progress.messages / max(1, progress.expectedMessages))
                Console.progress("shard \(progress.shard + 1)/\(progress.shards): \(Format.count(progress.messages)) "
                    + "messages, \(Format.count(progress.reads)) reads (\(percent)%)")
            }
            Console.endProgress()
            warnAboutStaleShards(summary.files)
            let bytes = summary.files.reduce(Int64(0)) { total, path in
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.int64Value
                return total + (size ?? 0)
            }
            Console.note("wrote \(Format.count(summary.messages)) messages and \(Format.count(summary.reads)) reads to "
                + "\(summary.files.count) file(s), \(Format.bytes(bytes)), in "
                + String(format: "%.1f s", Date().timeIntervalSince(began)))
            if json { try Console.json(summary) }
        }

        /// `--force` replaces only the files of this run; say so if older shards remain beside them.
        private func warnAboutStaleShards(_ files: [String]) {
            guard shards > 1, let names = try? FileManager.default.contentsOfDirectory(atPath: out) else { return }
            let written = Set(files.map { URL(fileURLWithPath: $0).lastPathComponent })
            let stale = names.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".sqlite") && !written.contains($0) }
            if !stale.isEmpty {
                Console.note("warning: \(out) also holds \(stale.count) shard file(s) not written by this run, "
                    + "e.g. \(stale.sorted()[0])")
            }
        }
    }
}
