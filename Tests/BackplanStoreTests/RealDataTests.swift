import BackplanCore
import Foundation
import GRDB
import BackplanTestSupport
import Testing
@testable import BackplanStore

/// The importers on the real samples in ../shared/data/real, with their exact counts (PROVENANCE.md).
/// Each test prints why it is skipped when the folder is absent.
@Suite("Real data samples")
struct RealDataTests {
    @Test("CollegeMsg ingests every message", .realData("CollegeMsg.txt")) func collegeMsgIngestsEveryMessage() throws {
        let path = RealData.file("CollegeMsg.txt")
        let dir = TempDir()
        let (store, report) = try ingest(path, options(.snapTemporal), into: dir)
        #expect(report.records == 59_835 && report.events == 59_835 && report.writes == 59_835)
        #expect(report.rejected == 0)
        #expect(report.firstEventAt == 1_082_040_961 && report.lastEventAt == 1_098_777_142)
        // 1,899 users, of whom 1,862 ever received a message.
        #expect(report.datasets == 1_862)
        #expect(try bucketsMatchEvents(store))

        let withSent = try ingest(path, options(.snapTemporal) { $0.sentFolder = true }, into: dir, store: "s.sqlite").1
        #expect(withSent.events == 2 * 59_835)
        #expect(withSent.datasets == 1_862 + (try senders(path)))
    }

    /// Distinct senders in a SNAP file.
    private func senders(_ path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { $0.split(separator: " ").first }).count
    }

    @Test("The CloudPhysics trace imports", .realData("cloudPhysicsIO.csv")) func cloudPhysicsTrace() throws {
        let path = RealData.file("cloudPhysicsIO.csv")
        let dir = TempDir()
        let (store, report) = try ingest(path, options(.cloudphysics) { $0.keyBy = .region(bytes: 64 << 20) }, into: dir)
        #expect(report.events == 113_872 && report.reads == 46_974 && report.writes == 66_898)
        #expect(report.rejected == 0)
        #expect(report.lastEventAt! - report.firstEventAt! == 7_200)
        #expect(try bucketsMatchEvents(store))
    }

    @Test("The Tencent photo sample imports", .realData("cloud_photos-sample.txt")) func tencentPhotoSample() throws {
        let path = RealData.file("cloud_photos-sample.txt")
        let dir = TempDir()
        let (store, report) = try ingest(path, options(.tencentPhoto), into: dir)
        #expect(report.events == 10_000 && report.reads == 10_000 && report.rejected == 0)
        let distinct = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: " ")[1] }
        #expect(report.datasets == Set(distinct).count)
        #expect(try bucketsMatchEvents(store))
    }
}
