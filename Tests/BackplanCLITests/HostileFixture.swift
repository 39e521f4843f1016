import BackplanTestSupport
import Foundation
import Testing

/// The good inputs every hostile case starts from: a stats store of the committed sample, the default model,
/// the example policy and catalog, a scenario using every key, and a plan, in one temporary folder.
struct HostileFixture: Sendable {
    let folder: TempDir
    var root: URL { folder.url }
    let store: String, small: String, model: String, policy: String, prices: String, scenario: String, plan: String
    let planDataset: String
    let goodLog: String

    /// Files no case may change (each case also lists its own).
    var sharedInputs: [String] {
        [store, small, model + "/model.json", policy, prices, scenario, plan, goodLog]
    }

    static let scenarioText = """
        description: every scenario key, for the hostile cases
        split: 0.6
        failures:
          disk:
            mtbf: 1y
          region:
            mtbf: 25y
            regions: 2
          corruption:
            mtbf: 5y
            discoveryDelay: 14d
        accessShift:
          datasets: 0.02
          writesFactor: 10
          at: 0.5
        priceChange:
          tier: standard
          factor: 1.4
          at: 0.33

        """

    static func make() throws -> HostileFixture {
        let dir = TempDir()
        let repo = Backplan.packageRoot
        let fm = FileManager.default
        func copy(_ relative: String, _ name: String) throws -> String {
            let to = dir.file(name)
            try fm.copyItem(atPath: repo.appendingPathComponent(relative).path, toPath: to)
            return to
        }
        let policy = try copy("datasets/policies/messaging.yaml", "policy.yaml")
        let prices = try copy("datasets/pricing/aws-s3.yaml", "prices.yaml")
        let model = try copy("models/default", "model")
        let scenario = dir.write("scenario.yaml", scenarioText)
        let store = dir.file("store.sqlite")
        let ingest = try Backplan.run(["ingest", repo.appendingPathComponent("datasets/sample/chat-sample.sqlite").path,
                                       "--format", "message-store", "--db", store])
        try #require(ingest.status == 0, "fixture ingest failed: \(ingest.stderr)")
        let goodLog = dir.write("good.txt", (0..<30).map { "\($0 % 5) \($0 % 7) \(1_000_000 + $0 * 60)" }.joined(separator: "\n") + "\n")
        let small = dir.file("small.sqlite")
        let smallIngest = try Backplan.run(["ingest", goodLog, "--format", "snap-temporal", "--db", small])
        try #require(smallIngest.status == 0, "fixture ingest failed: \(smallIngest.stderr)")
        let plan = dir.file("plan.json")
        let planned = try Backplan.run(["plan", "--db", store, "--model", model, "--policy", policy, "--prices", prices,
                                        "--out", plan, "--allow-infeasible"])
        try #require(planned.status == 0, "fixture plan failed: \(planned.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan))) as? [String: Any])
        let first = try #require((json["datasets"] as? [[String: Any]])?.first?["id"] as? String)
        return HostileFixture(folder: dir, store: store, small: small, model: model, policy: policy, prices: prices,
                              scenario: scenario, plan: plan, planDataset: first, goodLog: goodLog)
    }

    /// A fresh folder for one case's files.
    func caseFolder(_ name: String) -> String {
        let path = folder.file("cases/" + name.replacingOccurrences(of: "/", with: "_"))
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A copy of the small store for a case that writes into it.
    func smallCopy(in folder: String) -> String {
        let to = folder + "/s.sqlite"
        try? FileManager.default.copyItem(atPath: small, toPath: to)
        return to
    }
}

/// Paths that are not readable files, made in a case's folder: the "path classes" every file argument meets.
enum HostilePath: String, CaseIterable {
    case directory, fifo, missing, notDirectory = "not-a-directory", danglingLink = "dangling-link", linkLoop = "link-loop"

    /// Makes the path in `folder` and returns it.
    func make(in folder: String, name: String) -> String {
        let path = folder + "/" + name
        let fm = FileManager.default
        switch self {
        case .directory: try? fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        case .fifo: mkfifo(path, 0o644)
        case .missing: break
        case .notDirectory:
            // We run as root, so permissions do not stop reads: a path through a file is unreadable for anyone.
            fm.createFile(atPath: folder + "/plain", contents: Data("x".utf8))
            return folder + "/plain/" + name
        case .danglingLink: try? fm.createSymbolicLink(atPath: path, withDestinationPath: folder + "/nowhere")
        case .linkLoop:
            try? fm.createSymbolicLink(atPath: path, withDestinationPath: folder + "/loop-b")
            try? fm.createSymbolicLink(atPath: folder + "/loop-b", withDestinationPath: path)
        }
        return path
    }
}

/// Byte-level damage applied to a text file: the "content classes".
enum HostileBytes {
    /// Deterministic noise (a linear congruential generator), so a failure repeats.
    static func noise(_ count: Int, seed: UInt64 = 7) -> Data {
        var state = seed
        return Data((0..<count).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        })
    }

    /// The 1-based number of the line holding `needle` in `text`.
    static func line(of needle: String, in text: String) -> Int? {
        guard let r = text.range(of: needle) else { return nil }
        return text[..<r.lowerBound].filter { $0 == "\n" }.count + 1
    }
}
