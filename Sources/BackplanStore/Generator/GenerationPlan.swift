import BackplanCore
import Foundation

// Internal machinery of the generator, nested in `MessageStoreGenerator` to keep BackplanStore's
// namespace free for the importers.
extension MessageStoreGenerator {
    /// The daily and weekly cycle: a weight d(t) for each local hour of the week, with mean 1 over a week.
    ///
    /// d(t) = hourWeight(local hour) · weekdayWeight(local weekday), normalised. Session starts are a
    /// Poisson process of rate λ·d(t), drawn by thinning a process of rate λ·max d (P. Lewis &
    /// G. Shedler, "Simulation of nonhomogeneous Poisson processes by thinning", Naval Research Logistics
    /// Quarterly 26(3), 1979).
    struct ActivityCalendar: Sendable {
        /// d for each hour of the week, local Monday 00:00 first.
        let weights: [Double]
        /// d / max d: the probability of keeping a candidate event.
        let acceptance: [Double]
        /// max d.
        let peak: Double
        /// cumulative[h] = Σ_{j<h} weights[j], so ∫ over a week is 168 hours.
        let cumulative: [Double]
        let utcOffsetSeconds: Int64

        static let hoursPerWeek = 168
        static let secondsPerWeek = Double(hoursPerWeek) * 3_600
        /// 1970-01-05T00:00:00Z, a Monday.
        static let mondayEpoch: Double = 4 * 86_400

        init(_ model: MessageStoreGenerator.ActivityModel) {
            var raw = [Double](repeating: 0, count: Self.hoursPerWeek)
            for day in 0..<7 {
                for hour in 0..<24 { raw[day * 24 + hour] = model.hourWeights[hour] * model.weekdayWeights[day] }
            }
            let mean = raw.reduce(0, +) / Double(Self.hoursPerWeek)
            let normalised = raw.map { $0 / mean }
            let peak = normalised.max() ?? 1
            weights = normalised
            self.peak = peak
            acceptance = normalised.map { $0 / peak }
            var running = 0.0
            var sums = [0.0]
            for w in normalised {
                running += w
                sums.append(running)
            }
            cumulative = sums
            utcOffsetSeconds = model.utcOffsetSeconds
        }

        /// Local hour of the week (0 = Monday 00:00–01:00) and seconds into that hour.
        @inline(__always)
        func position(_ t: Double) -> (week: Double, hour: Int, secondsIntoHour: Double) {
            let local = t + Double(utcOffsetSeconds) - Self.mondayEpoch
            let week = (local / Self.secondsPerWeek).rounded(.down)
            let within = local - week * Self.secondsPerWeek
            let hour = min(Self.hoursPerWeek - 1, max(0, Int(within / 3_600)))
            return (week, hour, within - Double(hour) * 3_600)
        }

        @inline(__always)
        func acceptanceProbability(at t: Double) -> Double {
            acceptance[position(t).hour]
        }

        /// ∫ d(τ) dτ from the reference Monday to t, in seconds; W(a, b) = integral(b) − integral(a).
        func integral(upTo t: Double) -> Double {
            let (week, hour, seconds) = position(t)
            return week * Self.secondsPerWeek + cumulative[hour] * 3_600 + seconds * weights[hour]
        }
    }

    /// One class profile flattened for the hot loop: plain numbers (no strings to retain), logarithms and
    /// reciprocals precomputed.
    struct RuntimeProfile: Sendable {
        let profile: MessageStoreGenerator.ClassProfile
        let kind: MessageStoreGenerator.Kind
        let messageMu: Double
        let messageSigma: Double
        let messageMaxBytes: Double
        let attachmentProbability: Double
        let attachmentMu: Double
        let attachmentSigma: Double
        let gapMu: Double
        let gapSigma: Double
        let inverseSessionExponent: Double
        let sessionMaxMessages: Int
        let meanSessionMessages: Double
        let readsPerMessage: Double

        init(_ profile: MessageStoreGenerator.ClassProfile) {
            self.profile = profile
            kind = profile.kind
            messageMu = log(profile.messageMedianBytes)
            messageSigma = profile.messageSigma
            messageMaxBytes = Double(profile.messageMaxBytes)
            attachmentProbability = profile.attachmentProbability
            attachmentMu = log(profile.attachmentMedianBytes)
            attachmentSigma = profile.attachmentSigma
            gapMu = log(profile.gapMedianSeconds)
            gapSigma = profile.gapSigma
            inverseSessionExponent = 1 / profile.sessionSizeExponent
            sessionMaxMessages = profile.sessionMaxMessages
            meanSessionMessages = profile.meanSessionMessages
            readsPerMessage = profile.readsPerMessage
        }
    }

    /// A conversation's fixed traits, drawn before any message.
    struct PlannedConversation: Sendable {
        var classIndex: Int
        var createdAt: Int64
        /// Writes happen in [activeFrom, activeUntil).
        var activeFrom: Double
        var activeUntil: Double
        /// Created inside the window: its first session starts at `createdAt`.
        var opensWithSession: Bool
        /// r^(−s) for its popularity rank r.
        var popularity: Double
        /// Sessions per second where d(t) = 1, after scaling to the message target.
        var sessionRate: Double
        /// Members (private, group), posters (channel) or the owner (mailbox), as indices into `GenerationPlan.members`.
        var memberStart: Int
        var memberCount: Int
    }

    /// Everything decided before the first message: classes, lifetimes, members, popularity and the rate
    /// scale that makes the expected total equal the message target.
    struct GenerationPlan: Sendable {
        let configuration: MessageStoreGenerator.Configuration
        let calendar: ActivityCalendar
        let profiles: [RuntimeProfile]
        let conversations: [PlannedConversation]
        /// User ids (1-based) of every conversation's members, concatenated.
        let members: [UInt32]
        let userCount: Int
        let correspondentCount: Int

        var classNames: [String] { profiles.map(\.profile.name) }

        /// Stream numbers: conversation i draws its traits from stream 3i, its writes from 3i + 1 and its
        /// reads from 3i + 2; the popularity permutation uses `popularityStream`.
        static func traitsStream(_ i: Int) -> UInt64 { 3 * UInt64(i) }
        static func writesStream(_ i: Int) -> UInt64 { 3 * UInt64(i) + 1 }
        static func readsStream(_ i: Int) -> UInt64 { 3 * UInt64(i) + 2 }
        static let popularityStream = UInt64.max

        init(_ configuration: MessageStoreGenerator.Configuration) {
            self.configuration = configuration
            let model = configuration.model
            let n = configuration.conversations
            calendar = ActivityCalendar(model)
            profiles = model.classes.map(RuntimeProfile.init)
            userCount = max(2, Int((Double(n) * model.usersPerConversation).rounded()))
            correspondentCount = max(1, Int((Double(n) * model.correspondentsPerConversation).rounded()))

            // Popularity ranks: a seeded Fisher–Yates permutation of 1…n, independent of class.
            var ranks = [Int32](repeating: 0, count: n)
            for i in 0..<n { ranks[i] = Int32(i + 1) }
            var shuffler = Xoshiro256StarStar(seed: configuration.seed, stream: Self.popularityStream)
            if n > 1 {
                for i in stride(from: n - 1, to: 0, by: -1) {
                    ranks.swapAt(i, shuffler.nextIndex(below: i + 1))
                }
            }

            let start = Double(configuration.startAt)
            let end = Double(configuration.endAt)
            var cumulativeShares: [Double] = []
            var running = 0.0
            for profile in model.classes {
                running += profile.share
                cumulativeShares.append(running)
            }

            var planned: [PlannedConversation] = []
            planned.reserveCapacity(n)
            var members: [UInt32] = []
            members.reserveCapacity(n * 3)
            for i in 0..<n {
                var rng = Xoshiro256StarStar(seed: configuration.seed, stream: Self.traitsStream(i))
                let u = rng.nextUnitDouble() * running
                let classIndex = cumulativeShares.firstIndex { u < $0 } ?? (cumulativeShares.count - 1)
                let profile = model.classes[classIndex]

                let createdAt: Int64
                let opens = rng.nextUnitDouble() < model.createdMidwayFraction
                if opens {
                    createdAt = configuration.startAt + Int64((rng.nextUnitDouble() * (end - start)).rounded(.down))
                } else {
                    let priorSeconds = model.priorLifetimeDays * Double(Units.secondsPerDay)
                    createdAt = configuration.startAt - Int64((rng.nextUnitDouble() * priorSeconds).rounded(.down))
                }
                let activeFrom = max(Double(createdAt), start)
                var activeUntil = end
                if rng.nextUnitDouble() < model.dormantFraction {
                    activeUntil = activeFrom + rng.nextUnitDouble() * (end - activeFrom)
                }

                let memberStart = members.count
                Self.drawMembers(
                    kind: profile.kind, extraMean: profile.extraMembersMean, users: userCount,
                    exponent: model.userPopularityExponent, rng: &rng, into: &members)
                planned.append(PlannedConversation(
                    classIndex: classIndex, createdAt: createdAt, activeFrom: activeFrom, activeUntil: activeUntil,
                    opensWithSession: opens, popularity: pow(Double(ranks[i]), -model.popularityExponent),
                    sessionRate: 0, memberStart: memberStart, memberCount: members.count - memberStart))
            }

            // Expected messages = Σ_c m_c · (K · popularity_c · W_c + [opens_c]), where m_c is the mean
            // session size of c's class and W_c = ∫ d(t) dt over c's active span. Solve for K.
            var weightedExposure = 0.0
            var openingMessages = 0.0
            for c in planned {
                let meanSession = profiles[c.classIndex].meanSessionMessages
                let span = max(0, calendar.integral(upTo: c.activeUntil) - calendar.integral(upTo: c.activeFrom))
                weightedExposure += meanSession * c.popularity * span
                if c.opensWithSession { openingMessages += meanSession }
            }
            let target = Double(configuration.expectedMessages)
            let scale = weightedExposure > 0 ? max(0, target - openingMessages) / weightedExposure : 0
            for i in planned.indices { planned[i].sessionRate = scale * planned[i].popularity }
            conversations = planned
            self.members = members
        }

        /// Appends a conversation's members: 2 for private, 3 + Geometric for groups (≤ 256), 1 +
        /// Geometric posters for channels (≤ 16), the owner for mailboxes. Users are drawn by a power law
        /// over popularity rank (user id = rank), distinct within a conversation.
        static func drawMembers(
            kind: MessageStoreGenerator.Kind, extraMean: Double, users: Int, exponent: Double,
            rng: inout Xoshiro256StarStar, into members: inout [UInt32]
        ) {
            let count: Int
            switch kind {
            case .private: count = 2
            case .mailbox: count = 1
            case .group: count = min(256, 3 + Self.geometric(mean: extraMean, rng: &rng))
            case .channel: count = min(16, 1 + Self.geometric(mean: extraMean, rng: &rng))
            }
            let first = members.count
            for _ in 0..<min(count, users) {
                var user = UInt32(rng.nextPowerLawRank(count: users, exponent: exponent))
                // Redraw a few times to keep members distinct; fall back to the next unused id.
                var attempts = 0
                while members[first...].contains(user) {
                    attempts += 1
                    user = attempts < 8
                        ? UInt32(rng.nextPowerLawRank(count: users, exponent: exponent))
                        : UInt32(user % UInt32(users) + 1)
                }
                members.append(user)
            }
        }

        static func geometric(mean: Double, rng: inout Xoshiro256StarStar) -> Int {
            mean <= 0 ? 0 : rng.nextGeometric(successProbability: 1 / (1 + mean))
        }

        /// Conversations per class name, over all shards.
        func conversationsByClass() -> [String: Int] {
            var counts: [String: Int] = [:]
            for c in conversations { counts[profiles[c.classIndex].profile.name, default: 0] += 1 }
            return counts
        }
    }
}
