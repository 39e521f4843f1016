import BackplanTestSupport
import Foundation
import Testing

/// Headless Chromium (Debian's `chromium`; `make test` installs it when missing), run on a report page.
enum Chromium {
    /// The browser's path, or `nil` after printing why the browser tests are skipped.
    static let path: String? = {
        for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        print("skipped: no chromium in /usr/bin (make test installs Debian's chromium)")
        return nil
    }()

    /// Runs the browser headless with `arguments` in a fresh profile; `nil` when it could not start or did
    /// not finish within two minutes (then the reason is printed).
    static func run(_ arguments: [String], in dir: TempDir) -> String? {
        guard let path else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(dir.file("profile"))", "--force-device-scale-factor=1"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir.path
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            print("skipped: chromium cannot start: \(error)")
            return nil
        }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationStatus == 0 else {
            print("skipped: chromium exited with status \(process.terminationStatus)")
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let b = [UInt8](data.prefix(24))
        guard b.count == 24, b[1] == 0x50, b[2] == 0x4E, b[3] == 0x47 else { return nil }
        let int = { (i: Int) in Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        return (int(16), int(20))
    }
}

@Suite("Tier report HTML in headless Chromium")
struct ReportBrowserTests {
    /// What the page showed inside a frame `width` px wide: its scroll width, its client width, its text.
    struct Layout { var scrollWidth: Int; var clientWidth: Int; var text: String }

    /// Loads `page` in an iframe `width` px wide of a test-only wrapper whose script reads the frame's layout
    /// (the report itself has no script; headless windows are at least 500 px wide, frames are not).
    static func layout(_ page: String, width: Int, in dir: TempDir) throws -> Layout? {
        let wrapper = dir.write("wrap-\(width).html", """
            <!doctype html><html><body style="margin:0"><iframe id="f" src="\(URL(fileURLWithPath: page).lastPathComponent)" width="\(width)" height="900" style="border:0"></iframe><pre id="page-text"></pre>
            <script>window.onload=function(){var d=document.getElementById('f').contentDocument;document.body.setAttribute('data-scroll',d.documentElement.scrollWidth);document.body.setAttribute('data-client',d.documentElement.clientWidth);document.getElementById('page-text').textContent=d.body.innerText}</script></body></html>
            """)
        guard let dom = Chromium.run(["--allow-file-access-from-files", "--dump-dom", URL(fileURLWithPath: wrapper).absoluteString], in: dir) else { return nil }
        func attribute(_ name: String) -> Int? {
            guard let r = dom.range(of: "\(name)=\"") else { return nil }
            return Int(dom[r.upperBound...].prefix { $0 != "\"" })
        }
        let scroll = try #require(attribute("data-scroll"), "no layout read: \(dom.prefix(300))")
        let client = try #require(attribute("data-client"))
        guard let start = dom.range(of: "<pre id=\"page-text\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            Issue.record("no page text in the dumped DOM")
            return nil
        }
        let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        return Layout(scrollWidth: scroll, clientWidth: client, text: text)
    }

    @Test("The page renders at 1280 and 390 px: not blank, no sideways scrolling, the JSON's totals in its text",
          .enabled(if: Chromium.path != nil))
    func renders() throws {
        let plans = try #require(ReportEndToEndTests.plans)
        let dir = TempDir()
        let base = ["report", "tiers", "--plan", plans.file("plan.json"), "--baseline", plans.file("gcs.json")]
        for (format, file) in [("html", "tiers.html"), ("json", "tiers.json")] {
            let r = try Backplan.run(base + ["--format", format, "--out", dir.file(file)])
            try #require(r.status == 0, "\(r.stderr)")
        }
        let jsonData = try #require(dir.bytes("tiers.json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: jsonData) as? [String: Any])
        let totals = try #require(doc["totals"] as? [String: Any])
        let total = try #require((totals["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber).doubleValue
        let change = try #require((doc["change"] as? [String: Any])?["change"] as? NSNumber).doubleValue
        let totalText = ReportEndToEndTests.grouped(String(format: "%.2f", total))
        dir.write("blank.html", "<!doctype html><html><body></body></html>")

        let keep = ProcessInfo.processInfo.environment["BACKPLAN_SCREENSHOTS"]
        for width in [1280, 390] {
            let png = dir.file("tiers-\(width).png"), blank = dir.file("blank-\(width).png")
            for (page, shot) in [("tiers.html", png), ("blank.html", blank)] {
                guard Chromium.run(["--window-size=\(width),2400", "--screenshot=\(shot)", URL(fileURLWithPath: dir.file(page)).absoluteString],
                                   in: dir) != nil else { return }
            }
            let data = try #require(FileManager.default.contents(atPath: png), "no screenshot at \(width) px")
            let blankData = try #require(FileManager.default.contents(atPath: blank))
            #expect(Chromium.pngSize(data)?.width == width)
            // A page of text, tables and charts compresses far worse than an empty one of the same size.
            #expect(data.count > 5 * blankData.count, "\(width) px: \(data.count) bytes against \(blankData.count) for a blank page")
            if let keep { try? FileManager.default.copyItem(atPath: png, toPath: keep + "/tiers-\(width).png") }

            guard let layout = try Self.layout(dir.file("tiers.html"), width: width, in: dir) else { return }
            #expect(layout.clientWidth == width, "the frame is \(width) px wide")
            #expect(layout.scrollWidth <= layout.clientWidth, "\(width) px: the page scrolls sideways (\(layout.scrollWidth) px wide)")
            #expect(layout.text.contains("Monthly total"))
            #expect(layout.text.contains("$" + totalText), "\(width) px: total \(totalText) not in the page's text")
            let totalRow = try #require(layout.text.split(separator: "\n").first { $0.hasPrefix("total\t") }, "no total row in the page's text")
            #expect(totalRow.split(separator: "\t").map(String.init)[9] == totalText, "\(totalRow)")
            let changeText = (change > 0 ? "+$" : change < 0 ? "-$" : "$") + ReportEndToEndTests.grouped(String(format: "%.2f", abs(change)))
            #expect(layout.text.contains(changeText), "\(width) px: change \(changeText) not in the page's text")
        }
    }

    @Test("The frontier, simulation and tiers-with-simulation pages render at 1280 and 390 px: not blank, no sideways scrolling, the JSON's figures in their text",
          .enabled(if: Chromium.path != nil), arguments: ["frontier", "simulation", "tiers"])
    func policyPages(kind: String) throws {
        let inputs = try #require(ReportPolicyEndToEndTests.inputs)
        let command: [String]
        switch kind {
        case "frontier": command = ["report", "frontier", "--input", inputs.file("frontier.json")]
        case "simulation": command = ["report", "simulation", "--input", inputs.file("sim.json")]
        default:
            let plans = try #require(ReportEndToEndTests.plans)
            command = ["report", "tiers", "--plan", plans.file("plan.json"), "--simulation", inputs.file("sim.json")]
        }
        let dir = TempDir()
        for (format, file) in [("html", "\(kind).html"), ("json", "\(kind).json")] {
            let r = try Backplan.run(command + ["--format", format, "--out", dir.file(file)])
            try #require(r.status == 0, "\(r.stderr)")
        }
        let jsonData = try #require(dir.bytes("\(kind).json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: jsonData) as? [String: Any])
        let policies = try #require((kind == "tiers" ? (doc["simulation"] as? [String: Any])?["policies"] : doc["policies"]) as? [[String: Any]])
        // Per policy, the row's first cell and the figures it must show: exposure hours (frontier), the window's
        // and the monthly total (simulation), the simulated monthly total (tiers).
        let expected: [(name: String, cells: [String])] = try policies.map { p in
            let name = try #require(p["name"] as? String)
            func money(_ key: String) throws -> String {
                ReportEndToEndTests.grouped(String(format: "%.2f", try #require((p[key] as? [String: Any])?["total"] as? NSNumber).doubleValue))
            }
            switch kind {
            case "frontier": return (name, [String(format: "%.2f", try #require(p["exposureHours"] as? NSNumber).doubleValue)])
            case "simulation":
                let band = try #require(p["costBand"] as? [String: Any])
                let ends = try ["p5", "p95"].map { ReportEndToEndTests.grouped(String(format: "%.2f", try #require(band[$0] as? NSNumber).doubleValue)) }
                return (name, [ends.joined(separator: "–"), try money("window"), try money("monthly")])
            default: return ("simulated " + name, [try money("monthlyDollars")])
            }
        }
        dir.write("blank.html", "<!doctype html><html><body></body></html>")
        for width in [1280, 390] {
            let png = dir.file("\(kind)-\(width).png"), blank = dir.file("blank-\(width).png")
            for (page, shot) in [("\(kind).html", png), ("blank.html", blank)] {
                guard Chromium.run(["--window-size=\(width),2400", "--screenshot=\(shot)", URL(fileURLWithPath: dir.file(page)).absoluteString],
                                   in: dir) != nil else { return }
            }
            let data = try #require(FileManager.default.contents(atPath: png), "no screenshot at \(width) px")
            let blankData = try #require(FileManager.default.contents(atPath: blank))
            #expect(Chromium.pngSize(data)?.width == width)
            #expect(data.count > 5 * blankData.count, "\(width) px: \(data.count) bytes against \(blankData.count) for a blank page")
            if let keep = ProcessInfo.processInfo.environment["BACKPLAN_SCREENSHOTS"] {
                try? FileManager.default.copyItem(atPath: png, toPath: keep + "/\(kind)-\(width).png")
            }
            guard let layout = try Self.layout(dir.file("\(kind).html"), width: width, in: dir) else { return }
            #expect(layout.clientWidth == width)
            #expect(layout.scrollWidth <= layout.clientWidth, "\(width) px: the \(kind) page scrolls sideways (\(layout.scrollWidth) px wide)")
            let rows = layout.text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            for e in expected {
                let row = try #require(rows.first { $0.first == e.name && $0.count > 3 }, "\(width) px: no row for \(e.name) in the page's text")
                // frontier: policy, backups, % of budget, exposure h, …; simulation: …, total $, total $/month last;
                // tiers: source, storage, operations, retrieval, expected loss, downtime, total $, ….
                let shown = kind == "frontier" ? [row[3]] : kind == "simulation" ? [row[row.count - 3]] + Array(row.suffix(2)) : [row[6]]
                #expect(shown == e.cells, "\(width) px: \(e.name)'s row \(row) does not show \(e.cells)")
            }
            if kind == "simulation" {
                #expect(layout.text.contains("Table: Cost over the simulated window, per policy"), "\(width) px: no cost-over-time chart")
            }
            if kind == "tiers" {
                // Per group and policy, planned against simulated; each policy's total row shows the JSON's simulated total.
                for p in policies {
                    let name = try #require(p["name"] as? String)
                    let total = try #require((p["monthlyDollars"] as? [String: Any])?["total"] as? NSNumber).doubleValue
                    let row = try #require(rows.first { $0.first == "total" && $0.count > 3 && $0[1] == name }, "\(width) px: no group total for \(name)")
                    #expect(row[3] == ReportEndToEndTests.grouped(String(format: "%.2f", total)), "\(row)")
                    let groups = try #require(p["groups"] as? [[String: Any]])
                    #expect(!groups.isEmpty && rows.filter { $0.count > 3 && $0[1] == name }.count == groups.count + 1)
                }
            }
        }
    }
}
