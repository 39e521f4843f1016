import ArgumentParser
import BackplanCore
import BackplanReports
import BackplanStore
import Foundation

/// `backplan sources list|remove`: the imports a stats store holds, and undoing one.
struct SourcesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources",
        abstract: "List the imports a stats store holds, or remove one with everything it brought.",
        discussion: """
            Every 'ingest' of a source is one import with an id. A later ingest of the same grown source is a new import that continues the previous one (column 'after').

            Examples:
              backplan sources list --db stats.sqlite
              backplan sources remove 3 --db stats.sqlite     # also removes imports continuing 3
            """,
        subcommands: [List.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the imports, oldest first.")

        @Option(help: ArgumentHelp("Stats store to read.", valueName: "store"))
        var db: String

        @Flag(help: "Print the imports as JSON on stdout.")
        var json = false

        func run() throws {
            let sources = try StatsStore.open(path: db, create: false).sourceList()
            if json { return try Console.json(sources) }
            Console.out(Format.table([["id", "after", "format", "events", "bad lines", "bytes", "imported", "path"]] + sources.map {
                [String($0.id), $0.previous.map(String.init) ?? "—", $0.format, Format.count($0.events), Format.count($0.rejected),
                 Format.bytes($0.bytes), Format.time($0.importedAt), $0.path]
            }, rightAlignedFrom: 3))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove imports: their events, their datasets' roll-up and sizes, datasets only they created.",
            discussion: "A later import of the same source continues the removed one's position, so it is removed too; the next 'ingest' of that source reads it again from where the remaining imports end. One transaction: all or nothing.")

        @Argument(help: ArgumentHelp("Import ids (from 'backplan sources list').", valueName: "id"))
        var ids: [Int64]

        @Option(help: ArgumentHelp("Stats store to change.", valueName: "store"))
        var db: String

        @Flag(help: "Print what was removed as JSON on stdout.")
        var json = false

        func run() throws {
            let store = try StatsStore.open(path: db, create: false)
            let removal: SourceRemoval
            do {
                removal = try store.removeSources(ids)
            } catch let error as InputError {
                throw InputError(file: db, column: error.column, error.message)
            }
            if json { return try Console.json(removal) }
            Console.out("removed import(s) \(removal.sources.map(String.init).joined(separator: ", ")): \(Format.count(removal.events)) events, \(removal.datasetsChanged) datasets changed, \(removal.datasetsRemoved) removed")
        }
    }
}
