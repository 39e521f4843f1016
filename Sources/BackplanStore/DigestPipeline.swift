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
/// p.append(row: 0) { $0.put([1, 2, 3]) }
/// let digests = p.finish()   // [ContentDigest] with one row in the first
/// ```
final class DigestPipeline: @unchecked Sendable {
    private enum Item {
        case table(String)
        case rows(bytes: ByteChunk, ends: [(digest: Int, end: Int)])
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var closed = false
    private var digests: [ContentDigest]
    private let done = DispatchSemaphore(value: 0)
    private var bytes: ByteChunk
    private var ends: [(digest: Int, end: Int)] = []
    /// Bytes per chunk, and chunks queued before the reader waits.
    private let chunkBytes = 1 << 18, depth = 4

    init(count: Int, scheme: ContentDigest.Scheme) {
        digests = Array(repeating: ContentDigest(scheme), count: count)
        bytes = ByteChunk(capacity: chunkBytes + 4096)
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
    func append(row index: Int, _ encode: (ByteChunk) -> Void) {
        encode(bytes)
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
        bytes = ByteChunk(capacity: chunkBytes + 4096)
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
                var start = 0
                for (index, end) in ends {
                    digests[index].addRow(UnsafeRawBufferPointer(start: bytes.base + start, count: end - start))
                    start = end
                }
            }
        }
        done.signal()
    }
}

/// A growing byte buffer written through a raw pointer: a row's values are a few 8-byte fields each, and
/// `Array.append(contentsOf:)` per field was most of a batch probe's encoding time.
final class ByteChunk {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    @inline(__always) private func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ need: Int) {
        let c = max(need, capacity * 2)
        let b = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 8)
        b.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = b
        capacity = c
    }

    /// One byte.
    @inline(__always) func put(_ b: UInt8) {
        reserve(1)
        base.storeBytes(of: b, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Eight bytes, big-endian.
    @inline(__always) func put(_ v: UInt64) {
        reserve(8)
        base.storeBytes(of: v.bigEndian, toByteOffset: count, as: UInt64.self)
        count += 8
    }

    func put(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if let a = bytes.baseAddress, bytes.count > 0 { (base + count).copyMemory(from: a, byteCount: bytes.count) }
        count += bytes.count
    }

    func put(_ bytes: [UInt8]) { bytes.withUnsafeBytes { put($0) } }

    /// Empties the buffer (keeps its memory), for the next row.
    func reset() { count = 0 }
}
