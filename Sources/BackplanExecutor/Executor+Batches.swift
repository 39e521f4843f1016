import BackplanCore
import BackplanPlan
import BackplanStore
import Foundation

extension Executor {
    /// The tags of a snapshot holding `datasets`: `backplan`, the state store's (``StateStore/stateTag``), the
    /// schedule group's (``groupTag``) and one `dataset=<escaped id>` per dataset, so
    /// `restic snapshots --tag dataset=<id>` lists the snapshots that hold a dataset's file.
    func tags(datasets: [String]) -> [String] {
        ["backplan"] + [state.stateTag, groupTag].compactMap { $0 } + datasets.map(DatasetName.tag)
    }

    /// One snapshot to make: datasets of one repository, host and erasure duty.
    struct Batch {
        var repo: Targets.Repository
        var host: String
        var members: [Int]   // indexes into the round's list of datasets to send
    }

    /// The snapshots to make for `items` (the datasets a round sends): per (repository, host, erasure duty), in
    /// chunks of at most ``batchLimit`` datasets or 256 KiB of tags. Datasets share a snapshot only when their
    /// erasure duties are equal (``BackplanPlan/DatasetPlan/Retention/sharingKey``), so erasure falls on whole
    /// snapshots; a snapshot stays while any member needs it
    /// (``BackplanPlan/DatasetPlan/Retention/sharedSelection(of:retentions:lastVerified:now:)``).
    func batches(of items: [Due]) throws -> [Batch] {
        var batches: [String: Batch] = [:]
        var order: [String] = []
        for (i, item) in items.enumerated() {
            var seen = Set<String>()
            for c in item.plan.copies {
                let repo = try targets.repository(region: c.region, tier: c.tier)
                guard seen.insert(repo.repository).inserted else { continue }
                let key = [repo.repository, item.shard, item.plan.retention.sharingKey].joined(separator: "\n")
                if batches[key] == nil {
                    batches[key] = Batch(repo: repo, host: item.shard, members: [])
                    order.append(key)
                }
                batches[key]?.members.append(i)
            }
        }
        var chunks: [Batch] = []
        for key in order {
            guard let b = batches[key] else { continue }
            var current = Batch(repo: b.repo, host: b.host, members: [])
            var tagBytes = 0
            for m in b.members {
                let bytes = DatasetName.tag(items[m].plan.id).utf8.count + 8
                if !current.members.isEmpty && (current.members.count >= batchLimit || tagBytes + bytes > 256 * 1024) {
                    chunks.append(current)
                    current.members = []
                    tagBytes = 0
                }
                current.members.append(m)
                tagBytes += bytes
            }
            if !current.members.isEmpty { chunks.append(current) }
        }
        return chunks
    }

    /// Makes a staging folder and a ``Gate`` per batch and returns the round's ``Sending``: its restic runs
    /// start at ``Sending/startAll()`` and list their folders once the batch's exports are in.
    func startSending(_ batches: [Batch], items: [Due], now: Int64, work: String) throws -> Sending {
        var folders: [String] = []
        var gates: [Gate?] = []
        for n in batches.indices {
            let dir = "\(work)/batch-\(n)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            folders.append(dir)
            // Without a named pipe (a file system that has none) the batch's restic starts after its exports.
            gates.append(try? Gate(path: "\(work)/gate-\(n)"))
        }
        let restic = self.restic
        let jobs = zip(batches, folders).map { b, dir in (b.repo, dir, tags(datasets: b.members.map { items[$0].plan.id }), b.host) }
        return Sending(batches: batches, folders: folders, gates: gates, limit: sendConcurrency) { n, launch in
            let (repo, dir, tags, host) = jobs[n]
            do {
                return .success(try restic.backup(repo, folder: dir, tags: tags, host: host, time: now, gate: launch.gate, started: launch.started))
            } catch let failure as Restic.Failure {
                return .failure(failure)
            } catch {
                return .failure(Restic.Failure(action: "backup", repository: repo.repository, status: -1, stderr: "\(error)"))
            }
        }
    }

    /// Ends a round's sending: waits for the restic runs and checks that each snapshot holds every file of its
    /// batch (restic's count of files and bytes read against the exports'). The snapshot of a batch that
    /// missed a file, that restic found empty, or some of whose datasets turned out unchanged at export (its
    /// tags named them) is forgotten (`abandon`) and made again, now that every export is in its folder.
    ///
    /// Then every dataset all of whose copies got a snapshot is recorded, all in one transaction; a dataset
    /// with a failed copy is `failed` and recorded nowhere. A snapshot none of whose datasets was recorded is
    /// forgotten at once (`abandon`); a failed dataset's file in a snapshot kept for others stays in it,
    /// unrecorded, until retention forgets that snapshot (same erasure duty, so never past its legal maximum).
    ///
    /// - Parameter exported: by index among `items`, the datasets exported that changed.
    /// - Returns: the actions, and the backups recorded (for the round's retention, which reads no history again).
    func finishSending(_ sending: Sending, items: [Due], exported: [Int: Exported], now: Int64,
                       log: (String) -> Void) throws -> (actions: [Action], recorded: [StateStore.Backup]) {
        let outcomes = sending.wait()
        defer { for folder in sending.folders { try? FileManager.default.removeItem(atPath: folder) } }
        // snapshot[i][repository] = the snapshot holding dataset i there; failure[i] = why a copy failed.
        var snapshot: [Int: [String: String]] = [:]
        var failure: [Int: Restic.Failure] = [:]
        var made: [(repo: Targets.Repository, id: String, members: [Int])] = []
        var actions: [Action] = []
        for (n, chunk) in sending.batches.enumerated() {
            let sent = chunk.members.filter { exported[$0] != nil }
            var outcome = outcomes[n]
            if let early = try? outcome.get(), sent.count == chunk.members.count, early.files == sent.count,
               early.bytes == sent.reduce(0, { $0 + (exported[$1]?.manifest.bytes ?? 0) }) {
                // complete: restic read every export of the batch
            } else if (try? outcome.get()) != nil || Self.foundEmpty(outcome) {
                if let early = try? outcome.get() {
                    try? state.audit(time: now, action: "abandon",
                                     detail: "repository=\(chunk.repo.repository) snapshot=\(early.snapshot) datasets=\(chunk.members.count)")
                    try? restic.forget(chunk.repo, ids: [early.snapshot])
                    actions.append(Action(kind: "abandon", dataset: nil, repository: chunk.repo.repository, snapshots: [early.snapshot],
                                          detail: "restic read \(early.files) of the batch's \(chunk.members.count) files (\(sent.count) changed); made again"))
                }
                guard !sent.isEmpty else { continue }
                do {
                    outcome = .success(try restic.backup(chunk.repo, folder: sending.folders[n], tags: tags(datasets: sent.map { items[$0].plan.id }),
                                                         host: chunk.host, time: now))
                } catch let f as Restic.Failure {
                    outcome = .failure(f)
                }
            }
            guard !sent.isEmpty else { continue }
            switch outcome {
            case .success(let s):
                for m in sent { snapshot[m, default: [:]][chunk.repo.repository] = s.snapshot }
                made.append((chunk.repo, s.snapshot, sent))
                log("snapshot \(s.snapshot) on \(chunk.repo.repository): \(sent.count) dataset(s)")
            case .failure(let error):
                for m in sent { failure[m] = error }
                log("backup of \(sent.count) dataset(s) to \(chunk.repo.repository) failed: \(error)")
            }
        }
        var records: [StateStore.NewBackup] = []
        var recorded = Set<Int>()
        for (i, e) in exported.sorted(by: { $0.key < $1.key }) {
            let d = e.due.plan
            var copies: [StateStore.Copy] = []
            for c in d.copies {
                let repo = try targets.repository(region: c.region, tier: c.tier)
                if let id = snapshot[i]?[repo.repository] {
                    copies.append(.init(region: c.region, tier: c.tier, repository: repo.repository, snapshot: id, forgottenAt: nil))
                }
            }
            guard failure[i] == nil, copies.count == d.copies.count, !copies.isEmpty else {
                let why = failure[i]
                actions.append(Action(kind: "failed", dataset: d.id, repository: why?.repository, snapshots: [],
                                      detail: why?.description ?? "\(copies.count) of \(d.copies.count) copies made"))
                continue
            }
            records.append(.init(dataset: d.id, time: now, filename: e.filename, manifest: e.manifest, copies: copies))
            recorded.insert(i)
            actions.append(Action(kind: "backup", dataset: d.id, repository: nil, snapshots: copies.map(\.snapshot),
                                  detail: "\(e.manifest.rows) rows, digest \(e.manifest.digest), /\(e.filename)"))
        }
        let ids = try state.recordBackups(records)
        log("recorded \(records.count) backup(s) in \(made.count) snapshot(s)")
        // Snapshots none of whose datasets was recorded (their copies elsewhere failed) are not backups.
        for s in made where !s.members.contains(where: recorded.contains) {
            try? state.audit(time: now, action: "abandon", detail: "repository=\(s.repo.repository) snapshot=\(s.id) datasets=\(s.members.count)")
            try? restic.forget(s.repo, ids: [s.id])
            actions.append(Action(kind: "abandon", dataset: nil, repository: s.repo.repository, snapshots: [s.id],
                                  detail: "no dataset in it got all its copies"))
        }
        let backups = zip(ids, records).map { id, r in
            StateStore.Backup(id: id, dataset: StateStore.storedID(r.dataset), time: r.time, filename: r.filename, manifest: r.manifest, copies: r.copies)
        }
        return (actions, backups)
    }

    /// Whether restic refused to make a snapshot of an empty folder (it listed it before any export was there).
    static func foundEmpty(_ outcome: Result<Restic.Summary, Restic.Failure>) -> Bool {
        if case .failure(let f) = outcome { return f.stderr.contains("snapshot is empty") }
        return false
    }
}
