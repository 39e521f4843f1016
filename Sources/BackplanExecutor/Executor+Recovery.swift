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
    /// 2. The sweep: snapshots tagged `backplan`, with this state store's tag (``StateStore/stateTag``) and —
    ///    for a schedule group's run — the group's tag (``groupTag``), that the state store does not hold as a
    ///    live copy are forgotten, with a `sweep` audit entry first. They are what a kill leaves: a snapshot
    ///    restic made but the state never recorded (killed before the commit), or one retention recorded as
    ///    forgotten before restic forgot it. A group's run never sweeps another group's snapshots, which may
    ///    be in the making, nor the ones without a group tag a killed whole-plan run left (only a whole-plan
    ///    run sweeps those). Listing snapshots costs a restic start per repository, so the sweep runs only when
    ///    it may find something: when the previous run of this group (or any run, for a whole-plan run) did
    ///    not finish (``StateStore/unfinishedRounds()``: each run marks its round unfinished before it sends
    ///    anything and clears the mark at the end of a round without failures), when the repository held a
    ///    lock (a restic that outlived a killed executor may have finished a snapshot since), and otherwise
    ///    once a day (``sweepEverySeconds``).
    ///
    /// A repository that does not answer is left for the round's own commands to report.
    ///
    /// - Returns: the sweep's actions and the repositories that lost snapshots (to be pruned).
    public func recover(now: Int64, log: (String) -> Void) throws -> (actions: [Action], touched: [String: Targets.Repository]) {
        var actions: [Action] = []
        var touched: [String: Targets.Repository] = [:]
        let unfinished = try state.unfinishedRounds()
        let due = try state.lastSweep(roundKey).map { now - $0 >= Self.sweepEverySeconds || now < $0 } ?? true
        let sweepAll = due || (scheduleGroup == nil ? !unfinished.isEmpty : unfinished.contains(roundKey))
        try state.markRoundUnfinished(roundKey)
        var complete = true
        for repo in try planRepositories() {
            let locked = Restic.mayBeLocked(repo)
            do {
                if locked { try restic.unlockStale(repo) }
            } catch let failure as Restic.Failure {
                log("recovery skipped \(repo.repository): \(failure)")
                complete = false
                continue
            }
            guard sweepAll || locked, let tag = state.stateTag else { continue }
            let snapshots: [Restic.Snapshot]
            do {
                snapshots = try restic.snapshots(repo, taggedAll: ["backplan", tag] + (groupTag.map { [$0] } ?? []))
            } catch let failure as Restic.Failure {
                log("sweep skipped \(repo.repository): \(failure)")
                complete = false
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
        if sweepAll && complete { try state.recordSweep(roundKey, time: now) }
        return (actions, touched)
    }

    /// A run sweeps its repositories at least this often (seconds of round time), finished rounds or not.
    static let sweepEverySeconds: Int64 = 86_400

    /// The key of this run's unfinished-round mark: `group=<name>`, or `all` for a run of the whole plan.
    var roundKey: String { scheduleGroup.map { "group=" + $0 } ?? "all" }

    /// Clears the unfinished-round mark at the end of a round that went through (a whole-plan run clears
    /// every group's too: its sweep covered their snapshots).
    func finishRound() throws {
        try state.markRoundFinished(scheduleGroup == nil ? nil : roundKey)
    }
}
