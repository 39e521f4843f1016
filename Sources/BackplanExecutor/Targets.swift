import BackplanCore
import BackplanStore
import Foundation
import Yams

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

    /// Reads and checks a targets file: every key known, every password file present, not a symlink and of
    /// mode 0600 (or stricter), local repositories not symlinks.
    ///
    /// - Throws: ``InputError`` with the file, line and key of the first problem.
    public static func load(_ file: String) throws -> Targets {
        let root = try YAMLNode.open(file)
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let base = URL(fileURLWithPath: absolute).deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardized.path }
        try root.only(["repositories", "locations"])
        var repos: [Repository] = []
        for r in try root.list("repositories") {
            try r.only(["region", "tier", "repository", "passwordFile", "offline", "options"])
            var repo = try r.string("repository")
            if !Restic.isBackendURL(repo) {
                repo = resolve(repo)
                try refuseSymlink(repo, r, "repository")
            }
            let pw = resolve(try r.string("passwordFile"))
            try checkPasswordFile(pw, r)
            let options = try (r.optionalList("options") ?? []).map { try $0.scalar() }
            repos.append(Repository(region: try r.string("region"), tier: try r.string("tier"), repository: repo,
                                    passwordFile: pw, offline: try r.optionalBool("offline") ?? false, options: options))
        }
        var seen: Set<String> = []
        for r in repos where !seen.insert("\(r.region)\u{0}\(r.tier)").inserted {
            throw root.error("repositories", "two repositories for region '\(r.region)', tier '\(r.tier)'")
        }
        var locations: [String: Location] = [:]
        for (name, l) in try root.mapping("locations") {
            try l.only(["store", "key", "shard"])
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
            locations[name] = Location(store: store, key: key, shard: shard)
        }
        return Targets(file: file, repositories: repos, locations: locations)
    }

    private static func refuseSymlink(_ path: String, _ node: YAMLNode, _ key: String) throws {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            throw node.error(key, "'\(path)' is a symbolic link; give the real path")
        }
    }

    private static func checkPasswordFile(_ path: String, _ node: YAMLNode) throws {
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

/// A YAML node with its file and key path, for errors shaped `file:line: key 'a.b': message`.
struct YAMLNode {
    let file: String
    let node: Node
    let path: String

    static func open(_ file: String) throws -> YAMLNode {
        let data = try InputFile.contents(of: file, what: "targets file", maximumBytes: 16 << 20)
        guard let text = String(data: data, encoding: .utf8) else { throw InputError(file: file, "is not UTF-8 text") }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw InputError(file: file, "not valid YAML: \(error)") }
        guard let root, root.mapping != nil else { throw InputError(file: file, "expected a YAML mapping of keys at the top") }
        return YAMLNode(file: file, node: root, path: "")
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func error(_ name: String?, _ message: String) -> InputError {
        let at = name.flatMap { node.mapping?[$0] } ?? node
        let k = name.map(key) ?? path
        return InputError(file: file, line: at.mark?.line, k.isEmpty ? message : "key '\(k)': \(message)")
    }

    func only(_ known: [String]) throws {
        guard let keys = node.mapping?.keys else { return }
        for k in keys {
            let name = k.string ?? ""
            if !known.contains(name) {
                throw InputError(file: file, line: k.mark?.line, "key '\(key(name))': unknown key (known: \(known.joined(separator: ", ")))")
            }
        }
    }

    private func child(_ name: String) -> Node? {
        guard let v = node.mapping?[name], v.null == nil else { return nil }
        return v
    }

    func scalar() throws -> String {
        guard case .scalar(let s) = node else { throw error(nil, "expected a value") }
        return s.string
    }

    func optionalString(_ name: String) throws -> String? {
        guard let v = child(name) else { return nil }
        guard case .scalar(let s) = v, !s.string.isEmpty else { throw error(name, "expected a non-empty value") }
        return s.string
    }

    func string(_ name: String) throws -> String {
        guard let s = try optionalString(name) else { throw InputError(file: file, line: node.mark?.line, "missing key '\(key(name))'") }
        return s
    }

    func optionalBool(_ name: String) throws -> Bool? {
        guard let text = try optionalString(name) else { return nil }
        switch text.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw error(name, "expected true or false, got '\(text)'")
        }
    }

    func optionalList(_ name: String) throws -> [YAMLNode]? {
        guard let v = child(name) else { return nil }
        guard let items = v.sequence else { throw error(name, "expected a list") }
        return items.enumerated().map { YAMLNode(file: file, node: $0.element, path: "\(key(name))[\($0.offset)]") }
    }

    func list(_ name: String) throws -> [YAMLNode] {
        guard let l = try optionalList(name), !l.isEmpty else { throw InputError(file: file, line: node.mark?.line, "missing or empty list '\(key(name))'") }
        return l
    }

    func mapping(_ name: String) throws -> [(String, YAMLNode)] {
        guard let v = child(name) else { throw InputError(file: file, line: node.mark?.line, "missing key '\(key(name))'") }
        guard let m = v.mapping else { throw error(name, "expected a mapping") }
        return try m.map { k, value in
            guard let s = k.string else { throw InputError(file: file, line: k.mark?.line, "key '\(key(name))': keys must be text") }
            guard value.mapping != nil else { throw InputError(file: file, line: value.mark?.line, "key '\(key(name)).\(s)': expected a mapping") }
            return (s, YAMLNode(file: file, node: value, path: "\(key(name)).\(s)"))
        }
    }
}
