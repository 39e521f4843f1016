import Dispatch

/// Work split into chunks of consecutive items that run on all cores, with results that do not depend on the
/// machine: the number of chunks depends only on the number of items (``chunkCount(_:)``), each chunk covers the
/// same items whatever the cores, and results come back in chunk order, so sums added in that order are the
/// same bits everywhere.
///
/// ```swift
/// let n = values.count
/// let chunks = Parallel.chunkCount(n)                       // 1 below 4,096 items, else 64
/// let partial = Parallel.map(chunks: chunks) { c in          // [Double], one per chunk, in chunk order
///     Parallel.chunk(c, of: chunks, n).reduce(0.0) { $0 + values[$1] }
/// }
/// let total = partial.reduce(0, +)                           // same bits on 2 cores or 64
/// ```
public enum Parallel {
    /// Items below which one chunk does all the work (splitting costs more than it saves).
    public static let smallWork = 4_096
    /// Chunks for larger work: enough to keep 64 cores busy.
    public static let chunksForLargeWork = 64

    /// Chunks to split `n` items into: a number that depends only on `n`, never on the cores.
    public static func chunkCount(_ n: Int) -> Int { n < smallWork ? 1 : chunksForLargeWork }

    /// The items of chunk `c` of `chunks` over `n` items: consecutive, disjoint, together `0..<n`, sizes within one.
    public static func chunk(_ c: Int, of chunks: Int, _ n: Int) -> Range<Int> {
        (n * c / chunks)..<(n * (c + 1) / chunks)
    }

    /// Runs `body(c)` for every chunk c in `0..<chunks`, in parallel, and returns when all are done. `body` may
    /// write only to state no other chunk touches.
    public static func forEachChunk(_ chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 1 else {
            if chunks == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in shared.value(c) }
        }
    }

    /// `body(c)` for every chunk c in `0..<chunks`, in parallel; the results in chunk order.
    ///
    /// The results are built in place in the returned array, which owns them: nothing is copied out of a
    /// temporary buffer and nothing is left to free.
    public static func map<T>(chunks: Int, _ body: (Int) -> T) -> [T] {
        guard chunks > 0 else { return [] }
        return [T](unsafeUninitializedCapacity: chunks) { buffer, initialized in
            let out = UncheckedSendable(buffer)
            forEachChunk(chunks) { c in
                (out.value.baseAddress.unsafelyUnwrapped + c).initialize(to: body(c))
            }
            initialized = chunks
        }
    }
}
