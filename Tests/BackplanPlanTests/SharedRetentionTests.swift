import BackplanCore
import Testing
@testable import BackplanPlan

/// Retention over snapshots several datasets share (the executor's one snapshot per round, repository,
/// retention and host): simulated day by day, every dataset must still get what the one rule promises it alone.
@Suite("Retention over shared snapshots")
struct SharedRetentionTests {
    static let day: Int64 = 86_400

    /// A seeded simulation: 2–6 datasets under one retention (made by the one rule from random limits); every
    /// round (gaps of an hour to two weeks) a random subset changed and went into one new shared snapshot;
    /// retention runs after each round and its forgets and erasures are applied. Some rounds a random
    /// dataset's snapshot becomes its last verified. Checks, after every round, for every dataset:
    /// the span covered (a kept snapshot of it at or before `now − span` whenever it had a live one there
    /// before), its newest and last verified kept, nothing of it past the maximum, and a snapshot kept only
    /// while some member's own selection keeps it.
    @Test("Over 400 seeded simulations of shared snapshots: every dataset's span, newest, verified kept; erasure complete",
          arguments: 0..<400)
    func simulated(seed: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(seed))
        let hiDays = Int64(2 + rng.nextIndex(below: 400))
        let lo = Int64(rng.nextIndex(below: Int(hiDays * Self.day) + 1))
        let r = DatasetPlan.Retention.rule(minimumSeconds: lo, maximumSeconds: hiDays * Self.day, erase: rng.nextIndex(below: 2) == 0)
        let datasets = (0..<(2 + rng.nextIndex(below: 5))).map { "c\($0)" }
        let retentions = Dictionary(uniqueKeysWithValues: datasets.map { ($0, r) })
        var live: [SharedSnapshot] = []
        var verified: [String: String] = [:]
        var now: Int64 = 1_800_000_000
        for round in 0..<(40 + rng.nextIndex(below: 160)) {
            let changed = datasets.filter { _ in rng.nextIndex(below: 3) > 0 }
            if !changed.isEmpty { live.append(SharedSnapshot(id: "s\(round)", time: now, members: changed)) }
            if rng.nextIndex(below: 10) == 0, let s = live.randomElement(using: &rng), let m = s.members.first {
                verified[m] = s.id
            }
            let before = live
            let d = DatasetPlan.Retention.sharedSelection(of: live, retentions: retentions, lastVerified: verified, now: now)
            // A partition of the snapshots.
            #expect(Set(d.keep + d.forget + d.erase) == Set(live.map(\.id)) && d.keep.count + d.forget.count + d.erase.count == live.count)
            live = live.filter { d.keep.contains($0.id) }
            for m in datasets {
                let had = before.filter { $0.members.contains(m) }
                let has = live.filter { $0.members.contains(m) }
                let notErased = had.filter { s in r.deleteAfterSeconds.map { now - s.time <= $0 } ?? true }
                if let max = r.deleteAfterSeconds { #expect(has.allSatisfy { now - $0.time <= max }, "seed \(seed): erasure") }
                guard !notErased.isEmpty else { continue }
                let boundary = now - r.spanSeconds
                if notErased.contains(where: { $0.time <= boundary }) {
                    #expect(has.contains { $0.time <= boundary }, "seed \(seed) round \(round) \(m): the span")
                } else {
                    #expect(has.map(\.time).min() == notErased.map(\.time).min(), "seed \(seed): the oldest kept")
                }
                #expect(has.map(\.time).max() == notErased.map(\.time).max(), "seed \(seed): the newest")
                if let v = verified[m], notErased.contains(where: { $0.id == v }) { #expect(has.contains { $0.id == v }, "seed \(seed): verified") }
            }
            // Nothing kept that no member's own selection keeps.
            for s in live {
                let keptBySomeone = s.members.contains { m in
                    let own = before.filter { $0.members.contains(m) }.map { RetentionSnapshot(id: $0.id, time: $0.time) }
                    return r.selection(of: own, now: now, lastVerified: verified[m]).keep.contains { $0.id == s.id }
                }
                #expect(keptBySomeone, "seed \(seed): \(s.id) kept for no one")
            }
            let scale: [Int64] = [3_600, Self.day, 7 * Self.day]
            now += 3_600 + Int64(rng.nextIndex(below: Int(scale[rng.nextIndex(below: 3)])))
        }
    }

    @Test("A member the run does not manage (another schedule group's, or out of the plan) keeps the snapshot; erasure still wins")
    func unmanagedMember() {
        let r = DatasetPlan.Retention.rule(minimumSeconds: 7 * Self.day, maximumSeconds: 30 * Self.day, erase: true)
        let now: Int64 = 1_800_000_000
        let snaps = [
            SharedSnapshot(id: "old", time: now - 40 * Self.day, members: ["a", "x"]),
            SharedSnapshot(id: "mid", time: now - 20 * Self.day, members: ["a", "x"]),
            SharedSnapshot(id: "mid2", time: now - 19 * Self.day, members: ["a"]),
            SharedSnapshot(id: "new", time: now - Self.day, members: ["a"]),
        ]
        let d = DatasetPlan.Retention.sharedSelection(of: snaps, retentions: ["a": r], lastVerified: [:], now: now)
        #expect(d.erase == ["old"], "past the 30-day maximum, whoever else is in it")
        #expect(d.keep.contains("mid"), "x is not managed here: kept")
        #expect(d.forget == ["mid2"] || d.keep.contains("mid2"))
        #expect(d.keep.contains("new"))
        let managed = DatasetPlan.Retention.sharedSelection(of: snaps, retentions: ["a": r, "x": r], lastVerified: [:], now: now)
        #expect(managed.erase == ["old"])
        #expect(managed.keep.contains("mid"), "x's only live snapshot, its newest")
    }

    @Test("Sharing keys: equal exactly for equal erasure duties, whatever the spans and keep counts")
    func sharingKeys() {
        let a = DatasetPlan.Retention.rule(minimumSeconds: 35 * Self.day, maximumSeconds: 90 * Self.day, erase: true)
        let b = DatasetPlan.Retention.rule(minimumSeconds: 35 * Self.day, maximumSeconds: 90 * Self.day, erase: false)
        let c = DatasetPlan.Retention.rule(minimumSeconds: 35 * Self.day, maximumSeconds: 90 * Self.day, erase: true)
        let d = DatasetPlan.Retention.rule(minimumSeconds: 30 * Self.day, maximumSeconds: 365 * Self.day, erase: false)
        let e = DatasetPlan.Retention.rule(minimumSeconds: 60 * Self.day, maximumSeconds: 120 * Self.day, erase: true)
        #expect(a.sharingKey == c.sharingKey)
        #expect(a.sharingKey != b.sharingKey, "one erases, the other does not")
        #expect(b.sharingKey == d.sharingKey, "neither erases: they may share snapshots")
        #expect(a.sharingKey != e.sharingKey, "different legal maxima")
    }

    @Test("Members of different spans in shared snapshots: each keeps at least its own selection, none loses its span")
    func mixedSpans() {
        let short = DatasetPlan.Retention.rule(minimumSeconds: 30 * Self.day, maximumSeconds: 365 * Self.day, erase: false)
        let long = DatasetPlan.Retention.rule(minimumSeconds: 365 * Self.day, maximumSeconds: 730 * Self.day, erase: false)
        #expect(short.sharingKey == long.sharingKey)
        let now: Int64 = 800 * Self.day
        // A daily snapshot for 400 days; "s" is in every one, "l" in every other one.
        let snaps = (0..<400).map { i in
            SharedSnapshot(id: "d\(i)", time: now - Int64(i) * Self.day - 3600, members: i % 2 == 0 ? ["s", "l"] : ["s"])
        }
        let both = DatasetPlan.Retention.sharedSelection(of: snaps, retentions: ["s": short, "l": long], lastVerified: [:], now: now)
        // s's own selection, as if it had snapshots of its own.
        let alone = short.selection(of: snaps.map { RetentionSnapshot(id: $0.id, time: $0.time) }, now: now, lastVerified: nil)
        #expect(Set(both.keep).isSuperset(of: Set(alone.keep.map(\.id))), "sharing never keeps fewer for s")
        #expect(both.erase.isEmpty)
        for (member, rule) in [("s", short), ("l", long)] {
            let kept = snaps.filter { both.keep.contains($0.id) && $0.members.contains(member) }
            let oldest = kept.map(\.time).min() ?? now
            #expect(oldest <= now - rule.spanSeconds, "\(member)'s span is covered")
        }
        #expect(both.keep.count > alone.keep.count, "l's span keeps some of s's older snapshots")
    }
}
