import Foundation

/// A Markdown notebook (`notebooks-md/*.md`): prose with fenced shell blocks marked to run (```` ```sh run ````),
/// each followed by an ```` ```output ```` block holding what it printed. `backplan notebook run` executes the
/// blocks and rewrites the outputs; `--check` compares instead. A block marked ```` ```sh run varies ```` has
/// output that legitimately changes between runs or machines (timings, floating-point figures): it is compared
/// with every number masked (``Notebook/loose(_:)``). A block marked ```` ```sh run requires=PATH ```` runs
/// only where PATH (relative to the notebook's folder) exists; elsewhere it is skipped and keeps its stored
/// output (for data that is not part of the package, such as `../../shared/data/real/CollegeMsg.txt`).
///
/// ```swift
/// var nb = Notebook(text: try String(contentsOfFile: "notebooks-md/quick-start.md", encoding: .utf8))
/// nb.blocks[0].code        // "backplan stats --db ../out/nb/stats.sqlite\n"
/// nb.blocks[0].output      // what the file holds now, or nil
/// let text = nb.rendered(outputs: ["fresh output\n"])
/// ```
public struct Notebook: Sendable, Equatable {
    /// One block to run.
    public struct Block: Sendable, Equatable {
        /// 1-based line of the block's opening fence.
        public var line: Int
        public var code: String
        /// Compared loosely (numbers masked).
        public var varies: Bool
        /// Paths (relative to the notebook's folder) the block needs; it is skipped where one is missing.
        public var requires: [String] = []
        /// The stored output block's text, `nil` when there is none yet.
        public var output: String?
        /// The block's first line, to name it in messages.
        public var title: String { String(code.split(separator: "\n").first ?? "") }
    }

    /// A piece of the file: text kept as it is, a run block (index into ``blocks``) with its source, or an
    /// output block to be replaced.
    enum Piece: Sendable, Equatable {
        case text(String)
        case run(Int, source: String)
    }

    public private(set) var blocks: [Block] = []
    var pieces: [Piece] = []

    /// Parses `text` (written back ending with a newline). Fences are three or more backticks; a block is closed by a fence at least as long.
    public init(text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }   // every line is written back with its newline
        var i = 0
        var pendingBlank: [String] = []
        var lastWasRun = false
        func flushBlank() {
            if !pendingBlank.isEmpty { pieces.append(.text(pendingBlank.map { $0 + "\n" }.joined())); pendingBlank = [] }
        }
        while i < lines.count {
            let line = lines[i]
            let ticks = line.prefix { $0 == "`" }.count
            guard ticks >= 3 else {
                if line.trimmingCharacters(in: .whitespaces).isEmpty && lastWasRun {
                    pendingBlank.append(line)
                } else {
                    flushBlank()
                    lastWasRun = false
                    pieces.append(.text(line + "\n"))
                }
                i += 1
                continue
            }
            let info = line.dropFirst(ticks).split(separator: " ").map(String.init)
            var j = i + 1
            while j < lines.count && !(lines[j].hasPrefix(String(repeating: "`", count: ticks))
                                        && lines[j].drop { $0 == "`" }.trimmingCharacters(in: .whitespaces).isEmpty) { j += 1 }
            let body = lines[(i + 1)..<min(j, lines.count)].map { $0 + "\n" }.joined()
            let source = lines[i...min(j, lines.count - 1)].map { $0 + "\n" }.joined()
            if info.first == "sh" && info.contains("run") {
                flushBlank()
                blocks.append(Block(line: i + 1, code: body, varies: info.contains("varies"),
                                    requires: info.filter { $0.hasPrefix("requires=") }.map { String($0.dropFirst("requires=".count)) },
                                    output: nil))
                pieces.append(.run(blocks.count - 1, source: source))
                lastWasRun = true
            } else if info == ["output"] && lastWasRun {
                pendingBlank = []                     // the blank lines between a block and its output are rewritten
                blocks[blocks.count - 1].output = body
                lastWasRun = false
            } else {
                flushBlank()
                lastWasRun = false
                pieces.append(.text(source))
            }
            i = j + 1
        }
        flushBlank()
    }

    /// The notebook with each run block followed by one blank line and an output block holding `outputs[i]`
    /// (blocks without a fresh output keep their stored one). The fence is longer than any backtick run in
    /// the output.
    public func rendered(outputs: [String?]) -> String {
        var s = ""
        for piece in pieces {
            switch piece {
            case .text(let t): s += t
            case .run(let i, let source):
                s += source
                guard let out = (i < outputs.count ? outputs[i] : nil) ?? blocks[i].output else { continue }
                var longest = 0
                for line in out.split(separator: "\n", omittingEmptySubsequences: true) {
                    longest = max(longest, line.prefix(while: { (c: Character) in c == "`" }).count)
                }
                let fence = String(repeating: "`", count: max(3, longest + 1))
                s += "\n" + fence + "output\n" + out + (out.isEmpty || out.hasSuffix("\n") ? "" : "\n") + fence + "\n"
            }
        }
        return s
    }

    /// `text` with every number (digits with their `.` and `,` separators) replaced by `#`, and trailing
    /// spaces dropped: how outputs of blocks marked `varies` are compared.
    public static func loose(_ text: String) -> String {
        var out = ""
        var inNumber = false
        for ch in text {
            if ch.isASCII && ch.isNumber || (inNumber && (ch == "." || ch == ",")) {
                if !inNumber { out.append("#") }
                inNumber = true
            } else {
                inNumber = false
                out.append(ch)
            }
        }
        return out.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingTrailingSpaces() }.joined(separator: "\n")
    }

    /// Whether a fresh output matches block `i`'s stored one (exactly, or loosely for `varies` blocks).
    public func matches(_ i: Int, fresh: String) -> Bool {
        guard let stored = blocks[i].output else { return false }
        return blocks[i].varies ? Self.loose(stored) == Self.loose(fresh) : stored == fresh
    }

    /// The first line where `stored` and `fresh` differ, 1-based, with both versions of it.
    public static func firstDifference(_ stored: String, _ fresh: String) -> (line: Int, stored: String, fresh: String) {
        let a = stored.split(separator: "\n", omittingEmptySubsequences: false), b = fresh.split(separator: "\n", omittingEmptySubsequences: false)
        for k in 0..<max(a.count, b.count) {
            let x = k < a.count ? String(a[k]) : "(end)", y = k < b.count ? String(b[k]) : "(end)"
            if x != y { return (k + 1, x, y) }
        }
        return (1, "", "")
    }
}
