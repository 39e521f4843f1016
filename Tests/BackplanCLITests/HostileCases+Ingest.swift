import Foundation

/// The hostile cases, by input: generated into the fixture's folder, one folder per case.
enum HostileCases {
    static func all(_ f: HostileFixture) -> [HostileCase] {
        lineFormats(f) + ingestPaths(f) + messageStores(f) + stores(f) + yamlFiles(f) + policyKeys(f) + priceKeys(f)
            + scenarioKeys(f) + models(f) + plans(f) + frontierFiles(f) + flags(f)
    }

    /// A line format: a good line per index as fields, which field holds a number the importer reads, and
    /// which holds the dataset id (or a field it reads as text).
    struct LineFormat {
        var name: String
        var arguments: [String]
        var header: String?
        var separator: String
        var numberField: Int
        var idField: Int
        var fields: (Int) -> [String]
    }

    static var formats: [LineFormat] { [
        LineFormat(name: "snap-temporal", arguments: [], header: nil, separator: " ", numberField: 2, idField: 1) { i in
            ["\(i % 7)", "\(i * 3 % 11)", "\(1_000_000 + i * 60)"]
        },
        LineFormat(name: "csv", arguments: ["--map", "time=t,dataset=d,op=o,bytes=b"], header: "t,d,o,b", separator: ",",
                   numberField: 3, idField: 1) { i in ["\(1_000_000 + i * 60)", "c\(i % 5)", "write", "\(100 + i)"] },
        LineFormat(name: "cloudphysics", arguments: [], header: nil, separator: ",", numberField: 3, idField: 1) { i in
            ["1", "\(1_000_000 + i * 60)", "2a", "4096", "\(i * 8)"]
        },
        LineFormat(name: "tencent-photo", arguments: [], header: nil, separator: " ", numberField: 4, idField: 1) { i in
            [String(format: "2016020116%02d%02d", i / 60 % 60, i % 60), "id\(i % 5)", "5", "m", "\(100 + i)", "1", "PHONE", "1"]
        },
        LineFormat(name: "tencent-cbs", arguments: [], header: nil, separator: ",", numberField: 2, idField: 4) { i in
            ["\(1_000_000 + i * 60)", "\(i * 8)", "8", "1", "\(i % 3)"]
        },
        LineFormat(name: "msr", arguments: [], header: nil, separator: ",", numberField: 5, idField: 1) { i in
            ["\(128_166_372_000_000_000 + Int64(i) * 600_000_000)", "host\(i % 2)", "\(i % 3)", "Write", "\(i * 4096)", "4096", "10"]
        },
        LineFormat(name: "systor", arguments: [], header: "Timestamp,Response,IOType,LUN,Offset,Size", separator: ",",
                   numberField: 5, idField: 3) { i in ["\(1_450_000_000 + i * 60).5", "0.001", "W", "\(i % 3)", "\(i * 4096)", "4096"] },
    ] }

    /// Damage to one line (index 5 of 40): the value its field gets, as bytes.
    static var lineDamage: [(kind: String, field: KeyPath<LineFormat, Int>, value: [UInt8])] { [
        ("NUL", \.idField, Array("a".utf8) + [0] + Array("b".utf8)),
        ("invalid UTF-8", \.idField, Array("c".utf8) + [0xFF, 0xFE]),
        ("huge line", \.numberField, Array("1".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 3_000_000)),
        ("huge number", \.numberField, Array("99999999999999999999999".utf8)),
        ("negative number", \.numberField, Array("-5".utf8)),
        ("NaN", \.numberField, Array("NaN".utf8)),
        ("Inf", \.numberField, Array("inf".utf8)),
    ] }

    static func lineFormats(_ f: HostileFixture) -> [HostileCase] {
        var out: [HostileCase] = []
        for format in formats {
            func ingest(_ variant: String, kind: String, _ data: Data, _ expectation: (String) -> HostileCase.Expectation) {
                let folder = f.caseFolder("ingest-\(format.name)-\(variant)")
                let path = folder + "/in.txt"
                FileManager.default.createFile(atPath: path, contents: data)
                let store = f.smallCopy(in: folder)
                let e = expectation(path)
                var inputs = [path]
                if case .rejected = e { inputs.append(store) }
                out.append(HostileCase(name: "ingest-\(format.name)/\(variant)", kind: kind,
                                       arguments: ["ingest", path, "--format", format.name, "--db", store] + format.arguments,
                                       expectation: e, inputs: inputs))
            }
            let lines = (0..<40).map { format.fields($0).joined(separator: format.separator) }
            let headed = (format.header.map { [$0] } ?? []) + lines
            let text = headed.joined(separator: "\n") + "\n"
            let damagedLine = 6 + (format.header == nil ? 0 : 1)
            ingest("good", kind: "fine", Data(text.utf8)) { _ in .accepted(why: "40 good lines") }
            ingest("crlf", kind: "CRLF", Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)) { _ in
                .accepted(why: "CRLF line ends are read as line ends")
            }
            ingest("empty", kind: "empty", Data()) { .rejected(mentioning: [$0]) }
            ingest("binary", kind: "binary", HostileBytes.noise(20_000)) { .rejected(mentioning: [$0]) }
            // Cut inside a line, after its first separator: the last line has too few fields.
            let truncated = headed.joined(separator: "\n") + "\n" + format.fields(40)[0] + format.separator
            ingest("truncated", kind: "truncated", Data(truncated.utf8)) { .rejected(mentioning: ["\($0):\(headed.count + 1)"]) }
            for damage in lineDamage {
                var data = Data()
                for (i, line) in headed.enumerated() {
                    if i == damagedLine - 1 {
                        var fields = format.fields(5).map { Data($0.utf8) }
                        fields[format[keyPath: damage.field]] = Data(damage.value)
                        data.append(Data(fields.joined(separator: Data(format.separator.utf8))))
                    } else {
                        data.append(Data(line.utf8))
                    }
                    data.append(UInt8(ascii: "\n"))
                }
                let variant = damage.kind.lowercased().replacingOccurrences(of: " ", with: "-")
                ingest(variant, kind: damage.kind, data) { .rejected(mentioning: ["\($0):\(damagedLine)"]) }
            }
        }
        // jsonl: the same classes through its own syntax.
        let jsonLines = (0..<40).map { "{\"t\": \(1_000_000 + $0 * 60), \"d\": \"c\($0 % 5)\", \"o\": \"write\", \"b\": \(100 + $0)}" }
        let jsonArguments = ["--map", "time=t,dataset=d,op=o,bytes=b"]
        let jsonDamage: [(String, String, Data)] = [
            ("empty", "empty", Data()), ("binary", "binary", HostileBytes.noise(20_000)),
            ("truncated", "truncated", Data((jsonLines.joined(separator: "\n") + "\n{\"t\": 5, \"d\"").utf8)),
            ("nul", "NUL", Data(jsonLines[0..<5].joined(separator: "\n").utf8) + Data("\n{\"t\": 5, \"d\": \"a".utf8) + Data([0])
                + Data("b\", \"b\": 1}\n".utf8)),
            ("invalid-utf-8", "invalid UTF-8", Data(jsonLines[0..<5].joined(separator: "\n").utf8) + Data("\n{\"t\": 5, \"d\": \"a".utf8)
                + Data([0xFF, 0xFE]) + Data("\", \"b\": 1}\n".utf8)),
            ("huge-number", "huge number", Data((jsonLines[0..<5] + ["{\"t\": 5, \"d\": \"a\", \"b\": 1e300}"]).joined(separator: "\n").utf8)),
            ("negative-number", "negative number", Data((jsonLines[0..<5] + ["{\"t\": 5, \"d\": \"a\", \"b\": -5}"]).joined(separator: "\n").utf8)),
            ("nan", "NaN", Data((jsonLines[0..<5] + ["{\"t\": 5, \"d\": \"a\", \"b\": NaN}"]).joined(separator: "\n").utf8)),
            ("inf", "Inf", Data((jsonLines[0..<5] + ["{\"t\": Infinity, \"d\": \"a\", \"b\": 5}"]).joined(separator: "\n").utf8)),
            ("huge-line", "huge line", Data((jsonLines[0..<5] + ["{\"t\": 5, \"d\": \"" + String(repeating: "x", count: 3_000_000) + "\", \"b\": }"])
                .joined(separator: "\n").utf8)),
        ]
        for (variant, kind, data) in jsonDamage {
            let folder = f.caseFolder("ingest-jsonl-\(variant)")
            let path = folder + "/in.jsonl"
            FileManager.default.createFile(atPath: path, contents: data)
            let store = f.smallCopy(in: folder)
            out.append(HostileCase(name: "ingest-jsonl/\(variant)", kind: kind,
                                   arguments: ["ingest", path, "--format", "jsonl", "--db", store] + jsonArguments,
                                   expectation: .rejected(mentioning: [path]), inputs: [path, store]))
        }
        let crlfFolder = f.caseFolder("ingest-jsonl-crlf")
        let crlf = crlfFolder + "/in.jsonl"
        FileManager.default.createFile(atPath: crlf, contents: Data((jsonLines.joined(separator: "\r\n") + "\r\n").utf8))
        out.append(HostileCase(name: "ingest-jsonl/crlf", kind: "CRLF",
                               arguments: ["ingest", crlf, "--format", "jsonl", "--db", f.smallCopy(in: crlfFolder)] + jsonArguments,
                               expectation: .accepted(why: "CRLF line ends are read as line ends"), inputs: [crlf]))
        return out
    }

    /// Paths that are not readable files, as an ingest source.
    static func ingestPaths(_ f: HostileFixture) -> [HostileCase] {
        var out: [HostileCase] = []
        for format in ["snap-temporal", "csv", "message-store"] {
            for kind in HostilePath.allCases {
                let folder = f.caseFolder("ingest-path-\(format)-\(kind.rawValue)")
                let path = kind.make(in: folder, name: "source")
                let store = f.smallCopy(in: folder)
                let extra = format == "csv" ? ["--map", "time=t,dataset=d"] : []
                out.append(HostileCase(name: "ingest-path-\(format)/\(kind.rawValue)", kind: kind.rawValue,
                                       arguments: ["ingest", path, "--format", format, "--db", store] + extra,
                                       expectation: .rejected(mentioning: [path]), inputs: [store]))
            }
        }
        return out
    }

    /// Message stores that are not: empty, noise, text, a cut-off SQLite file, another SQLite database.
    static func messageStores(_ f: HostileFixture) -> [HostileCase] {
        let sample = Backplan.packageRoot.appendingPathComponent("datasets/sample/chat-sample.sqlite").path
        let whole = FileManager.default.contents(atPath: sample) ?? Data()
        let variants: [(String, String, Data)] = [
            ("empty", "empty", Data()), ("binary", "binary", HostileBytes.noise(40_000)),
            ("text", "binary", Data("conversation,message\n1,hello\n".utf8)),
            ("truncated", "truncated", whole.prefix(whole.count / 3)),
            ("header-only", "truncated", whole.prefix(100)),
            ("stats-store", "wrong file", FileManager.default.contents(atPath: f.small) ?? Data()),
        ]
        return variants.map { variant, kind, data in
            let folder = f.caseFolder("ingest-message-store-\(variant)")
            let path = folder + "/chat.sqlite"
            FileManager.default.createFile(atPath: path, contents: data)
            let store = f.smallCopy(in: folder)
            return HostileCase(name: "ingest-message-store/\(variant)", kind: kind,
                               arguments: ["ingest", path, "--format", "message-store", "--db", store],
                               expectation: .rejected(mentioning: [path]), inputs: [path, store])
        }
    }
}
