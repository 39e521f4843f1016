import BackplanCore
import BackplanLinAlg
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanModel

@Suite("Features at cutoffs")
struct FeatureTests {
    static let c: Int64 = 1_000_000_000
    static let day: Int64 = 86_400
    static let week: Int64 = 604_800

    /// Mailbox 2: writes at c − 100 d, c − 10 d, c − 2 h, c − 30 min (history), c + 100 s (target), c + 8 d
    /// (after the horizon). Mailbox 4: one write after c only.
    static let before: [String] = [
        "1 2 \(c - 100 * day)", "1 2 \(c - 10 * day)", "3 2 \(c - 7_200)", "1 2 \(c - 1_800)",
    ]
    static let after: [String] = ["1 2 \(c + 100)", "5 4 \(c + 3_600)", "1 2 \(c + 8 * day)"]

    func value(_ rows: FeatureRows, row: Int = 0, _ name: String) -> Double {
        rows.features[row, rows.schema.names.firstIndex(of: name)!]
    }

    @Test("Features, targets and baselines of one mailbox match hand-computed values")
    func handComputedFeaturesAndTargets() throws {
        let dir = TempDir()
        let s = try store(Self.before + Self.after, in: dir)
        let schema = FeatureSchema(classes: ["mailbox"])
        let rows = try FeatureExtractor(horizonSeconds: Self.week).extract(from: s, cutoffs: [Self.c], schema: schema)
        #expect(rows.count == 1 && rows.datasetNames == ["2"] && rows.cutoffs == [Self.c])
        let counts: [(String, Double)] = [("1h", 1), ("6h", 2), ("1d", 2), ("7d", 2), ("30d", 3), ("90d", 3)]
        for (w, n) in counts {
            #expect(value(rows, "log1p_writes_\(w)") == log1p(n), "writes \(w)")
            #expect(value(rows, "log1p_reads_\(w)") == 0)
        }
        #expect(value(rows, "never_read") == 1 && value(rows, "never_written") == 0)
        #expect(value(rows, "log1p_seconds_since_write") == log1p(1_800))
        #expect(value(rows, "log1p_age_seconds") == log1p(Double(100 * Self.day)))
        let gaps = [Double(90 * Self.day), Double(10 * Self.day - 7_200), 5_400]
        let mean = gaps.reduce(0, +) / 3
        let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(abs(value(rows, "write_gap_cv") - sd / mean) < 1e-12)
        #expect(value(rows, "log1p_mean_session_seconds") == 0)
        #expect(abs(value(rows, "log1p_mean_quiet_gap_seconds") - log1p(mean)) < 1e-12)
        let shares = (0..<8).map { b in value(rows, "share_utc_\(b < 4 ? "0" : "")\(b * 3)h") }
        #expect(abs(shares.reduce(0, +) - 1) < 1e-12)
        #expect(value(rows, "class=mailbox") == 1)
        // 1 d decayed rate: Σ 2^(−age/1 d) · ln 2 per day.
        let ages = [100 * Self.day, 10 * Self.day, 7_200, 1_800].map(Double.init)
        let rate = ages.map { pow(2, -$0 / 86_400) }.reduce(0, +) * M_LN2
        #expect(abs(value(rows, "log1p_writes_per_day_ewma_1d") - log1p(rate)) < 1e-9)
        #expect(rows.targets[.writes] == [1] && rows.targets[.reads] == [0])
        #expect(rows.baselines[0].lastWindow == [0, 2])
        #expect(rows.baselines[0].secondsSinceAccess == 1_800)
    }

    @Test("Events after the cutoff change no feature or baseline, only the targets")
    func eventsAfterTheCutoffChangeNoFeature() throws {
        let dir = TempDir()
        let a = try store(Self.before + Self.after, in: dir, name: "a.sqlite")
        let other = ["1 2 \(Self.c)", "1 2 \(Self.c + 5)", "9 2 \(Self.c + 3 * Self.day)", "1 7 \(Self.c + 60)"]
        let b = try store(Self.before + other, in: dir, name: "b.sqlite")
        let schema = FeatureSchema(classes: ["mailbox"])
        let cutoffs = [Self.c - 5 * Self.day, Self.c - 3_600, Self.c]
        let extractor = FeatureExtractor(horizonSeconds: Self.week)
        let ra = try extractor.extract(from: a, cutoffs: cutoffs, schema: schema)
        let rb = try extractor.extract(from: b, cutoffs: cutoffs, schema: schema)
        #expect(ra.datasetNames == rb.datasetNames && ra.cutoffs == rb.cutoffs)
        #expect(ra.features == rb.features)
        #expect(ra.baselines == rb.baselines)
        // The targets do see the future: that is what differs.
        #expect(ra.targets[.writes] != rb.targets[.writes])
    }

    @Test("The owner's sends (SRC = the dataset) give the send features, and sends after the cutoff change none")
    func sendFeatures() throws {
        let dir = TempDir()
        let c = Self.c, day = Self.day
        // Mailbox 2 sends at c − 3 d, c − 5 h and c − 10 min; mailbox 4 never sends.
        let t0 = c - 3 * day, t1 = c - 5 * 3_600, t2 = c - 600, t3 = c - day
        let sends: [String] = ["2 8 \(t0)", "2 8 \(t1)", "2 9 \(t2)", "7 4 \(t3)"]
        let later: [String] = ["2 8 \(c)", "2 9 \(c + 60)", "4 2 \(c + 120)"]
        let a = try store(Self.before + sends + Self.after, in: dir, name: "a.sqlite")
        let b = try store(Self.before + sends + later, in: dir, name: "b.sqlite")
        let schema = FeatureSchema(classes: ["mailbox"])
        let extractor = FeatureExtractor(horizonSeconds: Self.week)
        let rows = try extractor.extract(from: a, cutoffs: [c], schema: schema)
        let row = try #require(rows.datasetNames.firstIndex(of: "2"))
        #expect(value(rows, row: row, "log1p_sends_1d") == log1p(2))
        #expect(value(rows, row: row, "log1p_sends_7d") == log1p(3))
        let ages: [Double] = [3 * 86_400, 5 * 3_600, 600]
        let rate = ages.map { pow(2, -$0 / 86_400) }.reduce(0, +) * M_LN2
        #expect(abs(value(rows, row: row, "log1p_sends_per_day_ewma_1d") - log1p(rate)) < 1e-12)
        #expect(value(rows, row: row, "log1p_seconds_since_send") == log1p(600))
        #expect(value(rows, row: row, "never_sent") == 0)
        let quiet = try #require(rows.datasetNames.firstIndex(of: "4"))
        #expect(value(rows, row: quiet, "never_sent") == 1 && value(rows, row: quiet, "log1p_sends_7d") == 0)
        #expect(value(rows, row: quiet, "log1p_seconds_since_send") == log1p(FeatureSchema.neverSeconds))
        // Sends (and writes) at or after the cutoff change no feature.
        let cutoffs = [c - 2 * day, c - 3_600, c]
        let ra = try extractor.extract(from: a, cutoffs: cutoffs, schema: schema)
        let rb = try extractor.extract(from: b, cutoffs: cutoffs, schema: schema)
        #expect(ra.datasetNames == rb.datasetNames && ra.features == rb.features)
    }

    @Test("Many cutoffs extracted in one pass give the rows of one pass per cutoff", arguments: [UInt64(21), 22])
    func manyCutoffsInOnePassEqualOnePassEach(seed: UInt64) throws {
        let dir = TempDir()
        let s = try store(simulatedMailboxLines(seed: seed, mailboxes: 25, days: 60), in: dir)
        let schema = FeatureSchema(classes: ["mailbox"])
        let extractor = FeatureExtractor(horizonSeconds: Self.week)
        let cutoffs: [Int64] = [1_000_000_000 + 20 * Self.day, 1_000_000_000 + 33 * Self.day + 77, 1_000_000_000 + 45 * Self.day]
        let together = try extractor.extract(from: s, cutoffs: cutoffs, schema: schema)
        for t in cutoffs {
            let alone = try extractor.extract(from: s, cutoffs: [t], schema: schema)
            let idx = together.cutoffs.indices.filter { together.cutoffs[$0] == t }
            #expect(idx.map { together.datasetNames[$0] } == alone.datasetNames)
            for (k, i) in idx.enumerated() {
                #expect(together.features.row(i) == alone.features.row(k))
                #expect(together.targets[.writes]![i] == alone.targets[.writes]![k])
            }
        }
    }

    @Test("A non-finite feature is an error naming its dataset, feature and cutoff")
    func nonFiniteFeatureNamesDatasetAndFeature() {
        let schema = FeatureSchema(classes: [])
        var x = Matrix(rows: 2, columns: schema.count)
        x[1, 3] = .nan
        let rows = FeatureRows(
            schema: schema, horizonSeconds: Self.week, datasetNames: ["a", "inbox-7"], cutoffs: [5, 5], features: x,
            targets: [.reads: [0, 0], .writes: [0, 0]], baselines: [])
        #expect(throws: ModelError.self) { try rows.requireFinite() }
        do {
            try rows.requireFinite()
        } catch {
            guard case let .nonFiniteFeature(dataset, feature, cutoff, _) = error else { Issue.record("\(error)"); return }
            #expect(dataset == "inbox-7" && feature == schema.names[3] && cutoff == 5)
            #expect(error.description.contains("inbox-7") && error.description.contains(schema.names[3]))
        }
    }

    @Test("Training cutoffs start after the warm-up and never let a target window cross the cut")
    func trainingCutoffsNeverLetATargetCrossTheCut() {
        let cutoffs = Trainer.trainingCutoffs(
            firstEventAt: 0, cutAt: 100 * Self.day, horizonSeconds: Self.week, strideSeconds: Self.week,
            warmupSeconds: 30 * Self.day)
        #expect(cutoffs.last == 100 * Self.day - Self.week)
        #expect(cutoffs.allSatisfy { $0 + Self.week <= 100 * Self.day && $0 >= 30 * Self.day })
        #expect(cutoffs == cutoffs.sorted() && cutoffs.count == 10)
    }

    @Test("Durations parse from and format to text like 7d, 12h and 30m, and bad ones are refused") func durations() {
        #expect(DurationText.parse("7d") == 604_800)
        #expect(DurationText.parse("12h") == 43_200)
        #expect(DurationText.parse("30m") == 1_800)
        #expect(DurationText.parse("45") == 45)
        for bad in ["", "d", "-1d", "0h", "7x", "1.5d", "99999999999999999w"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.format(604_800) == "7d" && DurationText.format(43_200) == "12h" && DurationText.format(61) == "61s")
    }
}
