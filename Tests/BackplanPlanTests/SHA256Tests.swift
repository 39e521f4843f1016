import BackplanCore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanPlan

@Suite("SHA-256 of plan inputs")
struct SHA256Tests {
    static func hex(_ text: String) -> String {
        var h = PlanSHA256()
        h.update(Array(text.utf8))
        return h.hexDigest()
    }

    @Test("The FIPS 180-4 examples")
    func standardVectors() {
        #expect(Self.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Self.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    static let sha256sum = ["/usr/bin/sha256sum", "/bin/sha256sum"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Every length around the block and padding boundaries, seeded bytes, against coreutils' sha256sum.
    @Test("Files of every length up to 300 bytes agree with sha256sum", .enabled(if: SHA256Tests.sha256sum != nil))
    func agreesWithSha256sum() throws {
        let dir = TempDir()
        var rng = SplitMix64(seed: 11)
        var bytes: [UInt8] = []
        var paths: [String] = []
        for n in 0...300 {
            paths.append(dir.write("f\(n)", bytes: bytes))
            bytes.append(UInt8(truncatingIfNeeded: rng.next()))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.sha256sum))
        process.arguments = paths
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = text.split(separator: "\n").map { String($0.prefix(64)) }
        #expect(expected.count == paths.count)
        for (path, sum) in zip(paths, expected) {
            #expect(try Plan.Digest(file: path).sha256 == sum, "\(path)")
        }
    }
}
