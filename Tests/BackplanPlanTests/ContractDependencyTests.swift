import BackplanTestSupport
import Foundation
import Testing

/// The plan contract must stay light: anything that only reads plans (the executor, reports) links it without
/// SQLite, YAML or BLAS. The package manifest is read with `swift package dump-package` (the root manifest only:
/// no dependency resolution, and a scratch folder of its own so it never waits for the build's lock).
@Suite("The plan contract links neither GRDB, Yams nor BLAS")
struct ContractDependencyTests {
    static let forbidden: Set<String> = ["GRDB", "GRDBSQLite", "Yams", "CBLAS", "CLAPACKE", "BackplanLinAlg", "BackplanStore",
                                         "BackplanModel", "BackplanPlanner", "BackplanSimulator"]
    static let swift = ["/usr/bin/swift", "/usr/local/bin/swift"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/swift" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Every target and product BackplanPlan reaches through the manifest's target dependencies.
    static func reachable(from start: String, in manifest: [String: Any]) throws -> Set<String> {
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        var dependencies: [String: [String]] = [:]
        for t in targets {
            let name = try #require(t["name"] as? String)
            var names: [String] = []
            for d in t["dependencies"] as? [[String: Any]] ?? [] {
                for kind in ["byName", "target", "product"] {
                    if let parts = d[kind] as? [Any], let n = parts.first as? String { names.append(n) }
                }
            }
            dependencies[name] = names
        }
        var seen: Set<String> = []
        var stack = [start]
        while let next = stack.popLast() {
            for d in dependencies[next] ?? [] where seen.insert(d).inserted { stack.append(d) }
        }
        return seen
    }

    @Test("BackplanPlan's transitive dependencies in Package.swift are Core and swift-crypto only", .enabled(if: ContractDependencyTests.swift != nil))
    func manifestDependencies() throws {
        let scratch = TempDir()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.swift))
        process.arguments = ["package", "--package-path", Checkout.root.path, "--scratch-path", scratch.path, "dump-package"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let plan = try Self.reachable(from: "BackplanPlan", in: manifest)
        #expect(plan == ["BackplanCore", "Crypto"], "BackplanPlan reaches \(plan.sorted())")
        #expect(plan.isDisjoint(with: Self.forbidden))
        let reports = try Self.reachable(from: "BackplanReports", in: manifest)
        #expect(reports.isDisjoint(with: Self.forbidden), "BackplanReports reaches \(reports.sorted())")
        // The check itself sees a forbidden dependency where there is one.
        #expect(try Self.reachable(from: "BackplanPlanner", in: manifest).contains("Yams"))
        #expect(try Self.reachable(from: "BackplanModel", in: manifest).isSuperset(of: ["GRDB", "CBLAS"]))
    }

    @Test("BackplanPlan's sources import nothing but Core, Crypto, Foundation and the standard library")
    func sourceImports() throws {
        let folder = Checkout.root.appendingPathComponent("Sources/BackplanPlan")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.contains(" import ") && !line.hasPrefix("///") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(["BackplanCore", "Crypto", "Foundation"].contains(module), "\(file): \(line)")
            }
        }
    }
}
