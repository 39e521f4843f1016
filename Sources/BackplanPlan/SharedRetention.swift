import BackplanCore

/// A snapshot that holds the files of several datasets: the executor puts every dataset backed up in one
/// round to one repository, under one retention and from one host, into one restic snapshot (issue #12), so
/// a round costs a few restic starts rather than one per dataset.
public struct SharedSnapshot: Sendable, Equatable, Hashable {
    public var id: String
    /// Unix seconds.
    public var time: Int64
    /// The datasets whose files it holds (and the state store still counts as live in it).
    public var members: [String]

    public init(id: String, time: Int64, members: [String]) {
        self.id = id
        self.time = time
        self.members = members
    }
}

/// What retention does with shared snapshots at one moment, per snapshot id: every snapshot is in exactly one
/// of `keep`, `forget`, `erase`.
public struct SharedRetentionDecision: Sendable, Equatable {
    public var keep: [String]
    public var forget: [String]
    public var erase: [String]
}

extension DatasetPlan.Retention {
    /// The one rule (``selection(of:now:lastVerified:)``) applied to snapshots several datasets share: each
    /// dataset's own selection over the snapshots that hold it, then per snapshot
    ///
    /// - **erase** when any member's selection erases it (its legal maximum passed: the legal maximum wins,
    ///   as in the one rule). The executor groups only datasets of equal erasure duty into a snapshot
    ///   (``sharingKey``), so every member's erasure falls on the same snapshots;
    /// - **forget** when every member has a retention here (`retentions`) and every member's selection
    ///   forgets it;
    /// - **keep** otherwise: while any member needs it — for its span, as its newest, as its last verified
    ///   restore — or a member is not one this run manages (another schedule group's, or a dataset no
    ///   longer in the plan).
    ///
    /// So every dataset keeps at least what its own selection keeps: the minimum span covered, its newest
    /// and last verified snapshot kept, everything past its maximum erased.
    ///
    /// ```swift
    /// let d = DatasetPlan.Retention.sharedSelection(of: snapshots, retentions: ["c1": r, "c2": r],
    ///                                               lastVerified: ["c1": "4f1c2a9e"], now: now)
    /// d.forget + d.erase      // for restic forget <ids>
    /// ```
    public static func sharedSelection(of snapshots: [SharedSnapshot], retentions: [String: DatasetPlan.Retention],
                                       lastVerified: [String: String], now: Int64) -> SharedRetentionDecision {
        var byDataset: [String: [RetentionSnapshot]] = [:]
        let memberSets = snapshots.map { Set($0.members) }
        for (s, members) in zip(snapshots, memberSets) {
            for m in members where retentions[m] != nil {
                byDataset[m, default: []].append(RetentionSnapshot(id: s.id, time: s.time))
            }
        }
        var erased = Set<String>()
        var forgottenBy: [String: Int] = [:]
        for (dataset, snaps) in byDataset {
            guard let r = retentions[dataset] else { continue }
            let sel = r.selection(of: snaps, now: now, lastVerified: lastVerified[dataset])
            for s in sel.erase { erased.insert(s.id) }
            for s in sel.forget { forgottenBy[s.id, default: 0] += 1 }
        }
        var out = SharedRetentionDecision(keep: [], forget: [], erase: [])
        for (s, members) in zip(snapshots, memberSets) {
            if erased.contains(s.id) {
                out.erase.append(s.id)
            } else if !members.isEmpty, members.allSatisfy({ retentions[$0] != nil }), forgottenBy[s.id, default: 0] == members.count {
                out.forget.append(s.id)
            } else {
                out.keep.append(s.id)
            }
        }
        return out
    }

    /// A text that is equal for two retentions exactly when their erasure duties are equal (the same
    /// ``deleteAfterSeconds``, or none): the executor puts datasets into one snapshot only then, so every
    /// member's erasure falls on the same snapshots and no snapshot outlives a member's legal maximum. Keep
    /// counts and spans may differ: ``sharedSelection(of:retentions:lastVerified:now:)`` keeps a snapshot while
    /// any member's own selection keeps it, so a dataset may keep restore points longer than its own rule asks
    /// (never fewer). One snapshot per (repository, host, erasure duty) is what keeps a round's restic starts
    /// few: each pays restic's key derivation and index load (issue #12's benchmark).
    ///
    /// ```swift
    /// DatasetPlan.Retention.rule(minimumSeconds: 30 * 86_400, maximumSeconds: 365 * 86_400, erase: false).sharingKey
    ///     == DatasetPlan.Retention.rule(minimumSeconds: 90 * 86_400, maximumSeconds: 730 * 86_400, erase: false).sharingKey  // true
    /// ```
    public var sharingKey: String {
        "e\(deleteAfterSeconds.map(String.init) ?? "-")"
    }
}
