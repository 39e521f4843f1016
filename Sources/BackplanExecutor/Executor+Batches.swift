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

    /// One snapshot to make: datasets of one repository, host (shard) and erasure duty.
    struct Batch {
        var repo: Targets.Repository
        var host: String
        var members: [Int]   // indexes into the exported list
    }

    /// Sends a round's exports: per (repository, host, erasure duty) — in chunks of at most ``batchLimit``
    /// datasets or 256 KiB of tags — hard links of the members' export files go into a staging folder of
    /// their own, and one `restic backup .` inside it makes one snapshot whose root holds one file per dataset.
    /// Datasets share a snapshot only when their erasure duties are equal
    /// (``BackplanPlan/DatasetPlan/Retention/sharingKey``), so erasure falls on whole snapshots; a snapshot
    /// stays while any member needs it (``BackplanPlan/DatasetPlan/Retention/sharedSelection(of:retentions:lastVerified:now:)``).
    ///
    /// The snapshots are made ``sendConcurrency`` at a time (each restic start is mostly its own key derivation,
    /// one core's work); nothing is recorded until all are done.
    ///
    /// Then every dataset all of whose copies got a snapshot is recorded, all in one transaction; a dataset
    /// with a failed copy is `failed` and recorded nowhere. A snapshot none of whose datasets was recorded is
    /// forgotten at once (`abandon`); a failed dataset's file in a snapshot kept for others stays in it,
    /// unrecorded, until retention forgets that snapshot (same erasure duty, so never past its legal maximum).
    func sendBatches(_ exported: [Exported], now: Int64, work: String, log: (String) -> Void) throws -> [Action] {
        var batches: [String: Batch] = [:]
        var order: [String] = []
        for (i, e) in exported.enumerated() {
            var seen = Set<String>()
            for c in e.due.plan.copies {
                let repo = try targets.repository(region: c.region, tier: c.tier)
                guard seen.insert(repo.repository).inserted else { continue }
                let key = [repo.repository, e.due.shard, e.due.plan.retention.sharingKey].joined(separator: "\n")
                if batches[key] == nil {
                    batches[key] = Batch(repo: repo, host: e.due.shard, members: [])
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
                let bytes = DatasetName.tag(exported[m].due.plan.id).utf8.count + 8
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
        // snapshot[i][repository] = the snapshot holding dataset i there; failure[i] = why a copy failed.
        var snapshot = [[String: String]](repeating: [:], count: exported.count)
        var failure: [Int: Restic.Failure] = [:]
        var made: [(repo: Targets.Repository, id: String, members: [Int])] = []
        let outcomes = try Self.concurrently(chunks.count, limit: sendConcurrency) { n -> (id: String?, failure: Restic.Failure?) in
            let chunk = chunks[n]
            let dir = "\(work)/batch-\(n)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for m in chunk.members {
                try FileManager.default.linkItem(atPath: "\(work)/files/\(exported[m].filename)", toPath: "\(dir)/\(exported[m].filename)")
            }
            do {
                return (try restic.backup(chunk.repo, folder: dir, tags: tags(datasets: chunk.members.map { exported[$0].due.plan.id }),
                                          host: chunk.host, time: now), nil)
            } catch let error as Restic.Failure {
                return (nil, error)
            }
        }
        for (chunk, outcome) in zip(chunks, outcomes) {
            if let id = outcome.id {
                for m in chunk.members { snapshot[m][chunk.repo.repository] = id }
                made.append((chunk.repo, id, chunk.members))
                log("snapshot \(id) on \(chunk.repo.repository): \(chunk.members.count) dataset(s)")
            } else if let error = outcome.failure {
                for m in chunk.members { failure[m] = error }
                log("backup of \(chunk.members.count) dataset(s) to \(chunk.repo.repository) failed: \(error)")
            }
        }
        var records: [StateStore.NewBackup] = []
        var recorded = Set<Int>()
        var actions: [Action] = []
        for (i, e) in exported.enumerated() {
            let d = e.due.plan
            var copies: [StateStore.Copy] = []
            for c in d.copies {
                let repo = try targets.repository(region: c.region, tier: c.tier)
                if let id = snapshot[i][repo.repository] {
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
        try state.recordBackups(records)
        log("recorded \(records.count) backup(s) in \(made.count) snapshot(s)")
        // Snapshots none of whose datasets was recorded (their copies elsewhere failed) are not backups.
        for s in made where !s.members.contains(where: recorded.contains) {
            try? state.audit(time: now, action: "abandon", detail: "repository=\(s.repo.repository) snapshot=\(s.id) datasets=\(s.members.count)")
            try? restic.forget(s.repo, ids: [s.id])
            actions.append(Action(kind: "abandon", dataset: nil, repository: s.repo.repository, snapshots: [s.id],
                                  detail: "no dataset in it got all its copies"))
        }
        return actions
    }

    /// `body(i)` for every i in `0..<count`, at most `limit` at once on threads of their own (not Dispatch's
    /// pool, which ``ChildProcess`` uses to read a child's stderr while these threads wait on its stdout); the
    /// results in order. The first error thrown (in index order) is rethrown once all are done.
    static func concurrently<T>(_ count: Int, limit: Int, _ body: @escaping (Int) throws -> T) throws -> [T] {
        let box = ConcurrentResults(count, body)
        let group = DispatchGroup()
        for _ in 0..<min(count, max(1, limit)) {
            group.enter()
            let worker = Thread {
                while true {
                    box.lock.lock()
                    let i = box.next
                    box.next += 1
                    box.lock.unlock()
                    guard i < count else { break }
                    let r = Result { try box.body(i) }
                    box.lock.lock()
                    box.results[i] = r
                    box.lock.unlock()
                }
                group.leave()
            }
            worker.start()
        }
        group.wait()
        return try box.results.map { try $0!.get() }
    }
}

/// The shared state of ``Executor/concurrently(_:limit:_:)``'s threads, under its lock.
private final class ConcurrentResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var results: [Result<T, any Error>?]
    let body: (Int) throws -> T

    init(_ count: Int, _ body: @escaping (Int) throws -> T) {
        results = Array(repeating: nil, count: count)
        self.body = body
    }
}
