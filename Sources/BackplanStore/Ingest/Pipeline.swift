import BackplanCore
import Foundation

/// A chunk of parsed events on its way from the reading thread to the SQLite writer, struct-of-arrays.
/// `newNames` lists, in index order, the datasets first seen while this chunk was filled, so the writer
/// can give them store ids before it writes the chunk's events.
final class EventChunk: @unchecked Sendable {
    struct NewDataset {
        var name: [UInt8]
        var dataClass: String?
        var attributesJSON: String
        var createdAt: Int64?
    }

    var dataset: [Int32] = []
    var at: [Int64] = []
    var bytes: [Int64] = []
    var op: [UInt8] = []
    var newNames: [NewDataset] = []
    /// The owner's own sends (``EventBatcher/send(key:at:)``): sender index and time, and the senders first
    /// seen while this chunk was filled, in index order.
    var sendSender: [Int32] = []
    var sendAt: [Int64] = []
    var newSenders: [[UInt8]] = []

    init(capacity: Int) {
        dataset.reserveCapacity(capacity)
        at.reserveCapacity(capacity)
        bytes.reserveCapacity(capacity)
        op.reserveCapacity(capacity)
    }

    var count: Int { at.count }

    func clear() {
        dataset.removeAll(keepingCapacity: true)
        at.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        op.removeAll(keepingCapacity: true)
        newNames.removeAll(keepingCapacity: true)
        sendSender.removeAll(keepingCapacity: true)
        sendAt.removeAll(keepingCapacity: true)
        newSenders.removeAll(keepingCapacity: true)
    }
}

/// A blocking FIFO between two threads. `send` waits while `capacity` items are queued; after `close()`
/// it refuses new items, and `receive` drains what is queued and then returns `nil`.
final class Channel<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Queues `item`; `false` when the channel was closed (the other side gave up).
    func send(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, or `nil` once the channel is closed and empty.
    func receive() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The reading side of an import: interns dataset names to dense indexes and fills chunks, handing each
/// full chunk to the writer thread. Two chunks circulate (one filling, one being written), so memory is
/// bounded whatever the size of the source, and parsing overlaps SQLite's work on the other core.
final class EventBatcher {
    static let chunkCapacity = 1 << 20

    private var names = ByteInterner()
    private var senders = ByteInterner()
    @exclusivity(unchecked) private var chunk: EventChunk
    private let full: Channel<EventChunk>
    private let empty: Channel<EventChunk>

    var datasetCount: Int { names.count }
    /// Events added so far (for progress).
    @exclusivity(unchecked) private(set) var events: Int64 = 0

    init(full: Channel<EventChunk>, empty: Channel<EventChunk>) {
        self.full = full
        self.empty = empty
        chunk = EventChunk(capacity: Self.chunkCapacity)
    }

    /// Index of the dataset named by `key`; a name seen for the first time is queued for the writer.
    @inline(__always)
    func index(of key: UnsafeRawBufferPointer, dataClass: UnsafeRawBufferPointer? = nil) -> Int {
        let (index, isNew) = names.intern(key)
        if isNew {
            chunk.newNames.append(.init(name: Array(key), dataClass: dataClass.map { String(decoding: $0, as: UTF8.self) },
                                        attributesJSON: "{}", createdAt: nil))
        }
        return index
    }

    /// Declares a dataset with what the source knows of it, before its events.
    @discardableResult
    func declare(name: String, dataClass: String?, createdAt: Int64?, attributesJSON: String = "{}") -> Int {
        let key = Array(name.utf8)
        let (index, isNew) = key.withUnsafeBytes { names.intern($0) }
        if isNew {
            chunk.newNames.append(.init(name: key, dataClass: dataClass, attributesJSON: attributesJSON, createdAt: createdAt))
        }
        return index
    }

    /// Adds one event; hands the chunk over when it is full.
    @inline(__always)
    func write(index: Int, at: Int64, op: AccessOp, bytes: Int64) throws {
        let c = chunk
        c.dataset.append(Int32(truncatingIfNeeded: index))
        c.at.append(at)
        c.bytes.append(bytes)
        c.op.append(UInt8(op.rawValue))
        events += 1
        if c.count == Self.chunkCapacity { try handOver() }
    }

    /// Adds one send by the dataset named `key` (the owner's own sending activity, kept apart from the
    /// dataset's events: a sender need not be a dataset); hands the chunk over when it is full.
    @inline(__always)
    func send(key: UnsafeRawBufferPointer, at: Int64) throws {
        let (index, isNew) = senders.intern(key)
        let c = chunk
        if isNew { c.newSenders.append(Array(key)) }
        c.sendSender.append(Int32(truncatingIfNeeded: index))
        c.sendAt.append(at)
        if c.sendAt.count == Self.chunkCapacity { try handOver() }
    }

    /// Hands over the last, partly filled chunk (also when it holds only declared datasets).
    func finish() throws {
        if chunk.count > 0 || !chunk.newNames.isEmpty || !chunk.sendAt.isEmpty { try handOver() }
    }

    private func handOver() throws {
        guard full.send(chunk), let next = empty.receive() else { throw CancellationError() }
        next.clear()
        chunk = next
    }
}

/// Runs `produce` on a second thread, feeding `consume` on this one, and returns when both are done.
/// The first error on either side stops the other; a producer error wins (it is the cause, the
/// consumer only saw the stream end).
func runPipeline(produce: @escaping @Sendable (EventBatcher) throws -> Void, consume: (EventChunk) throws -> Void) throws {
    let full = Channel<EventChunk>(capacity: 1)
    let empty = Channel<EventChunk>(capacity: 2)
    _ = empty.send(EventChunk(capacity: EventBatcher.chunkCapacity))
    final class Outcome: @unchecked Sendable { var error: (any Error)? }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        let batcher = EventBatcher(full: full, empty: empty)
        do {
            try produce(batcher)
            try batcher.finish()
        } catch {
            outcome.error = error
        }
        full.close()
        done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
    var consumeError: (any Error)?
    while let chunk = full.receive() {
        do {
            try consume(chunk)
        } catch {
            consumeError = error
            break
        }
        _ = empty.send(chunk)
    }
    if consumeError != nil {
        full.close()
        empty.close()
    }
    done.wait()
    if let error = outcome.error, !(error is CancellationError) { throw error }
    if let consumeError { throw consumeError }
    if let error = outcome.error { throw error }
}
