import BackplanCore
import BackplanPlan
import BackplanStore
import Foundation

/// Restores and restore drills: `restic dump` of a recorded backup's snapshot, `PRAGMA integrity_check`, and
/// the row count and content digest compared with the backup's manifest.
///
/// ```swift
/// let r = Restorer(targets: targets, state: state)
/// let result = try r.restore("c000042", at: nil, to: "/tmp/c000042.sqlite")
/// result.verified      // integrity ok, rows and digest equal the manifest
/// ```
public struct Restorer {
    public var targets: Targets
    public var state: StateStore
    public var restic: Restic

    public init(targets: Targets, state: StateStore, restic: Restic = Restic()) {
        self.targets = targets
        self.state = state
        self.restic = restic
    }

    /// What a restore found.
    public struct Result: Codable, Sendable, Equatable {
        public var dataset: String
        public var backupID: Int64
        /// The backup's time (Unix seconds).
        public var backupTime: Int64
        public var repository: String
        public var snapshot: String
        public var rows: Int
        public var expectedRows: Int
        public var digestMatches: Bool
        /// `nil` when `PRAGMA integrity_check` says ok.
        public var integrityProblem: String?
        /// Wall-clock seconds of dump and checks.
        public var seconds: Double

        public var verified: Bool { integrityProblem == nil && digestMatches && rows == expectedRows }
    }

    /// Restores the newest backup of `dataset` at or before `at` (any when `nil`) to the new file `path`, from
    /// its first online copy that answers (offline copies last).
    ///
    /// - Throws: ``InputError`` when there is no such backup or `path` exists; ``Restic/Failure`` when no copy
    ///   could be dumped.
    public func restore(_ dataset: String, at: Int64?, to path: String) throws -> Result {
        guard !FileManager.default.fileExists(atPath: path) else { throw InputError(file: path, "already exists; restore to a new path") }
        guard let backup = try state.lastBackup(of: dataset, atOrBefore: at) else {
            throw InputError(file: state.path, "no backup of dataset '\(DatasetName.escaped(dataset))'" + (at.map { " at or before \($0)" } ?? ""))
        }
        let start = Date()
        var lastError: (any Error)?
        let live = backup.copies.filter { $0.forgottenAt == nil }
        let ordered = try live.map { ($0, try targets.repository(region: $0.region, tier: $0.tier)) }.sorted { !$0.1.offline && $1.1.offline }
        for (copy, repo) in ordered {
            do {
                try restic.dump(repo, id: copy.snapshot, filename: backup.filename, to: path)
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                lastError = error
                continue
            }
            let problem = try MessageStoreExport.integrityProblem(file: path)
            let got = try MessageStoreExport.digest(file: path, scheme: ContentDigest.Scheme(of: backup.manifest.digest))
            return Result(dataset: dataset, backupID: backup.id, backupTime: backup.time, repository: repo.repository,
                          snapshot: copy.snapshot, rows: got.rows, expectedRows: backup.manifest.rows,
                          digestMatches: got.digest == backup.manifest.digest, integrityProblem: problem,
                          seconds: Date().timeIntervalSince(start))
        }
        throw lastError ?? InputError(file: state.path, "backup \(backup.id) of '\(DatasetName.escaped(dataset))' has no copy left")
    }

    /// A restore drill over `sample` datasets with backups, chosen with a seeded shuffle (the same seed, the
    /// same datasets): each is restored to a temporary file, checked, and the result recorded in the state
    /// store (a failed dump is recorded as a failed drill).
    public func drill(sample: Int, seed: UInt64, now: Int64) throws -> [Result] {
        var rng = SplitMix64(seed: seed)
        let chosen = Array(try state.datasets().shuffled(using: &rng).prefix(max(0, sample))).sorted()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-drill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var results: [Result] = []
        for (i, dataset) in chosen.enumerated() {
            guard let backup = try state.lastBackup(of: dataset) else { continue }
            do {
                let r = try restore(dataset, at: nil, to: "\(dir)/\(i).sqlite")
                let note = r.verified ? "verified \(r.rows) rows from \(r.snapshot)"
                    : "FAILED: rows \(r.rows)/\(r.expectedRows), digest \(r.digestMatches ? "ok" : "differs"), integrity \(r.integrityProblem ?? "ok")"
                try state.recordDrill(dataset: dataset, backupID: r.backupID, time: now, ok: r.verified, seconds: r.seconds, message: note)
                results.append(r)
            } catch let error as Restic.Failure {
                try state.recordDrill(dataset: dataset, backupID: backup.id, time: now, ok: false, seconds: 0, message: "FAILED: \(error)")
                results.append(Result(dataset: dataset, backupID: backup.id, backupTime: backup.time, repository: error.repository,
                                      snapshot: "", rows: 0, expectedRows: backup.manifest.rows, digestMatches: false,
                                      integrityProblem: "restic dump failed", seconds: 0))
            }
        }
        return results
    }
}
