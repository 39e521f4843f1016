import BackplanCore
import Crypto
import Foundation

// MARK: - Reading and writing plan files

extension Plan {
    /// The plan as JSON: sorted keys, two-space indentation, one trailing newline (``CanonicalJSON``), so the
    /// same plan always gives the same bytes.
    ///
    /// - Throws: ``InputError`` when the plan was loaded without its reasons (``load(_:reasons:)``): written, it
    ///   would lose them.
    public func jsonData() throws -> Data {
        if datasets.contains(where: { $0.why == .notRead }) {
            throw InputError(file: "plan", "loaded without its datasets' reasons; it cannot be written")
        }
        return try CanonicalJSON.data(self)
    }

    /// The decoder `userInfo` key that makes ``DatasetPlan`` pass over its reasons (``load(_:reasons:)``).
    public static let skipsReasonsKey = CodingUserInfoKey(rawValue: "backplan.plan.skipsReasons")!

    /// Reads a plan file and checks that this code reads its schema version.
    ///
    /// ```swift
    /// let plan = try Plan.load("out/plan.json")
    /// let toRun = try Plan.load("out/plan.json", reasons: false)   // the executor's read: no `why`
    /// ```
    ///
    /// - Parameter reasons: `false` passes over each dataset's ``DatasetPlan/why`` (``DatasetPlan/Why/notRead``
    ///   in its place), for readers that only carry the plan out: on a 10,000-dataset plan (20 MB) the decoding
    ///   takes a fraction of the time (the reasons are most of the bytes and of the decoding). The JSON is still
    ///   checked whole.
    /// - Throws: ``InputError`` naming the file when it is missing, not a Backplan plan, or of another schema
    ///   version.
    public static func load(_ file: String, reasons: Bool = true) throws -> Plan {
        try decode(try InputFile.contents(of: file, what: "plan file"), file: file, reasons: reasons)
    }

    /// ``load(_:reasons:)`` of the bytes `data` read from `file`.
    static func decode(_ data: Data, file: String, reasons: Bool) throws -> Plan {
        let plan: Plan
        do {
            let decoder = JSONDecoder()
            if !reasons { decoder.userInfo[skipsReasonsKey] = true }
            plan = try decoder.decode(Plan.self, from: data)
        } catch {
            throw InputError(file: file, "not a Backplan plan: \(error)")
        }
        guard readableSchemaVersions.contains(plan.schemaVersion) else {
            throw InputError(file: file, "plan schema version \(plan.schemaVersion); this Backplan reads \(readableSchemaVersions.lowerBound) to \(readableSchemaVersions.upperBound)")
        }
        for d in plan.datasets { if let s = d.dataSchedule, let problem = s.problem { throw InputError(file: file, column: "datasets[\(d.id)].dataSchedule", problem) } }
        return plan
    }

    /// The entry of dataset `id`.
    ///
    /// - Parameter file: the plan's path, named in the error.
    /// - Throws: ``InputError`` naming `file` when the dataset is infeasible (with the reason) or not in the plan
    ///   (with how many datasets there are and what an id looks like).
    public func entry(_ id: String, file: String) throws -> DatasetPlan {
        if let d = datasets.first(where: { $0.id == id }) { return d }
        if let bad = infeasible.first(where: { $0.id == id }) {
            throw InputError(file: file, "dataset '\(id)' has no plan: \(bad.reason)")
        }
        throw InputError(file: file, "no dataset '\(id)' in the plan (\(datasets.count) datasets; ids look like '\(datasets.first?.id ?? "")')")
    }

    /// The files a plan written to `path` consists of: the plan itself and its exports beside it.
    ///
    /// ```swift
    /// let files = Plan.Files(plan: "out/plan.json")
    /// files.s3Lifecycle   // "out/plan.s3-lifecycle.json"
    /// files.restic        // "out/plan.restic.txt"
    /// files.kubernetes    // "out/plan.k8s-cronjobs.yaml"
    /// files.awsBackup     // "out/plan.aws-backup.json"
    /// ```
    public struct Files: Sendable, Equatable {
        public var plan: String
        /// The S3 Lifecycle configuration (``Plan/s3Lifecycle(catalog:)``), written for catalogs with S3 storage classes.
        public var s3Lifecycle: String
        /// The `restic forget` script (``Plan/resticScript()``).
        public var restic: String
        /// The Kubernetes CronJobs (``Plan/kubernetesCronJobs(_:)``).
        public var kubernetes: String
        /// The AWS Backup plan (``Plan/awsBackupPlan(catalog:planName:)``), written with the S3 Lifecycle file.
        public var awsBackup: String

        /// The exports' names: the plan's path without a `.json` suffix, then `.s3-lifecycle.json`,
        /// `.restic.txt`, `.k8s-cronjobs.yaml` and `.aws-backup.json`.
        public init(plan: String) {
            self.plan = plan
            let base = plan.hasSuffix(".json") ? String(plan.dropLast(5)) : plan
            s3Lifecycle = base + ".s3-lifecycle.json"
            restic = base + ".restic.txt"
            kubernetes = base + ".k8s-cronjobs.yaml"
            awsBackup = base + ".aws-backup.json"
        }

        /// Every path, plan first.
        public var all: [String] { [plan, s3Lifecycle, restic, kubernetes, awsBackup] }
    }

    /// What ``write(to:catalog:kubernetes:)`` wrote: the paths, plan first, and every rounding or adjustment the
    /// exports made, one line each, for the summary.
    public struct Written: Sendable, Equatable {
        public var paths: [String]
        public var notes: [String]
    }

    /// Writes the plan to `path` and its exports beside it (``Files``), each file atomically. The S3 Lifecycle
    /// and AWS Backup files are written when every tier of the plan is an S3 storage class.
    ///
    /// - Parameter catalog: the price catalog the plan was made with (tiers' minimum billed days).
    /// - Throws: ``InputError`` naming the catalog when a tier of the plan is not in it; file errors.
    @discardableResult
    public func write(to path: String, catalog: PriceCatalog, kubernetes: KubernetesOptions = .init()) throws -> Written {
        let files = Files(plan: path)
        // Every export is made before anything is written, so a failing one leaves no half-written set.
        let lifecycle = try s3Lifecycle(catalog: catalog)
        let aws = lifecycle == nil ? nil : try awsBackupPlan(catalog: catalog)
        var outputs: [(String, Data)] = [(files.plan, try jsonData())]
        var notes: [String] = []
        if let lifecycle, let aws {
            outputs.append((files.s3Lifecycle, lifecycle.json))
            outputs.append((files.awsBackup, aws.json))
            notes += lifecycle.notes.map { "S3 Lifecycle: " + $0 } + aws.notes.map { "AWS Backup: " + $0 }
        }
        outputs.append((files.restic, Data(resticScript().utf8)))
        outputs.append((files.kubernetes, Data(kubernetesCronJobs(kubernetes).utf8)))
        notes += scheduleRoundings().map { "cron: " + $0 }
        for (file, data) in outputs { try data.write(to: URL(fileURLWithPath: file), options: .atomic) }
        return Written(paths: outputs.map { $0.0 }, notes: notes)
    }
}

// MARK: - Input digests

extension Plan.Digest {
    /// The SHA-256 of the bytes of the file at `path` (read in 1 MiB chunks), with the path as given.
    ///
    /// - Throws: ``InputError`` naming the file when it cannot be read.
    public init(file path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError(file: path, "cannot read the file to digest it") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw InputError(file: path, "cannot read the file to digest it (\(error))")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        self.init(path: path, sha256: Hex.string(hasher.finalize()))
    }
}

extension Plan.Inputs {
    /// The inputs of a plan made from the stats store whose content digest is `statsStore`, the model in
    /// `modelDirectory` (its `model.json`), and the policy and price files: each file's SHA-256.
    ///
    /// ```swift
    /// let inputs = try Plan.Inputs.files(statsStore: storeDigest, modelDirectory: "models/default",
    ///                                    policy: "datasets/policies/messaging.yaml", prices: "datasets/pricing/aws-s3.yaml")
    /// inputs.model.path   // "models/default/model.json"
    /// ```
    public static func files(statsStore: Plan.Digest, modelDirectory: String, policy: String, prices: String) throws -> Plan.Inputs {
        let model = (modelDirectory.hasSuffix("/") ? modelDirectory : modelDirectory + "/") + "model.json"
        return Plan.Inputs(statsStore: statsStore, model: try Plan.Digest(file: model), policy: try Plan.Digest(file: policy),
                           prices: try Plan.Digest(file: prices))
    }

    /// The inputs whose digests differ from `current`'s, by name (`statsStore`, `model`, `policy`, `prices`):
    /// empty when the plan was made from exactly these inputs. Paths are not compared.
    public func changed(from current: Plan.Inputs) -> [String] {
        var out: [String] = []
        if statsStore.sha256 != current.statsStore.sha256 { out.append("statsStore") }
        if model.sha256 != current.model.sha256 { out.append("model") }
        if policy.sha256 != current.policy.sha256 { out.append("policy") }
        if prices.sha256 != current.prices.sha256 { out.append("prices") }
        return out
    }
}
