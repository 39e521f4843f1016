import BackplanCore
import BackplanPlan
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
        var actions: [Action] = []
        var touched = sweptRepositories
        let history = try known ?? state.liveBackups()
        let verifiedBackup = try state.lastVerifiedBackups()
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
        var records: [StateStore.Forget] = []
        var forgets: [String: [String]] = [:]   // repository -> snapshot ids, forgotten with one restic run
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
            touched[name] = repo
            // Per dataset (for the audit and the actions): the snapshots of it that go.
            for (kind, ids) in [("erase", Set(decision.erase)), ("forget", Set(decision.forget))] where !ids.isEmpty {
                var byDataset: [String: [String]] = [:]
                for s in list where ids.contains(s.id) {
                    for m in s.members { byDataset[m, default: []].append(s.id) }
                }
                for (dataset, gone) in byDataset.sorted(by: { $0.key < $1.key }) {
                    let ordered = gone.sorted()
                    records.append(.init(dataset: dataset, repository: name, snapshots: ordered, erasure: kind == "erase"))
                    actions.append(Action(kind: kind, dataset: dataset, repository: name, snapshots: ordered,
                                          detail: "restic forget \(ordered.joined(separator: " "))"))
                    if !dryRun { log("\(kind) \(DatasetName.escaped(dataset)) on \(name): \(ordered.joined(separator: " "))") }
                }
                forgets[name, default: []] += ids.sorted()
            }
        }
        if !dryRun { try state.recordForgets(records, time: now) }
        // Every forget of a repository in one `restic forget <ids>` (chunks of 500 ids, well inside the
        // argument-size limit): restic's start-up (key derivation, index) is paid once, not per dataset.
        for (name, ids) in forgets.sorted(by: { $0.key < $1.key }) where !dryRun {
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
}
