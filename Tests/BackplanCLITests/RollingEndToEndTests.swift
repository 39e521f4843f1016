import BackplanTestSupport
import Foundation
import Testing

/// `backplan evaluate --rolling` and `train`'s model choice, run as a user would on the committed sample.
@Suite("backplan evaluate --rolling and train's model choice, end to end")
struct RollingEndToEndTests {
    @Test("train writes the tree files, and evaluate --rolling reports intervals around every mean in JSON and tables")
    func rollingJSONKeepsTheSingleCutoffShapeAndAddsIntervals() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let store = dir.file("s.sqlite")
        let train = try Backplan.run(["train", "--db", store, "--out", dir.file("model"), "--trees", "100"])
        try #require(train.status == 0, "\(train.stderr)")
        for file in ["model.json", "README.md", "gbdt-writes.json", "gbdt-reads.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("model/\(file)")), "\(file)")
        }
        let card = try String(contentsOfFile: dir.file("model/README.md"), encoding: .utf8)
        #expect(card.contains("## Model choice"))

        let r = try Backplan.run(["evaluate", "--db", store, "--model", dir.file("model"), "--split", "0.5", "--rolling",
                                  "--every", "7d", "--bootstrap", "30", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try r.stdout.json()
        for target in ["writes", "reads"] {
            for predictor in ["model", "glm", "gbdt", "ewma", "last-window", "recency-30d"] {
                let mean = try #require(ModelEndToEndTests.metric(json, target: target, predictor: predictor, "poissonDeviance"))
                let low = try #require(ModelEndToEndTests.metric(json, target: target, predictor: predictor, "poissonDevianceLow"))
                let high = try #require(ModelEndToEndTests.metric(json, target: target, predictor: predictor, "poissonDevianceHigh"))
                #expect(low <= mean && mean <= high, "\(target) \(predictor)")
            }
        }
        let cutoffs = try #require((json as? [String: Any])?["cutoffs"] as? [[String: Any]])
        #expect(cutoffs.count >= 2)

        let table = try Backplan.run(["evaluate", "--db", store, "--model", dir.file("model"), "--split", "0.5",
                                      "--rolling", "--bootstrap", "10"])
        #expect(table.status == 0 && table.stdout.contains("95% interval") && table.stdout.contains("Left out (writes)"))
    }

    @Test("--every without --rolling and a start with no whole horizon exit with status 2")
    func badRollingArgumentsExitTwo() throws {
        let dir = try ModelEndToEndTests.sampleStore()
        let model = Backplan.packageRoot.appendingPathComponent("models/default").path
        let every = try Backplan.run(["evaluate", "--db", dir.file("s.sqlite"), "--model", model, "--every", "7d"])
        #expect(every.status == 2 && every.stderr.contains("--every needs --rolling"), "\(every.stderr)")
        let late = try Backplan.run(["evaluate", "--db", dir.file("s.sqlite"), "--model", model, "--rolling", "--split", "0.99"])
        #expect(late.status == 2 && late.stderr.contains("no whole"), "\(late.stderr)")
    }
}
