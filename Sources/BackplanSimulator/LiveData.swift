import BackplanCore
import BackplanPlanner

/// One dataset's live data over a window, day by day: what ``Billing`` needs to bill it on any tier
/// sequence. `simulate` and `tiers` both bill live data through it, so their live-data figures agree.
///
/// Day k starts at `start + k·86,400` and lasts `seconds[k]` (the last one ends at the window's end). Size
/// and objects are those at the day's start (the writes at or before it, each one object); reads and
/// writes are those in [start, start + seconds) (the last day includes the window's end); `idle` is the
/// time since the last read or write at or before the day's start (infinite without one).
///
/// ```swift
/// let days = LiveData(writes: [0, 86_400], bytes: [100, 200], reads: [], from: 0, to: 172_800)
/// days.bytes     // [100, 300]
/// days.writes    // [1, 1]
/// ```
public struct LiveData: Sendable {
    public var start: [Double] = [], seconds: [Double] = [], bytes: [Double] = [], objects: [Double] = []
    public var reads: [Double] = [], writes: [Double] = [], idle: [Double] = []

    public var count: Int { start.count }

    /// From a dataset's sorted write times and their bytes (`bytes` empty: every write is `meanWriteBytes`)
    /// and its sorted read times, over [from, to].
    public init(writes: ArraySlice<Int64>, bytes: ArraySlice<Int64>, meanWriteBytes: Double = 0, reads: ArraySlice<Int64>,
                from: Double, to end: Double) {
        var t = from
        var w = writes.startIndex, r = reads.startIndex
        var wc = writes.firstIndex { Double($0) >= from } ?? writes.endIndex
        var rc = reads.firstIndex { Double($0) >= from } ?? reads.endIndex
        var size = 0.0, count = 0.0, lastAccess = -Double.infinity
        var b = bytes.startIndex
        while t < end {
            let step = min(86_400, end - t)
            while w < writes.endIndex && Double(writes[w]) <= t {
                size += bytes.isEmpty ? meanWriteBytes : Double(bytes[b])
                count += 1
                lastAccess = max(lastAccess, Double(writes[w]))
                w += 1
                b += 1
            }
            while r < reads.endIndex && Double(reads[r]) <= t { lastAccess = max(lastAccess, Double(reads[r])); r += 1 }
            let stepEnd = t + step >= end ? end.nextUp : t + step
            var nr = 0.0, nw = 0.0
            while rc < reads.endIndex && Double(reads[rc]) < stepEnd { nr += 1; rc += 1 }
            while wc < writes.endIndex && Double(writes[wc]) < stepEnd { nw += 1; wc += 1 }
            start.append(t)
            seconds.append(step)
            self.bytes.append(size)
            objects.append(count)
            self.reads.append(nr)
            self.writes.append(nw)
            idle.append(t - lastAccess)
            t += step
        }
    }

    /// The mean object size on day k (`fallback` before the first write).
    @inline(__always)
    public func objectBytes(_ k: Int, fallback: Double) -> Double { objects[k] > 0 ? bytes[k] / objects[k] : fallback }

    /// The bill for keeping the data on `tier(k)` on day k, with every change of tier billed as a move
    /// (``Billing/move(sizeBytes:objectBytes:from:to:heldSeconds:)``): the bytes there when the tier was
    /// entered have been held since then, those written since are counted held half that. The data starts
    /// on `initialTier`, long enough ago that leaving it costs no early deletion. `factor(tier, t)` scales
    /// a day's bill on a tier (price changes; a move by the tier left's). `perDay(k, bill)` is told each day's
    /// parts of the total (its move and its day on the tier).
    public func bill(_ billing: Billing, bytesPerRead: Double, initialTier: Int = 0, tier: (Int) -> Int,
                     factor: (Int, Double) -> Double = { _, _ in 1 }, perDay: (Int, Billing.Bill) -> Void = { _, _ in }) -> Billing.Bill {
        var total = Billing.Bill()
        var state = (tier: initialTier, since: -Double.infinity, bytes: 0.0)
        for k in 0..<count {
            let to = tier(k)
            let each = objectBytes(k, fallback: 0)
            if to != state.tier {
                let move = LiveData.move(billing, from: state, to: to, at: start[k], bytes: bytes[k], objectBytes: each)
                    .scaled(factor(state.tier, start[k]))
                total += move
                perDay(k, move)
                state = (to, start[k], bytes[k])
            }
            let day = billing.liveData(sizeBytes: bytes[k], objectBytes: each, reads: reads[k], writes: writes[k],
                                       bytesPerRead: bytesPerRead, tier: to, seconds: seconds[k]).scaled(factor(to, start[k]))
            total += day
            perDay(k, day)
        }
        return total
    }

    /// The bill under the catalog's automatic tiering (``Billing/autoTieredLiveData(sizeBytes:objectBytes:reads:writes:idleSeconds:seconds:)``).
    /// `perDay(k, bill)` is told each day's bill.
    public func autoTieredBill(_ billing: Billing, factor: (Int, Double) -> Double = { _, _ in 1 },
                               perDay: (Int, Billing.Bill) -> Void = { _, _ in }) -> Billing.Bill {
        var total = Billing.Bill()
        for k in 0..<count {
            let each = objectBytes(k, fallback: 0)
            let tier = billing.autoTier(idleSeconds: idle[k], objectBytes: each)
            var day = billing.autoTieredLiveData(sizeBytes: bytes[k], objectBytes: each, reads: reads[k], writes: writes[k],
                                                 idleSeconds: idle[k], seconds: seconds[k])
            day.storage *= factor(tier, start[k])
            day.requests *= factor(0, start[k])
            total += day
            perDay(k, day)
        }
        return total
    }

    /// A move of the data in `state` to `to` at t, when it has `bytes` (objects of `objectBytes`): the bytes
    /// there when the tier was entered held t − since, the rest held half that.
    static func move(_ billing: Billing, from state: (tier: Int, since: Double, bytes: Double), to: Int, at t: Double,
                     bytes: Double, objectBytes: Double) -> Billing.Bill {
        let held = t - state.since
        let old = min(state.bytes, bytes)
        return billing.move(sizeBytes: old, objectBytes: objectBytes, from: state.tier, to: to, heldSeconds: held)
            + billing.move(sizeBytes: bytes - old, objectBytes: objectBytes, from: state.tier, to: to, heldSeconds: held.isFinite ? held / 2 : held)
    }
}
