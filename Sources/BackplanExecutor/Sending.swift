import Foundation

/// A round's snapshots in the making: one staging folder per batch (``Executor/Batch``) and its `restic backup .`,
/// started while the round's exports are still being written.
///
/// A restic start is mostly its key derivation (scrypt, which `restic init` calibrates to about half a second
/// on the machine) and a 200 ms wait after taking its lock; only then does restic list the folder. So a batch's
/// restic starts once its exports still to come are expected to take less than ``lead`` (from the exports'
/// seconds so far), and the exports land in its folder meanwhile (``add(_:file:)``, a hard link: restic sees a
/// whole file or none). Whether restic read them all is checked after
/// (``Executor/finishSending(_:items:exported:now:log:)``): the order only saves time, and a snapshot that missed
/// a file is forgotten and made again. A round of 100 exports starts its restic runs at once; a first round's
/// batches of 1,000 each start near the end of their own exports.
///
/// At most `limit` restic runs at once (each is one core's key derivation).
final class Sending: @unchecked Sendable {
    let batches: [Executor.Batch]
    let folders: [String]
    /// Seconds of exports still to come under which a batch's restic starts (restic takes about 0.7 s before it
    /// lists the folder: 0.47 s of key derivation and its 200 ms lock wait, measured with strace on restic 0.14).
    static let lead = 0.3

    private let job: (Int) -> Result<Restic.Summary, Restic.Failure>
    private let lock = NSLock()
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private var started: [Bool]
    private var left: [Int]
    private var results: [Result<Restic.Summary, Restic.Failure>?]
    private let batchesOf: [Int: [Int]]

    init(batches: [Executor.Batch], folders: [String], limit: Int, job: @escaping (Int) -> Result<Restic.Summary, Restic.Failure>) {
        self.batches = batches
        self.folders = folders
        self.job = job
        slots = DispatchSemaphore(value: max(1, limit))
        started = Array(repeating: false, count: batches.count)
        left = batches.map(\.members.count)
        results = Array(repeating: nil, count: batches.count)
        var of: [Int: [Int]] = [:]
        for (n, b) in batches.enumerated() { for m in b.members { of[m, default: []].append(n) } }
        batchesOf = of
    }

    /// The first batch holding dataset `index` (the round exports in this order, so a batch's exports come together).
    func firstBatch(of index: Int) -> Int { batchesOf[index]?.first ?? Int.max }

    /// Puts the finished export `file` of dataset `index` into its batches' folders.
    func add(_ index: Int, file: String) throws {
        let name = URL(fileURLWithPath: file).lastPathComponent
        for n in batchesOf[index] ?? [] {
            try FileManager.default.linkItem(atPath: file, toPath: "\(folders[n])/\(name)")
            lock.withLock { left[n] -= 1 }
        }
    }

    /// A dataset of the batches holding `index` will not be exported (unchanged): one fewer to wait for.
    func skip(_ index: Int) {
        lock.withLock { for n in batchesOf[index] ?? [] { left[n] -= 1 } }
    }

    /// Starts the restic run of every batch whose exports still to come should take less than ``lead``.
    func startDue(secondsPerExport: Double) {
        for n in batches.indices where lock.withLock({ !started[n] && Double(left[n]) * secondsPerExport < Self.lead }) { start(n) }
    }

    /// Whether batch `n`'s restic run has started.
    func hasStarted(_ n: Int) -> Bool { lock.withLock { started[n] } }

    /// Every batch's outcome, once all are done (a batch not started yet starts now).
    func wait() -> [Result<Restic.Summary, Restic.Failure>] {
        for n in batches.indices where lock.withLock({ !started[n] }) { start(n) }
        group.wait()
        return lock.withLock { results.map { $0! } }
    }

    /// For a round that failed before its exports were done: batches not started never start (they would
    /// snapshot folders missing files); waits for those that did (what they make is never recorded, and the
    /// next round's sweep forgets it).
    func stop() {
        lock.withLock {
            for n in started.indices where !started[n] {
                started[n] = true
                results[n] = .failure(Restic.Failure(action: "backup", repository: batches[n].repo.repository, status: -1,
                                                     stderr: "not started: the round failed before its exports were done"))
            }
        }
        group.wait()
    }

    private func start(_ n: Int) {
        lock.withLock { started[n] = true }
        group.enter()
        // A thread of its own, not Dispatch's pool (ChildProcess reads a child's stderr there while this waits).
        let worker = Thread { [self] in
            slots.wait()
            let r = job(n)
            slots.signal()
            lock.withLock { results[n] = r }
            group.leave()
        }
        worker.start()
    }
}
