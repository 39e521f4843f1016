import BackplanCore
import Crypto
import Foundation

/// How a dataset id becomes a restic tag and a file name: never as given.
///
/// Every byte of the id's UTF-8 outside `A–Z a–z 0–9 - _ .` is percent-encoded (`%2F` for `/`, `%2C` for the
/// comma restic splits `--tag a,b` on, `%00` for NUL, `%0A` for a newline), and a leading `.` too, so no id can
/// name a parent folder, a hidden file, a second tag or a second line. File names longer than 200 bytes keep
/// their first 150 bytes and a SHA-256 suffix, since file systems stop at 255.
///
/// ```swift
/// DatasetName.escaped("../a,b")     // "%2E.%2Fa%2Cb"
/// DatasetName.tag("c000042")        // "dataset=c000042"
/// DatasetName.fileName("c000042")   // "c000042.sqlite"
/// ```
public enum DatasetName {
    public static func escaped(_ id: String) -> String {
        var out = ""
        for (i, b) in id.utf8.enumerated() {
            let safe = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
                || (b == 0x2E && i > 0)
            if safe {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out.isEmpty ? "%" : out
    }

    /// The restic tag that selects the dataset's snapshots.
    public static func tag(_ id: String) -> String { "dataset=" + escaped(id) }

    /// The file name the dataset's export has inside a snapshot (`--stdin-filename`).
    public static func fileName(_ id: String) -> String {
        let e = escaped(id)
        guard e.utf8.count > 200 else { return e + ".sqlite" }
        let digest = Hex.string(SHA256.hash(data: Data(id.utf8)))
        return String(e.prefix(150)) + "~" + String(digest.prefix(32)) + ".sqlite"
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
