import ArgumentParser
import BackplanCore
import BackplanLinAlg
import BackplanModel
import BackplanPlanner
import Foundation

/// `backplan-bench`: the Swift side of `make bench`. Each subcommand times one Backplan job and prints its
/// figures as JSON; the Python scripts under `bench/` run the reference (NumPy, scikit-learn) in the same run
/// and print the ratios.
@main
struct BackplanBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backplan-bench",
        abstract: "Time Backplan's jobs for make bench (see bench/README.md); prints JSON.",
        subcommands: [GLMBench.self, PlanBench.self, XGBBench.self])
}

/// Fits the Poisson GLM on a seeded synthetic matrix, scores it, times XᵀWX against the measured dgemm peak,
/// and writes X, y and the fitted means as raw little-endian float64 files for the reference script.
struct GLMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glm",
        abstract: "Poisson GLM: fit and score N rows × P features; XᵀWX GFLOP/s beside the dgemm peak.",
        discussion: """
            Features xᵢⱼ ~ N(0, 1); y ~ Poisson(exp(β₀ + Σ βⱼxᵢⱼ)) with β₀ = −0.5, βⱼ ~ N(0, 0.15²) (mostly-zero
            counts, as in real forecasts). The L2 penalty is --alpha in scikit-learn's units: its objective
            (1/2n)·Σ deviance + (α/2)·‖β‖² is ours, Σ deviance + λ·‖β‖², with λ = α·n.
            Writes DIR/x.f64 (N×P row-major), DIR/y.f64 and DIR/mu.f64.
            """)

    @Option(help: "Rows (datasets).") var rows = 1_000_000
    @Option(help: "Features (columns before the intercept).") var features = 32
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 7
    @Option(help: "L2 penalty in scikit-learn's units (λ = α·n).") var alpha = 1e-4
    @Option(help: "Folder for the raw arrays.") var out: String
    @Option(help: "Threads for the fit's and the scoring's passes over X (OpenBLAS itself stays as configured).")
    var threads = 1
    @Flag(help: "Time the former route: build the standardised design copy, then fit(design:) and score it.")
    var storedDesign = false
    @Flag(help: "Start the fit from the intercept-only fit, without the warm start on a sample of the rows.")
    var coldStart = false

    func run() throws {
        let (n, p) = (rows, features)
        var rng = Xoshiro256StarStar(seed: seed)
        let truth = [-0.5] + (0..<p).map { _ in rng.nextNormal(mean: 0, standardDeviation: 0.15) }
        var x = [Double](repeating: 0, count: n * p)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var eta = truth[0]
            for j in 0..<p {
                let v = rng.nextNormal()
                x[i * p + j] = v
                eta += truth[j + 1] * v
            }
            y[i] = Double(rng.nextPoisson(mean: exp(eta)))
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try write(x, "x.f64")
        try write(y, "y.f64")

        // Training fits from the raw features and the scaler (Trainer.train: fit(features:scaler:)), which
        // standardises block by block inside the passes; time that, from raw X to coefficients. The scaler here is
        // mean 0, std 1 (the data is already standard), so the design is exactly [1, X]. --stored-design times
        // the former route instead: build the design with Scaler.design, then fit(design:).
        let identity = Scaler(means: [Double](repeating: 0, count: p), stds: [Double](repeating: 1, count: p))
        let features = Matrix(rows: n, columns: p, elements: x)
        let glm = PoissonGLM(
            lambda: alpha * Double(n), maxIterations: 100, tolerance: 1e-10, threads: threads, warmStart: !coldStart)
        let clock = ContinuousClock()
        var fit: PoissonGLM.Fit!
        var stored: Matrix?
        let fitTime = try clock.measure {
            if storedDesign {
                let design = identity.design(features, threads: threads)
                fit = try glm.fit(design: design, y: y)
                stored = design
            } else {
                fit = try glm.fit(features: features, scaler: identity, y: y)
            }
        }
        var mu: [Double] = []
        let scoreTime = clock.measure {
            if let design = stored {
                mu = PoissonGLM.means(design, fit.coefficients, threads: threads)
            } else {
                mu = PoissonGLM.means(features: features, scaler: identity, fit.coefficients, threads: threads)
            }
        }
        try write(mu, "mu.f64")
        // Untimed from here: the Gram check below needs the design itself.
        let design = stored ?? identity.design(features, threads: threads)

        // One XᵀWX at the fitted weights, timed alone: n·(p+1)·(p+2) flops (dsyrk's upper triangle).
        var gramSeconds = Double.infinity
        for _ in 0..<3 {
            let t = try clock.measure { _ = try weightedGram(design, weights: mu) }
            gramSeconds = min(gramSeconds, t.seconds)
        }
        let q = Double(p + 1)
        let gramFlops = Double(n) * q * (q + 1)

        // dgemm peak: best of three 2048³ products (2·k³ flops), on as many threads as OpenBLAS is given.
        let k = 2_048
        var a = Matrix(rows: k, columns: k)
        a.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = Double(i % 97) / 97 } }
        var c = Matrix.zeros(rows: k, columns: k)
        var gemmSeconds = Double.infinity
        for _ in 0..<3 {
            let t = try clock.measure { try gemm(a, a, into: &c) }
            gemmSeconds = min(gemmSeconds, t.seconds)
        }
        let peak = 2 * pow(Double(k), 3) / gemmSeconds

        let report: [String: Any] = [
            "rows": n, "features": p, "seed": seed, "alpha": alpha, "threads": threads,
            "openblasThreads": blasThreadCount(),
            "fitSeconds": fitTime.seconds, "storedDesign": storedDesign, "warmStart": !coldStart, "scoreSeconds": scoreTime.seconds,
            "iterations": fit.iterations, "converged": fit.converged,
            "meanDeviance": fit.meanDeviance,
            "gramSeconds": gramSeconds, "gramGflops": gramFlops / gramSeconds / 1e9,
            "dgemmPeakGflops": peak / 1e9,
            "peakRSSBytes": peakResidentBytes(),
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }

    private func write(_ values: [Double], _ name: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: out).appendingPathComponent(name))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Peak resident set size of this process (VmHWM in /proc/self/status), bytes; 0 when unavailable.
func peakResidentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1_024
    }
    return 0
}

/// CPU seconds this process has used, all threads (CLOCK_PROCESS_CPUTIME_ID): beside wall time, a figure
/// that other work on the machine disturbs less.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Plans N synthetic datasets over the example policy and the S3 catalog with one global limit (the budget,
/// set to bind), timing forecast scoring (the GLM on N × 32 features) and planning separately.
struct PlanBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Planner: N datasets × (≥ 8 intervals + the continuous optimum) × 5 tiers, one binding budget.")

    @Option(help: "Datasets.") var datasets = 1_000_000
    @Option(help: "Seed of the synthetic forecasts.") var seed: UInt64 = 11
    @Option(help: "Policy YAML.") var policy = "datasets/policies/messaging.yaml"
    @Option(help: "Price catalog YAML.") var prices = "datasets/pricing/aws-s3.yaml"
    @Option(help: "A fixed monthly budget instead of one set to bind (skips computing the bounds).") var budget: Double?
    @Option(help: "Also write the plan's JSON here, untimed (to compare the plans of two builds).") var out: String?
    @Option(help: "Plan this many times (one after the other) and report the fastest: steadier figures on a busy machine.")
    var repeats = 1

    func run() throws {
        let n = datasets
        var rng = Xoshiro256StarStar(seed: seed)
        // Forecast inputs: a GLM score per dataset from 32 standard-normal features (as `plan` does with the model).
        let p = 32
        let clock = ContinuousClock()
        var writes: [Double] = []
        var scoreTime = Duration.zero
        do {
            var x = [Double](repeating: 1, count: n * (p + 1))
            for i in 0..<n { for j in 1...p { x[i * (p + 1) + j] = rng.nextNormal() } }
            let design = Matrix(rows: n, columns: p + 1, elements: x)
            x = []
            let beta = [0.5] + (0..<p).map { _ in rng.nextNormal(mean: 0, standardDeviation: 0.3) }
            scoreTime = clock.measure { writes = PoissonGLM.linearPredictor(design, beta).map { exp($0) } }
        }
        let classes = ["private", "group", "channel", "mailbox", "attachments", "other"]
        var forecasts: [DatasetForecast] = []
        forecasts.reserveCapacity(n)
        for i in 0..<n {
            forecasts.append(DatasetForecast(
                name: "d\(i)", dataClass: classes[rng.nextIndex(below: classes.count)],
                sizeBytes: exp(rng.nextNormal(mean: 14, standardDeviation: 3)), writesPerDay: writes[i],
                readsPerDay: exp(rng.nextNormal(mean: 1, standardDeviation: 2)), bytesPerWrite: exp(rng.nextNormal(mean: 7, standardDeviation: 2)),
                bytesPerRead: exp(rng.nextNormal(mean: 8, standardDeviation: 2)), meanSessionSeconds: 600, meanQuietGapSeconds: 20_000,
                busiestBlockEndSeconds: Int64(rng.nextIndex(below: 8)) * 10_800))
        }
        var policyFile = try Policy.load(policy)
        policyFile.backupWindowBytesPerDay = nil
        let catalog = try PriceCatalog.load(prices)
        let inputs = Plan.Inputs(statsStore: .init(path: "synthetic", sha256: ""), model: .init(path: "synthetic", sha256: ""),
                                 policy: .init(path: policy, sha256: ""), prices: .init(path: prices, sha256: ""))
        // A budget that binds: halfway between the least spend any choice reaches and the unconstrained plan's,
        // computed untimed (or a fixed one, to profile the planning alone).
        if let budget {
            policyFile.budgetDollarsPerMonth = budget
            policyFile.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        } else {
            policyFile.budgetDollarsPerMonth = nil
            policyFile.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
            let bounds = Planner(policy: policyFile, catalog: catalog).bounds(forecasts)
            policyFile.budgetDollarsPerMonth = (bounds.leastSpend + bounds.freeSpend) / 2
            policyFile.budgetDollarsPerDatasetMonth = nil  // the fixed budget alone
        }
        var plan: Plan!
        var planner = Planner(policy: policyFile, catalog: catalog)
        planner.phases = { phases in
            FileHandle.standardError.write(Data(("planner: " + phases.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n").utf8))
        }
        var planTime: Duration?
        var planCPU = Double.infinity
        for _ in 0..<max(1, repeats) {
            plan = nil
            let cpuBefore = processCPUSeconds()
            let t = try clock.measure { plan = try planner.plan(forecasts, generatedAt: 0, inputs: inputs) }
            planTime = min(planTime ?? t, t)
            planCPU = min(planCPU, processCPUSeconds() - cpuBefore)
        }
        if let out { try plan.jsonData().write(to: URL(fileURLWithPath: out)) }
        let budget = plan.limits.first
        let report: [String: Any] = [
            "datasets": n, "planned": plan.datasets.count, "infeasible": plan.infeasible.count,
            "tiers": catalog.tiers.count, "onlineTiers": catalog.tiers.filter { !$0.offline }.count,
            "gridIntervals": Planner.intervalGrid.count,
            "scoreSeconds": scoreTime.seconds, "planSeconds": planTime!.seconds, "planCPUSeconds": planCPU,
            "budget": budget?.limit ?? 0, "budgetBinding": budget?.binding ?? false, "shadowPrice": budget?.shadowPrice ?? 0,
            "peakRSSBytes": peakResidentBytes(),
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Trains gradient-boosted Poisson trees through Backplan's XGBoost wrapper on a seeded synthetic matrix,
/// scores every row, and writes X (float32), y and the predicted means (float64) for the reference script,
/// which trains the Python `xgboost` package on the same arrays and parameters.
struct XGBBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xgb",
        abstract: "Gradient-boosted Poisson trees (XGBoost count:poisson): train and score N rows × P features.",
        discussion: """
            Features xᵢⱼ ~ N(0, 1) (stored as float32, XGBoost's precision); y ~ Poisson(exp(−0.5 + 0.3·x₀ − 0.2·x₁²
            + 0.15·x₂·x₃ + Σⱼ βⱼxᵢⱼ)), βⱼ ~ N(0, 0.05²): mostly-zero counts with a nonlinear part for the trees.
            Writes DIR/x.f32 (N×P row-major), DIR/y.f64 and DIR/mu.f64; prints the parameters it passed.
            """)

    @Option(help: "Rows.") var rows = 1_000_000
    @Option(help: "Features.") var features = 40
    @Option(help: "Seed of the synthetic data and of XGBoost.") var seed: UInt64 = 7
    @Option(help: "Boosting rounds.") var rounds = 50
    @Option(help: "XGBoost nthread for training and scoring.") var threads = 1
    @Option(help: "Folder for the raw arrays.") var out: String

    func run() throws {
        let (n, p) = (rows, features)
        var rng = Xoshiro256StarStar(seed: seed)
        let beta = (0..<p).map { _ in rng.nextNormal(mean: 0, standardDeviation: 0.05) }
        var x = [Double](repeating: 0, count: n * p)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<p { x[i * p + j] = Double(Float(rng.nextNormal())) }
            let r = i * p
            var eta = -0.5 + 0.3 * x[r] - 0.2 * x[r + 1] * x[r + 1] + 0.15 * x[r + 2] * x[r + 3]
            for j in 0..<p { eta += beta[j] * x[r + j] }
            y[i] = Double(rng.nextPoisson(mean: exp(eta)))
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let floats = x.map { Float($0) }
        try floats.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: out).appendingPathComponent("x.f32"))
        try write(y, "y.f64")

        var parameters = GBDTParameters()
        parameters.rounds = rounds
        parameters.seed = seed
        parameters.threads = threads
        let features = Matrix(rows: n, columns: p, elements: x)
        let clock = ContinuousClock()
        var booster: XGBooster?
        let trainTime = try clock.measure {
            booster = try XGBooster.train(features: features, y: y, parameters: parameters)
        }
        guard let booster else { throw ValidationError("no booster") }
        var mu: [Double] = []
        let scoreTime = try clock.measure { mu = try booster.predict(features: features, threads: threads) }
        try write(mu, "mu.f64")
        let report: [String: Any] = [
            "rows": n, "features": p, "seed": seed, "rounds": rounds, "threads": threads,
            "xgboostVersion": XGBooster.version,
            "parameters": Dictionary(uniqueKeysWithValues: parameters.xgboostParameters),
            "trainSeconds": trainTime.seconds, "scoreSeconds": scoreTime.seconds,
            "meanDeviance": Metrics.meanPoissonDeviance(y: y, mu: mu),
            "peakRSSBytes": peakResidentBytes(),
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }

    private func write(_ values: [Double], _ name: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: out).appendingPathComponent(name))
    }
}
