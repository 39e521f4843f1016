import BackplanCore
import Foundation

/// Writes realistic, seeded SQLite message stores in the layout of DESIGN §2.1: `conversations`,
/// `messages` (writes) and `reads`.
///
/// Activity follows the model in `datasets/README.md`: Zipf-like popularity of conversations, writes in
/// bursty sessions whose starts form a Poisson process modulated by a daily and weekly cycle, reads
/// concentrated soon after each write and decaying with the message's age (fitted to f4's tenfold drop
/// between a day and a week), per-class sizes, members and attachment rates, conversations created
/// mid-way and conversations going dormant.
///
///     let configuration = MessageStoreGenerator.Configuration(seed: 42, conversations: 400, days: 90)
///     let summary = try MessageStoreGenerator(configuration).write(to: "chat.sqlite")
///
/// The same configuration always gives the same rows, however many shards (and, with the same maths
/// library, on any machine): every conversation draws from its own `Xoshiro256StarStar` streams. Rows are streamed to SQLite in one
/// transaction per file (`journal_mode=OFF`, `synchronous=OFF`), so memory does not grow with the number
/// of messages; each file is written under a temporary name and renamed into place only when complete.
///
/// SQLite pages relied on: https://www.sqlite.org/pragma.html#pragma_journal_mode,
/// https://www.sqlite.org/c3ref/bind_blob.html.
public struct MessageStoreGenerator: Sendable {
    /// What to generate: size, time window, shards and the activity model.
    public struct Configuration: Sendable, Hashable, Codable {
        public var seed: UInt64
        public var conversations: Int
        public var days: Int
        /// First second of the window (Unix seconds, UTC); messages fall in [startAt, endAt).
        public var startAt: Int64
        /// Approximate total messages over all shards; `nil` means conversations × days ×
        /// `model.messagesPerConversationDay`. Rates are scaled so that the expected total is exactly
        /// this; the realised total differs by sampling noise: a few per cent at 10⁴ messages, 0.02 % at 10⁷.
        public var targetMessages: Int?
        /// Number of files; conversation i goes to shard i mod shards.
        public var shards: Int
        /// Adds an index on messages(conversation_id, sent_at) (about a fifth more bytes).
        public var indexMessages: Bool
        public var model: ActivityModel

        /// 2026-01-01T00:00:00Z.
        public static let defaultStartAt: Int64 = 1_767_225_600

        public init(
            seed: UInt64 = 1, conversations: Int = 1_000, days: Int = 90, startAt: Int64 = defaultStartAt,
            targetMessages: Int? = nil, shards: Int = 1, indexMessages: Bool = false, model: ActivityModel = .default
        ) {
            self.seed = seed
            self.conversations = conversations
            self.days = days
            self.startAt = startAt
            self.targetMessages = targetMessages
            self.shards = shards
            self.indexMessages = indexMessages
            self.model = model
        }

        /// End of the window (exclusive).
        public var endAt: Int64 { startAt + Int64(days) * Units.secondsPerDay }

        /// The expected number of messages the rates are scaled to.
        public var expectedMessages: Int {
            targetMessages ?? Int((Double(conversations) * Double(days) * model.messagesPerConversationDay).rounded())
        }

        public static let maximumConversations = 5_000_000
        public static let maximumDays = 3_650
        public static let maximumShards = 4_096

        /// Checks ranges; the message names the option at fault.
        public func validate() throws(InputError) {
            guard (1...Self.maximumConversations).contains(conversations) else {
                throw InputError(column: "conversations", "must be in 1…\(Self.maximumConversations), got \(conversations)")
            }
            guard (1...Self.maximumDays).contains(days) else {
                throw InputError(column: "days", "must be in 1…\(Self.maximumDays), got \(days)")
            }
            guard startAt >= 0 && startAt <= 253_402_300_799 - Int64(days) * Units.secondsPerDay else {
                throw InputError(column: "start", "must be between 1970 and 9999")
            }
            if let targetMessages, !(conversations...4_000_000_000).contains(targetMessages) {
                throw InputError(
                    column: "messages",
                    "must be at least the number of conversations (\(conversations)) and at most 4e9, got \(targetMessages)")
            }
            guard (1...min(conversations, Self.maximumShards)).contains(shards) else {
                let most = min(conversations, Self.maximumShards)
                throw InputError(column: "shards", "must be in 1…\(most) (at most one per conversation), got \(shards)")
            }
            try model.validate()
        }
    }

    /// What was written.
    public struct Summary: Sendable, Hashable, Codable {
        public var seed: UInt64
        /// Paths of the files written, in shard order.
        public var files: [String]
        public var conversations: Int
        public var conversationsByClass: [String: Int]
        public var messages: Int
        public var messagesByClass: [String: Int]
        public var reads: Int
        /// Σ (size_bytes + attachment_bytes) over messages.
        public var messageBytes: Int64
        public var startAt: Int64
        public var endAt: Int64
        /// `startAt` and `endAt` as YYYY-MM-DD (UTC).
        public var startDate: String
        public var endDate: String
        public var days: Int
        public var firstMessageAt: Int64?
        public var lastMessageAt: Int64?
    }

    /// Reported to the progress handler every 2¹⁷ messages and once per finished shard.
    public struct Progress: Sendable {
        public var shard: Int
        public var shards: Int
        public var messages: Int
        public var reads: Int
        public var expectedMessages: Int
    }

    /// Failure to create, replace or clean up an output file, with the OS error.
    public struct OutputError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    public let configuration: Configuration

    /// - Throws: `InputError` if the configuration is out of range.
    public init(_ configuration: Configuration) throws(InputError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// The file name of shard `index` among `count`: `shard-000.sqlite`, `shard-001.sqlite`, …
    /// (at least three digits, more when there are over 1000 shards).
    public static func shardFileName(_ index: Int, of count: Int) -> String {
        let width = max(3, String(max(0, count - 1)).count)
        let digits = String(index)
        return "shard-" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".sqlite"
    }

    /// The paths `write(to:)` would create for `output`.
    public func outputPaths(for output: String) -> [String] {
        if configuration.shards == 1 { return [output] }
        let directory = URL(fileURLWithPath: output)
        return (0..<configuration.shards).map {
            directory.appendingPathComponent(Self.shardFileName($0, of: configuration.shards)).path
        }
    }

    /// Generates the store(s). With one shard, `output` is the file; with several, a directory (created
    /// if missing) that receives `shard-000.sqlite`, ….
    ///
    /// Each file is written as `NAME.partial` beside its final path and all are renamed into place
    /// only after every shard is complete; on failure the partial files are removed.
    ///
    /// - Parameters:
    ///   - overwrite: replace existing files; without it an existing output is an `InputError`.
    ///   - progress: called on the generating thread; keep it cheap.
    public func write(
        to output: String, overwrite: Bool = false, progress: ((Progress) -> Void)? = nil
    ) throws -> Summary {
        let paths = outputPaths(for: output)
        let fileManager = FileManager.default
        if !overwrite, let existing = paths.first(where: { fileManager.fileExists(atPath: $0) }) {
            throw InputError(file: existing, "already exists; refusing to overwrite it")
        }
        let parent = configuration.shards == 1
            ? URL(fileURLWithPath: output).deletingLastPathComponent().path : output
        do {
            try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: parent, message: "cannot create directory: \(error)")
        }

        let plan = GenerationPlan(configuration)
        let partials = paths.map { $0 + ".partial" }
        var summary = Summary(
            seed: configuration.seed, files: paths, conversations: configuration.conversations,
            conversationsByClass: plan.conversationsByClass(), messages: 0, messagesByClass: [:], reads: 0,
            messageBytes: 0, startAt: configuration.startAt, endAt: configuration.endAt,
            startDate: Self.dateString(fromUnixSeconds: configuration.startAt),
            endDate: Self.dateString(fromUnixSeconds: configuration.endAt),
            days: configuration.days, firstMessageAt: nil, lastMessageAt: nil)
        do {
            for (shard, partial) in partials.enumerated() {
                try? fileManager.removeItem(atPath: partial)
                let counts = try ShardSimulation(plan: plan, shard: shard).run(
                    path: partial, indexMessages: configuration.indexMessages,
                    progress: { messages, reads in
                        progress?(Progress(
                            shard: shard, shards: configuration.shards, messages: summary.messages + messages,
                            reads: summary.reads + reads, expectedMessages: configuration.expectedMessages))
                    })
                summary.add(counts, classNames: plan.classNames)
            }
            for (partial, path) in zip(partials, paths) {
                guard rename(partial, path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    throw OutputError(path: path, message: "cannot rename \(partial) into place: \(reason)")
                }
            }
        } catch {
            for partial in partials { try? fileManager.removeItem(atPath: partial) }
            throw error
        }
        return summary
    }
}

extension MessageStoreGenerator.Summary {
    mutating func add(_ counts: MessageStoreGenerator.ShardCounts, classNames: [String]) {
        messages += counts.messages
        reads += counts.reads
        messageBytes += counts.messageBytes
        for (index, count) in counts.messagesByClass.enumerated() where count > 0 {
            messagesByClass[classNames[index], default: 0] += count
        }
        if let first = counts.firstMessageAt { firstMessageAt = min(firstMessageAt ?? first, first) }
        if let last = counts.lastMessageAt { lastMessageAt = max(lastMessageAt ?? last, last) }
    }
}

extension MessageStoreGenerator {
    /// `YYYY-MM-DD` of the UTC day containing `t`.
    static func dateString(fromUnixSeconds t: Int64) -> String {
        let (year, month, day) = CivilTime.civil(fromDays: CivilTime.day(ofUnixSeconds: t))
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
