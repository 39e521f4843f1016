import ArgumentParser
import BackplanCore
import BackplanExecutor
import BackplanPlan
import Foundation

/// `backplan execute`: runs a plan's due backups with restic, then retention (forget, erase, prune).
struct ExecuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Carry a plan out with restic: due backups to every copy's repository, then retention per dataset.",
        discussion: """
            The targets file maps each (region, tier) of the plan to a restic repository and password file (mode 0600), and each plan location to a message store and dataset key (README: "Executor"). A plan of another schema version, or whose stats store did not import the message stores the targets point at (or they were rewritten since, not grown), is refused (exit 2). The state store (SQLite) records backups with their manifests, drills and a hash-chained audit log; one executor at a time holds its lock (a second exits 2), except that runs of different schedule groups may run at once (a second run of the same group exits 2). Beside the state store the executor keeps two caches, safe to delete: STATE-probe (the probe memo: which pages of each message store changed) and STATE-plan (the plan as last read, used only for the same plan bytes).

            Examples:
              backplan execute --plan out/plan.json --targets targets.yaml --state state.sqlite --once
              backplan execute --plan out/plan.json --targets targets.yaml --state state.sqlite --dry-run
              backplan execute --plan out/plan.json --targets targets.yaml --state state.sqlite --once --schedule-group every-1h

            --schedule-group runs one group of PLAN.k8s-cronjobs.yaml (`backplan plan` writes it): only its datasets, on the cron's rounded interval and slots, so a job that starts a little late still finds its backups due.
            """)

    @Option(help: ArgumentHelp("Plan JSON (backplan plan --out).", valueName: "file")) var plan: String
    @Option(help: ArgumentHelp("Targets YAML.", valueName: "file")) var targets: String
    @Option(help: ArgumentHelp("Executor state store (SQLite; created when missing).", valueName: "file")) var state: String
    @Option(help: ArgumentHelp("The stats store the plan was made from, when not at the path the plan recorded (checked: the targets must point at the message stores it imported, grown since).", valueName: "file"))
    var stats: String?
    @Flag(help: "Run one round (backups due now, retention) and exit.") var once = false
    @Option(help: ArgumentHelp("Without --once: run rounds until this time (ISO 8601 or Unix seconds).", valueName: "time"))
    var until: String?
    @Flag(help: "Print what would run; export, send, forget and record nothing.") var dryRun = false
    @Flag(help: "Print the actions as JSON on stdout.") var json = false
    @Option(help: ArgumentHelp("Only this schedule group's datasets, as its cron job runs them (every-1h, daily-0216, …).", valueName: "name"))
    var scheduleGroup: String?
    @Option(help: ArgumentHelp("Take this as the current time (and the snapshots' time): ISO 8601 or Unix seconds. For replays and tests.", valueName: "time"))
    var now: String?

    func validate() throws {
        if let now, TimeArgument.parse(now) == nil { throw ValidationError("--now '\(now)': expected ISO 8601 (2026-01-31T12:00:00Z) or Unix seconds") }
        if let until, TimeArgument.parse(until) == nil { throw ValidationError("--until '\(until)': expected ISO 8601 or Unix seconds") }
        if once && until != nil { throw ValidationError("--once and --until exclude each other") }
    }

    func run() throws {
        let started = Date()
        let targets = try Targets.load(self.targets)
        // The stores' pages walked and compared with the probe memo while the plan is read (ProbeSession: it only
        // reads; the round finishes the probe under its lock).
        let sessions = dryRun ? [:] : ProbeSession.start(targets: targets, state: state)
        defer { sessions.values.forEach { $0.cancel() } }
        // The plan's cache beside the state store (PlanCache: valid only for these exact bytes; a dry run writes none).
        var plan = try PlanCache.load(self.plan, cache: PlanCache.path(forState: state), write: !dryRun)
        if let scheduleGroup { plan = try plan.restricted(toScheduleGroup: scheduleGroup, file: self.plan) }
        let planRead = Date()
        try PlanInputCheck.check(plan: plan, planFile: self.plan, targets: targets, statsStore: stats)
        let checked = Date()
        let lock = dryRun ? nil : try ExecutorLock(state: state, scheduleGroup: scheduleGroup)
        defer { lock?.release() }
        let store = try StateStore(path: state, readOnly: dryRun)
        var executor = Executor(plan: plan, targets: targets, state: store, scheduleGroup: scheduleGroup)
        executor.probeSessions = sessions
        let seconds = { (a: Date, b: Date) in String(format: "%.2f", b.timeIntervalSince(a)) }
        Console.note("plan (\(plan.datasets.count) datasets) and targets read and checked in \(seconds(started, Date())) s (targets and plan \(seconds(started, planRead)) s, inputs \(seconds(planRead, checked)) s, state \(seconds(checked, Date())) s)")
        let fixedNow = now.flatMap(TimeArgument.parse)
        let stop = until.flatMap(TimeArgument.parse)
        var failed = false
        let output = json ? Console.JSONArray<Executor.Action>() : nil
        while true {
            let t = fixedNow ?? Int64(Date().timeIntervalSince1970)
            var early = 0
            let actions = try executor.run(now: t, dryRun: dryRun, log: { Console.note($0) }, decided: { decided in
                output?.append(decided)
                early = decided.count
            })
            output?.append(Array(actions.dropFirst(early)))
            failed = failed || actions.contains { $0.kind == "failed" }
            if !json { print(actions) }
            if once || dryRun || fixedNow != nil { break }
            let next = try executor.nextDue(after: t)
            if let stop, next > stop { break }
            Thread.sleep(forTimeInterval: Double(max(60, next - Int64(Date().timeIntervalSince1970))))
        }
        try output?.print()
        if failed { throw ExitCode.failure }
    }

    private func print(_ actions: [Executor.Action]) {
        let backups = actions.filter { $0.kind == "backup" }.count
        for a in actions {
            let who = a.dataset.map { DatasetName.escaped($0) } ?? "-"
            Console.out("\(dryRun ? "would " : "")\(a.kind)\t\(who)\t\(a.repository ?? "")\t\(a.snapshots.joined(separator: ","))\t\(a.detail)")
        }
        Console.note("\(dryRun ? "dry run: " : "")\(backups) backup(s), \(actions.filter { $0.kind == "unchanged" }.count) unchanged, \(actions.filter { $0.kind == "forget" || $0.kind == "erase" }.count) forget/erase, \(actions.filter { $0.kind == "failed" }.count) failed")
    }
}

/// Times on the command line: ISO 8601 (`2026-01-31T12:00:00Z`, no zone means UTC) or Unix seconds.
enum TimeArgument {
    static func parse(_ text: String) -> Int64? {
        if let n = Int64(text) { return n }
        return CivilTime.parseISO8601(Array(text.utf8)[...])
    }
}
