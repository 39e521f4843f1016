import Foundation

extension HostileCases {
    /// `model.json` damaged or with numbers out of range, through `evaluate` and `plan`.
    static func models(_ f: HostileFixture) -> [HostileCase] {
        let good = FileManager.default.contents(atPath: f.model + "/model.json") ?? Data()
        let object = (try? JSONSerialization.jsonObject(with: good)) as? [String: Any] ?? [:]
        /// A copy of the model with `change` applied to its JSON object; `sentinel` numbers become `text`.
        func edited(_ change: (inout [String: Any]) -> Void, nonJSON: String? = nil) -> Data {
            var m = object
            change(&m)
            var data = (try? JSONSerialization.data(withJSONObject: m, options: [.sortedKeys])) ?? Data()
            if let nonJSON {
                data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "123456.75", with: nonJSON).utf8)
            }
            return data
        }
        func coefficient(_ value: Any) -> (inout [String: Any]) -> Void {
            { m in
                var targets = m["targets"] as? [[String: Any]] ?? []
                var c = targets[0]["coefficients"] as? [Any] ?? []
                c[1] = value
                targets[0]["coefficients"] = c
                m["targets"] = targets
            }
        }
        func scaler(_ field: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { m in
                var s = m["scaler"] as? [String: Any] ?? [:]
                var v = s[field] as? [Any] ?? []
                v[0] = value
                s[field] = v
                m["scaler"] = s
            }
        }
        let variants: [(String, String, Data)] = [
            ("empty", "empty", Data()), ("binary", "binary", HostileBytes.noise(5_000)),
            ("truncated", "truncated", good.prefix(good.count / 2)),
            ("nul", "NUL", good.prefix(100) + Data([0]) + good.dropFirst(100)),
            ("invalid-utf-8", "invalid UTF-8", good.prefix(100) + Data([0xFF]) + good.dropFirst(100)),
            ("coefficient-nan", "NaN", edited(coefficient(123_456.75), nonJSON: "NaN")),
            ("coefficient-huge", "huge number", edited(coefficient(1e300))),
            ("coefficient-negative-huge", "huge number", edited(coefficient(-1e300))),
            ("scale-zero", "zero", edited(scaler("stds", 0))),
            ("scale-negative", "negative number", edited(scaler("stds", -1))),
            ("mean-huge", "huge number", edited(scaler("means", 1e300))),
            ("horizon-zero", "zero", edited { $0["horizonSeconds"] = 0 }),
            ("horizon-negative", "negative number", edited { $0["horizonSeconds"] = -5 }),
            ("horizon-huge", "huge number", edited { $0["horizonSeconds"] = 9_000_000_000_000_000_000 as Int64 }),
            ("lambda-negative", "negative number", edited { $0["lambda"] = -1 }),
            ("target-unknown", "wrong shape", edited { m in
                var targets = m["targets"] as? [[String: Any]] ?? []
                targets[0]["target"] = "bogus"
                m["targets"] = targets
            }),
            ("coefficients-short", "wrong shape", edited { m in
                var targets = m["targets"] as? [[String: Any]] ?? []
                targets[0]["coefficients"] = (targets[0]["coefficients"] as? [Any] ?? []).dropLast() as [Any]
                m["targets"] = targets
            }),
            ("format-version", "wrong shape", edited { $0["formatVersion"] = 99 }),
            ("half-life-zero", "zero", edited { m in
                var b = m["baselines"] as? [String: Any] ?? [:]
                var p = b["parameters"] as? [String: Any] ?? [:]
                var w = p["writes"] as? [String: Any] ?? [:]
                w["ewmaHalfLifeSeconds"] = 0
                p["writes"] = w
                b["parameters"] = p
                m["baselines"] = b
            }),
        ]
        var out: [HostileCase] = []
        for (variant, kind, data) in variants {
            let folder = f.caseFolder("model-\(variant)")
            let dir = folder + "/model"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: dir + "/model.json", contents: data)
            for (command, arguments) in [
                ("evaluate", ["evaluate", "--db", f.store, "--model", dir]),
                ("plan", ["plan", "--db", f.store, "--model", dir, "--policy", f.policy, "--prices", f.prices, "--out", folder + "/plan.json"]),
            ] {
                out.append(HostileCase(name: "model-\(command)/\(variant)", kind: kind, arguments: arguments,
                                       expectation: .rejected(mentioning: [dir + "/model.json"]), inputs: [dir + "/model.json"]))
            }
        }
        for kind in [HostilePath.directory, .fifo, .missing] {
            let folder = f.caseFolder("model-path-\(kind.rawValue)")
            let dir = folder + "/model"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let json = kind.make(in: dir, name: "model.json")
            out.append(HostileCase(name: "model-evaluate/\(kind.rawValue)", kind: kind.rawValue,
                                   arguments: ["evaluate", "--db", f.store, "--model", dir],
                                   expectation: .rejected(mentioning: [json]), inputs: []))
        }
        return out
    }

    /// Plan files damaged or with extreme numbers, through `explain` and `report tiers`.
    static func plans(_ f: HostileFixture) -> [HostileCase] {
        let good = FileManager.default.contents(atPath: f.plan) ?? Data()
        let text = String(decoding: good, as: UTF8.self)
        func replacingFirst(_ key: String, with value: String) -> Data {
            guard let r = text.range(of: "\"\(key)\" : ") else { return good }
            let end = text[r.upperBound...].firstIndex(where: { $0 == "," || $0 == "\n" }) ?? text.endIndex
            return Data(text.replacingCharacters(in: r.upperBound..<end, with: value).utf8)
        }
        func insertingBeforeFirst(_ key: String, _ json: String) -> Data {
            guard let r = text.range(of: "\"\(key)\" : ") else { return good }
            return Data(text.replacingCharacters(in: r.lowerBound..<r.lowerBound, with: json).utf8)
        }
        let rejected: [(String, String, Data)] = [
            ("empty", "empty", Data()), ("binary", "binary", HostileBytes.noise(5_000)),
            ("truncated", "truncated", good.prefix(good.count / 2)),
            ("nul", "NUL", good.prefix(300) + Data([0]) + good.dropFirst(300)),
            ("invalid-utf-8", "invalid UTF-8", good.prefix(300) + Data([0xFF]) + good.dropFirst(300)),
            ("nan", "NaN", replacingFirst("sizeBytes", with: "NaN")),
            ("schema-version", "wrong shape", replacingFirst("schemaVersion", with: "99")),
            ("list", "wrong shape", Data("[1, 2, 3]".utf8)),
            ("schedule-days", "out of range", insertingBeforeFirst("dataTier", #""dataSchedule" : {"minObjectBytes" : 131072, "steps" : [{"afterDays" : -5, "tier" : "standard"}]}, "#)),
            ("schedule-order", "out of range", insertingBeforeFirst("dataTier", #""dataSchedule" : {"minObjectBytes" : 131072, "steps" : [{"afterDays" : 0, "tier" : "standard"}, {"afterDays" : 90, "tier" : "glacier-ir"}, {"afterDays" : 30, "tier" : "standard-ia"}]}, "#)),
        ]
        // Huge numbers are legitimate JSON and a plan may be that large: explain prints them (no trap).
        let accepted: [(String, String, Data)] = [
            ("restore-huge", "huge number", replacingFirst("restoreSeconds", with: "1e300")),
            ("size-huge", "huge number", replacingFirst("sizeBytes", with: "1e300")),
            ("quiet-gap-huge", "huge number", replacingFirst("meanQuietGapSeconds", with: "1e300")),
        ]
        var out: [HostileCase] = []
        for (variant, kind, data) in rejected + accepted {
            let fine = accepted.contains { $0.0 == variant }
            let folder = f.caseFolder("plan-\(variant)")
            let file = folder + "/plan.json"
            FileManager.default.createFile(atPath: file, contents: data)
            out.append(HostileCase(name: "plan-explain/\(variant)", kind: kind, arguments: ["explain", file, f.planDataset],
                                   expectation: fine ? .accepted(why: "finite numbers, however large, are printed")
                                       : .rejected(mentioning: [file]), inputs: [file]))
            if !fine {
                out.append(HostileCase(name: "plan-report/\(variant)", kind: kind, arguments: ["report", "tiers", "--plan", file],
                                       expectation: .rejected(mentioning: [file]), inputs: [file]))
            }
        }
        for kind in [HostilePath.directory, .fifo, .missing, .notDirectory] {
            let folder = f.caseFolder("plan-path-\(kind.rawValue)")
            let file = kind.make(in: folder, name: "plan.json")
            out.append(HostileCase(name: "plan-explain/\(kind.rawValue)", kind: kind.rawValue, arguments: ["explain", file, f.planDataset],
                                   expectation: .rejected(mentioning: [file]), inputs: []))
            out.append(HostileCase(name: "plan-report/\(kind.rawValue)", kind: kind.rawValue, arguments: ["report", "tiers", "--plan", file],
                                   expectation: .rejected(mentioning: [file]), inputs: []))
        }
        out.append(HostileCase(name: "plan-explain/unknown-dataset", kind: "wrong value", arguments: ["explain", f.plan, "no-such-dataset"],
                               expectation: .rejected(mentioning: [f.plan, "no-such-dataset"]), inputs: []))
        return out
    }

    /// `report frontier` files whose online policy's exposure-ratio interval (issue 14) is out of range.
    static func frontierFiles(_ f: HostileFixture) -> [HostileCase] {
        func file(_ online: String) -> String {
            """
            {"split": 0.6, "testWrites": 10, "datasets": 2, "budgetOps": 5, "onlineVariant": "writes", "policies": [
              {"name": "cron-daily", "ops": 5, "exposureHours": 9.5},
              {"name": "online", "ops": 5, "exposureHours": 7.1\(online)}]}
            """
        }
        let cases: [(String, String, String)] = [
            ("reversed", ", \"exposureRatio\": 0.75, \"exposureRatioLow\": 0.9, \"exposureRatioHigh\": 0.7", "policies[1].exposureRatioLow"),
            ("half", ", \"exposureRatio\": 0.75, \"exposureRatioLow\": 0.7", "policies[1].exposureRatioLow"),
            ("negative", ", \"exposureRatio\": -0.75", "policies[1].exposureRatio"),
            ("huge", ", \"exposureRatio\": 0.75, \"exposureRatioLow\": 0.7, \"exposureRatioHigh\": 1e300", "policies[1].exposureRatioHigh"),
        ]
        return cases.map { variant, online, key in
            let path = f.caseFolder("frontier-\(variant)") + "/frontier.json"
            FileManager.default.createFile(atPath: path, contents: Data(file(online).utf8))
            return HostileCase(name: "frontier-report/\(variant)", kind: "wrong value", arguments: ["report", "frontier", "--input", path],
                               expectation: .rejected(mentioning: [path, key]), inputs: [path])
        }
    }
}
