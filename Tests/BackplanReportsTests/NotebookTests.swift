import Testing
@testable import BackplanReports

@Suite("Markdown notebooks: blocks, outputs, loose comparison")
struct NotebookTests {
    static let text = """
        # Title

        Prose.

        ```sh run
        echo hi
        ```

        ```output
        old
        ```

        ```swift
        let notRun = 1
        ```

        ```sh run varies
        date +%s
        ```
        Trailing prose.
        """ + "\n"

    @Test("Run blocks, their stored outputs and marks are read; other fences are left alone")
    func parse() {
        let nb = Notebook(text: Self.text)
        #expect(nb.blocks.count == 2)
        #expect(nb.blocks[0].code == "echo hi\n" && nb.blocks[0].output == "old\n" && !nb.blocks[0].varies && nb.blocks[0].line == 5)
        #expect(nb.blocks[1].title == "date +%s" && nb.blocks[1].output == nil && nb.blocks[1].varies)
        #expect(nb.rendered(outputs: []) == Self.text, "rendering without fresh outputs gives the file back")
    }

    @Test("Fresh outputs replace stored ones or are inserted after their block, once")
    func render() {
        let nb = Notebook(text: Self.text)
        let once = nb.rendered(outputs: ["hi\n", "1700000000\n"])
        #expect(once.contains("```sh run\necho hi\n```\n\n```output\nhi\n```\n\n```swift"))
        #expect(!once.contains("old"))
        #expect(once.contains("```sh run varies\ndate +%s\n```\n\n```output\n1700000000\n```\nTrailing prose.\n"))
        let again = Notebook(text: once)
        #expect(again.rendered(outputs: ["hi\n", "1700000000\n"]) == once, "idempotent")
        #expect(again.blocks.map(\.output) == ["hi\n", "1700000000\n"])
        let fenced = nb.rendered(outputs: ["```\ninner\n```\n", nil])
        #expect(fenced.contains("````output\n```\ninner\n```\n````\n"), "the fence outgrows backticks in the output")
        #expect(Notebook(text: fenced).blocks[0].output == "```\ninner\n```\n")
    }

    @Test("Exact comparison, loose for blocks that vary, and the first differing line")
    func compare() {
        let nb = Notebook(text: Notebook(text: Self.text).rendered(outputs: ["hi\n", "took 1.25 s for 1,000 rows\n"]))
        #expect(nb.matches(0, fresh: "hi\n") && !nb.matches(0, fresh: "hi \n"))
        #expect(nb.matches(1, fresh: "took 0.9 s for 12,345 rows\n"))
        #expect(!nb.matches(1, fresh: "took 0.9 min for 12,345 rows\n"))
        #expect(Notebook.loose("a 1.5 b 2,000.25 c3") == "a # b # c#")
        let d = Notebook.firstDifference("a\nb\nc\n", "a\nB\nc\n")
        #expect(d.line == 2 && d.stored == "b" && d.fresh == "B")
        #expect(Notebook.firstDifference("a\n", "a\nmore\n").line == 2)
    }

    @Test("requires=PATH marks are read off a run block's fence, any number of them, beside varies")
    func requires() {
        let nb = Notebook(text: "```sh run varies requires=../../shared/data/real/CollegeMsg.txt requires=x.txt\necho\n```\n\n```sh run\necho\n```\n")
        #expect(nb.blocks.count == 2)
        #expect(nb.blocks[0].requires == ["../../shared/data/real/CollegeMsg.txt", "x.txt"] && nb.blocks[0].varies)
        #expect(nb.blocks[1].requires.isEmpty)
    }
}
