/// The one rule every importer applies to a dataset id: it must be valid UTF-8 without NUL bytes.
///
/// An id travels from the source through the stats store, plans, `explain`, exports, restic tags and file
/// names. A NUL byte ends it early wherever it becomes a C string (`"zz\0x"` and `"zz"` would merge), and
/// invalid UTF-8 is repaired to U+FFFD when it becomes text (two different ids would merge). Neither can
/// be carried through unchanged, so a line or row with such an id is rejected like any other bad line
/// (counted, named by file and line, and subject to `--max-reject`). Everything else — quotes, commas,
/// slashes, newlines, any Unicode — is kept byte for byte; where an id becomes a path or an argument the
/// consumer escapes it.
enum DatasetKey {
    /// Why `bytes` cannot be a dataset id, or `nil` when it can.
    ///
    /// - Complexity: O(n); ASCII ids take the fast path.
    static func problem(_ bytes: UnsafeRawBufferPointer) -> String? {
        var ascii = true
        for b in bytes {
            if b == 0 { return "dataset id contains a NUL byte" }
            if b >= 0x80 { ascii = false }
        }
        if ascii { return nil }
        return String(validating: bytes, as: UTF8.self) == nil
            ? "dataset id is not valid UTF-8" : nil
    }
}
