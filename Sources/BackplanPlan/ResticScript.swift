import BackplanCore

/// `plan.restic.txt`: the plan's retention as a shell script for teams that run restic themselves.
///
/// One `restic forget` per dataset, selected by its tag `dataset=<escaped id>` alone (``DatasetName/tag(_:)``,
/// the tag the executor gives every snapshot) with `--group-by tags`, since a dataset's snapshots may come
/// from several hosts; keep options that provably cover the dataset's retention span
/// (``DatasetPlan/Retention/resticKeepOptions(intervalSeconds:)``); one `restic prune` at the end. The
/// repository and password come from restic's own environment, never from the script.
///
/// ```swift
/// let script = plan.resticScript()
/// // #!/bin/sh
/// // …
/// // restic forget --tag 'dataset=c000042' --group-by tags --keep-within-daily 7d --keep-within-weekly 45d
/// // restic prune
/// ```
extension Plan {
    /// The restic release whose `forget` semantics the script was checked against (its source,
    /// `internal/restic/snapshot_policy.go`, and a test that runs the script on a real repository).
    public static let resticCheckedVersion = "0.14.0"

    /// The script: `#!/bin/sh`, `set -eu`, comments only on lines of their own (never after a command), and
    /// every dataset tag single-quoted (``ShellWord/quoted(_:)``) though escaping already leaves only
    /// `A–Z a–z 0–9 - _ . % =`.
    public func resticScript() -> String {
        var lines = [
            "#!/bin/sh",
            "# Retention of Backplan plan \(Self.isoDate(generatedAt)) (\(datasets.count) datasets) for teams that run restic themselves.",
            "# Checked with restic \(Self.resticCheckedVersion): keep options as in its internal/restic/snapshot_policy.go.",
            "# Run it once per repository holding the plan's snapshots; restic reads the repository and password",
            "# from its own environment: RESTIC_REPOSITORY and RESTIC_PASSWORD_FILE (nothing secret is in this file).",
            "# Each dataset's snapshots are selected by the tag dataset=<escaped id> alone, grouped by tags, so snapshots",
            "# of one dataset from several hosts form one group and no other dataset's snapshots are touched.",
            "# Why the windows cover the span: restic measures --keep-within-* from the group's newest snapshot (never",
            "# later than now), and keeps the newest snapshot of every calendar day, ISO week, month or year in the window.",
            "# The coarsest window is span + one whole bucket (2d, 8d, 32d or 367d) + one backup interval + 1 day of",
            "# daylight-saving slack, so it holds a snapshot from the bucket before the one containing newest - span, and",
            "# that bucket's newest snapshot is kept: restores reach back the whole span, provided backups ran at least",
            "# once per interval. After a longer gap the executor's own rule (backplan execute) still keeps the boundary.",
            "# What keep options cannot express: erasure. They count from the newest snapshot, not from now, and only",
            "# ever keep; snapshots past a class's legal maximum are forgotten and pruned by backplan execute, which",
            "# also keeps the last verified snapshot. Lines below name each dataset's duty.",
            "set -eu",
            ": \"${RESTIC_REPOSITORY:?set RESTIC_REPOSITORY to the restic repository}\"",
            ": \"${RESTIC_PASSWORD_FILE:?set RESTIC_PASSWORD_FILE to the repository password file}\"",
        ]
        for d in datasets.sorted(by: { DatasetName.escaped($0.id) < DatasetName.escaped($1.id) }) {
            let options = d.retention.resticKeepOptions(intervalSeconds: d.schedule.intervalSeconds)
            let span = DurationText.format(d.retention.spanSeconds)
            var comment = "# dataset \(DatasetName.escaped(d.id)): reaches back \(span), a backup every \(DurationText.format(d.schedule.intervalSeconds))"
            if let max = d.retention.deleteAfterSeconds {
                comment += "; erase after \(DurationText.format(max)) from now: backplan execute does it"
            }
            lines.append("")
            lines.append(comment)
            lines.append((["restic", "forget", "--tag", ShellWord.quoted(DatasetName.tag(d.id)), "--group-by", "tags"] + options)
                .joined(separator: " "))
        }
        lines += ["", "# One prune for all the forgets above: it rewrites packs only once.", "restic prune", ""]
        return lines.joined(separator: "\n")
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds `t`.
    static func isoDate(_ t: Int64) -> String {
        let (y, m, d) = CivilTime.civil(fromDays: CivilTime.day(ofUnixSeconds: t))
        let s = ((t % 86_400) + 86_400) % 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(s / 3_600)):\(two(s / 60 % 60)):\(two(s % 60))Z"
    }
}

extension DatasetPlan.Retention {
    /// restic 0.14 `forget` options that keep, of a dataset backed up at least every `intervalSeconds`, a
    /// snapshot at least ``spanSeconds`` older than its newest snapshot — the newest per day for `daily` days,
    /// per ISO week for `weekly` weeks, per month, per year, as the plan's thinning says, with the coarsest
    /// window widened so that it provably reaches past the span.
    ///
    /// restic keeps, for `--keep-within-daily D`, the newest snapshot of every calendar day among those newer
    /// than `newest − D` (`internal/restic/snapshot_policy.go`, `ApplyPolicy`: buckets `ymd`, `yw`, `ym`, `y`).
    /// Let `B = newest − span` and `b0` the start of the bucket holding `B`. The coarsest window `W = span +
    /// bucket + interval + 1 day` (bucket 2 d for days, 8 d for ISO weeks, 32 d for months, 367 d for years: the
    /// longest bucket plus a daylight-saving hour) starts before `b0 − interval`, so it holds a snapshot taken
    /// in `[b0 − interval, b0)`; the newest snapshot of that snapshot's bucket is kept and lies before `b0 ≤ B`.
    ///
    /// ```swift
    /// let r = DatasetPlan.Retention.rule(minimumSeconds: 35 * 86_400, maximumSeconds: 365 * 86_400, erase: false)
    /// r.resticKeepOptions(intervalSeconds: 3_600)
    /// // ["--keep-within-daily", "7d", "--keep-within-weekly", "45d"]   (35 + 8 + 1 + 1 days)
    /// ```
    ///
    /// - Parameter intervalSeconds: the longest time between two backups (the plan's schedule interval).
    /// - Returns: arguments for `restic forget`, durations in whole days (restic's `d` unit).
    public func resticKeepOptions(intervalSeconds: Int64) -> [String] {
        let day: Int64 = 86_400
        let spanDays = (spanSeconds + day - 1) / day
        let gapDays = (Swift.max(intervalSeconds, 0) + day - 1) / day
        let dailyDays = Int64(Swift.max(daily, 1))
        // (option, window of the plan's thinning, bucket length in days with slack), finest first.
        var steps: [(String, Int64, Int64)] = [("--keep-within-daily", dailyDays, 2)]
        if weekly > 0 { steps.append(("--keep-within-weekly", dailyDays + 7 * Int64(weekly), 8)) }
        if monthly > 0 { steps.append(("--keep-within-monthly", dailyDays + 7 * Int64(weekly) + 30 * Int64(monthly), 32)) }
        if yearly > 0 { steps.append(("--keep-within-yearly", 0, 367)) }
        let coarsest = steps.count - 1
        let window = spanDays + steps[coarsest].2 + gapDays + 1
        var out: [String] = []
        for (i, step) in steps.enumerated() {
            out += [step.0, "\(i == coarsest ? window : Swift.min(step.1, window))d"]
        }
        return out
    }

    /// The window of the coarsest keep option, seconds: how far back from the newest snapshot restic keeps
    /// anything under ``resticKeepOptions(intervalSeconds:)``.
    public func resticWindowSeconds(intervalSeconds: Int64) -> Int64 {
        let options = resticKeepOptions(intervalSeconds: intervalSeconds)
        return (Int64(options.last?.dropLast() ?? "0") ?? 0) * 86_400
    }
}

/// Words for a POSIX shell.
public enum ShellWord {
    /// `text` as one single-quoted shell word: every byte literal (`$`, backticks, spaces, newlines), each `'`
    /// written as `'\''`.
    ///
    /// ```swift
    /// ShellWord.quoted("it's $HOME")   // "'it'\\''s $HOME'"
    /// ```
    public static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
