import BackplanCore
import BackplanStore
import BackplanTestSupport
import Foundation
import Testing
@testable import BackplanExecutor

@Suite("Threads of lowered priority")
struct BackgroundThreadTests {
    /// The calling thread's nice value: field 19 of /proc/thread-self/stat (after the parenthesised name).
    static func nice() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    @Test("A background thread runs its work with its nice value raised by 10 (Linux)")
    func lowered() throws {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var inside: Int?
        let outside = Self.nice()
        BackgroundThread.start {
            inside = Self.nice()
            done.signal()
        }
        done.wait()
        #if os(Linux)
        let base = try #require(outside)
        #expect(inside == min(19, base + 10))
        #expect(Self.nice() == base, "the caller's own thread is left as it was")
        #endif
    }
}
