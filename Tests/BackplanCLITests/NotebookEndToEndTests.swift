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

    @Test("A missing notebook is bad input: exit 2 naming it")
    func missing() throws {
        let r = try Backplan.run(["notebook", "run", "/nonexistent/nb.md"])
        #expect(r.status == 2 && r.stderr.contains("/nonexistent/nb.md"))
    }
}
