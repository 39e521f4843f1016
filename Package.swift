// swift-tools-version:6.1
// Backplan: adaptive backup scheduling for message stores. Layout and dependency rules: docs/DESIGN.md §1.
import PackageDescription

// MARK: - Dependencies (only versions present under /opt/swift-packages resolve on our machines)

let grdb = Package.Dependency.package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0")
let argumentParser = Package.Dependency.package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2")
let swiftCrypto = Package.Dependency.package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3")
let yams = Package.Dependency.package(url: "https://github.com/jpsim/Yams", exact: "6.2.2")
let collections = Package.Dependency.package(url: "https://github.com/apple/swift-collections", exact: "1.6.0")
let plot = Package.Dependency.package(url: "https://github.com/JohnSundell/Plot", exact: "0.14.0")

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The package's own modules are optimized in debug builds too: `make test` runs the simulator, the models and
/// the planner in-process and through the debug binary, and unoptimized they made the suite outlast CI's
/// 30 minutes on 2 cores (the online policy's frontier on CollegeMsg: 64 s at -Onone). Tests keep
/// `@testable import` (SwiftPM still passes -enable-testing) and assertions.
let librarySettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Backplan",
    products: [
        .executable(name: "backplan", targets: ["backplan"]),
        .library(name: "BackplanCore", targets: ["BackplanCore"]),
        .library(name: "BackplanStore", targets: ["BackplanStore"]),
        .library(name: "BackplanLinAlg", targets: ["BackplanLinAlg"]),
        .library(name: "BackplanSimulator", targets: ["BackplanSimulator"]),
        .library(name: "BackplanModel", targets: ["BackplanModel"]),
        .library(name: "BackplanPlan", targets: ["BackplanPlan"]),
        .library(name: "BackplanReports", targets: ["BackplanReports"]),
        .library(name: "BackplanPlanner", targets: ["BackplanPlanner"]),
        .library(name: "BackplanExecutor", targets: ["BackplanExecutor"]),
    ],
    dependencies: [grdb, argumentParser, swiftCrypto, yams, collections, plot],
    targets: [
        // MARK: - Pure domain

        .target(name: "BackplanCore", swiftSettings: librarySettings),

        // MARK: - The plan contract (Core and swift-crypto's SHA-256 only: no SQLite, YAML or BLAS;
        // BackplanPlanTests checks it)

        .target(
            name: "BackplanPlan",
            dependencies: ["BackplanCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: librarySettings),
        .target(name: "BackplanReports", dependencies: ["BackplanCore", "BackplanPlan", .product(name: "Plot", package: "Plot")],
                swiftSettings: librarySettings),

        // MARK: - BLAS / LAPACK

        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),

        // MARK: - Gradient-boosted trees (XGBoost's C API)

        .systemLibrary(name: "CXGBoost", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        .target(
            name: "BackplanLinAlg",
            dependencies: ["CBLAS", "CLAPACKE", "BackplanCore"],
            swiftSettings: librarySettings),

        // MARK: - YAML input files with file:line:key errors (policies, price catalogs, message-store schemas)

        .target(
            name: "BackplanYAML",
            dependencies: ["BackplanCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: librarySettings),

        // MARK: - A pass-through SQLite VFS that reports the pages it reads (the executor's change probe)

        .target(name: "CPageTap", linkerSettings: [.linkedLibrary("sqlite3")]),

        // MARK: - Stats store and importers

        .target(
            name: "BackplanStore",
            dependencies: [
                "BackplanCore", "BackplanYAML", "CPageTap",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: librarySettings),

        // MARK: - Learned forecast model

        .target(
            name: "BackplanModel",
            dependencies: [
                "BackplanCore", "BackplanLinAlg", "BackplanStore", "BackplanPlan", "CXGBoost",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: librarySettings),

        // MARK: - Planner

        .target(
            name: "BackplanPlanner",
            dependencies: [
                "BackplanCore", "BackplanPlan", "BackplanYAML",
            ],
            swiftSettings: librarySettings),

        // MARK: - Executor (restic; its own GRDB state store; reads plans only through BackplanPlan)

        .target(
            name: "BackplanExecutor",
            dependencies: [
                "BackplanCore", "BackplanPlan", "BackplanStore", "BackplanYAML",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: librarySettings),

        // MARK: - Simulation and the policy frontier

        .target(
            name: "BackplanSimulator",
            dependencies: [
                "BackplanCore", "BackplanStore", "BackplanModel", "BackplanPlan", "BackplanPlanner", "BackplanYAML",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: librarySettings),

        // MARK: - Command-line tool

        .executableTarget(
            name: "backplan",
            dependencies: [
                "BackplanCore", "BackplanStore", "BackplanLinAlg", "BackplanModel", "BackplanPlan", "BackplanPlanner",
                "BackplanReports", "BackplanSimulator", "BackplanExecutor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: librarySettings),

        // MARK: - Benchmarks (make bench)

        .executableTarget(
            name: "backplan-bench",
            dependencies: [
                "BackplanCore", "BackplanLinAlg", "BackplanModel", "BackplanPlanner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: librarySettings),

        // MARK: - Tests (one target per module, plus end-to-end tests of the built binary)

        .target(name: "BackplanTestSupport", path: "Tests/BackplanTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "BackplanCoreTests", dependencies: ["BackplanCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BackplanLinAlgTests", dependencies: ["BackplanLinAlg", "BackplanCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BackplanPlanTests", dependencies: ["BackplanPlan", "BackplanTestSupport", .product(name: "Yams", package: "Yams")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "BackplanReportsTests", dependencies: ["BackplanReports"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BackplanModelTests",
            dependencies: ["BackplanModel", "BackplanTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackplanPlannerTests",
            dependencies: ["BackplanPlanner", "BackplanTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackplanSimulatorTests",
            dependencies: ["BackplanSimulator", "BackplanPlanner", "BackplanTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackplanStoreTests",
            dependencies: ["BackplanStore", "BackplanTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackplanExecutorTests",
            dependencies: ["BackplanExecutor", "BackplanPlan", "BackplanStore", "BackplanTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackplanCLITests",
            dependencies: ["backplan", "BackplanStore", "BackplanTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
    ]
)
