import ArgumentParser
import BackplanCore
import BackplanExecutor
import BackplanPlan
import Foundation

/// `backplan status`: per dataset, the last backup, the last verified restore, and whether a backup is overdue.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per dataset: last backup, last verified restore, overdue (with --plan).")

    @Option(help: ArgumentHelp("Executor state store.", valueName: "file")) var state: String
    @Option(help: ArgumentHelp("The plan, to list overdue and never-backed-up datasets.", valueName: "file")) var plan: String?
    @Option(help: ArgumentHelp("Take this as the current time (ISO 8601 or Unix seconds).", valueName: "time")) var now: String?
    @Flag(help: "Print as JSON.") var json = false

    struct Row: Encodable {
        var dataset: String
        var lastBackup: Int64?
        var rows: Int?
        var lastVerifiedRestore: Int64?
        var overdue: Bool?
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: state) else { throw InputError(file: state, "no such state store") }
        let store = try StateStore(path: state, readOnly: true)
        let t = now.flatMap(TimeArgument.parse) ?? Int64(Date().timeIntervalSince1970)
        let loaded = try plan.map { try Plan.load($0, reasons: false) }
        let ids = try loaded.map { $0.datasets.map(\.id) } ?? store.datasets()
        var rows: [Row] = []
        for id in ids {
            let last = try store.lastBackup(of: id)
            let overdue = loaded?.datasets.first { $0.id == id }.map { d in
                last.map { d.schedule.nextDue(after: $0.time) + d.schedule.intervalSeconds / 2 < t } ?? true
            }
            rows.append(Row(dataset: id, lastBackup: last?.time, rows: last?.manifest.rows,
                            lastVerifiedRestore: try store.lastDrillTime(of: id), overdue: overdue))
        }
        if json { return try Console.json(rows) }
        Console.out("dataset\tlast backup\trows\tlast verified restore\toverdue")
        for r in rows {
            Console.out("\(DatasetName.escaped(r.dataset))\t\(r.lastBackup.map(String.init) ?? "never")\t\(r.rows.map(String.init) ?? "-")\t\(r.lastVerifiedRestore.map(String.init) ?? "never")\t\(r.overdue.map { $0 ? "yes" : "no" } ?? "-")")
        }
        Console.note("\(rows.count) datasets, \(rows.filter { $0.overdue == true }.count) overdue")
    }
}

/// `backplan audit verify`: checks the executor's hash-chained audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The executor's audit log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the audit log's hash chain: exit 0 when intact, 1 naming the first edited, deleted or reordered entry.")

        @Option(help: ArgumentHelp("Executor state store.", valueName: "file")) var state: String

        func run() throws {
            guard FileManager.default.fileExists(atPath: state) else { throw InputError(file: state, "no such state store") }
            let store = try StateStore(path: state, readOnly: true)
            if let problem = try store.verifyAudit() {
                Console.error("audit log of \(state): \(problem)")
                throw ExitCode.failure
            }
            Console.out("audit log intact: \(try store.auditEntries().count) entries")
        }
    }
}
