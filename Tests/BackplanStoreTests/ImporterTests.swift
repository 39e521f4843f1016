import BackplanCore
import Foundation
import GRDB
import BackplanTestSupport
import Testing
@testable import BackplanStore

@Suite("Importers on handwritten fixtures")
struct ImporterTests {
    @Test("SNAP temporal writes to recipient mailbox") func snapTemporalWritesToRecipientMailbox() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", """
            # SNAP temporal network: SRC DST UNIXTS
            1 2 1082040961
            3 4 1082155839
            5 2 1082414391

            """)
        let (store, report) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(report.events == 3 && report.writes == 3 && report.reads == 0)
        #expect(report.records == 3 && report.rejected == 0)
        #expect(report.datasets == 2)
        #expect(try allEvents(store).map(\.0) == ["2", "2", "4"])
        #expect(try bucketsMatchEvents(store))
        let cls = try store.dbQueue.read { try String.fetchAll($0, sql: "SELECT DISTINCT class FROM datasets") }
        #expect(cls == ["mailbox"])
    }

    @Test("SNAP temporal sent folder doubles the writes") func snapTemporalSentFolderDoublesTheWrites() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n2 1 200\n")
        let (store, report) = try ingest(path, options(.snapTemporal) { $0.sentFolder = true }, into: dir)
        #expect(report.events == 4)
        #expect(try allEvents(store).map(\.0) == ["1", "1:sent", "2", "2:sent"])
    }

    @Test("CloudPhysics reads opcodes and regions") func cloudPhysicsReadsOpcodesAndRegions() throws {
        let dir = TempDir()
        let path = dir.write("vol7.csv", """
            version,time,op,size,lbn
            1,100,28,4096,0
            1,100,2a,512,131072
            1,3700,2a,8192,131073
            1,3701,88,512,1

            """)
        let (store, report) = try ingest(path, options(.cloudphysics) { $0.keyBy = .region(bytes: 64 << 20) }, into: dir)
        #expect(report.reads == 2 && report.writes == 2)
        // lbn 131072 × 512 B = 64 MiB: the second region.
        let events = try allEvents(store)
        #expect(events.map(\.0) == ["vol7:r0", "vol7:r0", "vol7:r1", "vol7:r1"])
        #expect(events.map(\.3) == [4096, 512, 512, 8192])
        #expect(try bucketsMatchEvents(store))
        let byVolume = try ingest(path, options(.cloudphysics), into: dir, store: "v.sqlite").1
        #expect(byVolume.datasets == 1)
    }

    @Test("Tencent photo requests are reads of each photo") func tencentPhotoIsReadsOfEachPhoto() throws {
        let dir = TempDir()
        let path = dir.write("photos.txt", """
            20160201164604 085abb02 5 m 12903 1 PHONE 1
            20160201164604 ef1d4b96 5 b 30754 1 PHONE 0
            20160201170000 085abb02 5 m 12903 0 PC 25
            """)
        let (store, report) = try ingest(path, options(.tencentPhoto), into: dir)
        #expect(report.reads == 3 && report.writes == 0 && report.datasets == 2)
        #expect(report.firstEventAt == CivilTime.unixSeconds(year: 2016, month: 2, day: 1, hour: 16, minute: 46, second: 4))
        #expect(try allEvents(store).map(\.3) == [12903, 12903, 30754])
        #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM buckets") } == 3)
    }

    @Test("Tencent CBS scales sectors to bytes") func tencentCBSScalesSectors() throws {
        let dir = TempDir()
        let path = dir.write("cbs.csv", "1538323200,0,8,0,1283\n1538323201,16,16,1,1283\n1538323202,16,1,1,99\n")
        let (store, report) = try ingest(path, options(.tencentCBS), into: dir)
        #expect(report.reads == 1 && report.writes == 2)
        #expect(try allEvents(store).map { "\($0.0) \($0.2) \($0.3)" } == ["vol1283 0 4096", "vol1283 1 8192", "vol99 1 512"])
    }

    @Test("MSR converts FILETIME to Unix seconds") func msrConvertsFileTime() throws {
        let dir = TempDir()
        let path = dir.write("hm_0.csv", """
            128166372003061629,hm,0,Read,3154010112,4096,1331
            128166372016382155,hm,0,Write,3154010112,8192,2000
            128166372016382155,prxy,1,Write,0,512,10
            """)
        let (store, report) = try ingest(path, options(.msr), into: dir)
        #expect(report.reads == 1 && report.writes == 2)
        // 128166372003061629 × 100 ns after 1601-01-01 = 2007-02-22 17:00:00 UTC.
        #expect(report.firstEventAt == CivilTime.unixSeconds(year: 2007, month: 2, day: 22, hour: 17))
        #expect(Set(try allEvents(store).map(\.0)) == ["hm_0", "prxy_1"])
    }

    @Test("SYSTOR parses fractional times") func systorParsesFractionalTimes() throws {
        let dir = TempDir()
        let path = dir.write("systor.csv", """
            Timestamp,Response,IOType,LUN,Offset,Size
            1487890800.055943,0.000393,R,1,3116102656,4096
            1487890800.998,0.0005,W,1,3116102656,65536
            1487890801.1,0.0005,W,4,0,512
            """)
        let (store, report) = try ingest(path, options(.systor), into: dir)
        #expect(report.reads == 1 && report.writes == 2)
        #expect(try allEvents(store).map { "\($0.0)@\($0.1)" } == ["lun1@1487890800", "lun1@1487890800", "lun4@1487890801"])
    }

    @Test("Mapped CSV with quotes, ops, units and classes") func mappedCSVWithQuotesOpsUnitsAndClasses() throws {
        let dir = TempDir()
        let path = dir.write("log.csv", """
            ts,chat,kind,len,tier
            2026-01-01T00:00:05Z,"grp,1",write,100,group
            1767225600123,"grp,1",read,50,group
            1767225601,dm-7,W,"7",private
            2026-01-01 01:30:00+01:00,dm-7,get,0,private

            """)
        let map = ColumnMap(time: "ts", dataset: "chat", op: "kind", bytes: "len", dataClass: "tier")
        let (store, report) = try ingest(path, options(.csv) { $0.map = map }, into: dir)
        #expect(report.events == 4 && report.reads == 2 && report.writes == 2 && report.rejected == 0)
        let events = try allEvents(store)
        #expect(events.map(\.0) == ["dm-7", "dm-7", "grp,1", "grp,1"])
        // 2026-01-01 01:30+01:00 is 00:30 UTC; ms 1767225600123 is 2026-01-01T00:00:00Z.
        #expect(events.map(\.1) == [1_767_225_601, 1_767_227_400, 1_767_225_600, 1_767_225_605])
        let classes = try store.dbQueue.read { try String.fetchAll($0, sql: "SELECT class FROM datasets ORDER BY name") }
        #expect(classes == ["private", "group"])
    }

    @Test("Mapped CSV without header uses column numbers") func mappedCSVWithoutHeaderUsesColumnNumbers() throws {
        let dir = TempDir()
        let path = dir.write("log.tsv", "a\t10\tr\nb\t20\tw\n")
        let (_, report) = try ingest(path, options(.csv) {
            $0.map = ColumnMap(time: "2", dataset: "1", op: "3")
            $0.header = false
            $0.delimiter = 9
        }, into: dir)
        #expect(report.reads == 1 && report.writes == 1)
    }

    @Test("JSONL with a column map") func jsonlWithMap() throws {
        let dir = TempDir()
        let path = dir.write("log.jsonl", """
            {"t": 1700000000, "conv": "a", "op": "read", "n": 12}
            {"t": "2023-11-14T22:13:21Z", "conv": "a", "op": "write", "n": 0}
            {"t": 1700000000000, "conv": 42, "op": "w"}
            """)
        let map = ColumnMap(time: "t", dataset: "conv", op: "op", bytes: "n")
        let report = try ingest(path, options(.jsonl) { $0.map = map; $0.maxRejectFraction = 0.5 }, into: dir).1
        #expect(report.rejected == 1)  // the third line has no "n"
        #expect(report.events == 2)
        #expect(report.rejects.first?.column == "n" && report.rejects.first?.line == 3)
        let withoutBytes = try ingest(path, options(.jsonl) { $0.map = ColumnMap(time: "t", dataset: "conv", op: "op") },
                                      into: dir, store: "b.sqlite").1
        #expect(withoutBytes.events == 3 && withoutBytes.rejected == 0)
    }

    @Test("A message store keyed by conversation, sender and shard") func messageStoreByConversationSenderAndShard() throws {
        let dir = TempDir()
        let path = dir.file("shard-001.sqlite")
        try makeMessageStore(
            path,
            conversations: [("g1", "group", 1_000, "group"), ("m1", "mailbox", 500, "mailbox"), ("quiet", "private", 10, "private")],
            messages: [(1, "g1", "alice", 2_000, 100, 0), (2, "g1", "bob", 2_100, 50, 1_000), (3, "m1", "carol", 9_000, 10, nil)],
            reads: [("g1", "bob", 2_050, 100), ("g1", "carol", 90_000, 1_150)])
        let (store, report) = try ingest(path, options(.messageStore), into: dir)
        #expect(report.writes == 3 && report.reads == 2 && report.datasets == 3)
        let rows = try store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT name, class, created_at, size_bytes, attributes FROM datasets ORDER BY name")
        }
        #expect(rows.map { $0[0] as String } == ["g1", "m1", "quiet"])
        #expect(rows.map { $0[1] as String } == ["group", "mailbox", "private"])
        #expect(rows.map { $0[2] as Int64 } == [1_000, 500, 10])
        #expect(rows.map { $0[3] as Int64 } == [1_150, 10, 0])
        #expect((rows[0][4] as String).contains("\"kind\":\"group\""))
        #expect(try bucketsMatchEvents(store))

        let bySender = try ingest(path, options(.messageStore) { $0.keyBy = .sender }, into: dir, store: "s.sqlite")
        #expect(Set(try allEvents(bySender.0).map(\.0)) == ["alice", "bob", "carol"])
        let byShard = try ingest(path, options(.messageStore) { $0.keyBy = .shard }, into: dir, store: "h.sqlite")
        #expect(byShard.1.datasets == 1)
        #expect(Set(try allEvents(byShard.0).map(\.0)) == [MessageStoreReader.shardID(path: path)])
        #expect(MessageStoreReader.shardID(path: path).hasSuffix("/shard-001"))
    }

    @Test("The same bytes twice is a no-op") func sameBytesTwiceIsANoOp() throws {
        let dir = TempDir()
        let path = dir.write("msgs.txt", "1 2 100\n")
        let (store, first) = try ingest(path, options(.snapTemporal), into: dir)
        let copy = dir.write("copy.txt", "1 2 100\n")
        let second = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: copy)
        #expect(!first.alreadyImported && second.alreadyImported && second.sourceID == first.sourceID)
        #expect(try allEvents(store).count == 1)
        #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sources") } == 1)
    }

    @Test("Second source adds to existing datasets and buckets") func secondSourceAddsToExistingDatasetsAndBuckets() throws {
        let dir = TempDir()
        let a = dir.write("a.txt", "1 2 100\n1 2 200\n")
        let b = dir.write("b.txt", "1 2 300\n3 2 7300\n")
        let (store, _) = try ingest(a, options(.snapTemporal), into: dir)
        let report = try Ingestor(store: store, options: options(.snapTemporal)).ingest(path: b)
        #expect(report.newDatasets == 0 && report.datasets == 1)
        let buckets = try store.dbQueue.read { try Row.fetchAll($0, sql: "SELECT start, writes FROM buckets ORDER BY start") }
        #expect(buckets.map { [$0[0] as Int64, $0[1] as Int64] } == [[0, 3], [7200, 1]])
        #expect(try bucketsMatchEvents(store))
    }

    @Test("Unsorted times merge into the same buckets") func unsortedTimesMergeIntoTheSameBuckets() throws {
        let dir = TempDir()
        let path = dir.write("u.txt", "1 2 5000\n1 2 100\n1 2 5001\n1 2 101\n1 3 99999\n")
        let (store, _) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(try bucketsMatchEvents(store))
        #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM buckets") } == 3)
    }

    @Test("Few bad lines are skipped and kept") func fewBadLinesAreSkippedAndKept() throws {
        let dir = TempDir()
        var text = (0..<199).map { "\($0) \($0 % 7) \(1000 + $0)" }.joined(separator: "\n")
        text += "\n5 6 yesterday\n"
        let path = dir.write("msgs.txt", text)
        let (store, report) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(report.events == 199 && report.rejected == 1)
        #expect(report.rejects.first?.line == 200 && report.rejects.first?.column == "UNIXTS")
        let kept = try store.dbQueue.read { try Row.fetchOne($0, sql: "SELECT line, \"column\", message FROM rejects") }
        #expect(kept?[0] as Int64? == 200)
        #expect((kept?[2] as String?)?.contains("yesterday") == true)
    }
}
