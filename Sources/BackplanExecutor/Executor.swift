import BackplanCore
import BackplanPlan
import BackplanStore
import Foundation

/// Carries a plan out: every backup due by the plan's schedule goes to every copy's restic repository, and
/// retention forgets (and erases) per dataset, then prunes each repository once.
///
/// ```swift
/// let ex = Executor(plan: try Plan.load("out/plan.json"), targets: try Targets.load("targets.yaml"),
///                   state: try StateStore(path: "state.sqlite"))
/// let actions = try ex.run(now: Int64(Date().timeIntervalSince1970), dryRun: false) { print($0) }
/// ```
public struct Executor {
    public var plan: Plan
    public var targets: Targets
    public var state: StateStore
    public var restic: Restic
    /// The schedule group this run is restricted to (`execute --schedule-group`), else `nil`. Its snapshots
    /// carry the tag `backplan-group=<name>` (``groupTag``), and its sweep forgets only unrecorded snapshots
    /// with that tag, so groups running at once never sweep each other's snapshots in the making.
    public var scheduleGroup: String?
    /// At most this many datasets go into one snapshot (their `dataset=` tags are arguments of one restic
    /// run; Linux allows about 2 MiB of them).
    public var batchLimit = 1_000
    /// Snapshots a round makes at once (each a restic process; a restic start is mostly its key derivation,
    /// one core's work): the machine's cores, at most 4.
    public var sendConcurrency = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// Probes of message stores begun before the round (``ProbeSession/start(targets:state:)``), by store path;
    /// used by the first round, which ends every one of them.
    public var probeSessions: [String: ProbeSession] = [:]

    public init(plan: Plan, targets: Targets, state: StateStore, restic: Restic = Restic(), scheduleGroup: String? = nil) {
        self.plan = plan
        self.targets = targets
        self.state = state
        self.restic = restic
        self.scheduleGroup = scheduleGroup
    }

    /// `backplan-group=<escaped name>` for a schedule group's run, else `nil`.
    public var groupTag: String? { scheduleGroup.map { "backplan-group=" + DatasetName.escaped($0) } }

    /// One thing the executor did (or, dry, would do).
    public struct Action: Codable, Sendable, Equatable {
        /// `backup`, `unchanged` (the rows equal the last backup's; nothing sent), `wait` (due, but the
        /// dataset is being written: the quiet trigger holds it), `failed`, `forget`, `erase`, `sweep`
        /// (unrecorded snapshots a killed run left, ``recover(now:log:)``), `abandon` (a snapshot none of
        /// whose datasets got all copies, forgotten at once), `prune`.
        public var kind: String
        public var dataset: String?
        public var repository: String?
        /// restic snapshot ids made or forgotten.
        public var snapshots: [String]
        /// The restic command line (arguments only, no secrets) or a note.
        public var detail: String
    }

    /// Checks up front that every dataset's location and every copy's repository is in the targets file, so a
    /// bad targets file stops the run before anything is exported or sent.
    public func checkTargets() throws {
        for d in plan.datasets {
            _ = try targets.locate(d.location)
            for c in d.copies { _ = try targets.repository(region: c.region, tier: c.tier) }
        }
    }

    /// Runs one round at `now` (Unix seconds; also the snapshots' time): recovery from a killed run
    /// (``recover(now:log:)``), backups due, then retention.
    ///
    /// A round exports every due dataset whose rows changed since its last backup into a private staging
    /// folder, one file each (``DatasetName/fileName(_:)``), and sends them with one `restic backup` per
    /// (repository, host, erasure duty) — chunks of at most ``batchLimit`` datasets — rather than one per
    /// dataset (``batches(of:)``, ``startSending(_:items:now:work:)``, ``finishSending(_:items:exported:now:log:)``). Each dataset's backup is recorded, all in one transaction,
    /// only when every copy's snapshot exists.
    ///
    /// With `dryRun` nothing is exported, sent, forgotten or recorded; the actions say what would happen.
    /// A dataset whose backup fails is reported as `failed` and recorded nowhere; the others go on.
    ///
    /// - Parameter decided: gets the actions decided before anything is exported (recovery's, `unchanged`,
    ///   `wait`): the first ones of the list returned, in its order (`execute --json` encodes them while restic runs).
    public func run(now: Int64, dryRun: Bool, log: (String) -> Void, decided: ([Action]) -> Void = { _ in }) throws -> [Action] {
        try checkTargets()
        var actions: [Action] = []
        var touched: [String: Targets.Repository] = [:]
        var clock = PhaseClock()
        if !dryRun {
            let recovered = try recover(now: now, log: log)
            actions += recovered.actions
            touched = recovered.touched
        }
        clock.lap("recovery")
        let history = try state.liveBackups()
        clock.lap("history")
        var due: [Due] = []
        for d in plan.datasets {
            let last = history[StateStore.storedID(d.id)]?.last { b in b.copies.contains { $0.forgottenAt == nil } }
            guard d.schedule.isDue(lastBackup: last?.time, now: now) else { continue }
            let (store, key, shard) = try targets.locate(d.location)
            due.append(Due(plan: d, store: store, key: key, shard: shard, last: last))
        }
        // Every probe of a store (the quiet trigger's newest write, the unchanged test) in one read of it, through
        // the page tap when the probe memo beside the state store can be used (ProbeMemo: a cache, rebuilt when lost).
        var memo: ProbeMemo?
        if !dryRun {
            let path = ProbeMemo.path(forState: state.path)
            do { memo = try ProbeMemo(path: path) } catch {
                log("probe memo '\(path)' unusable (\(error)): every row of each store is read; remove the file to start a new memo")
            }
        }
        var ready: [Due] = []
        var memoSaves: [MemoSave] = []
        for store in Self.uniqueInOrder(due.map(\.store)) {
            let mine = due.filter { $0.store == store }
            let batched = Self.batchedConversations(mine, dryRun: dryRun)
            // Through the store's probe session when it has one (its walk done while the plan was read).
            let inSession: Verdicts? = memo == nil ? nil : try probeSessions[store]?.run { probe, prepared in
                try self.verdicts(of: mine, batched: batched, probe: probe, memo: memo, prepared: prepared, store: store, now: now, dryRun: dryRun)
            }
            let found = try inSession ?? MessageStoreExport.probing(store, pages: memo == nil ? nil : PageSink()) { probe in
                try self.verdicts(of: mine, batched: batched, probe: probe, memo: memo, prepared: nil, store: store, now: now, dryRun: dryRun)
            }
            for (item, action) in found.verdicts {
                if let action { actions.append(action) } else { ready.append(item) }
            }
            memoSaves += found.memoSaves
        }
        for session in probeSessions.values { session.cancel() }
        clock.lap("probes of \(due.count) due")
        decided(actions)
        if dryRun {
            for item in ready { actions += try dryActions(item) }
            return actions + (try retention(now: now, dryRun: true, log: log))
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work + "/files", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: work) }
        // restic starts before the exports are written: its key derivation and lock wait run meanwhile, and it
        // lists a staging folder only once the batch's exports are in (Gate); finishSending still checks that
        // each snapshot got every file and makes again one that did not.
        let sending = try startSending(try batches(of: ready), items: ready, now: now, work: work)
        sending.startAll()
        var exported: [Int: Exported] = [:]
        do {
            // On a thread of lowered priority: restic's key derivations (one core each) go first, the exports fill
            // the cores while restic waits for its lock (BackgroundThread), and are in before it reads its gate.
            try BackgroundThread.run {
                // The probe memos saved first (a store whose memo was rebuilt then starts none from its exports);
                // restic is still deriving its keys.
                for var m in memoSaves {
                    m.save.perform(&m.outcome)
                    log("probe of \(m.store): \(m.outcome)")
                }
                // A store's changed datasets are exported from one open of it and one read transaction.
                for store in Self.uniqueInOrder(ready.map(\.store)) {
                    try MessageStoreExport.exporting(source: store, pages: memo == nil ? nil : PageSink()) { exporter in
                        // A store with no memo yet (its first round probed nothing: every dataset was new) starts one
                        // from this transaction's pages and these exports' rows.
                        // By batch, so each batch's exports come together and its restic waits at its gate no longer than needed.
                        let mine = ready.indices.filter { ready[$0].store == store }.sorted { sending.firstBatch(of: $0) < sending.firstBatch(of: $1) }
                        let start = mine.count >= Self.batchProbeMinimum ? memo.flatMap { try? exporter.beginMemo($0) } : nil
                        for i in mine {
                            let item = ready[i]
                            let filename = DatasetName.fileName(item.plan.id)
                            let file = "\(work)/files/\(filename)"
                            let manifest = try exporter.export(item.key, to: file)
                            if let last = item.last, try Self.sameRows(last.manifest, manifest, file: file) {
                                actions.append(Action(kind: "unchanged", dataset: item.plan.id, repository: nil, snapshots: [],
                                                      detail: "same \(manifest.rows) rows as the backup at \(last.time)"))
                                try? FileManager.default.removeItem(atPath: file)
                                sending.skip(i)
                                continue
                            }
                            try sending.add(i, file: file)
                            exported[i] = Exported(due: item, filename: filename, manifest: manifest)
                        }
                        if let memo, let start, let outcome = try? exporter.finishMemo(memo, start) {
                            log("probe memo of \(store) started from the exports: \(outcome)")
                        }
                    }
                }
            }
        } catch {
            sending.stop()
            throw error
        }
        clock.lap("exports of \(exported.count)")
        let early = EarlyRetention(self, now: now, history: history, batches: sending.batches, items: ready, exported: exported)
        let sent = try finishSending(sending, items: ready, exported: exported, now: now, log: log)
        actions += sent.actions
        clock.lap("send and record")
        if let decision = early.decision(history: history, recorded: sent.recorded, now: now) {
            actions += try apply(decision, now: now, dryRun: false, touched: touched, log: log)
        } else {
            // The history read above and this round's backups: what liveBackups() would read now (nothing else changed it).
            var live = history
            for b in sent.recorded { live[b.dataset, default: []].append(b) }
            actions += try retention(now: now, dryRun: false, touched: touched, history: live, log: log)
        }
        clock.lap("retention")
        log("round times: " + clock.laps.joined(separator: ", "))
        // A round with a failed dataset stays marked unfinished: the next one sweeps what it may have left.
        if !actions.contains(where: { $0.kind == "failed" }) { try finishRound() }
        return actions
    }

    /// The conversations of `mine` compared with one pass over their store's tables, by the digest scheme of
    /// their last backups: those of a scheme with at least ``batchProbeMinimum`` (none in a dry run).
    static func batchedConversations(_ mine: [Due], dryRun: Bool) -> [ContentDigest.Scheme: Set<String>] {
        guard !dryRun else { return [:] }
        var conversations: [ContentDigest.Scheme: Set<String>] = [:]
        for item in mine {
            guard let last = item.last, case .conversation(let id) = item.key else { continue }
            conversations[ContentDigest.Scheme(of: last.manifest.digest), default: []].insert(id)
        }
        return conversations.filter { $0.value.count >= Self.batchProbeMinimum }
    }

    /// A store's verdicts (``verdict(_:probe:batch:now:dryRun:)``), and its probe memo's save, left until restic has started.
    struct Verdicts {
        var verdicts: [(Due, Action?)]
        var memoSaves: [MemoSave]
    }

    /// A probe memo's save and its log line (``BackplanStore/MessageStoreExport/Probe/MemoSave``).
    struct MemoSave {
        var store: String
        var outcome: MessageStoreExport.Probe.MemoOutcome
        var save: MessageStoreExport.Probe.MemoSave
    }

    /// Every probe of `mine` (the due datasets of `store`) in one read of it: the conversations of `batched`
    /// compared with one pass over each table (one pass per digest scheme the last backups were made in;
    /// backups made before the row-set scheme: ordered), through the probe memo when there is one.
    private func verdicts(of mine: [Due], batched: [ContentDigest.Scheme: Set<String>], probe: MessageStoreExport.Probe, memo: ProbeMemo?,
                          prepared: MessageStoreExport.Probe.MemoPrepared?, store: String, now: Int64, dryRun: Bool) throws -> Verdicts {
        var batch: [String: MessageStoreExport.Manifest] = [:]
        var saves: [MemoSave] = []
        for (scheme, ids) in batched {
            if scheme == .rowSet, let memo {
                let (manifests, outcome, save) = try probe.manifestsSavingLater(ofConversations: ids, memo: memo, prepared: prepared)
                saves.append(MemoSave(store: store, outcome: outcome, save: save))
                if batch.isEmpty { batch = manifests } else { batch.merge(manifests) { a, _ in a } }
            } else {
                batch.merge(try probe.manifests(ofConversations: ids, scheme: scheme)) { a, _ in a }
            }
        }
        return Verdicts(verdicts: try mine.map { item in (item, try verdict(item, probe: probe, batch: batch, now: now, dryRun: dryRun)) },
                        memoSaves: saves)
    }

    /// Whether the export `file` (whose manifest is `now`) holds the rows of the backup `last` recorded: the
    /// digests compared in `last`'s scheme (the file digested again when `last` was made in an older one).
    static func sameRows(_ last: MessageStoreExport.Manifest, _ now: MessageStoreExport.Manifest, file: String) throws -> Bool {
        guard last.rows == now.rows else { return false }
        let scheme = ContentDigest.Scheme(of: last.digest)
        if scheme == ContentDigest.Scheme(of: now.digest) { return last.digest == now.digest }
        return try MessageStoreExport.digest(file: file, scheme: scheme).digest == last.digest
    }

    /// From this many due conversations of one store on, their rows are compared with one pass over the
    /// store's tables (``BackplanStore/MessageStoreExport/Probe/manifests(ofConversations:scheme:)``).
    static let batchProbeMinimum = 64

    /// A dataset due this round. A class: a round passes its 10,000 due datasets through several lists, and
    /// copying the plan's struct each time (a retain and release per field) cost more than the probe's rows.
    final class Due {
        let plan: DatasetPlan
        let store: String
        let key: MessageStoreExport.Key
        let shard: String
        /// Its newest backup with a live copy.
        let last: StateStore.Backup?

        init(plan: DatasetPlan, store: String, key: MessageStoreExport.Key, shard: String, last: StateStore.Backup?) {
            (self.plan, self.store, self.key, self.shard, self.last) = (plan, store, key, shard, last)
        }
    }

    /// A due dataset exported to `<work>/files/<filename>`.
    struct Exported {
        var due: Due
        var filename: String
        var manifest: MessageStoreExport.Manifest
    }

    /// `wait` (the quiet trigger holds it), `unchanged` (the rows equal the last backup's: no export file
    /// needed, the digest from the source equals the export's), or `nil`: back it up.
    private func verdict(_ item: Due, probe: MessageStoreExport.Probe, batch: [String: MessageStoreExport.Manifest], now: Int64,
                         dryRun: Bool) throws -> Action? {
        guard let last = item.last else { return nil }
        let d = item.plan
        if d.schedule.quietSeconds != nil {
            let newestWrite = try probe.newestMessageTime(of: item.key)
            if case .wait(let until, let deadline) = d.schedule.quietDecision(lastBackup: last.time, newestWrite: newestWrite, now: now) {
                return Action(kind: "wait", dataset: d.id, repository: nil, snapshots: [],
                              detail: "written at \(newestWrite ?? 0): waits for \(d.schedule.quietSeconds ?? 0) s of quiet, until \(until) at the latest (deadline \(deadline))")
            }
        }
        guard !dryRun else { return nil }
        var probed: MessageStoreExport.Manifest?
        if case .conversation(let id) = item.key, let m = batch[id] { probed = m } else {
            probed = try probe.manifest(of: item.key, scheme: ContentDigest.Scheme(of: last.manifest.digest))
        }
        if let m = probed, m.digest == last.manifest.digest, m.rows == last.manifest.rows {
            return Action(kind: "unchanged", dataset: d.id, repository: nil, snapshots: [],
                          detail: "same \(m.rows) rows as the backup at \(last.time)")
        }
        return nil
    }

    private func dryActions(_ item: Due) throws -> [Action] {
        let filename = DatasetName.fileName(item.plan.id)
        return try item.plan.copies.map { c in
            let repo = try targets.repository(region: c.region, tier: c.tier)
            let line = (["restic", "backup", ".", "--host", item.shard] + tags(datasets: [item.plan.id]).flatMap { ["--tag", $0] })
                .joined(separator: " ")
            return Action(kind: "backup", dataset: item.plan.id, repository: repo.repository, snapshots: [],
                          detail: "\(item.key) of \(item.store) as /\(filename) | \(line) (one snapshot per repository, host and erasure duty)")
        }
    }

    /// Wall-clock seconds of a round's phases, for the log (where a round's time goes).
    /// Beside each wall-clock time, the CPU seconds this process (all its threads) and its children (restic)
    /// used meanwhile: on a shared machine a phase that waits shows less CPU than wall time.
    struct PhaseClock {
        var last = Date()
        var lastCPU = Self.cpu()
        var laps: [String] = []
        mutating func lap(_ name: String) {
            let t = Date(), c = Self.cpu()
            laps.append("\(name) \(String(format: "%.2f s (CPU %.2f + %.2f)", t.timeIntervalSince(last), c.own - lastCPU.own, c.children - lastCPU.children))")
            (last, lastCPU) = (t, c)
        }

        static func cpu() -> (own: Double, children: Double) {
            func seconds(_ who: __rusage_who) -> Double {
                var u = rusage()
                getrusage(who.rawValue, &u)
                return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
            }
            return (seconds(RUSAGE_SELF), seconds(RUSAGE_CHILDREN))
        }
    }

    static func uniqueInOrder(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// When the next backup of any dataset falls due after `now` (for the executor's loop).
    public func nextDue(after now: Int64) throws -> Int64 {
        var next = Int64.max
        let history = try state.liveBackups()
        for d in plan.datasets {
            let last = history[StateStore.storedID(d.id)]?.last { b in b.copies.contains { $0.forgottenAt == nil } }
            let t = last.map { d.schedule.nextDue(after: $0.time) } ?? now
            next = min(next, t)
        }
        return max(next, now)
    }
}
