import BackplanCore
import Testing
@testable import BackplanPlan

@Suite("Which snapshots retention keeps, forgets and erases")
struct RetentionSelectionTests {
    static let day: Int64 = 86_400

    /// A seeded history: snapshots at random gaps (minutes to weeks) over up to three years before `now`,
    /// under a retention made by the one rule from random whole-day limits, with a random verified snapshot.
    static func history(seed: UInt64) -> (DatasetPlan.Retention, [RetentionSnapshot], Int64, String?) {
        var rng = Xoshiro256StarStar(seed: seed)
        let hiDays = Int64(1 + rng.nextIndex(below: 1_200))
        let lo = Int64(rng.nextIndex(below: Int(hiDays * day) + 1))
        let r = DatasetPlan.Retention.rule(minimumSeconds: lo, maximumSeconds: hiDays * day, erase: rng.nextIndex(below: 2) == 0)
        let now: Int64 = 1_800_000_000
        var t = now - Int64(rng.nextIndex(below: Int(3 * 365 * day)))
        var snaps: [RetentionSnapshot] = []
        let count = rng.nextIndex(below: 300)
        for i in 0..<count where t <= now {
            snaps.append(RetentionSnapshot(id: "s\(i)", time: t))
            let scale: [Int64] = [600, 3_600, day, 7 * day]
            t += 1 + Int64(rng.nextIndex(below: Int(scale[rng.nextIndex(below: 4)])))
        }
        snaps.shuffle(using: &rng)
        let verified = snaps.isEmpty || rng.nextIndex(below: 3) == 0 ? nil : snaps[rng.nextIndex(below: snaps.count)].id
        return (r, snaps, now, verified)
    }

    @Test("Over 3000 seeded histories: a partition, the span covered, the verified kept, erasure complete", arguments: 0..<3_000)
    func properties(seed: Int) {
        let (r, snaps, now, verified) = Self.history(seed: UInt64(seed))
        let s = r.selection(of: snaps, now: now, lastVerified: verified)
        // Every snapshot lands in exactly one set.
        let ids = (s.keep + s.forget + s.erase).map(\.id)
        #expect(ids.count == snaps.count)
        #expect(Set(ids) == Set(snaps.map(\.id)))
        // Erasure removes exactly what passed the maximum.
        if let max = r.deleteAfterSeconds {
            #expect(s.erase.allSatisfy { now - $0.time > max })
            #expect(s.keep.allSatisfy { now - $0.time <= max })
            #expect(s.forget.allSatisfy { now - $0.time <= max })
        } else {
            #expect(s.erase.isEmpty)
        }
        let live = snaps.filter { s.erase.map(\.id).contains($0.id) == false }
        guard !live.isEmpty else { return }
        // The span is covered: a kept snapshot at or before now − span when any live one is, else the oldest.
        let boundary = now - r.spanSeconds
        let oldestKept = s.keep.map(\.time).min() ?? .max
        if live.contains(where: { $0.time <= boundary }) {
            #expect(oldestKept <= boundary)
        } else {
            #expect(oldestKept == live.map(\.time).min())
        }
        // The newest is kept, and the last verified unless erased.
        #expect(s.keep.contains { $0.time == live.map(\.time).max() })
        if let v = verified, live.contains(where: { $0.id == v }) { #expect(s.keep.contains { $0.id == v }) }
        // Thinning: at most one kept per day within the first week, besides the anchor, the verified and the newest.
        let recentKept = s.keep.filter { now - $0.time < 7 * Self.day && $0.id != verified }
        #expect(recentKept.count <= 7 + 2)
    }

    @Test("A daily snapshot for a year under a 35-day, erase-after-90-day rule keeps about 12 and erases 275")
    func dailyYear() {
        let r = DatasetPlan.Retention.rule(minimumSeconds: 35 * Self.day, maximumSeconds: 90 * Self.day, erase: true)
        let now: Int64 = 1_800_000_000
        let snaps = (0..<365).map { RetentionSnapshot(id: "d\($0)", time: now - Int64($0) * Self.day) }
        let s = r.selection(of: snaps, now: now, lastVerified: "d60")
        #expect(s.erase.count == 365 - 91)
        #expect(s.keep.contains { $0.id == "d60" })
        #expect(s.keep.contains { $0.id == "d35" })   // the anchor at the span's edge
        #expect(s.keep.count >= 7 && s.keep.count <= 15)
        // Applying the rule again to what it kept changes nothing.
        let again = r.selection(of: s.keep, now: now, lastVerified: "d60")
        #expect(again.keep == s.keep)
    }
}
