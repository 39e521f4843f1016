import BackplanTestSupport
import Foundation
import Testing

/// Issue #10: `plan` never writes over its inputs, checks its outputs before the work, and says with an exit
/// status of its own when the limits cannot hold.
@Suite("plan: outputs checked first, infeasibility as exit status 3")
struct PlanSafetyEndToEndTests {
    typealias P = PlanEndToEndTests

    @Test("--out onto an input (the policy, the store, model.json, or a link to one) exits 2 and changes nothing")
    func outOntoAnInput() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let policy = dir.file("policy.yaml")
        try FileManager.default.copyItem(atPath: P.policy, toPath: policy)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.json"), withDestinationPath: dir.file("s.sqlite"))
        let store = try #require(dir.bytes("s.sqlite")), policyBytes = try #require(dir.bytes("policy.yaml"))
        for out in [policy, dir.file("s.sqlite"), dir.file("link.json"), P.model + "/model.json"] {
            var args = P.args(dir, policy: policy)
            args[args.count - 1] = out
            let r = try Backplan.run(args)
            #expect(r.status == 2 && r.stderr.contains("is also an input"), "\(out): \(r.stderr)")
        }
        #expect(dir.bytes("s.sqlite") == store && dir.bytes("policy.yaml") == policyBytes)
    }

    @Test("A missing or unwritable output folder, or a directory as --out, exits 2 before any work")
    func badOutputPaths() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        try FileManager.default.createDirectory(atPath: dir.file("adir"), withIntermediateDirectories: true)
        for (out, words) in [("nowhere/plan.json", "does not exist"), ("adir", "is a directory")] {
            let r = try Backplan.run(P.args(dir, out: out))
            #expect(r.status == 2 && r.stderr.contains(words) && !r.stderr.contains("NSCocoaErrorDomain"), "\(out): \(r.stderr)")
        }
    }

    @Test("A budget no plan can keep exits 3 and writes nothing; --allow-infeasible writes it with the datasets listed")
    func infeasible() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let text = try String(contentsOfFile: P.policy, encoding: .utf8)
            .replacingOccurrences(of: "budgetDollarsPerDatasetMonth: 0.0018", with: "budgetDollarsPerDatasetMonth: 0.000001")
        let policy = dir.write("tight.yaml", text)
        let r = try Backplan.run(P.args(dir, policy: policy))
        #expect(r.status == 3 && r.stderr.contains("cannot be planned within the limits") && r.stderr.contains("--allow-infeasible"),
                "\(r.status) \(r.stderr)")
        #expect(dir.bytes("plan.json") == nil)
        let allowed = try Backplan.run(P.args(dir, policy: policy) + ["--allow-infeasible"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let bytes = try #require(dir.bytes("plan.json"))
        let plan = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        #expect(((plan["infeasible"] as? [Any])?.count ?? 0) > 0)
    }
}

@Suite("explain reads a plan file as input")
struct ExplainHugeNumbersTests {
    /// Sets every number under `keys`, at any depth, to `value`.
    static func replace(_ v: Any, keys: Set<String>, with value: Double) -> Any {
        if let d = v as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, x) in d { out[k] = keys.contains(k) && x is NSNumber ? value : replace(x, keys: keys, with: value) }
            return out
        }
        if let a = v as? [Any] { return a.map { replace($0, keys: keys, with: value) } }
        return v
    }

    @Test("A plan whose restore time, size and quiet gap are 1e300 is explained, not a crash")
    func hugeNumbers() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let made = try Backplan.run(PlanEndToEndTests.args(dir))
        try #require(made.status == 0, "\(made.stderr)")
        let bytes = try #require(dir.bytes("plan.json"))
        let plan = try JSONSerialization.jsonObject(with: bytes)
        let huge = Self.replace(plan, keys: ["restoreSeconds", "sizeBytes", "meanQuietGapSeconds"], with: 1e300)
        let data = try JSONSerialization.data(withJSONObject: huge)
        _ = dir.write("huge.json", bytes: Array(data))
        let id = try #require(((plan as? [String: Any])?["datasets"] as? [[String: Any]])?.first?["id"] as? String)
        let r = try Backplan.run(["explain", dir.file("huge.json"), id])
        #expect(r.status == 0 && r.stdout.contains(id), "\(r.status) \(r.stderr)")
    }
}
