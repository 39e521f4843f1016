import BackplanCore
import Foundation

extension TierReport {
    /// The report's main table as cells: a header, one row per group, and a `total` row last. Text and
    /// Markdown print these cells; money in dollars with two decimals (the report's cents), GiB with two.
    ///
    /// ```swift
    /// report.cells(grouped: true)[0]
    /// // ["tier", "datasets", "live GiB", "backup GiB", "storage $", "operations $", …, "exposed writes"]
    /// ```
    public func cells(grouped: Bool) -> [[String]] {
        let money = { (c: Cents) in grouped ? c.grouped : c.text }
        var header = by.map(\.rawValue)
        header += ["datasets", "live GiB", "backup GiB", "storage $", "operations $", "retrieval $", "expected loss $", "downtime $",
                   "total $", "exposed writes"]
        if change != nil { header += ["baseline $", "change $"] }
        func line(_ r: Row, keys: [String]) -> [String] {
            let d = r.dollars
            var out = keys + [Format.count(r.datasets), String(format: "%.2f", r.liveGiB), String(format: "%.2f", r.backupGiB)]
            out += [d.storage, d.operations, d.retrieval, d.expectedLoss, d.downtime, d.total].map(money)
            out.append(String(format: "%.1f", r.exposedWrites))
            if change != nil { out += [r.baselineTotal.map(money) ?? "", r.delta.map { grouped ? $0.signed : $0.text } ?? ""] }
            return out
        }
        var out = [header]
        for r in rows {
            out.append(line(r, keys: by.map { dim in
                switch dim {
                case .tier: r.key.tier ?? ""
                case .class: r.key.class ?? ""
                case .region: r.key.region ?? ""
                }
            }))
        }
        out.append(line(totals, keys: ["total"] + Array(repeating: "", count: by.count - 1)))
        return out
    }

    /// ``Billing``'s components per group and in total (header first): storage and the early deletion in it,
    /// operations and the transitions and monitoring in it, retrieval. Parts are empty for plans that predate them.
    public func componentCells(grouped: Bool) -> [[String]] {
        let money = { (c: Cents?) in c.map { grouped ? $0.grouped : $0.text } ?? "" }
        var out = [by.map(\.rawValue) + ["storage $", "early deletion $", "operations $", "transitions $", "monitoring $", "retrieval $"]]
        func line(_ d: Dollars, keys: [String]) -> [String] {
            keys + [d.storage, d.earlyDeletion, d.operations, d.transitions, d.monitoring, d.retrieval].map(money)
        }
        for r in rows { out.append(line(r.dollars, keys: Self.keyCells(r.key, by: by))) }
        out.append(line(totals.dollars, keys: ["total"] + Array(repeating: "", count: by.count - 1)))
        return out
    }

    /// The sentence above the components table.
    public var componentSentence: String {
        "Billing components (dollars per month): early deletion is part of storage, transitions and monitoring part of operations"
            + (totals.dollars.transitions == nil ? "; this plan predates them, so only storage, operations and retrieval are known." : ".")
    }

    /// A key's cells in `by` order.
    static func keyCells(_ k: Key, by: [Dimension]) -> [String] {
        by.map { dim in
            switch dim {
            case .tier: k.tier ?? ""
            case .class: k.class ?? ""
            case .region: k.region ?? ""
            }
        }
    }

    /// The movers against the baseline as cells (header first); empty without a baseline.
    public func moverCells(grouped: Bool) -> [[String]] {
        guard let change else { return [] }
        var rows = [["dataset", "from tier", "to tier", "before $", "after $", "change $"]]
        for m in change.topMovers {
            let tiers = { (t: String, data: String) in t == data ? t : "\(t) (data \(data))" }
            rows.append([m.id, tiers(m.fromTier, m.fromDataTier), tiers(m.toTier, m.toDataTier),
                         grouped ? m.before.grouped : m.before.text, grouped ? m.after.grouped : m.after.text,
                         grouped ? m.delta.signed : m.delta.text])
        }
        return rows
    }

    /// One sentence on the change against the baseline; `nil` without one.
    public var changeSentence: String? {
        guard let c = change else { return nil }
        return "Against \(c.baselineFile): \(Format.count(c.movedTier)) dataset\(c.movedTier == 1 ? "" : "s") moved tier, "
            + "\(Format.count(c.added)) added, \(Format.count(c.removed)) removed; monthly total \(c.baselineTotals.dollars.total.grouped) → "
            + "\(totals.dollars.total.grouped) dollars (\(c.delta.signed))."
    }

    /// The report for a terminal: title, the table, the totals by component, the change against the baseline.
    /// No trailing newline.
    public func text() -> String {
        var s = "Tier cost report of \(planFile) (\(Format.count(totals.datasets)) datasets, by \(by.map(\.rawValue).joined(separator: ", ")))\n"
        s += "Monthly dollars (730-hour months) as the plan prices them; spend is storage + operations + retrieval, risk is expected loss + downtime.\n\n"
        s += Format.table(cells(grouped: true), rightAlignedFrom: by.count) + "\n\n"
        s += "Total: \(totals.dollars.total.grouped) dollars per month; \(String(format: "%.1f", totals.exposedWrites)) writes exposed at a random failure."
        s += "\n\n" + componentSentence + "\n" + Format.table(componentCells(grouped: true), rightAlignedFrom: by.count)
        if let sentence = changeSentence {
            s += "\n\n" + sentence
            let movers = moverCells(grouped: true)
            if movers.count > 1 { s += "\n\nTop movers:\n" + Format.table(movers, rightAlignedFrom: 3) }
        }
        if let sentence = simulationSentence {
            s += "\n\n" + sentence + "\n" + Format.table(simulationCells(grouped: true))
            s += "\n\nPer group, planned against simulated (dollars per month):\n" + Format.table(simulationGroupCells(grouped: true), rightAlignedFrom: by.count + 1)
        }
        return s
    }

    /// The report as GitHub-flavoured Markdown: a heading, the table (numbers right-aligned), the change and
    /// the movers. Ends with a newline.
    public func markdown() -> String {
        var s = "## Tier cost report of `\(planFile)`\n\n"
        s += "\(Format.count(totals.datasets)) datasets by \(by.map(\.rawValue).joined(separator: ", ")); monthly dollars (730-hour months) as the plan prices them.\n\n"
        s += Self.markdownTable(cells(grouped: false), leftColumns: by.count)
        s += "\n**Total: \(totals.dollars.total.text) dollars per month**\n"
        s += "\n### Billing components\n\n" + componentSentence + "\n\n" + Self.markdownTable(componentCells(grouped: false), leftColumns: by.count)
        if let sentence = changeSentence {
            s += "\n" + sentence + "\n"
            let movers = moverCells(grouped: false)
            if movers.count > 1 { s += "\n### Top movers\n\n" + Self.markdownTable(movers, leftColumns: 3) }
        }
        if let sentence = simulationSentence {
            s += "\n### Simulated\n\n" + sentence + "\n\n" + Self.markdownTable(simulationCells(grouped: false), leftColumns: 1)
            s += "\nPer group, planned against simulated (dollars per month):\n\n"
                + Self.markdownTable(simulationGroupCells(grouped: false), leftColumns: by.count + 1)
        }
        return s
    }

    /// A Markdown pipe table; columns from `leftColumns` on are right-aligned. Pipes in cells are escaped.
    static func markdownTable(_ rows: [[String]], leftColumns: Int) -> String {
        guard let header = rows.first else { return "" }
        let esc = { (c: String) in c.replacingOccurrences(of: "|", with: "\\|") }
        var s = "| " + header.map(esc).joined(separator: " | ") + " |\n"
        s += "|" + header.indices.map { $0 < leftColumns ? " --- |" : " ---: |" }.joined() + "\n"
        for row in rows.dropFirst() { s += "| " + row.map(esc).joined(separator: " | ") + " |\n" }
        return s
    }
}
