import BackplanCore
import BackplanPlan
import BackplanStore
import Foundation

/// Before a plan runs: is it a plan this executor reads, made from the data the targets file points at?
///
/// What can be checked at execute time, and what cannot:
/// - The plan's schema version (``Plan/currentSchemaVersion``): checked; another version is refused.
/// - The stats store the plan was made from (`inputs.statsStore`, at its recorded path or `--stats`): it must
///   be here. Its content digest is *not* compared: every `ingest` of a growing message store changes it,
///   and a plan stays valid while its stores grow (the planner re-plans on its own schedule).
/// - Each message store a targets location of the plan points at: it must be one the stats store imported
///   (the same identity `ingest` uses: format `message-store` and the file's absolute path, links resolved),
///   and it must *continue* the newest import of it — the same rows at or below the position that import
///   read (``BackplanStore/MessageStoreExport/source(_:continues:)``) — so a grown store passes and another
///   store, a restored older copy or a rewritten one is refused. Bytes are never compared (message stores
///   grow between the plan and every backup).
/// - The model, policy and price digests: not checkable here (the executor has neither file, and they only
///   shaped the schedule and tiers the plan already states); the plan keeps them for `backplan plan`'s own
///   reproducibility checks.
///
/// ```swift
/// try PlanInputCheck.check(plan: plan, planFile: "out/plan.json", targets: targets, statsStore: nil)
/// ```
public enum PlanInputCheck {
    /// - Parameter statsStore: the stats store to check against; `nil` means the path the plan recorded
    ///   (relative paths from the current folder, as `backplan plan` was given them).
    /// - Throws: ``InputError`` naming the input that does not match (exit 2 in the CLI).
    public static func check(plan: Plan, planFile: String, targets: Targets, statsStore: String?) throws {
        guard plan.schemaVersion == Plan.currentSchemaVersion else {
            throw InputError(file: planFile, "plan schema version \(plan.schemaVersion); this Backplan executes version \(Plan.currentSchemaVersion) only (re-plan with this version)")
        }
        let recorded = plan.inputs.statsStore.path
        let path = statsStore ?? recorded
        guard FileManager.default.fileExists(atPath: path) else {
            throw InputError(file: planFile, column: "inputs.statsStore",
                             "the plan was made from the stats store '\(recorded)', which is not at '\(path)': pass --stats with it, so the executor can check that the targets point at the message stores the plan was made from")
        }
        let imports = try StatsStore.open(path: path, create: false).sourceList().filter { $0.format == "message-store" }
        let statsFolder = URL(fileURLWithPath: absolute(path)).deletingLastPathComponent().path
        var checked: Set<String> = []
        for d in plan.datasets {
            let store = try targets.locate(d.location).store
            guard checked.insert(store).inserted else { continue }
            let identity = resolved(store)
            let mine = imports.filter { r in
                resolved(absolute(r.path)) == identity || (!r.path.hasPrefix("/") && resolved(statsFolder + "/" + r.path) == identity)
            }
            guard let newest = mine.max(by: { $0.id < $1.id }) else {
                let known = Set(imports.map(\.path)).sorted().prefix(5).joined(separator: ", ")
                throw InputError(file: targets.file, column: "locations",
                                 "the message store '\(store)' (location '\(d.location)' of the plan) is not one the plan's stats store '\(path)' imported (it imported: \(known.isEmpty ? "no message stores" : known)); the plan was made from other data: re-plan from this store, or fix the targets file")
            }
            if let problem = try MessageStoreExport.source(store, continues: newest.position) {
                throw InputError(file: store, "is not the message store the plan's stats store '\(path)' imported (import \(newest.id)), grown since: \(problem); re-ingest and re-plan")
            }
        }
    }

    private static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }

    private static func resolved(_ p: String) -> String {
        URL(fileURLWithPath: absolute(p)).resolvingSymlinksInPath().standardizedFileURL.path
    }
}
