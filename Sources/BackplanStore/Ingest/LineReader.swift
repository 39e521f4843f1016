import BackplanCore
import Foundation

/// Reads a text file line by line in fixed-size chunks, so memory stays flat whatever the file's size.
///
/// Lines end at `\n`; a trailing `\r` is dropped; a last line without a newline is still a line. A line
/// longer than ``maxLineBytes`` makes the whole file unreadable as a log (random bytes, a binary file).
struct LineReader {
    static let chunkBytes = 1 << 20
    static let maxLineBytes = 4 << 20

    let path: String
    private let fd: Int32

    /// Opens `path` for reading. Throws ``InputError`` when it is missing, a directory or unreadable.
    init(path: String) throws {
        try SourceFile.checkReadableFile(path)
        let fd = Foundation.open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.fd = fd
    }

    func close() { _ = Foundation.close(fd) }

    /// Calls `body` with each line (without its terminator) and its 1-based line number.
    /// Returns the number of lines seen.
    ///
    /// - Parameter limit: read at most this many bytes (the size the file had when it was digested, so a
    ///   log that grows meanwhile is imported exactly as far as its recorded digest and position say).
    @discardableResult
    func forEachLine(limit: Int64 = .max, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws -> Int {
        var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
        var filled = 0          // bytes of `buffer` holding data
        var lineNumber = 0
        var eof = false
        var remaining = limit
        while !eof {
            if filled == buffer.count {
                guard buffer.count < Self.maxLineBytes else {
                    throw InputError(file: path, line: lineNumber + 1,
                                     "line longer than \(Self.maxLineBytes >> 20) MiB: not a text log of this format")
                }
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let n = buffer.withUnsafeMutableBytes { raw in
                Foundation.read(fd, raw.baseAddress! + filled, Int(min(Int64(raw.count - filled), remaining)))
            }
            if n < 0 {
                throw InputError(file: path, line: lineNumber + 1, "read failed: \(String(cString: strerror(errno)))")
            }
            remaining -= Int64(n)
            if n == 0 || remaining == 0 { eof = true }
            filled += n
            let consumed: Int = try buffer.withUnsafeBufferPointer { all in
                var start = 0
                while start < filled {
                    let rest = UnsafeRawPointer(all.baseAddress! + start)
                    guard let nl = memchr(rest, Int32(UInt8(ascii: "\n")), filled - start) else {
                        if eof {  // last line without a newline
                            lineNumber += 1
                            try body(Self.trimCR(UnsafeBufferPointer(rebasing: all[start..<filled])), lineNumber)
                            return filled
                        }
                        break
                    }
                    let end = start + rest.distance(to: UnsafeRawPointer(nl))
                    lineNumber += 1
                    try body(Self.trimCR(UnsafeBufferPointer(rebasing: all[start..<end])), lineNumber)
                    start = end + 1
                }
                return start
            }
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    memmove(base, base + consumed, filled - consumed)
                }
                filled -= consumed
            }
        }
        return lineNumber
    }

    @inline(__always)
    private static func trimCR(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if let last = line.last, last == UInt8(ascii: "\r") {
            return UnsafeBufferPointer(rebasing: line[..<(line.count - 1)])
        }
        return line
    }
}

/// Checks and fingerprints for a source file given on the command line.
enum SourceFile {
    /// Throws an ``InputError`` naming `path` when it does not exist, is a directory or cannot be read.
    static func checkReadableFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "no such file")
        }
        guard !isDirectory.boolValue else {
            throw InputError(file: path, "is a directory, expected a file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw InputError(file: path, "permission denied")
        }
        // A FIFO, socket or device would block or never end: a source is a file that can be read twice
        // (digested, then imported) and gives the same bytes both times.
        var st = stat()
        guard stat(path, &st) == 0 else { throw InputError(file: path, "cannot stat: \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw InputError(file: path, "is not a regular file (a FIFO, socket or device); save the stream to a file first")
        }
    }
}

import Crypto

/// The check every source path passes before anything reads it.
public enum SourceCheck {
    /// Throws an ``InputError`` naming `path` when it does not exist, is a directory, is not a regular file
    /// (a FIFO, socket or device, which would block or never end) or cannot be read.
    public static func readableRegularFile(_ path: String) throws { try SourceFile.checkReadableFile(path) }
}

/// SHA-256 of a file, as the stats store records its sources.
public enum FileDigest {
    /// SHA-256 of the file's bytes (lowercase hex) and its size, read in 1 MiB chunks.
    ///
    /// - Throws: ``InputError`` naming the file when it is missing, a directory or unreadable.
    public static func sha256(_ path: String) throws -> (sha256: String, bytes: Int64) { try SourceFile.digest(path) }
}

/// A file's SHA-256 and size, and the SHA-256 of a prefix of it.
struct SourceDigest {
    var sha256: String
    var bytes: Int64
    /// SHA-256 of the first `prefixBytes` bytes, when asked for and the file has that many.
    var prefixSHA256: String?
    /// The file's last byte (nil when empty).
    var lastByte: UInt8?
}

extension SourceFile {
    /// SHA-256 of the file's bytes (lowercase hex) and its size, read in 1 MiB chunks.
    static func digest(_ path: String) throws -> (sha256: String, bytes: Int64) {
        let d = try digest(path, prefixBytes: nil)
        return (d.sha256, d.bytes)
    }

    /// SHA-256 of the file and, in the same pass, of its first `prefixBytes` bytes: a grown append-only
    /// log keeps the digest of what was imported before as the digest of its prefix.
    static func digest(_ path: String, prefixBytes: Int64?) throws -> SourceDigest {
        try checkReadableFile(path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(file: path, "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        var prefix: String? = prefixBytes == 0 ? Hex.string(SHA256().finalize()) : nil
        var last: UInt8?
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw InputError(file: path, "read failed: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            if let p = prefixBytes, prefix == nil, total + Int64(chunk.count) >= p {
                let head = Int(p - total)
                hasher.update(data: chunk.prefix(head))
                let snapshot = hasher
                prefix = Hex.string(snapshot.finalize())
                hasher.update(data: chunk.dropFirst(head))
            } else {
                hasher.update(data: chunk)
            }
            total += Int64(chunk.count)
            last = chunk.last
        }
        return SourceDigest(sha256: Hex.string(hasher.finalize()), bytes: total, prefixSHA256: prefix, lastByte: last)
    }
}
