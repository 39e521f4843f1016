import Foundation
import GRDB
import BackplanTestSupport
import Testing

@Suite("backplan ingest and stats, end to end")
struct IngestEndToEndTests {
    @Test("Help teaches the commands") func helpTeachesTheCommands() throws {
        let r = try Backplan.run(["--help"])
        #expect(r.status == 0)
        for word in ["ingest", "stats", "datasets", "Exit codes"] { #expect(r.stdout.contains(word), "\(word)") }
        let ingestHelp = try Backplan.run(["ingest", "--help"])
        #expect(ingestHelp.status == 0 && ingestHelp.stdout.contains("snap-temporal") && ingestHelp.stdout.contains("--max-reject"))
    }

    @Test("The sample store ingests and summarises") func sampleStoreIngestsAndSummarises() throws {
        let sample = Backplan.packageRoot.appendingPathComponent("datasets/sample/chat-sample.sqlite").path
        try #require(FileManager.default.fileExists(atPath: sample), "the committed sample store is missing")
        let dir = TempDir()
        let r = try Backplan.run(["ingest", sample, "--format", "message-store", "--db", dir.file("s.sqlite"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let reports = try #require(try r.stdout.json() as? [[String: Any]])
        let events = try #require(reports.first?["events"] as? Int)
        #expect(events > 10_000)
        #expect(reports.first?["rejected"] as? Int == 0)

        // The counts agree with the message store itself.
        let q = try DatabaseQueue(path: sample, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let (messages, reads) = try q.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM messages")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM reads")!)
        }
        let stats = try Backplan.run(["stats", "--db", dir.file("s.sqlite"), "--json"])
        #expect(stats.status == 0)
        let summary = try #require(try stats.stdout.json() as? [String: Any])
        #expect(summary["writes"] as? Int == messages)
        #expect(summary["reads"] as? Int == reads)
        #expect(summary["events"] as? Int == events)

        let table = try Backplan.run(["stats", "--db", dir.file("s.sqlite")])
        #expect(table.status == 0 && table.stdout.contains("Busiest datasets") && table.stdout.contains("time span"))

        let again = try Backplan.run(["ingest", sample, "--format", "message-store", "--db", dir.file("s.sqlite")])
        // The same store again: its rows above the recorded position are none, so nothing is added.
        #expect(again.status == 0 && again.stdout.contains("up to date with source 1; nothing new"), "\(again.stdout)")
        let summaryAgain = try #require(try Backplan.run(["stats", "--db", dir.file("s.sqlite"), "--json"]).stdout.json() as? [String: Any])
        #expect(summaryAgain["events"] as? Int == events)
    }

    @Test("CollegeMsg ingests with the exact counts", .realData("CollegeMsg.txt")) func collegeMsgExactCounts() throws {
        let path = RealData.file("CollegeMsg.txt")
        let dir = TempDir()
        let r = try Backplan.run(["ingest", path, "--format", "snap-temporal", "--db", dir.file("s.sqlite")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("59,835 events"))
        let stats = try #require(try Backplan.run(["stats", "--db", dir.file("s.sqlite"), "--json"]).stdout.json() as? [String: Any])
        #expect(stats["writes"] as? Int == 59_835 && stats["events"] as? Int == 59_835 && stats["datasets"] as? Int == 1_862)
        #expect(stats["firstEventAt"] as? Int == 1_082_040_961 && stats["lastEventAt"] as? Int == 1_098_777_142)
    }

    @Test("The real block and photo traces ingest", .realData("cloudPhysicsIO.csv", "cloud_photos-sample.txt")) func realTracesIngest() throws {
        let cloud = RealData.file("cloudPhysicsIO.csv")
        let photos = RealData.file("cloud_photos-sample.txt")
        let dir = TempDir()
        let a = try Backplan.run(["ingest", cloud, "--format", "cloudphysics", "--key-by", "region:64MiB", "--db", dir.file("s.sqlite")])
        #expect(a.status == 0 && a.stdout.contains("113,872 events (46,974 reads, 66,898 writes)"), "\(a.stdout)\(a.stderr)")
        let b = try Backplan.run(["ingest", photos, "--format", "tencent-photo", "--db", dir.file("s.sqlite")])
        #expect(b.status == 0 && b.stdout.contains("10,000 events (10,000 reads, 0 writes)"))
    }

    @Test("A CSV ingests with a column map") func csvWithMap() throws {
        let dir = TempDir()
        let csv = dir.write("log.csv", "ts,chat,kind,len\n2026-01-01T00:00:00Z,g1,write,10\n2026-01-01T00:05:00Z,g1,read,10\n")
        let r = try Backplan.run(["ingest", csv, "--format", "csv", "--map", "time=ts,dataset=chat,op=kind,bytes=len",
                                  "--db", dir.file("s.sqlite"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let reports = try #require(try r.stdout.json() as? [[String: Any]])
        #expect(reports.first?["reads"] as? Int == 1 && reports.first?["writes"] as? Int == 1)
    }
}
