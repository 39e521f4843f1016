/// Maps byte strings (dataset names as they appear in a line) to dense indexes 0, 1, 2, … without
/// allocating a `String` per lookup. Open addressing with linear probing over FNV-1a hashes.
///
/// - Complexity: O(length of the key) expected per lookup; memory O(total bytes of distinct keys).
struct ByteInterner {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var mask: Int

    init(capacity: Int = 1 << 12) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// Number of distinct keys.
    var count: Int { hashes.count }

    /// The key stored at `index`, as text.
    func name(_ index: Int) -> String {
        String(decoding: arena[starts[index]..<starts[index + 1]], as: UTF8.self)
    }

    /// Index of `key`, inserting it when new. `isNew` tells the caller to set up per-dataset state.
    @inline(__always)
    mutating func intern(_ key: UnsafeRawBufferPointer) -> (index: Int, isNew: Bool) {
        let h = Self.fnv1a(key)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = Int(slots[slot])
            if s < 0 { break }
            if hashes[s] == h, equals(s, key) { return (s, false) }
            slot = (slot + 1) & mask
        }
        let index = hashes.count
        slots[slot] = Int32(index)
        hashes.append(h)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        if hashes.count * 2 > slots.count { grow() }
        return (index, true)
    }

    @inline(__always)
    private func equals(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = starts[index]
        let length = starts[index + 1] - start
        guard length == key.count else { return false }
        return arena.withUnsafeBytes { all in
            length == 0 || memcmp(all.baseAddress! + start, key.baseAddress!, length) == 0
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for (index, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// FNV-1a, 64-bit (Fowler, Noll, Vo; http://www.isthe.com/chongo/tech/comp/fnv/).
    @inline(__always)
    static func fnv1a(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        return h ^ (h >> 29)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
