import BackplanCore
import Foundation
import GRDB

// Internal machinery of the generator, nested in `MessageStoreGenerator` to keep BackplanStore's
// namespace free for the importers.
extension MessageStoreGenerator {
    /// What one shard's simulation wrote.
    struct ShardCounts: Sendable {
        var messages = 0
        var reads = 0
        var messageBytes: Int64 = 0
        var messagesByClass: [Int]
        var firstMessageAt: Int64?
        var lastMessageAt: Int64?
    }

    /// A binary min-heap; small and specialised rather than a dependency.
    struct MinHeap<Element: Comparable> {
        private(set) var elements: [Element] = []

        var isEmpty: Bool { elements.isEmpty }
        var min: Element? { elements.first }

        mutating func insert(_ element: Element) {
            elements.append(element)
            var child = elements.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard elements[child] < elements[parent] else { break }
                elements.swapAt(child, parent)
                child = parent
            }
        }

        @discardableResult
        mutating func removeMin() -> Element? {
            guard let last = elements.popLast() else { return nil }
            guard !elements.isEmpty else { return last }
            let top = elements[0]
            elements[0] = last
            var parent = 0
            let count = elements.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                let right = left + 1
                let smaller = right < count && elements[right] < elements[left] ? right : left
                guard elements[smaller] < elements[parent] else { break }
                elements.swapAt(smaller, parent)
                parent = smaller
            }
            return top
        }
    }

    /// The next session start of one live conversation.
    struct SessionEvent: Comparable {
        var at: Double
        var slot: Int32

        static func < (a: Self, b: Self) -> Bool { a.at < b.at || (a.at == b.at && a.slot < b.slot) }
    }

    /// A message drawn but not yet written: messages are written in (sentAt, sequence) order.
    struct PendingMessage: Comparable {
        var sentAt: Int64
        var sequence: Int64
        var slot: Int32
        var sender: UInt32
        var sizeBytes: Int64
        var attachmentBytes: Int64

        static func < (a: Self, b: Self) -> Bool {
            a.sentAt < b.sentAt || (a.sentAt == b.sentAt && a.sequence < b.sequence)
        }
    }

    /// A conversation of this shard while it is being simulated.
    struct LiveConversation {
        let index: Int
        var writes: Xoshiro256StarStar
        var reads: Xoshiro256StarStar
    }

    /// Simulates the conversations of one shard and streams their rows into one SQLite file.
    ///
    /// Event-driven: a heap holds each conversation's next session start; the earliest is popped, its
    /// session's messages are drawn into a second heap, and every pending message sent before that start
    /// is written, reads included. Memory is O(conversations + messages of sessions in progress).
    struct ShardSimulation {
        let plan: GenerationPlan
        let shard: Int
        /// Hoisted out of `plan` for the hot loop.
        private let readAge: MessageStoreGenerator.ReadAgeModel
        private let userPopularityExponent: Double

        init(plan: GenerationPlan, shard: Int) {
            self.plan = plan
            self.shard = shard
            readAge = plan.configuration.model.readAge
            userPopularityExponent = plan.configuration.model.userPopularityExponent
        }

        /// A private conversation's next message comes from the other member with this probability.
        static let privateReplyProbability = 0.6
        /// A private message is read by the other member with this probability, else by its sender.
        static let privateReadByOtherProbability = 0.9
        /// Share of a mailbox's messages sent by its owner (the sent folder).
        static let mailboxOwnerSendFraction = 0.2
        /// Distinct correspondents a mailbox draws from, by a power law of exponent 1.
        static let correspondentsPerMailbox = 200
        /// Attempts to move a read off the night by rejection before keeping it where it fell.
        static let readTimeAttempts = 4
        /// Attachments are capped at 2 GiB.
        static let attachmentMaxBytes: Double = 2_147_483_648
        static let progressInterval = 1 << 17

        func run(path: String, indexMessages: Bool, progress: (_ messages: Int, _ reads: Int) -> Void) throws -> ShardCounts {
            var databaseConfiguration = GRDB.Configuration()
            databaseConfiguration.label = "BackplanStore.MessageStoreGenerator"
            let queue = try DatabaseQueue(path: path, configuration: databaseConfiguration)
            let counts = try queue.writeWithoutTransaction { db -> ShardCounts in
                // Nothing to recover if generation fails: the partial file is deleted.
                try db.execute(sql: """
                    PRAGMA journal_mode = OFF;
                    PRAGMA synchronous = OFF;
                    PRAGMA locking_mode = EXCLUSIVE;
                    PRAGMA cache_size = -65536;
                    PRAGMA temp_store = MEMORY;
                    """)
                try db.execute(sql: MessageStoreSchema.create)
                var counts = ShardCounts(messagesByClass: Array(repeating: 0, count: plan.profiles.count))
                try db.inTransaction {
                    let writer = try MessageStoreWriter(
                        db, conversations: plan.configuration.conversations, users: plan.userCount,
                        correspondents: plan.correspondentCount)
                    counts = try simulate(writer: writer, progress: progress)
                    try writer.finish()
                    return .commit
                }
                if indexMessages { try db.execute(sql: MessageStoreSchema.messagesIndex) }
                return counts
            }
            try queue.close()
            return counts
        }

        private func simulate(writer: MessageStoreWriter, progress: (Int, Int) -> Void) throws -> ShardCounts {
            let configuration = plan.configuration
            let seed = configuration.seed
            let endAt = configuration.endAt
            var counts = ShardCounts(messagesByClass: Array(repeating: 0, count: plan.profiles.count))

            var live: [LiveConversation] = []
            var sessions = MinHeap<SessionEvent>()
            for i in stride(from: shard, to: plan.conversations.count, by: configuration.shards) {
                let planned = plan.conversations[i]
                let profile = plan.profiles[planned.classIndex].profile
                try writer.conversation(
                    index: i, kind: profile.kind.rawValue, createdAt: planned.createdAt, className: profile.name)
                var conversation = LiveConversation(
                    index: i,
                    writes: Xoshiro256StarStar(seed: seed, stream: GenerationPlan.writesStream(i)),
                    reads: Xoshiro256StarStar(seed: seed, stream: GenerationPlan.readsStream(i)))
                let first = planned.opensWithSession
                    ? Double(planned.createdAt)
                    : nextSessionStart(after: planned.activeFrom, planned, &conversation.writes)
                if let first { sessions.insert(SessionEvent(at: first, slot: Int32(live.count))) }
                live.append(conversation)
            }

            var pending = MinHeap<PendingMessage>()
            var sequence: Int64 = 0
            var nextID: Int64 = 1
            var nextProgress = Self.progressInterval

            func flush(through limit: Int64) throws {
                while let message = pending.min, message.sentAt <= limit {
                    pending.removeMin()
                    try emit(message, id: nextID, live: &live, writer: writer, counts: &counts)
                    nextID += 1
                    if counts.messages >= nextProgress {
                        progress(counts.messages, counts.reads)
                        nextProgress += Self.progressInterval
                    }
                }
            }

            while let event = sessions.removeMin() {
                let start = Int64(event.at.rounded(.down))
                try flush(through: start)
                let slot = Int(event.slot)
                let planned = plan.conversations[live[slot].index]
                drawSession(at: event.at, slot: slot, planned, live: &live, endAt: endAt, sequence: &sequence, into: &pending)
                if let next = nextSessionStart(after: event.at, planned, &live[slot].writes) {
                    sessions.insert(SessionEvent(at: next, slot: event.slot))
                }
            }
            try flush(through: .max)
            progress(counts.messages, counts.reads)
            return counts
        }

        /// The next accepted start of the thinned Poisson process after `t`, or nil past the active span.
        private func nextSessionStart(
            after t: Double, _ planned: PlannedConversation, _ rng: inout Xoshiro256StarStar
        ) -> Double? {
            let peakRate = planned.sessionRate * plan.calendar.peak
            guard peakRate > 0 else { return nil }
            var candidate = t
            while true {
                candidate += rng.nextExponential(rate: peakRate)
                if candidate >= planned.activeUntil { return nil }
                if rng.nextUnitDouble() < plan.calendar.acceptanceProbability(at: candidate) { return candidate }
            }
        }

        /// Draws one session: N messages (capped power law), lognormal gaps, senders by kind, sizes.
        private func drawSession(
            at start: Double, slot: Int, _ planned: PlannedConversation, live: inout [LiveConversation],
            endAt: Int64, sequence: inout Int64, into pending: inout MinHeap<PendingMessage>
        ) {
            let profile = plan.profiles[planned.classIndex]
            let members = plan.members[planned.memberStart..<(planned.memberStart + planned.memberCount)]
            var rng = live[slot].writes
            defer { live[slot].writes = rng }

            let drawn = pow(rng.nextPositiveUnitDouble(), -profile.inverseSessionExponent)
            let size = drawn >= Double(profile.sessionMaxMessages) ? profile.sessionMaxMessages : Int(drawn)
            var t = start
            var senderIndex = members.count > 1 ? rng.nextIndex(below: members.count) : 0
            for j in 0..<size {
                if j > 0 { t += max(1, rng.nextLognormal(mu: profile.gapMu, sigma: profile.gapSigma)) }
                let sentAt = Int64(t.rounded(.down))
                if sentAt >= endAt { break }

                let sender: UInt32
                switch profile.kind {
                case .private:
                    if j > 0 && rng.nextUnitDouble() < Self.privateReplyProbability { senderIndex = 1 - senderIndex }
                    sender = members[members.startIndex + senderIndex]
                case .group, .channel:
                    sender = members[members.startIndex + rng.nextPowerLawRank(count: members.count, exponent: 1) - 1]
                case .mailbox:
                    if rng.nextUnitDouble() < Self.mailboxOwnerSendFraction {
                        sender = members[members.startIndex]
                    } else {
                        let rank = rng.nextPowerLawRank(count: Self.correspondentsPerMailbox, exponent: 1)
                        let hashed = SplitMix64.mix(UInt64(live[slot].index) << 20 | UInt64(rank))
                        sender = Participant.correspondentFlag | UInt32(1 + hashed % UInt64(plan.correspondentCount))
                    }
                }
                let text = rng.nextLognormal(mu: profile.messageMu, sigma: profile.messageSigma)
                let sizeBytes = Int64(min(profile.messageMaxBytes, max(1, text.rounded())))
                var attachmentBytes: Int64 = 0
                if rng.nextUnitDouble() < profile.attachmentProbability {
                    let attachment = rng.nextLognormal(mu: profile.attachmentMu, sigma: profile.attachmentSigma)
                    attachmentBytes = Int64(min(Self.attachmentMaxBytes, max(1, attachment.rounded())))
                }
                pending.insert(PendingMessage(
                    sentAt: sentAt, sequence: sequence, slot: Int32(slot), sender: sender,
                    sizeBytes: sizeBytes, attachmentBytes: attachmentBytes))
                sequence += 1
            }
        }

        /// Writes one message and its reads: Poisson(readsPerMessage) views at ages from the read-age
        /// model, nudged off the night by rejection against the daily cycle, dropped past the window.
        private func emit(
            _ message: PendingMessage, id: Int64, live: inout [LiveConversation], writer: MessageStoreWriter,
            counts: inout ShardCounts
        ) throws {
            let slot = Int(message.slot)
            let index = live[slot].index
            let planned = plan.conversations[index]
            let profile = plan.profiles[planned.classIndex]
            try writer.message(
                id: id, conversation: index, sender: message.sender, sentAt: message.sentAt,
                sizeBytes: message.sizeBytes, attachmentBytes: message.attachmentBytes)
            let bytes = message.sizeBytes + message.attachmentBytes
            counts.messages += 1
            counts.messageBytes += bytes
            counts.messagesByClass[planned.classIndex] += 1
            counts.firstMessageAt = min(counts.firstMessageAt ?? message.sentAt, message.sentAt)
            counts.lastMessageAt = max(counts.lastMessageAt ?? message.sentAt, message.sentAt)

            var rng = live[slot].reads
            defer { live[slot].reads = rng }
            let readCount = rng.nextPoisson(mean: profile.readsPerMessage)
            guard readCount > 0 else { return }
            let members = plan.members[planned.memberStart..<(planned.memberStart + planned.memberCount)]
            let endAt = Double(plan.configuration.endAt)
            let sentAt = Double(message.sentAt)
            for _ in 0..<readCount {
                var readAt = sentAt
                for attempt in 1...Self.readTimeAttempts {
                    readAt = sentAt + readAge.sampleAgeSeconds(using: &rng)
                    if attempt == Self.readTimeAttempts
                        || rng.nextUnitDouble() < plan.calendar.acceptanceProbability(at: readAt) { break }
                }
                guard readAt < endAt else { continue }
                let reader: UInt32
                switch profile.kind {
                case .private:
                    let other = members.first { $0 != message.sender } ?? message.sender
                    reader = rng.nextUnitDouble() < Self.privateReadByOtherProbability ? other : message.sender
                case .group:
                    var pick = members[members.startIndex + rng.nextIndex(below: members.count)]
                    if pick == message.sender && members.count > 1 {
                        pick = members[members.startIndex + rng.nextIndex(below: members.count)]
                    }
                    reader = pick
                case .channel:
                    reader = UInt32(rng.nextPowerLawRank(
                        count: plan.userCount, exponent: userPopularityExponent))
                case .mailbox:
                    reader = members[members.startIndex]
                }
                try writer.read(
                    conversation: index, reader: reader, readAt: Int64(readAt.rounded(.down)), bytes: bytes)
                counts.reads += 1
            }
        }
    }
}
