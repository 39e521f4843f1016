import BackplanCore

/// `plan.k8s-cronjobs.yaml`: the plan's schedule groups as Kubernetes CronJobs (`batch/v1`, in a `v1` List,
/// for `kubectl apply -f`), each running `backplan execute --once --schedule-group NAME` for its group.
///
/// ```swift
/// let yaml = plan.kubernetesCronJobs(.init(image: "registry.example/backplan:1.0"))
/// // # Backplan schedule groups as Kubernetes CronJobs …
/// // apiVersion: "v1"
/// // kind: "List"
/// // items:
/// //   - apiVersion: "batch/v1"
/// //     kind: "CronJob"
/// //     metadata:
/// //       name: "backplan-every-1h"
/// ```
extension Plan {
    /// Where the CronJobs find Backplan and its files: the container image, and one volume (a
    /// PersistentVolumeClaim) holding the plan, the targets file, the password files and the state store.
    public struct KubernetesOptions: Sendable, Equatable {
        public var image: String
        public var claimName: String
        public var mountPath: String
        /// File names inside the volume.
        public var planFile: String
        public var targetsFile: String
        public var stateFile: String

        public init(image: String = "backplan:latest", claimName: String = "backplan", mountPath: String = "/backplan",
                    planFile: String = "plan.json", targetsFile: String = "targets.yaml", stateFile: String = "state.sqlite") {
            self.image = image
            self.claimName = claimName
            self.mountPath = mountPath
            self.planFile = planFile
            self.targetsFile = targetsFile
            self.stateFile = stateFile
        }
    }

    /// The CronJob list as YAML (``YAMLText``). Every job: `timeZone: Etc/UTC` (the plan's times are UTC),
    /// `concurrencyPolicy: Forbid` (a second run of the same group would be refused, exit 2), a starting
    /// deadline of half the interval (at most an hour) so a missed slot is still caught up, and
    /// `restartPolicy: OnFailure` with `backoffLimit: 6`. Jobs of different groups that fire together run at
    /// once on the shared state store (``BackplanExecutor``'s `ExecutorLock`: one lock per group).
    /// Each group's roundings are annotations (`backplan.io/rounding`) and header comments.
    public func kubernetesCronJobs(_ options: KubernetesOptions = .init()) -> String {
        let groups = scheduleGroups()
        let root = options.mountPath.hasSuffix("/") ? options.mountPath : options.mountPath + "/"
        var comments = [
            "Backplan schedule groups as Kubernetes CronJobs, from the plan of \(Self.isoDate(generatedAt)) (\(datasets.count) datasets).",
            "Apply with: kubectl apply -f THIS_FILE. Each job runs `backplan execute --once --schedule-group NAME`, which backs up",
            "the group's datasets (a dataset unchanged since its last backup sends nothing) and applies their retention.",
            "The volume (claim '\(options.claimName)') holds \(options.planFile), \(options.targetsFile), the password files and the state store.",
            "Intervals are rounded to the nearest that cron repeats evenly, never past the class's RPO;",
            "the quiet trigger of the plan is not a timer, so under cron a backup waits for its slot.",
        ]
        let roundings = scheduleRoundings()
        comments.append(roundings.isEmpty ? "Roundings: none (cron says every schedule exactly)." : "Roundings:")
        comments += roundings.map { "  " + $0 }
        let items: [YAMLText] = groups.map { g in
            var annotations: [(String, YAMLText)] = [
                ("backplan.io/datasets", .string("\(g.datasetIDs.count)")),
                ("backplan.io/planned-at", .string(Self.isoDate(generatedAt))),
            ]
            if !g.roundings.isEmpty { annotations.append(("backplan.io/rounding", .string(g.roundings.joined(separator: "; ")))) }
            let labels: [(String, YAMLText)] = [
                ("app.kubernetes.io/name", .string("backplan")),
                ("backplan.io/schedule-group", .string(g.name)),
            ]
            let args: [String] = ["execute", "--once", "--plan", root + options.planFile, "--targets", root + options.targetsFile,
                                  "--state", root + options.stateFile, "--schedule-group", g.name]
            let container: YAMLText = .map([
                ("name", .string("backplan")),
                ("image", .string(options.image)),
                ("command", .list([.string("backplan")])),
                ("args", .list(args.map { .string($0) })),
                ("workingDir", .string(options.mountPath)),
                ("volumeMounts", .list([.map([("name", .string("backplan")), ("mountPath", .string(options.mountPath))])])),
            ])
            let pod: YAMLText = .map([
                ("metadata", .map([("labels", .map(labels))])),
                ("spec", .map([
                    ("restartPolicy", .string("OnFailure")),
                    ("containers", .list([container])),
                    ("volumes", .list([.map([("name", .string("backplan")),
                                             ("persistentVolumeClaim", .map([("claimName", .string(options.claimName))]))])])),
                ])),
            ])
            return .map([
                ("apiVersion", .string("batch/v1")),
                ("kind", .string("CronJob")),
                ("metadata", .map([("name", .string("backplan-" + g.name)), ("labels", .map(labels)), ("annotations", .map(annotations))])),
                ("spec", .map([
                    ("schedule", .string(g.cron.expression)),
                    ("timeZone", .string("Etc/UTC")),
                    ("concurrencyPolicy", .string("Forbid")),
                    ("startingDeadlineSeconds", .int(Swift.max(60, Swift.min(3_600, g.cron.intervalSeconds / 2)))),
                    ("successfulJobsHistoryLimit", .int(3)),
                    ("failedJobsHistoryLimit", .int(3)),
                    ("jobTemplate", .map([("spec", .map([("backoffLimit", .int(6)), ("template", pod)]))])),
                ])),
            ])
        }
        return YAMLText.map([("apiVersion", .string("v1")), ("kind", .string("List")), ("items", .list(items))])
            .document(comments: comments)
    }
}
