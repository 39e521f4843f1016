/// The one order of dataset names: the byte order of their UTF-8 encodings (which is Unicode code-point order).
/// It is total, needs no locale and is the same on every platform; plans list datasets in it.
///
/// ```swift
/// NameOrder.precedes("conv-10", "conv-9")   // true: "1" < "9"
/// NameOrder.precedes("Zed", "alice")         // true: uppercase ASCII before lowercase
/// try NameOrder.permutation(["b", "a", "c"]) { $0 }   // [1, 0, 2]
/// ```
public enum NameOrder {
    /// Whether `a` comes before `b`: their UTF-8 bytes compared lexicographically (a prefix first).
    @inlinable
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Positions of `items` in name order, or `nil` when they are in that order already (nothing is sorted
    /// then). Compares 8-byte keys, each name's first 8 bytes big-endian and zero-padded: unequal keys order
    /// their names as the bytes do (a zero pad sorts a shorter name first, as its being a prefix does), and
    /// equal keys fall back to the whole names, so the items themselves are never moved.
    ///
    /// - Parameter duplicate: the error to throw for a name that appears twice (given the name).
    /// - Complexity: O(n) when already in order, else O(n log n) key comparisons.
    @inlinable
    public static func permutation<Item>(
        _ items: [Item], name: (Item) -> String, duplicate: (String) -> any Error
    ) throws -> [Int32]? {
        precondition(items.count <= Int(Int32.max), "more names than an Int32 indexes")
        var keyed = [(key: UInt64, index: Int32)]()
        keyed.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            var key: UInt64 = 0
            var bytes = 0
            for b in name(item).utf8 {
                if bytes == 8 { break }
                key = key << 8 | UInt64(b)
                bytes += 1
            }
            keyed.append((bytes == 0 ? 0 : key << (8 * (8 - bytes)), Int32(i)))
        }
        func precedes(_ a: (key: UInt64, index: Int32), _ b: (key: UInt64, index: Int32)) -> Bool {
            if a.key != b.key { return a.key < b.key }
            let x = name(items[Int(a.index)]).utf8, y = name(items[Int(b.index)]).utf8
            if x.elementsEqual(y) { return a.index < b.index }
            return x.lexicographicallyPrecedes(y)
        }
        let inOrder = keyed.indices.dropFirst().allSatisfy { !precedes(keyed[$0], keyed[$0 - 1]) }
        if !inOrder { keyed.sort(by: precedes) }
        // Equal names are neighbours now, with equal keys.
        for i in keyed.indices.dropFirst() where keyed[i].key == keyed[i - 1].key {
            let a = name(items[Int(keyed[i].index)])
            if a.utf8.elementsEqual(name(items[Int(keyed[i - 1].index)]).utf8) { throw duplicate(a) }
        }
        return inOrder ? nil : keyed.map(\.index)
    }

    /// Indices of `names` in name order (equal names keep their input order).
    public static func indices(_ names: [String]) -> [Int] {
        names.indices.sorted { a, b in
            if names[a].utf8.elementsEqual(names[b].utf8) { return a < b }
            return precedes(names[a], names[b])
        }
    }
}
