import BackplanCore

/// Metrics of one policy over all runs.
public struct PolicyResult: Codable, Sendable, Equatable {
    public var name: String
    public var backups: Int
    /// Mean time a write in the window waits for its backup, hours.
    public var exposureHours: Double
    /// Writes that waited longer than their class RPO.
    public var rpoViolations: Int
    /// Mean over runs, dollars for the window.
    public var cost: Cost
    public var messagesLost: Spread
    public var restores: Double
    public var meanRestoreHours: Double
    /// Restores per run (mean) that took longer than the class RTO.
    public var rtoViolations: Double
    /// Total dollars (``Cost/total``) of each run, in run order: the billed dollars, the same in every run,
    /// plus what that run's failures cost (loss, downtime, the restores' retrieval).
    public var costPerRun: [Double]
    /// Loss dollars of each run, in run order.
    public var lossPerRun: [Double]
    /// Bands over the runs of ``costPerRun`` and ``lossPerRun`` (``Percentile``: linear interpolation).
    public var costBand: Band
    public var lossBand: Band
    /// Cumulative dollars by component over the window.
    public var series: Series
    /// Each dataset's share, in the write log's order (datasets with no writes in the window included); empty
    /// unless asked for (``Simulation/run(_:schedule:oracleLambda:datasetCosts:progress:)``).
    public var datasets: [DatasetCost]
    /// The runs the datasets' failure lists cover: the first min(runs, ``Simulation/datasetRunsLimit``), so the
    /// JSON stays small at 100,000 runs (their size grows with runs × failures); 0 without dataset shares.
    public var datasetRuns: Int

    /// Mean and the 5th and 95th percentiles over runs (``Percentile``: linear interpolation).
    public struct Spread: Codable, Sendable, Equatable {
        public var mean: Double
        public var p5: Double
        public var p95: Double
    }
}
