#!/usr/bin/env python3
"""Gradient-boosted Poisson trees: Backplan's XGBoost wrapper beside the Python `xgboost` package.

`backplan-bench xgb` generates a seeded N x P matrix (float32 features, Poisson targets with a nonlinear part),
trains XGBoost `count:poisson` trees through Backplan's Swift wrapper over Debian's libxgboost (C API), scores
every row, and writes X, y and its predicted means. This script then trains the Python `xgboost` package (1.7.4,
the version Debian ships; pip-installed when missing) on the same arrays with the same parameters, which
`backplan-bench` prints, in the same run, and compares: training time (DMatrix construction included on both
sides), scoring time, and the training deviance of each side (one formula, computed here from each side's means).
It runs once with one thread and once with two (nthread on both sides).

Checks: same deviance within 1e-6 (relative), scoring 1 M rows within 1 s.

Usage: bench/xgb_bench.py --bench .build/release/backplan-bench [--rows 1000000] [--features 40] [--rounds 50]
       [--out bench/out]
"""
import argparse
import importlib
import json
import subprocess
import sys
import time


def ensure(module, package):
    try:
        return importlib.import_module(module)
    except ImportError:
        print(f"installing {package} with pip ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
        return importlib.import_module(module)


def deviance(np, y, mu):
    mu = np.maximum(mu, 1e-9)
    term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0.0)
    return float(2 * np.mean(term - (y - mu)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of the backplan-bench binary (release build)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="bench/out")
    a = ap.parse_args()

    np = ensure("numpy", "numpy")
    xgb = ensure("xgboost", "xgboost==1.7.4")
    failures = []
    for threads in (1, 2):
        out = f"{a.out}/xgb-{threads}"
        proc = subprocess.run(
            [a.bench, "xgb", "--rows", str(a.rows), "--features", str(a.features), "--rounds", str(a.rounds),
             "--seed", str(a.seed), "--threads", str(threads), "--out", out],
            check=True, capture_output=True, text=True)
        swift = json.loads(proc.stdout)
        n, p = swift["rows"], swift["features"]
        x = np.fromfile(f"{out}/x.f32", dtype=np.float32).reshape(n, p)
        y = np.fromfile(f"{out}/y.f64", dtype=np.float64)
        mu_swift = np.fromfile(f"{out}/mu.f64", dtype=np.float64)
        params = dict(swift["parameters"])
        rounds = swift["rounds"]

        t0 = time.perf_counter()
        dtrain = xgb.DMatrix(x, label=y.astype(np.float32), missing=np.nan, nthread=threads)
        booster = xgb.train(params, dtrain, num_boost_round=rounds)
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        dscore = xgb.DMatrix(x, missing=np.nan, nthread=threads)
        mu_py = booster.predict(dscore).astype(np.float64)
        score_s = time.perf_counter() - t0

        d_swift, d_py = deviance(np, y, mu_swift), deviance(np, y, mu_py)
        rel = abs(d_swift - d_py) / max(abs(d_py), 1e-12)
        max_pred = float(np.max(np.abs(mu_swift - mu_py)))
        print(f"xgboost count:poisson, {n:,} rows x {p} features, {rounds} rounds, {threads} thread(s); "
              f"Backplan links libxgboost {swift['xgboostVersion']}, Python xgboost {xgb.__version__}")
        print(f"  {'':10} {'train s':>9} {'score s':>9} {'deviance':>14}")
        print(f"  {'Backplan':10} {swift['trainSeconds']:9.3f} {swift['scoreSeconds']:9.3f} {d_swift:14.9f}")
        print(f"  {'xgboost':10} {train_s:9.3f} {score_s:9.3f} {d_py:14.9f}")
        print(f"  ratio (Backplan / Python): train {swift['trainSeconds'] / train_s:.2f}x, "
              f"score {swift['scoreSeconds'] / score_s:.2f}x; deviance relative difference {rel:.2e}; "
              f"largest |mu difference| {max_pred:.2e}")
        if rel > 1e-6:
            failures.append(f"{threads} thread(s): deviance differs by {rel:.2e} (> 1e-6)")
        if n >= 1_000_000 and swift["scoreSeconds"] > 1.0:
            failures.append(f"{threads} thread(s): scoring {n:,} rows took {swift['scoreSeconds']:.2f} s (> 1 s)")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
