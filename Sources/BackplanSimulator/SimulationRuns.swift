import BackplanCore

/// Percentiles of a sample, one definition for every band the simulator writes: linear interpolation between
/// the closest ranks (Hyndman & Fan's type 7, the default of R's `quantile` and NumPy's `percentile`). For
/// the sorted values x₀ ≤ … ≤ xₙ₋₁ and a fraction q, h = (n − 1)·q and the percentile is
/// x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋).
///
/// ```swift
/// Percentile.of([1, 2, 3, 4, 10], 0.95)   // h = 3.8: 4 + 0.8 × (10 − 4) = 8.8
/// Percentile.of([1, 2, 3, 4, 10], 0.05)   // h = 0.2: 1.2
/// Percentile.of([7], 0.5)                  // 7
/// ```
public enum Percentile {
    /// The q-th fraction (0 … 1) of `values`, which need not be sorted; 0 for no values.
    public static func of(_ values: [Double], _ q: Double) -> Double { sorted(values.sorted(), q) }

    /// The same on already sorted values.
    public static func sorted(_ x: [Double], _ q: Double) -> Double {
        guard let first = x.first else { return 0 }
        guard x.count > 1 else { return first }
        let h = Double(x.count - 1) * min(max(q, 0), 1)
        let lo = Int(h.rounded(.down))
        guard lo + 1 < x.count else { return x[x.count - 1] }
        return x[lo] + (h - Double(lo)) * (x[lo + 1] - x[lo])
    }
}

extension PolicyResult {
    /// A figure over the failure samples: mean and the 5th, 50th and 95th percentiles (``Percentile``, linear
    /// interpolation), e.g. the dollars of one run.
    ///
    /// ```swift
    /// let b = PolicyResult.Band([1, 2, 3, 4, 10])
    /// (b.mean, b.p5, b.p50, b.p95)    // (4, 1.2, 3, 8.8)
    /// ```
    public struct Band: Codable, Sendable, Equatable {
        public var mean: Double
        public var p5: Double
        public var p50: Double
        public var p95: Double

        public init(mean: Double, p5: Double, p50: Double, p95: Double) {
            self.mean = mean
            self.p5 = p5
            self.p50 = p50
            self.p95 = p95
        }

        /// The band of `values` (0 everywhere for none).
        public init(_ values: [Double]) {
            let s = values.sorted()
            mean = s.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            p5 = Percentile.sorted(s, 0.05)
            p50 = Percentile.sorted(s, 0.5)
            p95 = Percentile.sorted(s, 0.95)
        }
    }

    /// Cumulative dollars over the simulated window, by component, at the end of each step (a day; a week for
    /// windows over 180 days): what the policy has cost so far, the failure components (loss, downtime and the
    /// restores' retrieval) as the mean over runs. The last point equals the window's ``PolicyResult/cost``.
    ///
    /// ```swift
    /// r.series.times.last        // the window's end, Unix seconds
    /// r.series.total.last        // ≈ r.cost.total
    /// ```
    public struct Series: Codable, Sendable, Equatable {
        /// Seconds per step (86,400 or 604,800); the last step ends at the window's end and may be shorter.
        public var stepSeconds: Int64
        /// The end of each step, Unix seconds.
        public var times: [Int64]
        /// Storage (live, backup copies, early deletion), operations (requests, transitions, monitoring),
        /// retrieval (live reads and restores), loss and downtime: cumulative dollars, one per step.
        public var storage: [Double]
        public var operations: [Double]
        public var retrieval: [Double]
        public var loss: [Double]
        public var downtime: [Double]
        public var total: [Double]

        public init(stepSeconds: Int64, times: [Int64], storage: [Double], operations: [Double], retrieval: [Double],
                    loss: [Double], downtime: [Double]) {
            self.stepSeconds = stepSeconds
            self.times = times
            self.storage = storage
            self.operations = operations
            self.retrieval = retrieval
            self.loss = loss
            self.downtime = downtime
            total = times.indices.map { storage[$0] + operations[$0] + retrieval[$0] + loss[$0] + downtime[$0] }
        }

        /// From the dollars spent on each day of the window (`days[k]`: the day starting at start + k·86,400)
        /// by a window [start, end].
        init(days: [Cost], start: Double, end: Double) {
            let step: Int64 = days.count > 180 ? 604_800 : 86_400
            let perStep = Int(step / 86_400)
            var t: [Int64] = [], s: [Double] = [], o: [Double] = [], r: [Double] = [], l: [Double] = [], d: [Double] = []
            var running = Cost()
            for (k, day) in days.enumerated() {
                running += day
                guard (k + 1) % perStep == 0 || k == days.count - 1 else { continue }
                t.append(Int64(min(end, start + Double((k + 1) * 86_400)).rounded(.down)))
                s.append(running.storage)
                o.append(running.operations)
                r.append(running.retrieval)
                l.append(running.loss)
                d.append(running.downtime)
            }
            self.init(stepSeconds: step, times: t, storage: s, operations: o, retrieval: r, loss: l, downtime: d)
        }
    }

    /// One dataset's share of a policy's cost over the window, for reports that group datasets (`report tiers
    /// --simulation`): its billed dollars (the same in every run) and, sparsely, the dollars its failures cost in
    /// each run that had any (loss, downtime and the restores' retrieval).
    ///
    /// A group's dollars in run r are the sum of its datasets' `spend` and their `failureDollars` of run r; the
    /// mean over runs is `spend + loss + downtime + restoreRetrieval` summed.
    public struct DatasetCost: Codable, Sendable, Equatable {
        /// The dataset's name in the stats store (a plan's `location`).
        public var name: String
        /// Billed dollars by component as in ``Cost``: storage, operations and the live reads' retrieval.
        public var storage: Double
        public var operations: Double
        public var liveRetrieval: Double
        /// Means over runs.
        public var restoreRetrieval: Double
        public var loss: Double
        public var downtime: Double
        /// Runs (0-based, below ``PolicyResult/datasetRuns``) in which a failure struck it, ascending, and what
        /// those failures cost in each: all three components, and the loss alone.
        public var failureRuns: [Int]
        public var failureDollars: [Double]
        public var failureLoss: [Double]

        /// Billed dollars, the same in every run.
        public var spend: Double { storage + operations + liveRetrieval }
    }
}

/// Per-run and per-day sums of one dataset's failures, while it is simulated.
struct FailureTally {
    var runs: [Int] = [], dollars: [Double] = [], loss: [Double] = []

    mutating func add(run: Int, dollars d: Double, loss l: Double) {
        if runs.last == run {
            dollars[dollars.count - 1] += d
            loss[loss.count - 1] += l
        } else {
            runs.append(run)
            dollars.append(d)
            loss.append(l)
        }
    }
}
