import BackplanCore
import BackplanPlanner
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanSimulator

@Suite("Tier frontier: Backplan's tier schedules billed object by object")
struct TierScheduleBillingTests {
    typealias T = TierFrontierTests

    static func schedule(_ steps: [(Double, Int)], min: Double = 131_072) -> TierFrontier.Schedule {
        .init(steps: steps.map { .init(ageSeconds: $0.0 * 86_400, tier: $0.1) }, minObjectBytes: min)
    }

    @Test("A one-step schedule bills as that single tier; old objects move at the cut, charged", arguments: [UInt64(3), 4])
    func singleStepIsFixed(seed: UInt64) throws {
        let (writes, reads) = T.random(seed: seed)
        let tf = TierFrontier(frontier: try Frontier(log: writes, split: 0.6), reads: reads, bytesPerRead: ["a": 3 * T.mib],
                              catalog: try T.catalog())
        let hot = tf.scheduled(0, Self.schedule([(0, 0)])), fixed = tf.fixed(0, tier: 0)
        #expect(abs(hot.total - fixed.total) <= 1e-12 * fixed.total)
        // 100 objects of 1 MiB written long before the cut, never read: "standard-ia after 30 days" moves them all
        // at the cut (a transition request each) and keeps them there: the bill of Standard-IA for the window.
        let t0: Int64 = 1_704_067_200
        let a: [(Int64, Int64)] = (0..<100).map { (t0 + Int64($0) * 60, Int64(T.mib)) }
        let old = TierFrontier(frontier: try Frontier(log: T.log([("a", a), ("z", [(t0, 1), (t0 + 250 * 86_400, 1)])]), split: 0.6),
                               reads: WriteLog([]), bytesPerRead: [:], catalog: try T.catalog())
        let ia = old.scheduled(0, Self.schedule([(0, 0), (30, 1)])), fixedIA = old.fixed(0, tier: 1)
        #expect(abs(ia.total - fixedIA.total) <= 1e-12 * fixedIA.total)
        #expect(abs(ia.transitions - 100 * 0.01 / 1_000) < 1e-15)
        // Objects under the minimum never move: with a 2 MiB minimum the schedule is all-hot.
        let small = old.scheduled(0, Self.schedule([(0, 0), (30, 1)], min: 2 * T.mib))
        #expect(abs(small.total - old.fixed(0, tier: 0).total) <= 1e-12 * small.total && small.transitions == 0)
    }

    @Test("Objects moved at the cut and leaving Standard-IA before 30 days pay the early-deletion rest")
    func earlyDeletionAfterCut() throws {
        // 10 objects of 1 MiB written 20 days before the cut under "standard-ia after 10, glacier-ir after 40":
        // moved to Standard-IA at the cut, they reach 40 days 20 days later and leave it 10 days early.
        let t0: Int64 = 1_704_067_200
        let end = t0 + 100 * 86_400
        let cut = Double(t0) + 0.6 * Double(end - t0)
        let w = Int64(cut) - 20 * 86_400
        let a: [(Int64, Int64)] = (0..<10).map { (w + Int64($0), Int64(T.mib)) }
        let tf = TierFrontier(frontier: try Frontier(log: T.log([("a", a), ("z", [(t0, 1), (end, 1)])]), split: 0.6), reads: WriteLog([]),
                              bytesPerRead: [:], catalog: try T.catalog())
        let bill = tf.scheduled(0, Self.schedule([(0, 0), (10, 1), (40, 2)]))
        #expect(abs(bill.transitions - 10 * (0.01 + 0.02) / 1_000) < 1e-15)
        // Held on Standard-IA from the cut to the day it crossed (whole days of the replay): about 20 days, so
        // about 10 days of its storage are charged.
        let tenDays = 10 * T.mib / T.gib * 0.0125 * 10 * 86_400 / T.month
        #expect(bill.earlyDeletion > 0.8 * tenDays && bill.earlyDeletion < 1.2 * tenDays, "\(bill.earlyDeletion) vs \(tenDays)")
    }
}
