import Foundation

/// Many ``ContentDigest``s fed on a thread of their own while the caller reads rows off a store: the caller
/// appends each row's bytes to a chunk (``append(row:_:)``), full chunks go to the hashing thread through a
/// short queue, and ``finish()`` returns the digests once every chunk is hashed. A batch probe reads a store
/// in one pass on one connection; this puts its SHA-256 work (a third of the pass on the benchmark's store)
/// on the second core instead of after each row.
///
/// Rows of one digest are hashed in the order they were appended, and a table starts (``beginTable(_:)``)
/// for every digest between the rows before and after it, so the result equals feeding the digests directly
/// in either scheme (tested).
///
/// ```swift
/// let p = DigestPipeline(count: 2, scheme: .rowSet)
/// p.beginTable("messages")
/// p.append(row: 0) { $0 += [1, 2, 3] }
/// let digests = p.finish()   // [ContentDigest] with one row in the first
/// ```
final class DigestPipeline: @unchecked Sendable {
    private enum Item {
        case table(String)
        case rows(bytes: [UInt8], ends: [(digest: Int, end: Int)])
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var closed = false
    private var digests: [ContentDigest]
    private let done = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []
    private var ends: [(digest: Int, end: Int)] = []
    /// Bytes per chunk, and chunks queued before the reader waits.
    private let chunkBytes = 1 << 18, depth = 4

    init(count: Int, scheme: ContentDigest.Scheme) {
        digests = Array(repeating: ContentDigest(scheme), count: count)
        bytes.reserveCapacity(chunkBytes + 4096)
        let worker = Thread { self.hashLoop() }
        worker.stackSize = 1 << 20
        worker.start()
    }

    /// Starts table `name` in every digest (after the rows appended so far).
    func beginTable(_ name: String) {
        flush()
        put(.table(name))
    }

    /// Appends one row of digest `index`: `encode` appends its bytes to the chunk.
    func append(row index: Int, _ encode: (inout [UInt8]) -> Void) {
        encode(&bytes)
        ends.append((index, bytes.count))
        if bytes.count >= chunkBytes { flush() }
    }

    /// The digests, once every row appended is hashed. Call it exactly once, also when reading failed (the
    /// hashing thread ends with it).
    func finish() -> [ContentDigest] {
        flush()
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        done.wait()
        return digests
    }

    private func flush() {
        guard !ends.isEmpty else { return }
        put(.rows(bytes: bytes, ends: ends))
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    private func put(_ item: Item) {
        condition.lock()
        while queue.count >= depth { condition.wait() }
        queue.append(item)
        condition.broadcast()
        condition.unlock()
    }

    private func hashLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                condition.unlock()
                break
            }
            let item = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            switch item {
            case .table(let name):
                for i in digests.indices { digests[i].beginTable(name) }
            case .rows(let bytes, let ends):
                bytes.withUnsafeBytes { raw in
                    var start = 0
                    for (index, end) in ends {
                        digests[index].addRow(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                        start = end
                    }
                }
            }
        }
        done.signal()
    }
}
