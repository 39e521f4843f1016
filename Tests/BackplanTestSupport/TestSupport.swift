import Foundation

/// A fresh temporary folder per test, removed when the value is released.
public final class TempDir: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("backplan-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Path of `name` inside the folder.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(text.utf8))
        return file(name)
    }

    /// Writes raw bytes to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) -> String {
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(bytes))
        return file(name)
    }

    /// The bytes of `name`, or `nil` when it does not exist.
    public func bytes(_ name: String) -> Data? { FileManager.default.contents(atPath: file(name)) }
}

/// Where things are relative to the checkout.
public enum Checkout {
    /// The package's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}

/// The real data samples in `../shared/data/real` beside the checkout (see its PROVENANCE.md).
public enum RealData {
    public static let directory = Checkout.root.deletingLastPathComponent().appendingPathComponent("shared/data/real")

    /// Path of `name`, or `nil` after printing why the calling test is skipped.
    public static func path(_ name: String) -> String? {
        let p = directory.appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: p) { return p }
        print("skipped: \(p) is missing (real data lives in ../shared/data/real beside the checkout)")
        return nil
    }
}

/// SplitMix64 (Steele, Lea, Flood, OOPSLA 2014): seeded noise for test inputs.
public struct SplitMix: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
