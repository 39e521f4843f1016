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

    @Test("run waits for its work on such a thread, returns its result or error, and lets go of the work (no escape trap, 200 times)")
    func runs() throws {
        struct Boom: Error {}
        let outside = Self.nice()
        var total = 0
        for i in 0..<200 {
            var seen: [Int] = []
            let (value, inside) = try BackgroundThread.run { () -> (Int, Int?) in
                seen.append(i)   // a capture of the caller's variable, mutated there while the caller waits
                return (i * 2, Self.nice())
            }
            #expect(value == i * 2 && seen == [i])
            total += value
            #if os(Linux)
            #expect(inside == outside.map { min(19, $0 + 10) })
            #endif
        }
        #expect(total == 199 * 200)
        #expect(throws: Boom.self) { try BackgroundThread.run { throw Boom() } }
        #expect(Self.nice() == outside)
    }
}
