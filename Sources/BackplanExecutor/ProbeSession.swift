import BackplanCore
import BackplanStore
import Foundation

/// A message store's probe begun before the round needs it: on a thread of its own, the store is opened in one
/// read transaction and its pages are walked and compared with the probe memo
/// (``BackplanStore/MessageStoreExport/Probe/prepareMemo(_:)``, about 0.2 s for 10,000 conversations) while
/// the executor reads its plan, checks its inputs and reads its history; the round then probes its due
/// datasets in that same transaction (``run(_:)``).
///
/// ```swift
/// let sessions = ProbeSession.start(targets: targets, state: "state.sqlite")   // before the plan is read
/// var executor = Executor(plan: plan, targets: targets, state: store)
/// executor.probeSessions = sessions
/// defer { sessions.values.forEach { $0.cancel() } }
/// ```
///
/// It only reads: the store, and the memo beside the state store, opened read-only (``BackplanStore/ProbeMemo/init(readingAt:)``),
/// so it starts before the executor takes its lock; the round finishes the probe with its own memo, whose save
/// checks the memo's generation (another run's save in between makes this one's a no-op). A session that
/// cannot open its store or memo gives `nil` from ``run(_:)``, and the round probes as without it (meeting the
/// same error there).
public final class ProbeSession: @unchecked Sendable {
    public let store: String
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var job: ((MessageStoreExport.Probe, MessageStoreExport.Probe.MemoPrepared?) -> Void)?
    private var taken = false

    /// At most this many stores are probed ahead (the first by path); the others are probed in the round.
    public static let limit = 4

    /// One session per message store of `targets` (up to ``limit``), with the probe memo beside the state store
    /// `state` (``BackplanStore/ProbeMemo/path(forState:)``). Their walks run one at a time.
    public static func start(targets: Targets, state: String) -> [String: ProbeSession] {
        let stores = Set(targets.locations.values.map(\.store)).sorted().prefix(limit)
        let turn = DispatchSemaphore(value: 1)
        return Dictionary(uniqueKeysWithValues: stores.map { ($0, ProbeSession(store: $0, memo: ProbeMemo.path(forState: state), turn: turn)) })
    }

    private init(store: String, memo path: String, turn: DispatchSemaphore) {
        self.store = store
        Thread { [self] in
            turn.wait()
            var released = false
            defer { if !released { turn.signal() } }
            guard let memo = ProbeMemo(readingAt: path) else {
                done.signal()
                return
            }
            _ = try? MessageStoreExport.probing(store, pages: PageSink()) { probe in
                let prepared = try? probe.prepareMemo(memo)
                turn.signal()
                released = true
                wake.wait()
                lock.withLock { job }?(probe, prepared)
            }
            done.signal()
        }.start()
    }

    /// Runs `body` on the session's thread, in its read transaction, with what it prepared (to finish with the
    /// round's own, writable memo); `nil` when the session could not open its store or memo, or was used or
    /// cancelled already.
    func run<T>(_ body: (MessageStoreExport.Probe, MessageStoreExport.Probe.MemoPrepared?) throws -> T) throws -> T? {
        guard lock.withLock({ () -> Bool in defer { taken = true }; return !taken }) else { return nil }
        var result: Result<T, any Error>?
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            nonisolated(unsafe) var out: Result<T, any Error>?
            lock.withLock { job = { probe, prepared in out = Result { try body(probe, prepared) } } }
            wake.signal()
            done.wait()
            lock.withLock { job = nil }
            result = out
        }
        return try result?.get()
    }

    /// Ends an unused session: its thread closes its transaction and ends (without waiting for it here).
    public func cancel() {
        guard lock.withLock({ () -> Bool in defer { taken = true }; return !taken }) else { return }
        wake.signal()
    }
}
