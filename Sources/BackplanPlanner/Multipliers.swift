import BackplanCore
import BackplanPlan

/// The Lagrange multipliers' passes over the prepared options (see ``Planner``): at multipliers μ on spend and
/// ν on bytes per day, every dataset chooses, among its contenders, the option of least
/// risk + (1 + μ)·spend + ν·bytes (ties to the earlier), and the passes add up the chosen options' spend and
/// bytes. Chunks run in parallel and their sums are added in chunk order; the chunks depend only on the
/// number of datasets, so the sums (and the plan) do not depend on the machine's cores.
struct Multipliers {
    let prepared: [Planner.Prepared]
    let blocks: [Planner.OptionBlock]
    /// Spend of the datasets' live data, the same whatever the multipliers.
    let dataSpend: Double

    var chunks: Int { blocks.count }

    /// The datasets of chunk `c`.
    func datasets(_ c: Int) -> Range<Int> { Parallel.chunk(c, of: chunks, prepared.count) }

    /// Spend (with the live data's) and bytes per day of every dataset's choice at (μ, ν): one full pass.
    func totals(_ mu: Double, _ nu: Double) -> (spend: Double, bytes: Double) {
        let partial = perChunk { c in
            var spend = 0.0, bytes = 0.0
            blocks[c].forEachChoice(prepared[datasets(c)], 1 + mu, nu) { _, _, k in
                spend += blocks[c].spend[k]
                if !blocks[c].bytes.isEmpty { bytes += blocks[c].bytes[k] }
            }
            return (spend: spend, bytes: bytes)
        }
        var spend = dataSpend, bytes = 0.0
        for p in partial { spend += p.spend; bytes += p.bytes }
        return (spend, bytes)
    }

    /// The least multiplier m ≥ 0 at which the chosen options' spend (`onSpend`: m is μ, ν = `other`) or bytes
    /// per day (m is ν, μ = `other`) fit `limit`: `nil` when even m = 10¹² does not. Bisection: m = 0 if it
    /// fits, else the first of 1, 16, 256, … that fits brackets m with the one before, then `steps` halvings;
    /// returns the upper end.
    ///
    /// The halvings look only at the datasets whose choice differs at the two ends of the bracket: a
    /// dataset's choice moves monotonically with m (the objectives are linear in m, so the option of least
    /// objective at both ends is least in between), so one that chooses the same option at both ends keeps it,
    /// and its share of the total is added once. After a few halvings few datasets remain. The totals are the
    /// full passes' up to the order of rounding in their sums.
    func leastMultiplier(limit: Double, onSpend: Bool, other: Double, steps: Int, huge: Double) -> Double? {
        func fits(_ m: Double) -> Bool {
            onSpend ? totals(m, other).spend <= limit : totals(other, m).bytes <= limit
        }
        if fits(0) { return 0 }
        guard fits(huge) else { return nil }
        var lo = 0.0, hi = 1.0
        while !fits(hi) { lo = hi; hi *= 16 }
        func at(_ m: Double) -> (a: Double, nu: Double) { onSpend ? (1 + m, other) : (1 + other, m) }
        var bracket = Bracket(self, onSpend: onSpend, low: at(lo), high: at(hi))
        for _ in 0..<steps {
            let mid = (lo + hi) / 2
            if bracket.total(at(mid)) + (onSpend ? dataSpend : 0) <= limit {
                hi = mid
                bracket.settle(midBecomes: .high)
            } else {
                lo = mid
                bracket.settle(midBecomes: .low)
            }
        }
        return hi
    }

    /// The datasets still open in a bisection, per chunk, with their choices at the bracket's ends, and the
    /// summed quantity of those whose choice is settled.
    struct Bracket {
        struct Open {
            var dataset: Int32
            /// Where the dataset's options start in its chunk's block.
            var offset: Int32
            /// Its choices (block indices) at the low and high ends, and at the last point tried.
            var low, high, mid: Int32
        }

        let owner: Multipliers
        let onSpend: Bool
        var open: [[Open]]
        var settled: [Double]

        /// Sorts every dataset by its choices at `low` and `high`: one pass.
        init(_ owner: Multipliers, onSpend: Bool, low: (a: Double, nu: Double), high: (a: Double, nu: Double)) {
            self.owner = owner
            self.onSpend = onSpend
            let parts = owner.perChunk { c in
                let block = owner.blocks[c]
                let range = owner.datasets(c)
                var open: [Open] = []
                var settled = 0.0
                var choicesAtLow: [Int32] = []
                choicesAtLow.reserveCapacity(range.count)
                block.forEachChoice(owner.prepared[range], low.a, low.nu) { _, _, k in choicesAtLow.append(Int32(k)) }
                var n = 0
                block.forEachChoice(owner.prepared[range], high.a, high.nu) { i, offset, k in
                    let l = choicesAtLow[n]
                    n += 1
                    if Int(l) == k {
                        settled += block.quantity(k, onSpend)
                    } else {
                        open.append(Open(dataset: Int32(i), offset: Int32(offset), low: l, high: Int32(k), mid: l))
                    }
                }
                return (open, settled)
            }
            open = parts.map(\.0)
            settled = parts.map(\.1)
        }

        /// The quantity summed over every dataset's choice at (a, ν), for a point inside the bracket; remembers
        /// the open datasets' choices there.
        mutating func total(_ m: (a: Double, nu: Double)) -> Double {
            let owner = owner, onSpend = onSpend, settled = settled
            let sums = open.withUnsafeMutableBufferPointer { open in
                let views = UncheckedSendable(open)
                return owner.perChunk { c in
                    let block = owner.blocks[c]
                    var sum = settled[c]
                    for k in views.value[c].indices {
                        let o = views.value[c][k]
                        let choice = block.choice(Int(o.offset), Int(owner.prepared[Int(o.dataset)].contenders), m.a, m.nu)
                        views.value[c][k].mid = Int32(choice)
                        sum += block.quantity(choice, onSpend)
                    }
                    return sum
                }
            }
            var total = 0.0
            for s in sums { total += s }
            return total
        }

        enum End { case low, high }

        /// Makes the last point tried the bracket's low or high end, and settles the datasets whose choices at
        /// both ends now agree.
        mutating func settle(midBecomes end: End) {
            for c in open.indices {
                var kept = 0
                for k in open[c].indices {
                    var o = open[c][k]
                    if end == .high { o.high = o.mid } else { o.low = o.mid }
                    if o.low == o.high {
                        settled[c] += owner.blocks[c].quantity(Int(o.low), onSpend)
                    } else {
                        open[c][kept] = o
                        kept += 1
                    }
                }
                open[c].removeLast(open[c].count - kept)
            }
        }
    }

    /// `body(c)` for every chunk c, in parallel; the results in chunk order (``Parallel/map(chunks:_:)``, which
    /// builds them in place in the returned array: nothing is copied out of a buffer or left behind).
    func perChunk<T>(_ body: (Int) -> T) -> [T] {
        Parallel.map(chunks: chunks, body)
    }
}

extension Planner.OptionBlock {
    /// The option (index in the block) a dataset whose options start at `offset` chooses at (a = 1 + μ, ν): its
    /// first `contenders` options' least risk + a·spend + ν·bytes, ties to the earlier (without a window, ν is
    /// 0 and bytes are not kept).
    @inline(__always)
    func choice(_ offset: Int, _ contenders: Int, _ a: Double, _ nu: Double) -> Int {
        spend.withUnsafeBufferPointer { s in
            risk.withUnsafeBufferPointer { r in
                bytes.withUnsafeBufferPointer { b in
                    var k = offset
                    if b.isEmpty {
                        var v = r[k] + a * s[k]
                        for j in (offset + 1)..<(offset + contenders) {
                            let o = r[j] + a * s[j]
                            if o < v { v = o; k = j }
                        }
                    } else {
                        var v = r[k] + a * s[k] + nu * b[k]
                        for j in (offset + 1)..<(offset + contenders) {
                            let o = r[j] + a * s[j] + nu * b[j]
                            if o < v { v = o; k = j }
                        }
                    }
                    return k
                }
            }
        }
    }

    /// `body(dataset, offset, choice)` for every dataset of the chunk with options (`prepared`, its records, in
    /// order) and its choice at (a, ν).
    @inline(__always)
    func forEachChoice(_ prepared: ArraySlice<Planner.Prepared>, _ a: Double, _ nu: Double, _ body: (Int, Int, Int) -> Void) {
        var offset = 0
        for i in prepared.indices where prepared[i].options > 0 {
            body(i, offset, choice(offset, Int(prepared[i].contenders), a, nu))
            offset += Int(prepared[i].options)
        }
    }

    /// Spend (`onSpend`) or bytes per day of option `k`.
    @inline(__always)
    func quantity(_ k: Int, _ onSpend: Bool) -> Double { onSpend ? spend[k] : bytes[k] }
}
