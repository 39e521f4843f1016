import BackplanCore
import BackplanExecutor
import BackplanTestSupport
import Foundation
import Testing

@Suite("Reading a targets file")
struct TargetsTests {
    static func setUp(_ dir: TempDir, mode: Int = 0o600, extra: String = "") throws -> String {
        dir.write("pw", "secret-password\n")
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: dir.file("pw"))
        return dir.write("targets.yaml", """
            repositories:
              - region: region-1
                tier: standard
                repository: repo1
                passwordFile: pw
              - region: region-2
                tier: glacier-flexible
                repository: "s3:s3.amazonaws.com/bucket/backplan"
                passwordFile: pw
                offline: true
                options: ["s3.storage-class=GLACIER"]
            locations:
              default: {store: chat.sqlite}
              everything: {store: chat.sqlite, key: whole, shard: eu-1}
              bob: {store: other.sqlite, key: "sender=bob"}
            \(extra)
            """)
    }

    @Test("Repositories, backend URLs, relative paths and locations load")
    func loads() throws {
        let dir = TempDir()
        let t = try Targets.load(try Self.setUp(dir))
        #expect(try t.repository(region: "region-1", tier: "standard").repository == dir.file("repo1"))
        let s3 = try t.repository(region: "region-2", tier: "glacier-flexible")
        #expect(s3.repository == "s3:s3.amazonaws.com/bucket/backplan")
        #expect(s3.offline && s3.options == ["s3.storage-class=GLACIER"])
        let c = try t.locate("c000042")
        #expect(c.key == .conversation("c000042") && c.shard == "chat" && c.store == dir.file("chat.sqlite"))
        #expect(try t.locate("everything").key == .wholeStore)
        #expect(try t.locate("everything").shard == "eu-1")
        #expect(try t.locate("bob").key == .sender("bob"))
        #expect(throws: InputError.self) { try t.repository(region: "region-3", tier: "standard") }
    }

    @Test("A password file readable by others is refused, naming the file, line and key, never the password")
    func passwordMode() throws {
        let dir = TempDir()
        let file = try Self.setUp(dir, mode: 0o644)
        let error = try #require(throws: InputError.self) { try Targets.load(file) }
        #expect(error.description.contains("targets.yaml:5"))
        #expect(error.description.contains("passwordFile"))
        #expect(error.description.contains("600"))
        #expect(!error.description.contains("secret-password"))
    }

    @Test("A symlinked password file is refused")
    func symlink() throws {
        let dir = TempDir()
        let file = try Self.setUp(dir)
        try FileManager.default.moveItem(atPath: dir.file("pw"), toPath: dir.file("real-pw"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("pw"), withDestinationPath: dir.file("real-pw"))
        let error = try #require(throws: InputError.self) { try Targets.load(file) }
        #expect(error.description.contains("symbolic link"))
    }

    @Test("An unknown key and a bad dataset key are named with their lines")
    func badKeys() throws {
        let dir = TempDir()
        let file = try Self.setUp(dir, extra: "retries: 3")
        let error = try #require(throws: InputError.self) { try Targets.load(file) }
        #expect(error.description.contains("targets.yaml:16"))
        #expect(error.description.contains("'retries'"))
        let dir2 = TempDir()
        dir2.write("pw", "x")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir2.file("pw"))
        let bad = dir2.write("t.yaml", "repositories:\n  - {region: r, tier: t, repository: x, passwordFile: pw}\nlocations:\n  a: {store: s.sqlite, key: \"room=1\"}\n")
        let e2 = try #require(throws: InputError.self) { try Targets.load(bad) }
        #expect(e2.description.contains("t.yaml:4"))
        #expect(e2.description.contains("locations.a.key"))
    }

    @Test("The key-checking reader refuses unknown keys inside entries, misspelt keys and wrong shapes, by file:line:key")
    func keyChecking() throws {
        let dir = TempDir()
        dir.write("pw", "x")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("pw"))
        let cases: [(yaml: String, expect: [String])] = [
            ("repositories:\n  - {region: r, tier: t, repository: x, passwordFile: pw, retry: 3}\nlocations:\n  default: {store: s.sqlite}\n",
             ["t.yaml:2", "repositories[0].retry", "unknown key"]),
            ("repositories:\n  - {region: r, tier: t, repository: x, passwordFile: pw}\nlocations:\n  default: {store: s.sqlite, shrad: a}\n",
             ["t.yaml:4", "locations.default.shrad", "unknown key"]),
            ("repositories:\n  - {region: r, tier: t, repository: x, passwordFil: pw}\nlocations:\n  default: {store: s.sqlite}\n",
             ["t.yaml:2", "missing key 'repositories[0].passwordFile'", "misspelt"]),
            ("repositories: {region: r}\nlocations:\n  default: {store: s.sqlite}\n", ["t.yaml:1", "repositories", "list of mappings"]),
            ("repositories:\n  - just-a-path\nlocations:\n  default: {store: s.sqlite}\n", ["t.yaml:2", "repositories[0]", "mapping"]),
            ("repositories: []\nlocations:\n  default: {store: s.sqlite}\n", ["t.yaml:1", "repositories", "empty"]),
            ("repositories:\n  - {region: r, tier: t, repository: x, passwordFile: pw, offline: maybe}\nlocations:\n  default: {store: s.sqlite}\n",
             ["t.yaml:2", "offline", "true or false"]),
        ]
        for c in cases {
            let file = dir.write("t.yaml", c.yaml)
            let error = try #require(throws: InputError.self) { try Targets.load(file) }
            for part in c.expect { #expect(error.description.contains(part), "\(error.description) lacks \(part)") }
        }
    }
}
