/// Whether an access read or changed a dataset.
///
/// Stored as an integer in the stats store (`events.op`): 0 = read, 1 = write.
public enum AccessOp: Int, Sendable, Hashable, Codable, CaseIterable {
    case read = 0
    case write = 1

    /// Parses the spellings found in logs and traces: `read`/`write`, `r`/`w`, `get`/`put`, `set`,
    /// case-insensitively, and `0`/`1`. Returns `nil` for anything else. Allocation-free: it runs per line.
    @inlinable
    public init?(spelling bytes: some Collection<UInt8>) {
        // Pack up to 8 lower-cased ASCII bytes into one integer and compare against the known words.
        guard bytes.count <= 8 else { return nil }
        var packed: UInt64 = 0
        for b in bytes { packed = packed << 8 | UInt64(b >= 65 && b <= 90 ? b + 32 : b) }
        switch packed {
        case 0x72_65_61_64, 0x72, 0x67_65_74, 0x30, 0x72_64: self = .read                    // read r get 0 rd
        case 0x77_72_69_74_65, 0x77, 0x70_75_74, 0x73_65_74, 0x31, 0x77_72: self = .write     // write w put set 1 wr
        default: return nil
        }
    }
}

/// One access to one dataset: the unit every importer produces (DESIGN §2.2).
public struct AccessEvent: Sendable, Hashable {
    /// Unix seconds (UTC).
    public var at: Int64
    public var op: AccessOp
    /// Bytes read or written; 0 when the source does not say.
    public var bytes: Int64

    public init(at: Int64, op: AccessOp, bytes: Int64) {
        self.at = at
        self.op = op
        self.bytes = bytes
    }
}

/// Units and time arithmetic used across Backplan.
public enum Units {
    public static let secondsPerHour: Int64 = 3_600
    public static let secondsPerDay: Int64 = 86_400
    public static let bytesPerGiB: Double = 1_073_741_824

    /// Start of the hourly bucket containing `t` (Unix seconds), rounding toward −∞ so that times
    /// before 1970 land in the right hour too: `hourStart(-1) == -3600`.
    @inlinable
    public static func hourStart(_ t: Int64) -> Int64 {
        let r = t % secondsPerHour
        return r < 0 ? t - r - secondsPerHour : t - r
    }
}
