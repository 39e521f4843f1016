import Foundation
import Testing

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

/// The real data samples in `../shared/data/real` beside the checkout (see its PROVENANCE.md). They are
/// never committed: a test that reads one carries the ``Testing/Trait/realData(_:)`` trait, so that on a
/// machine without the file it shows as skipped, not passed.
///
///     @Test("CollegeMsg imports whole", .realData("CollegeMsg.txt"))
///     func collegeMsg() throws { let path = RealData.file("CollegeMsg.txt") … }
public enum RealData {
    public static let directory = Checkout.root.deletingLastPathComponent().appendingPathComponent("shared/data/real")

    /// Path of `name` in ``directory``, whether or not it exists (guard the test with `.realData(name)`).
    public static func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Whether every one of `names` is present.
    public static func has(_ names: [String]) -> Bool {
        names.allSatisfy { FileManager.default.fileExists(atPath: file($0)) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the real data files `names` are present; otherwise Swift Testing reports it as
    /// skipped, with the reason.
    public static func realData(_ names: String...) -> Self {
        .enabled(if: RealData.has(names),
                 Comment(rawValue: "needs \(names.joined(separator: ", ")) in \(RealData.directory.path) (real data is not committed)"))
    }
}
