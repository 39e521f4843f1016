import ArgumentParser
import BackplanCore
import BackplanReports
import BackplanStore
import Foundation

/// `backplan stats`: what a stats store holds.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a stats store: datasets, events, time span, reads and writes, busiest datasets, sources.",
        discussion: """
            Example:
              backplan stats --db stats.sqlite
              backplan stats --db stats.sqlite --json --top 20
            """)

    @OptionGroup var storeOptions: StoreOptions
    var db: String { storeOptions.db }

    @Option(help: "How many of the busiest datasets to list.")
    var top = 10

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        guard (0...100_000).contains(top) else { throw ValidationError("--top must be 0 … 100000, got \(top)") }
    }

    func run() throws {
        let store = try StatsStore.open(path: db, create: false)
        let s = try store.summary(top: top)
        if json {
            try Console.json(s)
            return
        }
        Console.out("Stats store \(s.path)")
        var span = "—"
        if let first = s.firstEventAt, let last = s.lastEventAt {
            span = "\(Format.time(first)) to \(Format.time(last)) (\(DurationText.approximate(last - first)))"
        }
        Console.out(Format.table([
            ["datasets", Format.count(s.datasets)],
            ["events", Format.count(s.events)],
            ["reads", "\(Format.count(s.reads)) (\(Format.bytes(s.bytesRead)))"],
            ["writes", "\(Format.count(s.writes)) (\(Format.bytes(s.bytesWritten)))"],
            ["time span", span],
        ], rightAlignedFrom: 99))
        if !s.classes.isEmpty {
            Console.out()
            Console.out(Format.table([["class", "datasets", "reads", "writes"]] + s.classes.map {
                [$0.dataClass, Format.count($0.datasets), Format.count($0.reads), Format.count($0.writes)]
            }))
        }
        if !s.busiest.isEmpty {
            Console.out()
            Console.out("Busiest datasets")
            Console.out(Format.table([["dataset", "class", "reads", "writes", "bytes read", "bytes written"]] + s.busiest.map {
                [$0.name, $0.dataClass, Format.count($0.reads), Format.count($0.writes),
                 Format.bytes($0.bytesRead), Format.bytes($0.bytesWritten)]
            }, rightAlignedFrom: 2))
        }
        if !s.sources.isEmpty {
            Console.out()
            Console.out("Sources")
            Console.out(Format.table([["path", "format", "events", "rejected"]] + s.sources.map {
                [$0.path, $0.format, Format.count($0.events), Format.count($0.rejected)]
            }, rightAlignedFrom: 2))
            for source in s.sources where !source.rejects.isEmpty {
                for r in source.rejects.prefix(3) { Console.out("  rejected \(r.description)") }
            }
        }
    }
}
