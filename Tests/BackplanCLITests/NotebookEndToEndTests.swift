import BackplanTestSupport
import Foundation
import Testing

/// `backplan notebook run` on small notebooks written by the test.
@Suite("backplan notebook run, end to end")
struct NotebookEndToEndTests {
    static let notebook = """
        # A notebook

        ```sh run
        echo one; echo two >&2
        backplan --version
        ```

        ```sh run varies
        echo "took $$ ms"
        ```

        ```sh run
        exit 3
        ```
        """ + "\n"

    @Test("Running writes each block's output below it; --check passes on the result and names the block that differs")
    func runAndCheck() throws {
        let dir = TempDir()
        let file = dir.write("nb.md", Self.notebook)
        let run = try Backplan.run(["notebook", "run", file])
        #expect(run.status == 0, "\(run.stderr)")
        let text = String(decoding: try #require(dir.bytes("nb.md")), as: UTF8.self)
        #expect(text.contains("```\n\n```output\none\ntwo\n0.1.0\n```\n"), "\(text)")
        #expect(text.contains("```output\nexit 3\n") == false && text.contains("```output\n[exit 3]\n```\n"))
        #expect(text.contains("```output\ntook "))

        let check = try Backplan.run(["notebook", "run", file, "--check"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(dir.bytes("nb.md") == Data(text.utf8), "--check writes nothing")

        dir.write("nb.md", text.replacingOccurrences(of: "one\ntwo", with: "one\nTWO"))
        let differs = try Backplan.run(["notebook", "run", file, "--check"])
        #expect(differs.status == 1)
        #expect(differs.stderr.contains("nb.md:3: block 1 (`echo one; echo two >&2`)") && differs.stderr.contains("fresh:  two"), "\(differs.stderr)")
    }

    @Test("A block marked requires=PATH is skipped where PATH is missing, keeping its stored output; it runs where PATH exists")
    func requires() throws {
        let dir = TempDir()
        let text = "```sh run requires=data/here.txt\ncat data/here.txt\n```\n\n```output\nstored\n```\n"
        let file = dir.write("nb.md", text)
        let check = try Backplan.run(["notebook", "run", file, "--check"])
        #expect(check.status == 0 && check.stderr.contains("block 1 skipped: it needs data/here.txt") && check.stderr.contains("1 skipped"), "\(check.stderr)")
        let run = try Backplan.run(["notebook", "run", file])
        #expect(run.status == 0 && dir.bytes("nb.md") == Data(text.utf8), "the stored output is kept")
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        dir.write("data/here.txt", "fresh\n")
        let differs = try Backplan.run(["notebook", "run", file, "--check"])
        #expect(differs.status == 1 && differs.stderr.contains("fresh:  fresh"), "it runs now: \(differs.stderr)")
        _ = try Backplan.run(["notebook", "run", file])
        #expect(String(decoding: try #require(dir.bytes("nb.md")), as: UTF8.self).contains("```output\nfresh\n```"))
    }

    @Test("--check puts back the files its blocks write beside the notebook (charts) and removes new ones")
    func checkLeavesFolder() throws {
        let dir = TempDir()
        dir.write("chart.svg", "<svg>stored</svg>")
        let file = dir.write("nb.md", "```sh run\necho '<svg>fresh</svg>' > chart.svg; echo new > extra.svg; echo ok\n```\n\n```output\nok\n```\n")
        let check = try Backplan.run(["notebook", "run", file, "--check"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(dir.bytes("chart.svg") == Data("<svg>stored</svg>".utf8) && dir.bytes("extra.svg") == nil)
        #expect(check.stderr.contains("chart.svg") && check.stderr.contains("put back"), "\(check.stderr)")
        _ = try Backplan.run(["notebook", "run", file])
        #expect(dir.bytes("chart.svg") == Data("<svg>fresh</svg>\n".utf8), "a run keeps what the block wrote")
    }

    @Test("A missing notebook is bad input: exit 2 naming it")
    func missing() throws {
        let r = try Backplan.run(["notebook", "run", "/nonexistent/nb.md"])
        #expect(r.status == 2 && r.stderr.contains("/nonexistent/nb.md"))
    }
}
