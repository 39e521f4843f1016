import BackplanCore
import Foundation

extension MessageStoreGenerator {
    /// The kind of a conversation, stored in `conversations.kind` (DESIGN §2.1).
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Two members; both write and read.
        case `private`
        /// Three or more members; everyone writes, everyone reads.
        case group
        /// A few posters, many subscribers who only read.
        case channel
        /// One owner's mail: external correspondents write, the owner reads (and sends some).
        case mailbox
    }

    /// How one data class of conversations behaves: its share of conversations, members, message and
    /// attachment sizes, session shape and reads per message.
    ///
    /// Every figure is an assumption chosen to look like a consumer messaging service; `datasets/README.md`
    /// lists them with their reasoning. Sizes are lognormal, given by median and σ of the logarithm.
    public struct ClassProfile: Sendable, Hashable, Codable {
        /// The data class, stored in `conversations.class` and used by backup policies.
        public var name: String
        public var kind: Kind
        /// Fraction of conversations in this class; the shares of a model sum to 1.
        public var share: Double
        /// Members beyond the minimum, geometric with this mean: groups have 3 + that many members
        /// (at most 256), channels 1 + that many posters (at most 16). Private conversations always
        /// have 2 members and mailboxes 1 owner.
        public var extraMembersMean: Double
        public var messageMedianBytes: Double
        public var messageSigma: Double
        public var messageMaxBytes: Int64
        /// Probability that a message carries an attachment.
        public var attachmentProbability: Double
        public var attachmentMedianBytes: Double
        public var attachmentSigma: Double
        /// Messages per session N follow a discrete power law, P(N ≥ k) = k^(−α) for 1 ≤ k ≤ the cap.
        public var sessionSizeExponent: Double
        public var sessionMaxMessages: Int
        /// Gaps between messages of one session: lognormal, at least one second.
        public var gapMedianSeconds: Double
        public var gapSigma: Double
        /// Mean number of reads (views) of each message, Poisson.
        public var readsPerMessage: Double

        public init(
            name: String, kind: Kind, share: Double, extraMembersMean: Double,
            messageMedianBytes: Double, messageSigma: Double, messageMaxBytes: Int64,
            attachmentProbability: Double, attachmentMedianBytes: Double, attachmentSigma: Double,
            sessionSizeExponent: Double, sessionMaxMessages: Int,
            gapMedianSeconds: Double, gapSigma: Double, readsPerMessage: Double
        ) {
            self.name = name
            self.kind = kind
            self.share = share
            self.extraMembersMean = extraMembersMean
            self.messageMedianBytes = messageMedianBytes
            self.messageSigma = messageSigma
            self.messageMaxBytes = messageMaxBytes
            self.attachmentProbability = attachmentProbability
            self.attachmentMedianBytes = attachmentMedianBytes
            self.attachmentSigma = attachmentSigma
            self.sessionSizeExponent = sessionSizeExponent
            self.sessionMaxMessages = sessionMaxMessages
            self.gapMedianSeconds = gapMedianSeconds
            self.gapSigma = gapSigma
            self.readsPerMessage = readsPerMessage
        }

        /// E[N] = Σₖ₌₁^cap k^(−α), the mean session size under the capped power law.
        public var meanSessionMessages: Double {
            (1...max(1, sessionMaxMessages)).reduce(0.0) { $0 + pow(Double($1), -sessionSizeExponent) }
        }
    }

    /// When a message is read, as its age A = read time − send time.
    ///
    /// A mixture: with probability `promptFraction` the read comes soon after the write,
    /// A ~ exponential(mean `promptMeanSeconds`) (members see the message when they next open the
    /// conversation); otherwise A follows a Lomax (Pareto II) tail, P(A > a) = (1 + a/a₀)^(−k), with
    /// density ∝ (a₀ + a)^(−(k+1)) — history scrolls, search and re-reads, decaying as a power law in age.
    ///
    /// `fitted(…)` chooses k so that a message is read `dayOneToDaySevenRatio` times as often in its
    /// second day of life (ages 1–2 d) as in its eighth (ages 7–8 d). With the default ratio 10 this is
    /// f4's observation that week-old BLOBs draw about an order of magnitude fewer requests than
    /// young ones (S. Muralidhar et al., "f4: Facebook's warm BLOB storage system", OSDI 2014, §2).
    public struct ReadAgeModel: Sendable, Hashable, Codable {
        public var promptFraction: Double
        public var promptMeanSeconds: Double
        /// a₀, the scale of the Lomax tail.
        public var tailScaleSeconds: Double
        /// k > 0, the Lomax shape; the tail density falls as age^(−(k+1)).
        public var tailShape: Double

        public init(promptFraction: Double, promptMeanSeconds: Double, tailScaleSeconds: Double, tailShape: Double) {
            self.promptFraction = promptFraction
            self.promptMeanSeconds = promptMeanSeconds
            self.tailScaleSeconds = tailScaleSeconds
            self.tailShape = tailShape
        }

        /// The model whose reads in ages [1 d, 2 d) outnumber those in [7 d, 8 d) by `dayOneToDaySevenRatio`,
        /// solving for the tail shape by bisection on k ∈ (10⁻⁶, 20).
        ///
        /// The prompt component is ignored in the fit (at a mean of minutes it contributes nothing
        /// after a day). Ratios at or below 1 give the smallest shape tried.
        public static func fitted(
            promptFraction: Double = 0.6, promptMeanSeconds: Double = 1_200, tailScaleSeconds: Double = 3_600,
            dayOneToDaySevenRatio ratio: Double = 10
        ) -> ReadAgeModel {
            var model = ReadAgeModel(
                promptFraction: promptFraction, promptMeanSeconds: promptMeanSeconds,
                tailScaleSeconds: tailScaleSeconds, tailShape: 1)
            let day = Double(Units.secondsPerDay)
            var low = 1e-6
            var high = 20.0
            for _ in 0..<200 {
                model.tailShape = (low + high) / 2
                let tail = { (a: Double) in pow(1 + a / tailScaleSeconds, -model.tailShape) }
                let fitted = (tail(day) - tail(2 * day)) / (tail(7 * day) - tail(8 * day))
                if fitted > ratio { high = model.tailShape } else { low = model.tailShape }
            }
            return model
        }

        /// The default: 60 % of reads within minutes (mean 20 min), the rest on a Lomax tail with
        /// a₀ = 1 h fitted to a tenfold drop between day 1 and day 7 (k ≈ 0.412).
        public static let `default` = fitted()

        /// P(A > a) for a ≥ 0.
        public func survival(ageSeconds a: Double) -> Double {
            guard a > 0 else { return 1 }
            let prompt = promptFraction * exp(-a / promptMeanSeconds)
            let tail = (1 - promptFraction) * pow(1 + a / tailScaleSeconds, -tailShape)
            return prompt + tail
        }

        /// P(from ≤ A < to).
        public func probability(fromAgeSeconds from: Double, toAgeSeconds to: Double) -> Double {
            survival(ageSeconds: from) - survival(ageSeconds: to)
        }

        /// One age in seconds, by composition: pick the component, then invert its distribution.
        @inlinable
        public func sampleAgeSeconds<G: RandomNumberGenerator>(using generator: inout G) -> Double {
            if generator.nextUnitDouble() < promptFraction {
                return generator.nextExponential(rate: 1 / promptMeanSeconds)
            }
            // Lomax by inversion: a₀ · (U^(−1/k) − 1).
            return tailScaleSeconds * (pow(generator.nextPositiveUnitDouble(), -1 / tailShape) - 1)
        }
    }

    /// Everything about activity except the size of the store: popularity, daily and weekly cycles,
    /// lifetimes, read ages and the data classes.
    public struct ActivityModel: Sendable, Hashable, Codable {
        /// s in the Zipf law of conversation activity: the conversation of popularity rank r writes at a
        /// rate ∝ r^(−s). Ranks are a random permutation, independent of class.
        public var popularityExponent: Double
        /// Store size when no message target is given: conversations × days × this.
        public var messagesPerConversationDay: Double
        /// Relative activity by local hour of day, 0…23 (24 values > 0 … the shape matters, not the scale).
        public var hourWeights: [Double]
        /// Relative activity by local day of week, Monday first (7 values).
        public var weekdayWeights: [Double]
        /// Local time = UTC + this, for the daily and weekly cycles.
        public var utcOffsetSeconds: Int64
        /// Fraction of conversations that stop writing at a uniformly random time in their active span.
        public var dormantFraction: Double
        /// Fraction of conversations created at a uniformly random time inside the window (they open
        /// with a session); the others were created up to `priorLifetimeDays` before it.
        public var createdMidwayFraction: Double
        public var priorLifetimeDays: Double
        /// Users who can be members of private and group conversations, channel posters, readers and
        /// mailbox owners: this many per conversation. Members and channel readers are drawn with a
        /// power law of exponent `userPopularityExponent` over user ranks.
        public var usersPerConversation: Double
        public var userPopularityExponent: Double
        /// External mail correspondents, this many per conversation.
        public var correspondentsPerConversation: Double
        public var readAge: ReadAgeModel
        public var classes: [ClassProfile]

        public init(
            popularityExponent: Double, messagesPerConversationDay: Double, hourWeights: [Double],
            weekdayWeights: [Double], utcOffsetSeconds: Int64, dormantFraction: Double,
            createdMidwayFraction: Double, priorLifetimeDays: Double, usersPerConversation: Double,
            userPopularityExponent: Double, correspondentsPerConversation: Double,
            readAge: ReadAgeModel, classes: [ClassProfile]
        ) {
            self.popularityExponent = popularityExponent
            self.messagesPerConversationDay = messagesPerConversationDay
            self.hourWeights = hourWeights
            self.weekdayWeights = weekdayWeights
            self.utcOffsetSeconds = utcOffsetSeconds
            self.dormantFraction = dormantFraction
            self.createdMidwayFraction = createdMidwayFraction
            self.priorLifetimeDays = priorLifetimeDays
            self.usersPerConversation = usersPerConversation
            self.userPopularityExponent = userPopularityExponent
            self.correspondentsPerConversation = correspondentsPerConversation
            self.readAge = readAge
            self.classes = classes
        }

        /// The documented default model (datasets/README.md, "Activity model").
        public static let `default` = ActivityModel(
            popularityExponent: 1.0,
            messagesPerConversationDay: 1.0,
            // Low 02–05 h, rising from 07 h, a plateau through the working day, an evening peak.
            hourWeights: [
                0.55, 0.35, 0.22, 0.15, 0.12, 0.15, 0.30, 0.60, 0.90, 1.10, 1.20, 1.25,
                1.25, 1.20, 1.20, 1.20, 1.25, 1.30, 1.35, 1.40, 1.45, 1.45, 1.25, 0.90,
            ],
            weekdayWeights: [1.05, 1.05, 1.05, 1.05, 1.05, 0.875, 0.875],
            utcOffsetSeconds: 0,
            dormantFraction: 0.25,
            createdMidwayFraction: 0.2,
            priorLifetimeDays: 730,
            usersPerConversation: 2,
            userPopularityExponent: 0.8,
            correspondentsPerConversation: 20,
            readAge: .default,
            classes: [
                ClassProfile(
                    name: "private", kind: .private, share: 0.55, extraMembersMean: 0,
                    messageMedianBytes: 60, messageSigma: 0.9, messageMaxBytes: 65_536,
                    attachmentProbability: 0.06, attachmentMedianBytes: 180_000, attachmentSigma: 1.0,
                    sessionSizeExponent: 1.6, sessionMaxMessages: 200,
                    gapMedianSeconds: 40, gapSigma: 1.0, readsPerMessage: 1.3),
                ClassProfile(
                    name: "group", kind: .group, share: 0.25, extraMembersMean: 6,
                    messageMedianBytes: 70, messageSigma: 1.0, messageMaxBytes: 65_536,
                    attachmentProbability: 0.08, attachmentMedianBytes: 200_000, attachmentSigma: 1.1,
                    sessionSizeExponent: 1.4, sessionMaxMessages: 300,
                    gapMedianSeconds: 25, gapSigma: 1.1, readsPerMessage: 3.0),
                ClassProfile(
                    name: "channel", kind: .channel, share: 0.06, extraMembersMean: 1,
                    messageMedianBytes: 350, messageSigma: 1.0, messageMaxBytes: 65_536,
                    attachmentProbability: 0.15, attachmentMedianBytes: 300_000, attachmentSigma: 1.2,
                    sessionSizeExponent: 2.2, sessionMaxMessages: 50,
                    gapMedianSeconds: 180, gapSigma: 1.2, readsPerMessage: 6.0),
                ClassProfile(
                    name: "attachments", kind: .channel, share: 0.04, extraMembersMean: 1,
                    messageMedianBytes: 120, messageSigma: 1.0, messageMaxBytes: 65_536,
                    attachmentProbability: 0.85, attachmentMedianBytes: 2_000_000, attachmentSigma: 1.3,
                    sessionSizeExponent: 2.0, sessionMaxMessages: 50,
                    gapMedianSeconds: 120, gapSigma: 1.2, readsPerMessage: 5.0),
                ClassProfile(
                    name: "mailbox", kind: .mailbox, share: 0.10, extraMembersMean: 0,
                    messageMedianBytes: 6_000, messageSigma: 1.1, messageMaxBytes: 4_194_304,
                    attachmentProbability: 0.20, attachmentMedianBytes: 250_000, attachmentSigma: 1.5,
                    sessionSizeExponent: 2.5, sessionMaxMessages: 30,
                    gapMedianSeconds: 300, gapSigma: 1.4, readsPerMessage: 1.2),
            ])

        /// Checks ranges and shapes; the message names the field at fault.
        public func validate() throws(InputError) {
            func check(_ condition: Bool, _ field: String, _ message: String) throws(InputError) {
                if !condition { throw InputError(column: field, message) }
            }
            try check(popularityExponent >= 0 && popularityExponent <= 5, "popularityExponent", "must be in 0…5")
            try check(messagesPerConversationDay > 0 && messagesPerConversationDay.isFinite,
                      "messagesPerConversationDay", "must be positive")
            try check(hourWeights.count == 24 && hourWeights.allSatisfy { $0 > 0 && $0.isFinite },
                      "hourWeights", "needs 24 positive values")
            try check(weekdayWeights.count == 7 && weekdayWeights.allSatisfy { $0 > 0 && $0.isFinite },
                      "weekdayWeights", "needs 7 positive values")
            try check(abs(utcOffsetSeconds) <= 14 * Units.secondsPerHour, "utcOffsetSeconds", "must be within ±14 h")
            try check((0...1).contains(dormantFraction), "dormantFraction", "must be in 0…1")
            try check((0...1).contains(createdMidwayFraction), "createdMidwayFraction", "must be in 0…1")
            try check(priorLifetimeDays >= 0 && priorLifetimeDays <= 36_500, "priorLifetimeDays", "must be in 0…36500")
            try check(usersPerConversation >= 1 && usersPerConversation <= 1_000, "usersPerConversation", "must be in 1…1000")
            try check(userPopularityExponent >= 0 && userPopularityExponent <= 5, "userPopularityExponent", "must be in 0…5")
            try check(correspondentsPerConversation >= 1 && correspondentsPerConversation <= 1_000,
                      "correspondentsPerConversation", "must be in 1…1000")
            let age = readAge
            try check((0...1).contains(age.promptFraction), "readAge.promptFraction", "must be in 0…1")
            try check(age.promptMeanSeconds > 0 && age.tailScaleSeconds > 0 && age.tailShape > 0,
                      "readAge", "scales and shape must be positive")
            try check(!classes.isEmpty, "classes", "needs at least one class")
            try check(abs(classes.reduce(0) { $0 + $1.share } - 1) < 1e-6, "classes", "shares must sum to 1")
            try check(Set(classes.map(\.name)).count == classes.count, "classes", "names must be distinct")
            for profile in classes {
                let field = "classes[\(profile.name)]"
                try check(!profile.name.isEmpty && profile.share >= 0, field, "needs a name and a share ≥ 0")
                try check(profile.extraMembersMean >= 0 && profile.extraMembersMean <= 1_000, field,
                          "extraMembersMean must be in 0…1000")
                try check(profile.messageMedianBytes >= 1 && profile.messageMaxBytes >= 1 && profile.messageSigma >= 0,
                          field, "message sizes must be positive")
                try check((0...1).contains(profile.attachmentProbability) && profile.attachmentMedianBytes >= 1
                              && profile.attachmentSigma >= 0, field, "attachment parameters out of range")
                try check(profile.sessionSizeExponent > 0 && (1...100_000).contains(profile.sessionMaxMessages),
                          field, "session size needs an exponent > 0 and a cap in 1…100000")
                try check(profile.gapMedianSeconds >= 1 && profile.gapSigma >= 0, field, "gaps must be ≥ 1 s")
                try check(profile.readsPerMessage >= 0 && profile.readsPerMessage <= 10_000, field,
                          "readsPerMessage must be in 0…10000")
            }
        }
    }
}
