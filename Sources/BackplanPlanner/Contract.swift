/// The planner reads and writes the plan contract's types (``Plan``, ``Policy``, ``PriceCatalog``,
/// ``DatasetForecast``…), so its clients see them with `import BackplanPlanner` alone. Code that only reads
/// plans imports BackplanPlan, which links neither YAML nor SQLite nor BLAS.
@_exported import BackplanPlan
