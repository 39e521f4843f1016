/// Carries a value across a concurrency boundary when the caller guarantees safe use: one thread at a time,
/// or concurrent writers touching disjoint parts (e.g. each chunk of `DispatchQueue.concurrentPerform`
/// initialising its own slots of a buffer).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
