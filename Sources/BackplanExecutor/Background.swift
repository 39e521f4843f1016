import Foundation

extension Executor {
    /// `body(i)` for every i in `0..<count`, at most `limit` at once on threads of their own (``Background``);
    /// the results in order. The first error thrown (in index order) is rethrown once all are done.
    static func concurrently<T>(_ count: Int, limit: Int, _ body: @escaping (Int) throws -> T) throws -> [T] {
        try Background(count, limit: limit, body).wait()
    }
}

/// `body(i)` for every i in `0..<count`, started at once on at most `limit` threads of their own (not Dispatch's
/// pool, which ``ChildProcess`` uses to read a child's stderr while these threads wait on its stdout), while the
/// caller goes on; ``wait()`` returns the results in order.
///
/// ```swift
/// let runs = Background(3, limit: 2) { i in i * i }
/// // … other work …
/// try runs.wait()   // [0, 1, 4]
/// ```
final class Background<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var results: [Result<T, any Error>?]
    private let body: (Int) throws -> T
    private let group = DispatchGroup()

    init(_ count: Int, limit: Int, _ body: @escaping (Int) throws -> T) {
        results = Array(repeating: nil, count: count)
        self.body = body
        for _ in 0..<min(count, max(1, limit)) {
            group.enter()
            let worker = Thread { [self] in
                while true {
                    lock.lock()
                    let i = next
                    next += 1
                    lock.unlock()
                    guard i < count else { break }
                    let r = Result { try self.body(i) }
                    lock.lock()
                    results[i] = r
                    lock.unlock()
                }
                group.leave()
            }
            worker.start()
        }
    }

    /// Every result, in order, once all are done; rethrows the first error (in index order).
    func wait() throws -> [T] {
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        return try results.map { try $0!.get() }
    }
}
