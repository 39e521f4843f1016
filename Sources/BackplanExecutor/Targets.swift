import BackplanCore
import BackplanStore
import BackplanYAML
import Foundation

/// Where a plan's backups go and where its datasets' data lives: the executor's targets file.
///
/// ```yaml
/// repositories:                      # one per (region, tier) the plan uses
///   - region: region-1
///     tier: standard
///     repository: repos/standard     # a local path, or any restic backend URL (s3:…, sftp:…, rest:…)
///     passwordFile: secrets/restic.pw  # mode 0600, or the run refuses
///     offline: false                 # optional; true for an offline/immutable copy
///     options: ["s3.storage-class=STANDARD_IA"]   # optional restic -o options
/// locations:                         # plan `location` → message store + dataset key
///   default: {store: chat.sqlite, key: conversation}     # any location not listed: conversation=<location>
///   everything: {store: chat.sqlite, key: whole}
///   alice: {store: chat.sqlite, key: "sender=alice", shard: eu-1}
/// ```
///
/// Relative paths are taken from the targets file's folder. Errors name the file, line and key.
public struct Targets: Sendable, Equatable {
    /// One restic repository.
    public struct Repository: Sendable, Equatable {
        public var region: String
        public var tier: String
        /// A local path (absolute after loading) or a restic backend URL.
        public var repository: String
        public var passwordFile: String
        public var offline: Bool
        public var options: [String]
    }

    /// Where one plan `location` lives.
    public struct Location: Sendable, Equatable {
        /// The message-store file.
        public var store: String
        /// `conversation=<id>`, `sender=<id>`, or the whole store; `nil` for the default entry, which means
        /// `conversation=<location>`.
        public var key: MessageStoreExport.Key?
        /// The host name restic records (`--host`): `shard`, else the store's file name without extension.
        public var shard: String
    }

    public var file: String
    public var repositories: [Repository]
    public var locations: [String: Location]

    /// The repository of a plan copy, or an error naming the targets file.
    public func repository(region: String, tier: String) throws -> Repository {
        if let r = repositories.first(where: { $0.region == region && $0.tier == tier }) { return r }
        throw InputError(file: file, column: "repositories", "no repository for region '\(region)', tier '\(tier)' (the plan uses it)")
    }

    /// The store, key and shard of a plan `location`.
    public func locate(_ location: String) throws -> (store: String, key: MessageStoreExport.Key, shard: String) {
        if let l = locations[location] { return (l.store, l.key ?? .conversation(location), l.shard) }
        if let d = locations["default"] { return (d.store, .conversation(location), d.shard) }
        throw InputError(file: file, column: "locations", "no location '\(location)' and no 'default' entry")
    }

    /// Reads and checks a targets file with the key-checking ``BackplanYAML/YAMLReader`` (as the policy and
    /// scenario files are read): every key known (an unknown or misspelt one is refused), every password file
    /// present, not a symlink and of mode 0600 (or stricter), local repositories not symlinks.
    ///
    /// - Throws: ``InputError`` with the file, line and key of the first problem
    ///   (`targets.yaml:4: key 'repositories[0].passwordFile': … has mode 644; it must be 600`).
    public static func load(_ file: String) throws -> Targets {
        var root = try YAMLReader.open(file)
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let base = URL(fileURLWithPath: absolute).deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardized.path }
        var repos: [Repository] = []
        let list = try root.optionalMappingList("repositories") ?? []
        guard !list.isEmpty else { throw root.error("repositories", "missing or empty list of repositories") }
        for var r in list {
            var repo = try r.string("repository")
            if !Restic.isBackendURL(repo) {
                repo = resolve(repo)
                try refuseSymlink(repo, r, "repository")
            }
            let pw = resolve(try r.string("passwordFile"))
            try checkPasswordFile(pw, r)
            let options = try r.optionalStringList("options") ?? []
            repos.append(Repository(region: try r.string("region"), tier: try r.string("tier"), repository: repo,
                                    passwordFile: pw, offline: try r.optionalBool("offline") ?? false, options: options))
            try r.finish()
        }
        var seen: Set<String> = []
        for r in repos where !seen.insert("\(r.region)\u{0}\(r.tier)").inserted {
            throw root.error("repositories", "two repositories for region '\(r.region)', tier '\(r.tier)'")
        }
        var locations: [String: Location] = [:]
        var locationsReader = try root.child("locations")
        for (name, entry) in try locationsReader.entries() {
            var l = entry
            let store = resolve(try l.string("store"))
            let keyText = try l.optionalString("key") ?? (name == "default" ? "conversation" : "whole")
            let key: MessageStoreExport.Key?
            switch keyText {
            case "whole": key = .wholeStore
            case "conversation" where name == "default": key = nil
            case let k where k.hasPrefix("conversation=") && k.count > 13: key = .conversation(String(k.dropFirst(13)))
            case let k where k.hasPrefix("sender=") && k.count > 7: key = .sender(String(k.dropFirst(7)))
            default:
                throw l.error("key", "expected 'whole', 'conversation=<id>' or 'sender=<id>' (the default entry: 'conversation'), got '\(keyText)'")
            }
            let shard = try l.optionalString("shard") ?? URL(fileURLWithPath: store).deletingPathExtension().lastPathComponent
            try l.finish()
            locations[name] = Location(store: store, key: key, shard: shard)
        }
        try locationsReader.finish()
        try root.finish()
        return Targets(file: file, repositories: repos, locations: locations)
    }

    private static func refuseSymlink(_ path: String, _ node: YAMLReader, _ key: String) throws {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            throw node.error(key, "'\(path)' is a symbolic link; give the real path")
        }
    }

    private static func checkPasswordFile(_ path: String, _ node: YAMLReader) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw node.error("passwordFile", "no such password file '\(path)'") }
        if (st.st_mode & S_IFMT) == S_IFLNK { throw node.error("passwordFile", "'\(path)' is a symbolic link; give the real path") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw node.error("passwordFile", "'\(path)' is not a regular file") }
        let mode = st.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw node.error("passwordFile", "'\(path)' has mode \(String(mode, radix: 8)); it must be 600 (chmod 600 '\(path)')")
        }
    }
}
