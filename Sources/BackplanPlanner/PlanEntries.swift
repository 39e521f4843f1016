import BackplanCore
import BackplanPlan
import Foundation

/// The plan's entries, once the multipliers are known: each dataset's chosen option, its runner-up and what
/// decided, with the full cost breakdowns.
extension Planner {
    /// The strings and lists the entries share (tier names, reasons, per class its name, policy, retention rules
    /// and copies per tier). Each chunk of entries is built with its own ``copy()``: the entries then hold
    /// references to their chunk's storage, and the reference counting while building them stays on one core
    /// instead of every core updating the same counters.
    struct EntryText: Sendable {
        struct Class: Sendable {
            var name: String
            var policy: ClassPolicy
            var retention: DatasetPlan.Retention
            var retentionDays: Double
            var byRPO: String
            /// Why the tiers the class RTO excluded (a bit set) did not matter.
            var byRTO: [(excluded: UInt64, reason: String)]
            /// Per backup tier, the copies.
            var copies: [[DatasetPlan.Copy]]
        }

        var tierNames: [String]
        var byBudget, byWindow, byPrice: String
        var classes: [Class]

        /// The same text in storage of its own.
        func copy() -> EntryText {
            func own(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }
            return EntryText(
                tierNames: tierNames.map(own), byBudget: own(byBudget), byWindow: own(byWindow), byPrice: own(byPrice),
                classes: classes.map { c in
                    var policy = c.policy
                    policy.allowedTiers = policy.allowedTiers?.map(own)
                    var retention = c.retention
                    retention.restic = own(retention.restic)
                    return Class(name: own(c.name), policy: policy, retention: retention, retentionDays: c.retentionDays,
                                 byRPO: own(c.byRPO), byRTO: c.byRTO.map { ($0.excluded, own($0.reason)) },
                                 copies: c.copies.map { $0.map { DatasetPlan.Copy(tier: own($0.tier), region: own($0.region), offline: $0.offline) } })
                })
        }
    }

    /// What the plan's totals sum over its entries: the chosen options' monthly dollars, exposed writes and
    /// backup bytes per day, backups per day, and the entries per backup tier and per data tier.
    struct EntrySums: Sendable {
        var cost = CostBreakdown()
        var backupsPerDay = 0.0
        var backupTiers: [Int]
        var dataTiers: [Int]

        init(tiers: Int) {
            backupTiers = [Int](repeating: 0, count: tiers)
            dataTiers = backupTiers
        }

        mutating func add(_ chosen: DatasetPlan.Option, backupBytesPerDay: Double, backupsPerDay: Double, backupTier: Int, dataTier: Int) {
            let m = chosen.monthlyDollars
            cost.storage += m.storage
            cost.operations += m.operations
            cost.retrieval += m.retrieval
            cost.expectedLoss += m.expectedLoss
            cost.downtime += m.downtime
            cost.transitions += m.transitions ?? 0
            cost.earlyDeletion += m.earlyDeletion ?? 0
            cost.monitoring += m.monitoring ?? 0
            cost.exposedWrites += chosen.exposedWrites
            cost.backupBytesPerDay += backupBytesPerDay
            self.backupsPerDay += backupsPerDay
            backupTiers[backupTier] += 1
            dataTiers[dataTier] += 1
        }

        mutating func add(_ other: EntrySums) {
            cost = cost + other.cost
            backupsPerDay += other.backupsPerDay
            for t in backupTiers.indices {
                backupTiers[t] += other.backupTiers[t]
                dataTiers[t] += other.dataTiers[t]
            }
        }
    }

    /// The plan entries, and the sums the totals need (each chunk's, added in chunk order). Built on all cores
    /// into one array (each chunk initialises its own slots); every shared string and copies list is made once
    /// beforehand, so entries share their storage.
    func buildEntries(_ forecasts: NameOrdered, _ prepared: [Prepared], _ blocks: [OptionBlock], classes: [ClassInfo],
                              mu: Double, nu: Double) -> ([DatasetPlan], EntrySums) {
        let catalog = model.catalog
        let tierNames = catalog.tiers.map(\.name)
        var byRTO = [[(excluded: UInt64, reason: String)]](repeating: [], count: classes.count)
        let chunks = blocks.count
        let n = prepared.count
        // Entries before each chunk's first: the chunks write disjoint slots.
        var firstEntry = [Int](repeating: 0, count: chunks + 1)
        for c in 0..<chunks {
            var planned = 0
            for i in Parallel.chunk(c, of: chunks, n) where prepared[i].options > 0 {
                planned += 1
                let p = prepared[i]
                let k = Int(p.classIndex)
                if p.rtoExcluded != 0 && !byRTO[k].contains(where: { $0.excluded == p.rtoExcluded }) {
                    let names = catalog.tiers.indices.filter { p.rtoExcluded & (1 << UInt64($0)) != 0 }.map { tierNames[$0] }
                    byRTO[k].append((p.rtoExcluded, "price, among the tiers that meet the class RTO "
                        + "(\(DurationText.format(classes[k].policy.rtoMaxSeconds)); excluded: \(names.joined(separator: ", ")))"))
                }
            }
            firstEntry[c + 1] = firstEntry[c] + planned
        }
        let entryStarts = firstEntry
        let text = EntryText(
            tierNames: tierNames,
            byBudget: mu >= Self.unholdableMultiplier
                ? "the budget, which cannot hold at any price: every dataset takes its least-spend option (no shadow price)"
                : "the budget: its shadow price \(Self.short(mu)) moved this dataset off its cheapest option",
            byWindow: nu >= Self.unholdableMultiplier
                ? "the backup window, which cannot hold at any price: every dataset takes its least-bytes option (no shadow price)"
                : "the backup window: its shadow price \(Self.short(nu)) $/(byte/day) moved this dataset off its cheapest option",
            byPrice: "price: the lowest expected monthly cost (storage and operations against expected loss and downtime)",
            classes: classes.indices.map { k in
                let info = classes[k], c = info.policy
                return EntryText.Class(
                    name: info.name, policy: c, retention: info.retention, retentionDays: info.retentionDays,
                    byRPO: "the class RPO (\(DurationText.format(c.rpoMaxSeconds))): a longer interval would cost less",
                    byRTO: byRTO[k],
                    copies: tierNames.indices.map { tier in
                        (0..<c.copies).map { n in
                            let offline = n >= c.copies - c.offlineCopies
                            return DatasetPlan.Copy(tier: offline ? model.offlineTier.map { tierNames[$0] } ?? tierNames[tier] : tierNames[tier],
                                                    region: "region-\(min(n, c.regions - 1) + 1)", offline: offline)
                        }
                    })
            })
        let hasBytes = model.policy.backupWindowBytesPerDay != nil

        /// The entry of dataset `i`, whose options are `block`'s from `offset`, with the chunk's copy of the text.
        @Sendable func entry(_ i: Int, _ block: OptionBlock, _ offset: Int, _ text: EntryText,
                             _ classText: UnsafeBufferPointer<EntryText.Class>, _ sums: inout EntrySums) -> DatasetPlan {
            let p = prepared[i]
            let d = forecasts[i]
            // Read in place: copying the class's text would count references to all of it.
            let info = classText.baseAddress! + Int(p.classIndex)
            let c = info.pointee.policy
            let tierNames = text.tierNames
            func candidate(_ j: Int) -> Candidate {
                Candidate(interval: block.interval[offset + j], tier: Int(block.tier[offset + j]), spend: block.spend[offset + j],
                          risk: block.risk[offset + j], bytes: hasBytes ? block.bytes[offset + j] : 0)
            }
            func bestContender(_ mu: Double, _ nu: Double) -> Int {
                var k = 0
                var v = Double.infinity
                for j in 0..<Int(p.contenders) {
                    let x = Self.objective(candidate(j), mu, nu)
                    if x < v { v = x; k = j }
                }
                return k
            }
            let k = bestContender(mu, nu)
            let chosen = candidate(k)
            let unconstrained = bestContender(0, 0)
            var runnerUp: Candidate?
            for j in 0..<Int(p.options) where j != k {
                let other = candidate(j)
                if runnerUp == nil || Self.objective(other, mu, nu) < Self.objective(runnerUp!, mu, nu) { runnerUp = other }
            }
            let decided: String
            if k != unconstrained {
                decided = nu > 0 && candidate(unconstrained).bytes > chosen.bytes ? text.byWindow : text.byBudget
            } else if p.rpoCapped && chosen.interval >= Double(c.rpoMaxSeconds) {
                decided = info.pointee.byRPO
            } else if p.rtoExcluded != 0, let s = info.pointee.byRTO.first(where: { $0.excluded == p.rtoExcluded }) {
                decided = s.reason
            } else {
                decided = text.byPrice
            }
            let dataTier = Int(p.dataTier)
            let data = model.dataChoice(d, tiers: classes[Int(p.classIndex)].dataTiers)
            let dataCost = data?.cost ?? model.dataCost(d, tier: dataTier)
            let tiering = data?.choice
            func option(_ o: Candidate) -> (DatasetPlan.Option, CostBreakdown) {
                let cost = model.backupCost(d, policy: c, intervalSeconds: o.interval, tier: o.tier, retentionDays: info.pointee.retentionDays)
                return (DatasetPlan.Option(
                    intervalSeconds: Int64(o.interval.rounded()), backupTier: tierNames[o.tier], dataTier: tierNames[dataTier],
                    monthlyDollars: .init(cost + dataCost), exposedWrites: cost.exposedWrites, restoreSeconds: cost.restoreSeconds), cost)
            }
            let (chosenOption, chosenCost) = option(chosen)
            let interval = Int64(chosen.interval.rounded())
            let plan = DatasetPlan(
                id: d.name, class: info.pointee.name, location: d.name,
                schedule: .init(
                    intervalSeconds: interval,
                    timeOfDaySeconds: interval >= 86_400 ? d.busiestBlockEndSeconds : nil,
                    quietSeconds: interval > Self.quietTriggerSeconds && (d.meanSessionSeconds ?? .infinity) < Double(interval) ? Self.quietTriggerSeconds : nil,
                    maxDirtyWrites: nil, rpoSeconds: c.rpoMaxSeconds, fullEverySeconds: nil),
                backupTier: tierNames[chosen.tier], dataTier: tierNames[dataTier],
                copies: info.pointee.copies[chosen.tier], retention: info.pointee.retention, encrypt: c.encrypt,
                why: .init(
                    forecast: .init(sizeBytes: d.sizeBytes, writesPerDay: d.writesPerDay, readsPerDay: d.readsPerDay,
                                    meanSessionSeconds: d.meanSessionSeconds, meanQuietGapSeconds: d.meanQuietGapSeconds),
                    chosen: chosenOption, runnerUp: runnerUp.map { option($0).0 }, decidedBy: decided, dataTiering: tiering),
                dataSchedule: tiering.flatMap { $0.chosen.isSingleTier ? nil : $0.chosen })
            let backups = 86_400 / chosen.interval * -expm1(-max(0, d.writesPerDay) / 86_400 * chosen.interval)
            sums.add(chosenOption, backupBytesPerDay: chosenCost.backupBytesPerDay, backupsPerDay: backups,
                     backupTier: chosen.tier, dataTier: dataTier)
            return plan
        }

        let m = entryStarts[chunks]
        let tierCount = catalog.tiers.count
        var sums = [EntrySums](repeating: EntrySums(tiers: tierCount), count: chunks)
        let entries = [DatasetPlan](unsafeUninitializedCapacity: m) { buffer, initialized in
            sums.withUnsafeMutableBufferPointer { sums in
                Parallel.forEachChunk(chunks) { chunk in
                    let block = blocks[chunk]
                    let chunkText = text.copy()
                    var chunkSums = EntrySums(tiers: tierCount)
                    var j = entryStarts[chunk]
                    var offset = 0
                    chunkText.classes.withUnsafeBufferPointer { classText in
                        for i in Parallel.chunk(chunk, of: chunks, n) where prepared[i].options > 0 {
                            (buffer.baseAddress! + j).initialize(to: entry(i, block, offset, chunkText, classText, &chunkSums))
                            j += 1
                            offset += Int(prepared[i].options)
                        }
                    }
                    sums[chunk] = chunkSums
                }
            }
            initialized = m
        }
        var total = EntrySums(tiers: tierCount)
        for s in sums { total.add(s) }
        return (entries, total)
    }
}

extension Planner {
    /// The multiplier the limit search gives up at: a limit that still does not hold at this price cannot hold
    /// at any, and its multiplier is then not a shadow price (plans record 0, entries say so).
    static let unholdableMultiplier = 1e12

    /// `0.2193`, `1.5e+09`: four significant digits without Foundation's formatter (the shadow prices and
    /// amounts in the entries' reasons).
    static func short(_ x: Double) -> String {
        guard x != 0, x.isFinite else { return "\(x)" }
        let scale = pow(10, 3 - floor(log10(abs(x))))
        return "\((x * scale).rounded() / scale)"
    }
}
