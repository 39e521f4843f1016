import BackplanCore
import BackplanPlan
import BackplanStore
import Foundation

extension Executor {
    /// Retention at `now`, per repository: every snapshot with a live recorded copy, with the datasets in it
    /// (``StateStore/liveBackups()``), goes through the one rule for shared snapshots
    /// (``BackplanPlan/DatasetPlan/Retention/sharedSelection(of:retentions:lastVerified:now:)``): a snapshot is
    /// erased when a dataset's legal maximum passed, forgotten when every dataset in it is one of this run's
    /// plan and each one's selection forgets it, and kept otherwise. The forgotten and erased ids go to
    /// `restic forget <ids>` (one run per repository, 500 ids at a time); then one `restic prune` per
    /// repository that lost a snapshot (or is in `touched`: the sweep's).
    ///
    /// The state store records a forget *before* restic runs it: a run killed in between leaves a snapshot
    /// the state holds as forgotten, which the next round's sweep forgets; the other order would leave the
    /// state naming a snapshot restic no longer has.
    ///
    /// - Parameter history: ``StateStore/liveBackups()`` as it is now, when the caller holds it (a round: its own
    ///   read plus the backups it recorded); `nil` reads it.
    public func retention(now: Int64, dryRun: Bool, touched sweptRepositories: [String: Targets.Repository] = [:],
                          history known: [String: [StateStore.Backup]]? = nil, log: (String) -> Void) throws -> [Action] {
        let decision = try retentionDecision(now: now, history: known ?? state.liveBackups(), verified: state.lastVerifiedBackups())
        return try apply(decision, now: now, dryRun: dryRun, touched: sweptRepositories, log: log)
    }

    /// What retention at `now` forgets and erases (``retention(now:dryRun:touched:history:log:)``), decided from
    /// `history` (``StateStore/liveBackups()``) and `verified` (``StateStore/lastVerifiedBackups()``) alone:
    /// nothing is read, written or run, so a round decides it while restic makes its snapshots
    /// (``Executor/run(now:dryRun:log:decided:)``).
    struct RetentionDecision {
        /// The state store's records of what goes, per dataset and repository.
        var records: [StateStore.Forget] = []
        /// Per repository, the snapshot ids that go (one `restic forget` each).
        var forgets: [String: [String]] = [:]
        /// The repositories that lose a snapshot.
        var repositories: [String: Targets.Repository] = [:]
        /// `erase` and `forget`, one per dataset and repository.
        var actions: [Action] = []
    }

    func retentionDecision(now: Int64, history: [String: [StateStore.Backup]], verified verifiedBackup: [String: Int64]) throws -> RetentionDecision {
        var out = RetentionDecision()
        // Keyed as the state keeps ids (``StateStore/storedID(_:)``), like the history.
        let planned = Dictionary(plan.datasets.map { (StateStore.storedID($0.id), $0) }, uniquingKeysWith: { a, _ in a })
        // repository -> snapshot id -> (time, live members); and each planned dataset's verified snapshot there.
        var shared: [String: [String: (time: Int64, members: Set<String>)]] = [:]
        var verified: [String: [String: String]] = [:]
        // The repositories of the plan's copies, and the one each (region, tier) maps to, looked up once each.
        var repos: [String: Targets.Repository] = [:]
        var repositoryOf: [String: String] = [:]
        for d in plan.datasets {
            for c in d.copies where repositoryOf[c.region + "\n" + c.tier] == nil {
                let r = try targets.repository(region: c.region, tier: c.tier)
                repos[r.repository] = r
                repositoryOf[c.region + "\n" + c.tier] = r.repository
            }
        }
        for (dataset, backups) in history {
            for b in backups {
                for copy in b.copies where copy.forgottenAt == nil && repos[copy.repository] != nil {
                    shared[copy.repository, default: [:]][copy.snapshot, default: (b.time, [])].members.insert(dataset)
                    if b.id == verifiedBackup[dataset] { verified[copy.repository, default: [:]][dataset] = copy.snapshot }
                }
            }
        }
        for name in repos.keys.sorted() {
            guard let repo = repos[name], let snaps = shared[name] else { continue }
            var retentions: [String: DatasetPlan.Retention] = [:]
            let list = snaps.map { SharedSnapshot(id: $0.key, time: $0.value.time, members: Array($0.value.members)) }
            for s in list {
                for m in s.members where retentions[m] == nil {
                    // A dataset is ruled here only where its plan puts a copy.
                    if let d = planned[m], d.copies.contains(where: { repositoryOf[$0.region + "\n" + $0.tier] == name }) {
                        retentions[m] = d.retention
                    }
                }
            }
            let decision = DatasetPlan.Retention.sharedSelection(of: list, retentions: retentions, lastVerified: verified[name] ?? [:], now: now)
            guard !decision.forget.isEmpty || !decision.erase.isEmpty else { continue }
            out.repositories[name] = repo
            // Per dataset (for the audit and the actions): the snapshots of it that go.
            for (kind, ids) in [("erase", Set(decision.erase)), ("forget", Set(decision.forget))] where !ids.isEmpty {
                var byDataset: [String: [String]] = [:]
                for s in list where ids.contains(s.id) {
                    for m in s.members { byDataset[m, default: []].append(s.id) }
                }
                for (dataset, gone) in byDataset.sorted(by: { $0.key < $1.key }) {
                    let ordered = gone.sorted()
                    out.records.append(.init(dataset: dataset, repository: name, snapshots: ordered, erasure: kind == "erase"))
                    out.actions.append(Action(kind: kind, dataset: dataset, repository: name, snapshots: ordered,
                                              detail: "restic forget \(ordered.joined(separator: " "))"))
                }
                out.forgets[name, default: []] += ids.sorted()
            }
        }
        return out
    }

    /// Carries `decision` out at `now`: the state store records the forgets, restic forgets them (chunks of 500
    /// ids) and prunes each repository that lost a snapshot or is in `touched` (the sweep's). With `dryRun`
    /// nothing is recorded or run; the actions say what would be.
    func apply(_ decision: RetentionDecision, now: Int64, dryRun: Bool, touched swept: [String: Targets.Repository],
               log: (String) -> Void) throws -> [Action] {
        var actions = decision.actions
        var touched = swept
        touched.merge(decision.repositories) { a, _ in a }
        if !dryRun {
            for a in decision.actions { log("\(a.kind) \(DatasetName.escaped(a.dataset ?? "")) on \(a.repository ?? ""): \(a.snapshots.joined(separator: " "))") }
            try state.recordForgets(decision.records, time: now)
        }
        // Every forget of a repository in one `restic forget <ids>` (chunks of 500 ids, well inside the
        // argument-size limit): restic's start-up (key derivation, index) is paid once, not per dataset.
        for (name, ids) in decision.forgets.sorted(by: { $0.key < $1.key }) where !dryRun {
            guard let repo = touched[name] else { continue }
            for start in stride(from: 0, to: ids.count, by: 500) {
                try restic.forget(repo, ids: Array(ids[start..<min(start + 500, ids.count)]))
            }
        }
        for (name, repo) in touched.sorted(by: { $0.key < $1.key }) {
            if !dryRun {
                try restic.prune(repo)
                try state.audit(time: now, action: "prune", detail: "repository=\(name)")
                log("prune \(name)")
            }
            actions.append(Action(kind: "prune", dataset: nil, repository: name, snapshots: [], detail: "restic prune"))
        }
        return actions
    }

    /// Retention decided while restic makes a round's snapshots, from the history as it will be if every export
    /// is recorded: each exported dataset gets a backup at `now` whose copy in each batch's repository is that
    /// batch's snapshot (named `pending-<batch>` until restic names it). ``decision(history:recorded:)`` hands it
    /// over only when that is what happened; otherwise retention is decided again from what was recorded.
    final class EarlyRetention: @unchecked Sendable {
        private let done = DispatchGroup()
        private var result: Result<RetentionDecision, any Error>?
        private let expected: Set<String>

        /// Starts deciding on a thread of its own.
        init(_ executor: Executor, now: Int64, history: [String: [StateStore.Backup]], batches: [Batch], items: [Due],
             exported: [Int: Exported]) {
            var future = history
            var datasets = Set<String>()
            var batchesOf: [Int: [Int]] = [:]
            for (n, b) in batches.enumerated() { for m in b.members { batchesOf[m, default: []].append(n) } }
            for (i, e) in exported {
                let copies = (batchesOf[i] ?? []).map { n in
                    StateStore.Copy(region: "", tier: "", repository: batches[n].repo.repository, snapshot: "pending-\(n)", forgottenAt: nil)
                }
                let id = StateStore.storedID(items[i].plan.id)
                datasets.insert(id)
                future[id, default: []].append(StateStore.Backup(id: -1, dataset: id, time: now, filename: e.filename, manifest: e.manifest, copies: copies))
            }
            expected = datasets
            done.enter()
            // The executor (a value: plan, targets, the state store's GRDB queue) and the history are only read there.
            nonisolated(unsafe) let ex = executor
            let history = future
            // At lowered priority: it fills restic's waits rather than slowing its key derivation.
            BackgroundThread.start { [self] in
                result = Result { try ex.retentionDecision(now: now, history: history, verified: ex.state.lastVerifiedBackups()) }
                done.leave()
            }
        }

        /// The decision, when the round recorded exactly one backup of each exported dataset (`recorded`), none
        /// of which had a live backup at `now` or later in `history` (so each new snapshot is its datasets' newest,
        /// kept whatever its id), and nothing pending is forgotten; else `nil`.
        func decision(history: [String: [StateStore.Backup]], recorded: [StateStore.Backup], now: Int64) -> RetentionDecision? {
            done.wait()
            guard case .success(let d)? = result, Set(recorded.map(\.dataset)) == expected, recorded.count == expected.count,
                  !recorded.contains(where: { b in history[b.dataset]?.contains { $0.time >= now } == true }),
                  !d.forgets.values.joined().contains(where: { $0.hasPrefix("pending-") }) else { return nil }
            return d
        }
    }
}
