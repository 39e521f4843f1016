import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import GRDB
import Testing

// Each test generates small stores in its own temporary folder and checks one documented property of
// the activity model (datasets/README.md) within a tolerance that is several standard errors wide.

private typealias Generator = MessageStoreGenerator

/// Generates a store in a fresh temporary folder and opens it read-only.
private func withStore<T>(
    _ configuration: Generator.Configuration, _ body: (DatabaseQueue, Generator.Summary) throws -> T
) throws -> T {
    let directory = TempDir()
    let summary = try Generator(configuration).write(to: directory.file("store.sqlite"))
    var readOnly = GRDB.Configuration()
    readOnly.readonly = true
    let queue = try DatabaseQueue(path: directory.file("store.sqlite"), configuration: readOnly)
    defer { try? queue.close() }
    return try body(queue, summary)
}

private func model(_ edit: (inout Generator.ActivityModel) -> Void) -> Generator.ActivityModel {
    var model = Generator.ActivityModel.default
    edit(&model)
    return model
}

/// No reads: for tests about writes only, to keep them fast.
private func writesOnly(_ model: inout Generator.ActivityModel) {
    for i in model.classes.indices { model.classes[i].readsPerMessage = 0 }
}

private let day = Units.secondsPerDay

/// The dataset generator against the activity model documented in datasets/README.md.
@Suite("The message-store generator")
struct GeneratorTests {
    // MARK: - Contract

    @Test("Store follows the message store schema") func storeFollowsTheMessageStoreSchema() throws {
        let configuration = Generator.Configuration(
            seed: 3, conversations: 200, days: 30, targetMessages: 6_000, indexMessages: true)
        try withStore(configuration) { queue, summary in
            try queue.read { db in
                func columns(_ table: String) throws -> [String] {
                    try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { "\($0["name"] as String) \($0["type"] as String)" }
                }
                #expect(try columns("conversations") == ["id TEXT", "kind TEXT", "created_at INTEGER", "class TEXT"])
                #expect(try columns("messages") == [
                    "id INTEGER", "conversation_id TEXT", "sender TEXT", "sent_at INTEGER", "size_bytes INTEGER",
                    "attachment_bytes INTEGER",
                ])
                #expect(try columns("reads") == ["conversation_id TEXT", "reader TEXT", "read_at INTEGER", "bytes INTEGER"])
                let indexed = try Row.fetchAll(db, sql: "PRAGMA index_info(messages_by_conversation)").map { $0["name"] as String }
                #expect(indexed == ["conversation_id", "sent_at"])

                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversations") == 200)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages") == summary.messages)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reads") == summary.reads)
                #expect(try Int64.fetchOne(db, sql: "SELECT SUM(size_bytes + attachment_bytes) FROM messages") == summary.messageBytes)
                let kinds = try String.fetchSet(db, sql: "SELECT DISTINCT kind FROM conversations")
                #expect(kinds.isSubset(of: Set(Generator.Kind.allCases.map(\.rawValue))))
                let classes = try String.fetchSet(db, sql: "SELECT DISTINCT class FROM conversations")
                #expect(classes.isSubset(of: Set(Generator.ActivityModel.default.classes.map(\.name))))

                // Messages: ids 1…n in time order, inside the window, after their conversation's creation.
                let start = configuration.startAt
                let end = configuration.endAt
                #expect(try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM messages") == 1)
                #expect(try Int.fetchOne(db, sql: "SELECT MAX(id) FROM messages") == summary.messages)
                #expect(try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM messages a JOIN messages b ON b.id = a.id + 1 WHERE b.sent_at < a.sent_at
                    """) == 0)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE sent_at < ? OR sent_at >= ?",
                                         arguments: [start, end]) == 0)
                #expect(try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.sent_at < c.created_at
                    """) == 0)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE size_bytes < 1 OR attachment_bytes < 0") == 0)
                #expect(try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)
                    """) == 0)
                // Reads: inside the window, of existing conversations, of a message's bytes.
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reads WHERE read_at < ? OR read_at >= ?",
                                         arguments: [start, end]) == 0)
                #expect(try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM reads r WHERE NOT EXISTS (SELECT 1 FROM messages m
                    WHERE m.conversation_id = r.conversation_id AND m.size_bytes + m.attachment_bytes = r.bytes
                    AND m.sent_at <= r.read_at)
                    """) == 0)
                #expect(summary.firstMessageAt == (try Int64.fetchOne(db, sql: "SELECT MIN(sent_at) FROM messages")))
                #expect(summary.lastMessageAt == (try Int64.fetchOne(db, sql: "SELECT MAX(sent_at) FROM messages")))
            }
            #expect(summary.startDate == "2026-01-01" && summary.endDate == "2026-01-31")
        }
    }

    // MARK: - Determinism

    /// Every row of the three tables, in table order.
    private func dump(_ queue: DatabaseQueue) throws -> [[Row]] {
        try queue.read { db in
            try ["conversations", "messages", "reads"].map { try Row.fetchAll(db, sql: "SELECT * FROM \($0) ORDER BY rowid") }
        }
    }

    @Test("Same seed gives identical rows and different seeds differ") func sameSeedGivesIdenticalRowsAndDifferentSeedsDiffer() throws {
        let configuration = Generator.Configuration(seed: 11, conversations: 120, days: 21, targetMessages: 4_000)
        let first = try withStore(configuration) { queue, _ in try dump(queue) }
        let second = try withStore(configuration) { queue, _ in try dump(queue) }
        #expect(first == second)
        #expect(first[1].count > 3_000 && first[2].count > 3_000)

        var other = configuration
        other.seed = 12
        let third = try withStore(other) { queue, _ in try dump(queue) }
        #expect(third[0] != first[0])
        #expect(third[1] != first[1])
        #expect(third[2] != first[2])
    }

    private func messageWithoutID(_ row: Row) -> String {
        ["conversation_id", "sender", "sent_at", "size_bytes", "attachment_bytes"]
            .map { row[$0].map { "\($0)" } ?? "NULL" }.joined(separator: "|")
    }

    @Test("Shards split the same rows by conversation") func shardsSplitTheSameRowsByConversation() throws {
        var configuration = Generator.Configuration(seed: 5, conversations: 90, days: 14, targetMessages: 3_000)
        let single = try withStore(configuration) { queue, _ in try dump(queue) }
        configuration.shards = 3
        let directory = TempDir()
        let out = directory.file("shards")
        let summary = try Generator(configuration).write(to: out)
        #expect(summary.files.map { URL(fileURLWithPath: $0).lastPathComponent }
                    == ["shard-000.sqlite", "shard-001.sqlite", "shard-002.sqlite"])
        var conversations: [String] = []
        var messages: [String] = []
        var reads: [String] = []
        for (shard, path) in summary.files.enumerated() {
            let queue = try DatabaseQueue(path: path)
            try queue.read { db in
                let ids = try String.fetchAll(db, sql: "SELECT id FROM conversations")
                #expect(ids.allSatisfy { Int($0.dropFirst())! % 3 == shard })
                conversations += try Row.fetchAll(db, sql: "SELECT * FROM conversations").map(\.description)
                messages += try Row.fetchAll(db, sql: "SELECT * FROM messages").map(messageWithoutID)
                reads += try Row.fetchAll(db, sql: "SELECT * FROM reads").map(\.description)
            }
            try queue.close()
        }
        // Same rows as the single file (message ids are per file, so they are left out).
        let singleMessages = single[1].map(messageWithoutID)
        let sameConversations = conversations.sorted() == single[0].map(\.description).sorted()
        let sameMessages = messages.sorted() == singleMessages.sorted()
        let sameReads = reads.sorted() == single[2].map(\.description).sorted()
        #expect(sameConversations)
        #expect(sameMessages)
        #expect(sameReads)
        #expect(summary.messages == single[1].count && summary.reads == single[2].count)
    }

    @Test("Refuses to overwrite and leaves no partial files") func refusesToOverwriteAndLeavesNoPartialFiles() throws {
        let configuration = Generator.Configuration(seed: 1, conversations: 20, days: 3, targetMessages: 200)
        let directory = TempDir()
        let path = directory.file("nested/store.sqlite")
        _ = try Generator(configuration).write(to: path)
        #expect(throws: InputError.self) { try Generator(configuration).write(to: path) }
        _ = try Generator(configuration).write(to: path, overwrite: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("nested")) == ["store.sqlite"])
    }

    // MARK: - Activity model

    @Test("Message target is hit within five percent", arguments: [(UInt64(1), 150, 12_000), (UInt64(2), 400, 30_000), (UInt64(3), 1_000, 20_000)])
    func messageTargetIsHitWithinFivePercent(seed: UInt64, conversations: Int, target: Int) throws {
        let configuration = Generator.Configuration(
            seed: seed, conversations: conversations, days: 45, targetMessages: target, model: model(writesOnly))
        try withStore(configuration) { _, summary in
            let error = Double(summary.messages) / Double(target) - 1
            #expect(abs(error) < 0.05, "\(summary.messages) messages for a target of \(target)")
        }
    }

    @Test("Default volume is conversations times days") func defaultVolumeIsConversationsTimesDays() {
        let configuration = Generator.Configuration(conversations: 400, days: 90)
        #expect(configuration.expectedMessages == 36_000)
    }

    /// Least-squares slope of log(messages) on log(rank) over the given ranks.
    private func rankSizeSlope(_ counts: [Int], ranks: ClosedRange<Int>) -> Double {
        let sorted = counts.sorted(by: >)
        let points = ranks.map { (log(Double($0)), log(Double(max(1, sorted[$0 - 1])))) }
        let meanX = points.map(\.0).reduce(0, +) / Double(points.count)
        let meanY = points.map(\.1).reduce(0, +) / Double(points.count)
        let covariance = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        let variance = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        return covariance / variance
    }

    @Test("Conversation popularity follows Zipf", arguments: [0.7, 1.0, 1.3])
    func conversationPopularityFollowsZipf(exponent: Double) throws {
        // Single-message sessions and no lifetimes make counts Poisson around the Zipf weights; with the
        // default heavy-tailed sessions the same slope holds but with more scatter.
        let steady = model {
            writesOnly(&$0)
            for i in $0.classes.indices { $0.classes[i].sessionSizeExponent = 50 }
            $0.popularityExponent = exponent
            $0.dormantFraction = 0
            $0.createdMidwayFraction = 0
        }
        let configuration = Generator.Configuration(
            seed: 21, conversations: 300, days: 30, targetMessages: 20_000, model: steady)
        try withStore(configuration) { queue, _ in
            let counts = try queue.read { db in
                try Int.fetchAll(db, sql: "SELECT COUNT(*) FROM messages GROUP BY conversation_id")
            }
            let slope = rankSizeSlope(counts, ranks: 1...50)
            #expect(abs(slope + exponent) < 0.1, "rank/size slope \(slope) for s = \(exponent)")
        }
    }

    @Test("Nights are quiet and the cycle follows local time") func nightsAreQuietAndTheCycleFollowsLocalTime() throws {
        for offsetHours: Int64 in [0, 6] {
            let configuration = Generator.Configuration(
                seed: 8, conversations: 300, days: 28, targetMessages: 20_000,
                model: model { writesOnly(&$0); $0.utcOffsetSeconds = offsetHours * 3_600 })
            try withStore(configuration) { queue, _ in
                let byHour = try queue.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT ((sent_at + ?) % 86400) / 3600 AS hour, COUNT(*) AS n FROM messages GROUP BY hour
                        """, arguments: [offsetHours * 3_600])
                }
                var counts = [Double](repeating: 0, count: 24)
                for row in byHour { counts[row["hour"]] = Double(row["n"] as Int) }
                let total = counts.reduce(0, +)
                let night = counts[0..<6].reduce(0, +) / total
                let weights = Generator.ActivityModel.default.hourWeights
                let expected = weights[0..<6].reduce(0, +) / weights.reduce(0, +)
                // Sessions spill a little across hours and popular conversations make counts lumpy.
                #expect(abs(night - expected) < 0.03, "night share \(night), expected \(expected)")
                let nightRate = counts[2..<5].reduce(0, +) / 3
                let eveningRate = counts[18..<22].reduce(0, +) / 4
                #expect(nightRate * 4 < eveningRate, "offset \(offsetHours) h: night \(nightRate)/h, evening \(eveningRate)/h")
            }
        }
    }

    @Test("Writes come in bursty sessions") func writesComeInBurstySessions() throws {
        let configuration = Generator.Configuration(
            seed: 4, conversations: 100, days: 30, targetMessages: 15_000, model: model(writesOnly))
        try withStore(configuration) { queue, _ in
            let times = try queue.read { db in
                try Int64.fetchAll(db, sql: """
                    SELECT sent_at FROM messages WHERE conversation_id =
                    (SELECT conversation_id FROM messages GROUP BY conversation_id ORDER BY COUNT(*) DESC LIMIT 1)
                    ORDER BY sent_at
                    """)
            }
            let gaps = zip(times.dropFirst(), times).map { Double($0 - $1) }
            let mean = gaps.reduce(0, +) / Double(gaps.count)
            let variance = gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count - 1)
            let coefficientOfVariation = variance.squareRoot() / mean
            // A Poisson process has CV = 1; sessions, the daily cycle and dormancy make gaps far more uneven.
            #expect(coefficientOfVariation > 2, "CV of gaps \(coefficientOfVariation)")
            let median = gaps.sorted()[gaps.count / 2]
            #expect(median < mean / 3, "median gap \(median) s, mean \(mean) s")
        }
    }

    @Test("Class mix, sizes and attachments follow their profiles") func classMixSizesAndAttachmentsFollowTheirProfiles() throws {
        let configuration = Generator.Configuration(
            seed: 9, conversations: 3_000, days: 20, targetMessages: 30_000,
            model: model { writesOnly(&$0); $0.popularityExponent = 0.3 })
        try withStore(configuration) { queue, summary in
            try queue.read { db in
                for profile in Generator.ActivityModel.default.classes {
                    let conversations = try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM conversations WHERE class = ? AND kind = ?",
                        arguments: [profile.name, profile.kind.rawValue]) ?? 0
                    #expect(conversations == summary.conversationsByClass[profile.name] ?? 0)
                    let n = 3_000.0
                    let standardError = (profile.share * (1 - profile.share) / n).squareRoot()
                    #expect(abs(Double(conversations) / n - profile.share) < 4 * standardError, "share of \(profile.name)")

                    let sizes = try Int64.fetchAll(db, sql: """
                        SELECT m.size_bytes FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE c.class = ? ORDER BY m.size_bytes
                        """, arguments: [profile.name])
                    guard sizes.count > 300 else { continue }
                    let median = Double(sizes[sizes.count / 2])
                    #expect(abs(log(median / profile.messageMedianBytes)) < 0.15, "median size of \(profile.name): \(median)")
                    let withAttachment = try Double(Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE c.class = ? AND m.attachment_bytes > 0
                        """, arguments: [profile.name]) ?? 0) / Double(sizes.count)
                    let p = profile.attachmentProbability
                    // Messages cluster in conversations, so allow more than the binomial error.
                    #expect(abs(withAttachment - p) < 0.03 + 6 * (p * (1 - p) / Double(sizes.count)).squareRoot(),
                            "attachment rate of \(profile.name): \(withAttachment)")
                }
                let members = try Int.fetchAll(db, sql: """
                    SELECT COUNT(DISTINCT m.sender) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE c.kind = 'private' GROUP BY c.id
                    """)
                #expect(members.allSatisfy { $0 <= 2 })
            }
        }
    }

    @Test("Conversations are created midway and go dormant") func conversationsAreCreatedMidwayAndGoDormant() throws {
        let configuration = Generator.Configuration(
            seed: 13, conversations: 1_500, days: 40, targetMessages: 15_000,
            model: model { writesOnly(&$0); $0.popularityExponent = 0.5 })
        try withStore(configuration) { queue, _ in
            try queue.read { db in
                let start = configuration.startAt
                let midway = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversations WHERE created_at >= ?",
                                              arguments: [start]) ?? 0
                let standardError = (0.2 * 0.8 / 1_500).squareRoot()
                #expect(abs(Double(midway) / 1_500 - 0.2) < 4 * standardError)
                // A conversation created inside the window opens with a message at its creation time.
                #expect(try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM conversations c WHERE c.created_at >= ?
                    AND (SELECT MIN(sent_at) FROM messages m WHERE m.conversation_id = c.id) != c.created_at
                    """, arguments: [start]) == 0)
                let prior = try Int64.fetchOne(db, sql: "SELECT MIN(created_at) FROM conversations") ?? 0
                #expect(prior >= start - 730 * day && prior < start - 600 * day)
            }
        }

        // Dormancy: with every conversation going dormant at a uniform time, E[messages after the midpoint]
        // / E[messages] = E[max(0, D − ½)] / E[D] = ¼ for D uniform on (0, 1); without dormancy it is ½.
        for (dormant, expected) in [(1.0, 0.25), (0.0, 0.5)] {
            let lifetimes = Generator.Configuration(
                seed: 17, conversations: 1_500, days: 40, targetMessages: 15_000,
                model: model {
                    writesOnly(&$0)
                    $0.popularityExponent = 0.3
                    $0.dormantFraction = dormant
                    $0.createdMidwayFraction = 0
                })
            try withStore(lifetimes) { queue, _ in
                let late = try queue.read { db in
                    try Double.fetchOne(db, sql: "SELECT AVG(sent_at >= ?) FROM messages",
                                        arguments: [lifetimes.startAt + 20 * day]) ?? 0
                }
                #expect(abs(late - expected) < 0.05, "dormant \(dormant): share after midpoint \(late)")
            }
        }
    }

    @Test("Reads decay about tenfold from day one to day seven") func readsDecayAboutTenfoldFromDayOneToDaySeven() throws {
        // Many reads per message so the day-7 bin is well populated.
        let readHeavy = model { model in
            for i in model.classes.indices { model.classes[i].readsPerMessage = 20 }
        }
        let configuration = Generator.Configuration(
            seed: 23, conversations: 300, days: 40, targetMessages: 8_000, model: readHeavy)
        try withStore(configuration) { queue, _ in
            // A read carries its message's bytes; where (conversation, bytes) names one message, the read's
            // age is exact. Messages of the last 8 days are left out so both bins are fully observed.
            let ages = try queue.read { db in
                try Int64.fetchAll(db, sql: """
                    WITH single AS (
                        SELECT conversation_id, size_bytes + attachment_bytes AS bytes, MIN(sent_at) AS sent_at
                        FROM messages GROUP BY conversation_id, bytes HAVING COUNT(*) = 1)
                    SELECT r.read_at - s.sent_at FROM reads r
                    JOIN single s ON s.conversation_id = r.conversation_id AND s.bytes = r.bytes
                    WHERE s.sent_at < ?
                    """, arguments: [configuration.endAt - 8 * day])
            }
            #expect(ages.allSatisfy { $0 >= 0 })
            let dayOne = ages.filter { $0 >= day && $0 < 2 * day }.count
            let daySeven = ages.filter { $0 >= 7 * day && $0 < 8 * day }.count
            #expect(daySeven > 150, "only \(daySeven) reads at age 7 days")
            let ratio = Double(dayOne) / Double(daySeven)
            #expect(ratio > 7.5 && ratio < 13, "day-1 / day-7 reads = \(ratio)")
            // Most reads come soon after the write.
            let withinHour = Double(ages.filter { $0 < Units.secondsPerHour }.count) / Double(ages.count)
            #expect(withinHour > 0.5, "share of reads within an hour: \(withinHour)")
        }
    }

    @Test("Read age model is fitted to the ratio") func readAgeModelIsFittedToTheRatio() {
        let age = Generator.ReadAgeModel.default
        let d = Double(day)
        let ratio = age.probability(fromAgeSeconds: d, toAgeSeconds: 2 * d) / age.probability(fromAgeSeconds: 7 * d, toAgeSeconds: 8 * d)
        #expect(abs(ratio - 10) < 1e-6)
        #expect(abs(age.tailShape - 0.4123) < 0.001)
        #expect(age.survival(ageSeconds: 0) == 1)
        #expect(age.survival(ageSeconds: d) > age.survival(ageSeconds: 7 * d))

        let steeper = Generator.ReadAgeModel.fitted(dayOneToDaySevenRatio: 30)
        #expect(steeper.tailShape > age.tailShape)

        var rng = Xoshiro256StarStar(seed: 99)
        let n = 400_000
        var dayOne = 0
        var daySeven = 0
        for _ in 0..<n {
            let a = age.sampleAgeSeconds(using: &rng)
            #expect(a >= 0)
            if a >= d && a < 2 * d { dayOne += 1 }
            if a >= 7 * d && a < 8 * d { daySeven += 1 }
        }
        let expectedDaySeven = age.probability(fromAgeSeconds: 7 * d, toAgeSeconds: 8 * d) * Double(n)
        #expect(abs(Double(daySeven) - expectedDaySeven) < 5 * expectedDaySeven.squareRoot())
        #expect(abs(Double(dayOne) / Double(daySeven) - 10) < 1.5)
    }

    // MARK: - Configuration

    @Test("Invalid configurations name their field") func invalidConfigurationsNameTheirField() {
        func field(_ edit: (inout Generator.Configuration) -> Void) -> String? {
            var configuration = Generator.Configuration()
            edit(&configuration)
            do {
                try configuration.validate()
                return nil
            } catch {
                return error.column
            }
        }
        #expect(field { _ in } == nil)
        #expect(field { $0.conversations = 0 } == "conversations")
        #expect(field { $0.days = 0 } == "days")
        #expect(field { $0.targetMessages = 10 } == "messages")
        #expect(field { $0.shards = 0 } == "shards")
        #expect(field { $0.shards = 2_000 } == "shards")
        #expect(field { $0.model.popularityExponent = -1 } == "popularityExponent")
        #expect(field { $0.model.hourWeights = [1, 2] } == "hourWeights")
        #expect(field { $0.model.classes[0].share = 0.9 } == "classes")
    }

    @Test("The summary has dates and shard names") func summaryDatesAndShardNames() throws {
        // 2024 is a leap year: two days from 28 February end on 1 March.
        let leap = Generator.Configuration(
            seed: 2, conversations: 5, days: 2, startAt: CivilTime.unixSeconds(year: 2024, month: 2, day: 28)!,
            targetMessages: 20)
        try withStore(leap) { _, summary in
            #expect(summary.startDate == "2024-02-28" && summary.endDate == "2024-03-01")
            #expect(summary.endAt - summary.startAt == 2 * day)
        }
        #expect(Generator.shardFileName(7, of: 12) == "shard-007.sqlite")
        #expect(Generator.shardFileName(1_234, of: 2_000) == "shard-1234.sqlite")
    }
}
