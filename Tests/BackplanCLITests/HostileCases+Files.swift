import Foundation

extension HostileCases {
    /// The command lines that read a stats store, with `db` in place.
    static func storeReaders(_ f: HostileFixture, db: String, folder: String) -> [(String, [String])] {
        [
            ("stats", ["stats", "--db", db]),
            ("sources", ["sources", "list", "--db", db]),
            ("train", ["train", "--db", db, "--out", folder + "/model-out"]),
            ("evaluate", ["evaluate", "--db", db, "--model", f.model]),
            ("plan", ["plan", "--db", db, "--model", f.model, "--policy", f.policy, "--prices", f.prices, "--out", folder + "/plan.json"]),
            ("frontier", ["frontier", "--db", db]),
            ("simulate", ["simulate", "--db", db, "--scenario", f.scenario, "--policy", f.policy, "--prices", f.prices,
                          "--runs", "1", "--policies", "fixed-1h"]),
        ]
    }

    /// Stats stores that are not: every command that reads one.
    static func stores(_ f: HostileFixture) -> [HostileCase] {
        let whole = FileManager.default.contents(atPath: f.store) ?? Data()
        var out: [HostileCase] = []
        let contents: [(String, String, Data)] = [
            ("empty", "empty", Data()), ("binary", "binary", HostileBytes.noise(40_000)),
            ("text", "binary", Data("not a database\n".utf8)), ("truncated", "truncated", whole.prefix(8_192)),
        ]
        for (variant, kind, data) in contents {
            let folder = f.caseFolder("store-\(variant)")
            let db = folder + "/stats.sqlite"
            FileManager.default.createFile(atPath: db, contents: data)
            for (command, arguments) in storeReaders(f, db: db, folder: folder) {
                out.append(HostileCase(name: "store-\(command)/\(variant)", kind: kind, arguments: arguments,
                                       expectation: .rejected(mentioning: [db]), inputs: [db]))
            }
        }
        for kind in [HostilePath.directory, .fifo, .missing, .notDirectory] {
            let folder = f.caseFolder("store-\(kind.rawValue)")
            let db = kind.make(in: folder, name: "stats.sqlite")
            for (command, arguments) in storeReaders(f, db: db, folder: folder) {
                out.append(HostileCase(name: "store-\(command)/\(kind.rawValue)", kind: kind.rawValue, arguments: arguments,
                                       expectation: .rejected(mentioning: [db]), inputs: []))
            }
        }
        // Ingest into a store that is not one: refused, the file left as it was.
        for (variant, kind, data) in contents.dropFirst() {
            let folder = f.caseFolder("store-ingest-\(variant)")
            let db = folder + "/stats.sqlite"
            FileManager.default.createFile(atPath: db, contents: data)
            out.append(HostileCase(name: "store-ingest/\(variant)", kind: kind,
                                   arguments: ["ingest", f.goodLog, "--format", "snap-temporal", "--db", db],
                                   expectation: .rejected(mentioning: [db]), inputs: [db]))
        }
        return out
    }

    /// A YAML input as `policy`, `prices`, `scenario` or `targets`, with the command that reads it.
    static func yamlReader(_ f: HostileFixture, role: String, file: String, folder: String) -> [String] {
        switch role {
        case "policy":
            return ["plan", "--db", f.store, "--model", f.model, "--policy", file, "--prices", f.prices, "--out", folder + "/plan.json"]
        case "prices":
            return ["plan", "--db", f.store, "--model", f.model, "--policy", f.policy, "--prices", file, "--out", folder + "/plan.json"]
        case "scenario":
            return ["simulate", "--db", f.store, "--scenario", file, "--policy", f.policy, "--prices", f.prices, "--runs", "1",
                    "--policies", "fixed-1h"]
        default:
            return ["execute", "--plan", f.plan, "--targets", file, "--state", folder + "/state.sqlite", "--dry-run"]
        }
    }

    /// Whole-file damage to each YAML input.
    static func yamlFiles(_ f: HostileFixture) -> [HostileCase] {
        var out: [HostileCase] = []
        let sources = [("policy", f.policy), ("prices", f.prices), ("scenario", f.scenario)]
        for (role, good) in sources {
            let text = (try? String(contentsOfFile: good, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let variants: [(String, String, Data, Bool)] = [
                ("empty", "empty", Data(), false),
                ("binary", "binary", HostileBytes.noise(5_000), false),
                ("nul", "NUL", Data(text.utf8.prefix(200)) + Data([0]) + Data(text.utf8.dropFirst(200)), false),
                ("invalid-utf-8", "invalid UTF-8", Data(text.utf8.prefix(200)) + Data([0xFF, 0xFE]) + Data(text.utf8.dropFirst(200)), false),
                ("truncated", "truncated", Data(text.utf8.prefix(text.utf8.count / 2)), false),
                ("huge-line", "huge line", Data(("#" + String(repeating: "x", count: 3_000_000) + "\n" + text + "bogusKey: "
                                                 + String(repeating: "y", count: 100_000) + "\n").utf8), false),
                ("list", "wrong shape", Data("- a\n- b\n".utf8), false),
                ("unclosed", "truncated", Data((lines.prefix(5).joined(separator: "\n") + "\nfailures: { disk: [\n").utf8), false),
                ("crlf", "CRLF", Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), true),
            ]
            for (variant, kind, data, fine) in variants {
                let folder = f.caseFolder("\(role)-file-\(variant)")
                let file = folder + "/\(role).yaml"
                FileManager.default.createFile(atPath: file, contents: data)
                out.append(HostileCase(name: "\(role)-file/\(variant)", kind: kind, arguments: yamlReader(f, role: role, file: file, folder: folder),
                                       expectation: fine ? .accepted(why: "CRLF line ends are valid YAML") : .rejected(mentioning: [file]),
                                       inputs: [file]))
            }
            for kind in [HostilePath.directory, .fifo, .missing, .notDirectory] {
                let folder = f.caseFolder("\(role)-path-\(kind.rawValue)")
                let file = kind.make(in: folder, name: "\(role).yaml")
                out.append(HostileCase(name: "\(role)-path/\(kind.rawValue)", kind: kind.rawValue,
                                       arguments: yamlReader(f, role: role, file: file, folder: folder),
                                       expectation: .rejected(mentioning: [file]), inputs: []))
            }
        }
        // The targets file of `execute`: only whole-file damage (its keys are the executor helper's).
        for (variant, kind, data) in [("empty", "empty", Data()), ("binary", "binary", HostileBytes.noise(5_000)),
                                      ("list", "wrong shape", Data("- a\n".utf8))] {
            let folder = f.caseFolder("targets-file-\(variant)")
            let file = folder + "/targets.yaml"
            FileManager.default.createFile(atPath: file, contents: data)
            out.append(HostileCase(name: "targets-file/\(variant)", kind: kind, arguments: yamlReader(f, role: "targets", file: file, folder: folder),
                                   expectation: .rejected(mentioning: [file]), inputs: [file]))
        }
        for kind in [HostilePath.directory, .fifo, .missing] {
            let folder = f.caseFolder("targets-path-\(kind.rawValue)")
            let file = kind.make(in: folder, name: "targets.yaml")
            out.append(HostileCase(name: "targets-path/\(kind.rawValue)", kind: kind.rawValue,
                                   arguments: yamlReader(f, role: "targets", file: file, folder: folder),
                                   expectation: .rejected(mentioning: [file]), inputs: []))
        }
        return out
    }

    /// The tally's class of a key value: the content classes, or "out of range" for values valid elsewhere.
    static func kindName(_ variant: String) -> String {
        switch variant {
        case "huge", "billion": return "huge number"
        case "negative": return "negative number"
        case "NaN", "Inf", "zero": return variant
        default: return "out of range"
        }
    }

    /// One numeric key of a YAML file replaced by each hostile value: exit 2 naming the file, line and key.
    ///
    /// - Parameters:
    ///   - needle: the text of the key and its value as the good file has it (`minInterval: 5m`).
    ///   - key: the key's path as errors name it (`executor.minInterval`).
    static func keyCases(_ f: HostileFixture, role: String, good: String, needle: String, key: String,
                         values: [(String, String)]) -> [HostileCase] {
        let text = (try? String(contentsOfFile: good, encoding: .utf8)) ?? ""
        guard let line = HostileBytes.line(of: needle, in: text), let colon = needle.firstIndex(of: ":") else { return [] }
        let name = needle[..<colon]
        return values.map { variant, value in
            let folder = f.caseFolder("\(role)-key-\(key)-\(variant)")
            let file = folder + "/\(role).yaml"
            let replaced = text.replacingOccurrences(of: needle, with: "\(name): \(value)", options: [], range: text.range(of: needle))
            FileManager.default.createFile(atPath: file, contents: Data(replaced.utf8))
            return HostileCase(name: "\(role)-key/\(key)=\(variant)", kind: kindName(variant),
                               arguments: yamlReader(f, role: role, file: file, folder: folder),
                               expectation: .rejected(mentioning: ["\(file):\(line)", key]), inputs: [file])
        }
    }
}
