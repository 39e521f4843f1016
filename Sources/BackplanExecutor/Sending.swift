import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A round's snapshots in the making: one staging folder per batch (``Executor/Batch``) and its `restic backup .`,
/// started before the round's exports are written.
///
/// A restic start is mostly its key derivation (scrypt, which `restic init` calibrates to about half a second
/// on the machine) and a 200 ms wait after taking its lock; only then does restic list the folder. So every
/// batch's restic starts at once (``startAll()``) and waits at its ``Gate`` — restic's exclude file, a named
/// pipe — while the exports land in its folder (``add(_:file:)``, a hard link: restic sees a whole file or
/// none); the gate opens when the batch's last export is in. Whether restic read them all is still checked
/// after (``Executor/finishSending(_:items:exported:now:log:)``): a snapshot that missed a file is forgotten and
/// made again. A batch without a gate (no named pipe could be made) starts when its last export is in.
///
/// At most `limit` restic runs at once (each is one core's key derivation); batches start in order, and the
/// round exports in that order, so a run waiting at its gate waits for exports under way.
final class Sending: @unchecked Sendable {
    let batches: [Executor.Batch]
    let folders: [String]

    /// What a batch's job gets: the path of its gate (restic's `--exclude-file`), if any, and where to report
    /// each restic process it starts (so ``stop()`` can interrupt it).
    struct Launch {
        var gate: String?
        var started: (Int32) -> Void
    }

    private let job: (Int, Launch) -> Result<Restic.Summary, Restic.Failure>
    private let gates: [Gate?]
    private let lock = NSLock()
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private var started: [Bool]
    private var stopped = false
    /// Per batch: every export of it is in its folder (or was skipped).
    private var complete: [Bool]
    private var processes: [Int32?]
    private var left: [Int]
    private var results: [Result<Restic.Summary, Restic.Failure>?]
    private let batchesOf: [Int: [Int]]

    /// - Parameter gates: per batch, its gate (`nil`: started only once its exports are in); none by default.
    init(batches: [Executor.Batch], folders: [String], gates: [Gate?]? = nil, limit: Int,
         job: @escaping (Int, Launch) -> Result<Restic.Summary, Restic.Failure>) {
        self.batches = batches
        self.folders = folders
        self.gates = gates ?? batches.map { _ in nil }
        self.job = job
        slots = DispatchSemaphore(value: max(1, limit))
        started = Array(repeating: false, count: batches.count)
        processes = Array(repeating: nil, count: batches.count)
        complete = Array(repeating: false, count: batches.count)
        left = batches.map(\.members.count)
        results = Array(repeating: nil, count: batches.count)
        var of: [Int: [Int]] = [:]
        for (n, b) in batches.enumerated() { for m in b.members { of[m, default: []].append(n) } }
        batchesOf = of
    }

    /// The first batch holding dataset `index` (the round exports in this order, so a batch's exports come together).
    func firstBatch(of index: Int) -> Int { batchesOf[index]?.first ?? Int.max }

    /// Starts the restic run of every batch that has a gate (it waits there for the batch's exports).
    func startAll() {
        for n in batches.indices where gates[n] != nil { start(n) }
    }

    /// Puts the finished export `file` of dataset `index` into its batches' folders.
    func add(_ index: Int, file: String) throws {
        let name = URL(fileURLWithPath: file).lastPathComponent
        for n in batchesOf[index] ?? [] {
            try FileManager.default.linkItem(atPath: file, toPath: "\(folders[n])/\(name)")
            exportDone(n)
        }
    }

    /// A dataset of the batches holding `index` will not be exported (unchanged): one fewer to wait for.
    func skip(_ index: Int) {
        for n in batchesOf[index] ?? [] { exportDone(n) }
    }

    /// Whether batch `n`'s restic run has started.
    func hasStarted(_ n: Int) -> Bool { lock.withLock { started[n] } }

    /// Whether batch `n`'s gate is open (its exports are all in, or the round is over); `nil` without a gate.
    func isReleased(_ n: Int) -> Bool? { gates[n]?.isReleased }

    /// Every batch's outcome, once all are done (every export is in: each gate opens, a batch not started yet
    /// starts now).
    func wait() -> [Result<Restic.Summary, Restic.Failure>] {
        lock.withLock { complete = complete.map { _ in true } }
        for gate in gates { gate?.release() }
        for n in batches.indices where lock.withLock({ !started[n] }) { start(n) }
        group.wait()
        for gate in gates { gate?.close() }
        return lock.withLock { results.map { $0! } }
    }

    /// For a round that failed before its exports were done: batches not started never start, and a restic
    /// still waiting at its gate is interrupted (SIGINT: restic removes its lock and makes no snapshot). Waits
    /// for every run; what a run whose exports were all in makes is never recorded, and the next round's sweep
    /// forgets it.
    func stop() {
        let waiting: [Int32] = lock.withLock {
            stopped = true
            for n in started.indices where !started[n] {
                started[n] = true
                results[n] = .failure(Restic.Failure(action: "backup", repository: batches[n].repo.repository, status: -1,
                                                     stderr: "not started: the round failed before its exports were done"))
            }
            return batches.indices.compactMap { n in complete[n] ? nil : processes[n] }
        }
        for pid in waiting { kill(pid, SIGINT) }
        for gate in gates { gate?.release() }
        group.wait()
        for gate in gates { gate?.close() }
    }

    private func exportDone(_ n: Int) {
        let last = lock.withLock { () -> Bool in
            left[n] -= 1
            if left[n] == 0 { complete[n] = true }
            return left[n] == 0
        }
        guard last else { return }
        if let gate = gates[n] { gate.release() } else if !hasStarted(n) { start(n) }
    }

    private func start(_ n: Int) {
        let first = lock.withLock { () -> Bool in
            defer { started[n] = true }
            return !started[n]
        }
        guard first else { return }
        group.enter()
        // A thread of its own, not Dispatch's pool (ChildProcess reads a child's stderr there while this waits).
        let worker = Thread { [self] in
            slots.wait()
            let r: Result<Restic.Summary, Restic.Failure>
            if lock.withLock({ stopped && !complete[n] }) {
                r = .failure(Restic.Failure(action: "backup", repository: batches[n].repo.repository, status: -1,
                                            stderr: "not started: the round failed before its exports were done"))
            } else {
                r = job(n, Launch(gate: gates[n]?.path) { [self] pid in
                    // A run starting after stop() found nothing to interrupt is interrupted here.
                    let interrupt = lock.withLock { () -> Bool in
                        processes[n] = pid
                        return stopped && !complete[n]
                    }
                    if interrupt { kill(pid, SIGINT) }
                })
            }
            gates[n]?.close()
            slots.signal()
            // Its process is gone (and reaped): stop() must not signal a process id the system may give again.
            lock.withLock {
                results[n] = r
                processes[n] = nil
            }
            group.leave()
        }
        worker.start()
    }
}
