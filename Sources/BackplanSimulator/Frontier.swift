import BackplanCore

/// The policy frontier of DESIGN §5: how long writes stay unprotected under each backup policy, on a
/// held-out window of a real write log, with the number of backups each policy makes.
///
/// Protocol: t0/t1 are the first and last write; `cut = t0 + split·(t1 − t0)`; writes before `cut` are
/// the training window, the rest are test writes. Every policy skips a backup that would copy nothing,
/// and at t1 every dataset with unprotected writes gets a final backup. The exposure of a test write is
/// the time to the first backup of its dataset at or after it; `exposureHours` is the mean over test
/// writes, `ops` the backups made in the test window.
public struct Frontier: Sendable {
    public let log: WriteLog
    /// The owner's own sends per dataset of ``log``, in the same order (``WriteLog/aligned(to:)``); every
    /// dataset has none when the source records no senders. The online policy takes them as decision points.
    public let sends: WriteLog
    public let split: Double
    public let t0: Int64
    public let t1: Int64
    /// `t0 + split·(t1 − t0)`, kept fractional so the cut never coincides with a whole-second write.
    public let cut: Double
    /// Index of each dataset's first test write within its slice of `log.times`.
    private let firstTest: [Int]

    /// - Parameter sends: the datasets' own sends, matched to `log` by name (senders that are no dataset of
    ///   `log` are dropped); nil for none.
    public init(log: WriteLog, sends: WriteLog? = nil, split: Double = 0.6) throws {
        guard (0.0..<1.0).contains(split), split > 0 else {
            throw InputError(column: "--split", "split must be in (0, 1), got \(split)")
        }
        guard let t0 = log.times.min(), let t1 = log.times.max(), t1 > t0 else {
            throw InputError("the store holds no writes over a time span: the frontier needs a write log")
        }
        self.log = log
        self.sends = (sends ?? WriteLog([])).aligned(to: log.names)
        self.split = split
        self.t0 = t0
        self.t1 = t1
        cut = Double(t0) + split * Double(t1 - t0)
        let cut = self.cut
        firstTest = (0..<log.datasetCount).map { d in
            let w = log.writes(d)
            return (w.firstIndex { Double($0) >= cut } ?? w.endIndex) - w.startIndex
        }
    }

    /// Test writes of dataset `d`, sorted.
    public func testWrites(_ d: Int) -> ArraySlice<Int64> {
        let w = log.writes(d)
        return w[(w.startIndex + firstTest[d])...]
    }

    /// Training writes of dataset `d`, sorted.
    public func trainingWrites(_ d: Int) -> ArraySlice<Int64> {
        let w = log.writes(d)
        return w[..<(w.startIndex + firstTest[d])]
    }

    /// Sends of dataset `d` at or after the cut and at or before t1, sorted.
    public func testSends(_ d: Int) -> ArraySlice<Int64> {
        let s = sends.writes(d)
        let from = s.firstIndex { Double($0) >= cut } ?? s.endIndex
        let to = s.firstIndex { $0 > t1 } ?? s.endIndex
        return s[from..<max(from, to)]
    }

    /// Sends of dataset `d` before the cut, sorted.
    public func trainingSends(_ d: Int) -> ArraySlice<Int64> {
        let s = sends.writes(d)
        return s[..<(s.firstIndex { Double($0) >= cut } ?? s.endIndex)]
    }

    public var testWriteCount: Int { (0..<log.datasetCount).reduce(0) { $0 + testWrites($1).count } }
    public var testDatasetCount: Int { (0..<log.datasetCount).filter { !testWrites($0).isEmpty }.count }

    /// Outcome of one policy: backups made in the test window and the mean exposure of a test write.
    public struct Outcome: Codable, Sendable, Equatable {
        public var name: String
        public var ops: Int
        public var exposureHours: Double
        /// On the online policy in ``report()``: its exposure over cron-daily's, and the 95% interval of that
        /// ratio from a bootstrap over datasets, paired (``ExposureRatioInterval``); absent (not encoded) elsewhere.
        public var exposureRatio: Double?
        public var exposureRatioLow: Double?
        public var exposureRatioHigh: Double?

        public init(name: String, ops: Int, exposureHours: Double) {
            self.name = name
            self.ops = ops
            self.exposureHours = exposureHours
        }
    }

    // MARK: - Periodic schedules

    /// A schedule with backups at `anchor + k·periodSeconds` (all integers k) inside [cut, t1], plus the
    /// final backup at t1.
    ///
    /// Each write's exposure is the distance to the next slot at or after it; a slot is counted once
    /// however many writes it protects, and not at all when none (skip-if-unchanged).
    /// - Complexity: O(test writes).
    public func periodic(name: String, anchor: Double, periodSeconds: Double) -> Outcome {
        let run = periodicRun(anchor: anchor, periodSeconds: periodSeconds)
        return Outcome(name: name, ops: run.ops,
                       exposureHours: run.exposureSeconds.reduce(0, +) / Double(max(1, testWriteCount)) / 3_600)
    }

    /// The backups of ``periodic(name:anchor:periodSeconds:)`` and the exposure (seconds, summed over its test
    /// writes) of each dataset, in `log` order: what the bootstrap over datasets resamples.
    func periodicRun(anchor: Double, periodSeconds: Double) -> (ops: Int, exposureSeconds: [Double]) {
        var ops = 0
        var exposures = [Double](repeating: 0, count: log.datasetCount)
        for d in 0..<log.datasetCount {
            var lastSlot = -Double.infinity
            var needsFinal = false
            var exposure = 0.0
            for w in testWrites(d) {
                let x = Double(w)
                let slot = anchor + ((x - anchor) / periodSeconds).rounded(.up) * periodSeconds
                if slot <= Double(t1) {
                    exposure += slot - x
                    if slot != lastSlot { ops += 1; lastSlot = slot }
                } else {
                    exposure += Double(t1) - x
                    needsFinal = true
                }
            }
            if needsFinal { ops += 1 }
            exposures[d] = exposure
        }
        return (ops, exposures)
    }

    /// `fixed-<period>`: backups every `periodSeconds` from the cut on.
    public func fixed(periodSeconds: Int64) -> Outcome {
        periodic(name: "fixed-\(Self.durationName(periodSeconds))", anchor: cut, periodSeconds: Double(periodSeconds))
    }

    /// The time of day (seconds after midnight UTC, on a `gridSeconds` grid) whose daily backups give
    /// the training writes the least total exposure. Ties go to the earliest time.
    ///
    /// A training write at time w waits `(phase − w) mod 1 d` for the next daily backup.
    /// - Complexity: O(training writes + 86,400 / grid).
    public func bestDailyPhase(gridSeconds: Int64 = 1_800) -> Int64 {
        // Exposure as a function of the phase, from a histogram of writes by second of day.
        let day = Units.secondsPerDay
        var bySecond = [Double](repeating: 0, count: Int(day))
        for d in 0..<log.datasetCount {
            for w in trainingWrites(d) { bySecond[Int(((w % day) + day) % day)] += 1 }
        }
        var best: (phase: Int64, exposure: Double) = (0, .infinity)
        var phase: Int64 = 0
        while phase < day {
            var total = 0.0
            for s in 0..<Int(day) where bySecond[s] > 0 {
                total += bySecond[s] * Double(((phase - Int64(s)) % day + day) % day)
            }
            if total < best.exposure { best = (phase, total) }
            phase += gridSeconds
        }
        return best.phase
    }

    /// `cron-daily`: one backup a day at the time of day ``bestDailyPhase(gridSeconds:)`` learned on
    /// the training window.
    public func cronDaily(gridSeconds: Int64 = 1_800) -> Outcome {
        let day = Double(Units.secondsPerDay)
        return periodic(name: "cron-daily", anchor: Double(bestDailyPhase(gridSeconds: gridSeconds)), periodSeconds: day)
    }

    static func durationName(_ seconds: Int64) -> String { DurationText.format(seconds, largestUnit: .hours) }
}
