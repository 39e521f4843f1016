import BackplanCore
import BackplanPlan
import Foundation

extension Executor {
    /// The repositories the plan's copies go to, once each, by name.
    func planRepositories() throws -> [Targets.Repository] {
        var seen: [String: Targets.Repository] = [:]
        for d in plan.datasets {
            for c in d.copies {
                let r = try targets.repository(region: c.region, tier: c.tier)
                seen[r.repository] = r
            }
        }
        return seen.keys.sorted().compactMap { seen[$0] }
    }

    /// Start-of-round recovery from an executor that was killed (SIGKILL, power loss) mid-round. Per
    /// repository of the plan:
    ///
    /// 1. `restic unlock` (``Restic/unlockStale(_:)``) when the repository holds a lock (a local one's `locks`
    ///    folder is looked at; a backend's is always unlocked): removes locks of restic processes of this host
    ///    that no longer exist (a restic killed with the executor while it held the exclusive lock of a forget
    ///    or prune) and locks older than 30 minutes; a live restic's lock stays, and the round's restic
    ///    commands wait for it (``Restic/lockWaitSeconds``; they also unlock stale locks first when refused).
    /// 2. The sweep: snapshots tagged `backplan` and with this state store's tag (``StateStore/stateTag``)
    ///    that the state store does not hold as a live copy are forgotten, with a `sweep` audit entry first.
    ///    They are what a kill leaves: a snapshot restic made but the state never recorded (killed before
    ///    the commit, or before the last copy), or one retention recorded as forgotten before restic forgot it.
    ///
    /// A repository that does not answer is left for the round's own commands to report.
    ///
    /// - Returns: the sweep's actions and the repositories that lost snapshots (to be pruned).
    public func recover(now: Int64, log: (String) -> Void) throws -> (actions: [Action], touched: [String: Targets.Repository]) {
        var actions: [Action] = []
        var touched: [String: Targets.Repository] = [:]
        for repo in try planRepositories() {
            do {
                if Restic.mayBeLocked(repo) { try restic.unlockStale(repo) }
            } catch let failure as Restic.Failure {
                log("recovery skipped \(repo.repository): \(failure)")
                continue
            }
            guard let tag = state.stateTag else { continue }
            let snapshots: [Restic.Snapshot]
            do {
                snapshots = try restic.snapshots(repo, taggedAll: ["backplan", tag])
            } catch let failure as Restic.Failure {
                log("sweep skipped \(repo.repository): \(failure)")
                continue
            }
            let live = try state.liveSnapshots(in: repo.repository)
            let orphans = snapshots.filter { s in !live.contains { s.isNamed(by: $0) } }.map(\.id)
            guard !orphans.isEmpty else { continue }
            try state.audit(time: now, action: "sweep",
                            detail: "repository=\(repo.repository) unrecorded snapshots=\(orphans.joined(separator: ","))")
            try restic.forget(repo, ids: orphans)
            log("sweep \(repo.repository): forgot \(orphans.count) unrecorded snapshot(s)")
            touched[repo.repository] = repo
            actions.append(Action(kind: "sweep", dataset: nil, repository: repo.repository, snapshots: orphans,
                                  detail: "restic forget of snapshots the state store never recorded"))
        }
        return (actions, touched)
    }
}
