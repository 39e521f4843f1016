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

    public init(plan: Plan, targets: Targets, state: StateStore, restic: Restic = Restic()) {
        self.plan = plan
        self.targets = targets
        self.state = state
        self.restic = restic
    }

    /// One thing the executor did (or, dry, would do).
    public struct Action: Codable, Sendable, Equatable {
        /// `backup`, `unchanged` (the rows equal the last backup's; nothing sent), `wait` (due, but the
        /// dataset is being written: the quiet trigger holds it), `failed`, `forget`, `erase`, `sweep`
        /// (unrecorded snapshots a killed run left, ``recover(now:log:)``), `prune`.
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
    /// With `dryRun` nothing is exported, sent, forgotten or recorded; the actions say what would happen.
    /// A dataset whose backup fails is reported as `failed` and recorded nowhere (the snapshots its other
    /// copies got are forgotten again, with an `abandon` audit entry); the others go on.
    public func run(now: Int64, dryRun: Bool, log: (String) -> Void) throws -> [Action] {
        try checkTargets()
        var actions: [Action] = []
        var touched: [String: Targets.Repository] = [:]
        if !dryRun {
            let recovered = try recover(now: now, log: log)
            actions += recovered.actions
            touched = recovered.touched
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-exec-\(UUID().uuidString)").path
        if !dryRun {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        defer { if !dryRun { try? FileManager.default.removeItem(atPath: work) } }
        for (i, d) in plan.datasets.enumerated() {
            let last = try state.lastBackup(of: d.id)
            guard d.schedule.isDue(lastBackup: last?.time, now: now) else { continue }
            let (store, key, shard) = try targets.locate(d.location)
            if let last, d.schedule.quietSeconds != nil {
                let newestWrite = try MessageStoreExport.source(store, newestMessageTimeFor: key)
                if case .wait(let until, let deadline) = d.schedule.quietDecision(lastBackup: last.time, newestWrite: newestWrite, now: now) {
                    actions.append(Action(kind: "wait", dataset: d.id, repository: nil, snapshots: [],
                                          detail: "written at \(newestWrite ?? 0): waits for \(d.schedule.quietSeconds ?? 0) s of quiet, until \(until) at the latest (deadline \(deadline))"))
                    continue
                }
            }
            let filename = DatasetName.fileName(d.id)
            let tags = ["backplan", DatasetName.tag(d.id)] + (state.stateTag.map { [$0] } ?? [])
            if dryRun {
                for c in d.copies {
                    let repo = try targets.repository(region: c.region, tier: c.tier)
                    let line = (["restic", "backup", "--stdin", "--stdin-filename", filename, "--host", shard]
                        + tags.flatMap { ["--tag", $0] }).joined(separator: " ")
                    actions.append(Action(kind: "backup", dataset: d.id, repository: repo.repository, snapshots: [],
                                          detail: "\(key) of \(store) | \(line)"))
                }
                continue
            }
            let file = "\(work)/\(i).sqlite"
            defer { try? FileManager.default.removeItem(atPath: file) }
            var made: [(Targets.Repository, String)] = []
            do {
                // Unchanged rows need no export file: the digest straight from the source equals the export's.
                if let last, let probe = try MessageStoreExport.source(store, manifestOf: key),
                   probe.digest == last.manifest.digest, probe.rows == last.manifest.rows {
                    actions.append(Action(kind: "unchanged", dataset: d.id, repository: nil, snapshots: [],
                                          detail: "same \(probe.rows) rows as the backup at \(last.time)"))
                    continue
                }
                let manifest = try MessageStoreExport.export(source: store, key: key, to: file)
                if let last, last.manifest.digest == manifest.digest, last.manifest.rows == manifest.rows {
                    actions.append(Action(kind: "unchanged", dataset: d.id, repository: nil, snapshots: [],
                                          detail: "same \(manifest.rows) rows as the backup at \(last.time)"))
                    continue
                }
                var copies: [StateStore.Copy] = []
                for c in d.copies {
                    let repo = try targets.repository(region: c.region, tier: c.tier)
                    let id = try restic.backup(repo, stdin: file, filename: filename, tags: tags, host: shard, time: now)
                    made.append((repo, id))
                    copies.append(.init(region: c.region, tier: c.tier, repository: repo.repository, snapshot: id, forgottenAt: nil))
                }
                guard copies.count == d.copies.count, !copies.isEmpty else {
                    throw InputError("dataset \(DatasetName.escaped(d.id)): \(copies.count) of \(d.copies.count) copies made")
                }
                try state.recordBackup(dataset: d.id, time: now, filename: filename, manifest: manifest, copies: copies)
                log("backup \(DatasetName.escaped(d.id)): \(manifest.rows) rows, \(manifest.bytes) bytes -> \(copies.map(\.snapshot).joined(separator: ", "))")
                actions.append(Action(kind: "backup", dataset: d.id, repository: nil, snapshots: copies.map(\.snapshot),
                                      detail: "\(manifest.rows) rows, digest \(manifest.digest)"))
            } catch let error as Restic.Failure {
                // Copies made before the failure are not a backup (the copy count is not met): forget them
                // now, so no unrecorded snapshot lingers where retention would never see it.
                for (repo, id) in made {
                    try? restic.forget(repo, ids: [id])
                    try? state.audit(time: now, action: "abandon",
                                     detail: "dataset=\(DatasetName.escaped(d.id)) repository=\(repo.repository) snapshot=\(id)")
                }
                log("backup \(DatasetName.escaped(d.id)) failed: \(error)")
                actions.append(Action(kind: "failed", dataset: d.id, repository: error.repository, snapshots: [], detail: error.description))
            }
        }
        actions += try retention(now: now, dryRun: dryRun, touched: touched, log: log)
        return actions
    }

    /// Retention at `now`: per dataset and repository, the one rule's forget and erase sets
    /// (``BackplanPlan/DatasetPlan/Retention/selection(of:now:lastVerified:)``) go to `restic forget <ids>`;
    /// then one `restic prune` per repository that lost a snapshot (or is in `touched`: the sweep's).
    ///
    /// The state store records a forget *before* restic runs it: a run killed in between leaves a snapshot
    /// the state holds as forgotten, which the next round's sweep forgets; the other order would leave the
    /// state naming a snapshot restic no longer has.
    public func retention(now: Int64, dryRun: Bool, touched sweptRepositories: [String: Targets.Repository] = [:],
                          log: (String) -> Void) throws -> [Action] {
        var actions: [Action] = []
        var touched = sweptRepositories
        var forgets: [String: [String]] = [:]   // repository -> snapshot ids, forgotten with one restic run
        for d in plan.datasets {
            let backups = try state.backups(of: d.id)
            guard !backups.isEmpty else { continue }
            let verifiedBackup = try state.lastVerifiedBackup(of: d.id)
            for c in d.copies {
                let repo = try targets.repository(region: c.region, tier: c.tier)
                var snaps: [RetentionSnapshot] = []
                var verified: String?
                for b in backups {
                    for copy in b.copies where copy.repository == repo.repository && copy.forgottenAt == nil {
                        snaps.append(RetentionSnapshot(id: copy.snapshot, time: b.time))
                        if b.id == verifiedBackup { verified = copy.snapshot }
                    }
                }
                let s = d.retention.selection(of: snaps, now: now, lastVerified: verified)
                for (kind, list) in [("erase", s.erase), ("forget", s.forget)] where !list.isEmpty {
                    let ids = list.map(\.id)
                    if !dryRun {
                        try state.recordForget(dataset: d.id, repository: repo.repository, snapshots: ids, time: now, erasure: kind == "erase")
                        forgets[repo.repository, default: []] += ids
                        log("\(kind) \(DatasetName.escaped(d.id)) on \(repo.repository): \(ids.joined(separator: " "))")
                    }
                    touched[repo.repository] = repo
                    actions.append(Action(kind: kind, dataset: d.id, repository: repo.repository, snapshots: ids,
                                          detail: "restic forget \(ids.joined(separator: " "))"))
                }
            }
        }
        // Every dataset's forgets of a repository in one `restic forget <ids>` (chunks of 500 ids, well inside
        // the argument-size limit): restic's start-up (key derivation, index) is paid once, not per dataset.
        for (name, ids) in forgets.sorted(by: { $0.key < $1.key }) {
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

    /// When the next backup of any dataset falls due after `now` (for the executor's loop).
    public func nextDue(after now: Int64) throws -> Int64 {
        var next = Int64.max
        for d in plan.datasets {
            let t = try state.lastBackup(of: d.id).map { d.schedule.nextDue(after: $0.time) } ?? now
            next = min(next, t)
        }
        return max(next, now)
    }
}
