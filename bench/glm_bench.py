#!/usr/bin/env python3
"""Poisson GLM benchmark: Backplan's IRLS fit and scoring beside scikit-learn's PoissonRegressor.

`backplan-bench glm` generates a seeded N x P matrix with Poisson targets, fits Backplan's GLM (Newton/IRLS
from a warm start fitted on a 1-in-16 row sample, X^T W X by OpenBLAS dgemm panels, Cholesky by LAPACK, chord
steps on the score near the optimum), scores all rows, times one X^T W X alone against the dgemm peak it
measures in the same process, and writes X, y and its fitted means as raw float64. This script then fits
scikit-learn's PoissonRegressor (solver newton-cholesky, the same L2 penalty alpha, intercept unpenalised) on
the same arrays in the same run, and prints both side by side: fit and score times, the training deviance of
each (computed here, by one formula, from each side's fitted means), peak memory, and the share of the dgemm
peak that X^T W X reaches. A second run of `backplan-bench glm --cold-start` times Backplan's fit without the
warm start, from the intercept-only start as scikit-learn starts.

Threads: --threads T (default 1) is the number of threads Backplan's fit and scoring use for their passes over
X (OpenBLAS inside stays at OPENBLAS_NUM_THREADS, which make bench sets to 1). scikit-learn gets the same T
through threadpoolctl: at most T BLAS threads and at most T OpenMP threads (its loss and gradient loops), so each
side uses the same number of cores. The header line prints what each side actually ran with.

scikit-learn is pip-installed when missing.

Usage: bench/glm_bench.py --bench .build/release/backplan-bench [--rows 1000000] [--features 32] [--threads 1]
       [--out bench/out]
"""
import argparse
import importlib
import json
import os
import resource
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of the backplan-bench binary (release build)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--alpha", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for both sides: Backplan's passes, scikit-learn's BLAS and OpenMP (default 1)")
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--stored-design", action="store_true",
                    help="time Backplan's former route: standardised design copy, then the fit on it")
    a = ap.parse_args()

    np = ensure("numpy", "numpy")
    ensure("sklearn", "scikit-learn")
    from sklearn.linear_model import PoissonRegressor
    import sklearn
    from threadpoolctl import threadpool_info, threadpool_limits

    work = os.path.join(a.out, "glm")
    os.makedirs(work, exist_ok=True)
    run = subprocess.run([a.bench, "glm", "--rows", str(a.rows), "--features", str(a.features),
                          "--alpha", str(a.alpha), "--seed", str(a.seed), "--threads", str(a.threads),
                          "--out", work] + (["--stored-design"] if a.stored_design else []),
                         check=True, capture_output=True, text=True)
    bp = json.loads(run.stdout)
    # The same fit without the warm start (intercept-only start), for the table: what the sample saves.
    cold = json.loads(subprocess.run(
        [a.bench, "glm", "--rows", str(a.rows), "--features", str(a.features), "--alpha", str(a.alpha),
         "--seed", str(a.seed), "--threads", str(a.threads), "--out", os.path.join(work, "cold"), "--cold-start"],
        check=True, capture_output=True, text=True).stdout)

    n, p = a.rows, a.features
    x = np.fromfile(os.path.join(work, "x.f64"), dtype="<f8").reshape(n, p)
    y = np.fromfile(os.path.join(work, "y.f64"), dtype="<f8")
    mu_bp = np.fromfile(os.path.join(work, "mu.f64"), dtype="<f8")

    def deviance(mu):
        mu = np.maximum(mu, 1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(2 * np.mean(term - (y - mu)))

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model = PoissonRegressor(alpha=a.alpha, solver="newton-cholesky", tol=1e-10, max_iter=100)
    with threadpool_limits(limits=a.threads):
        pools = threadpool_info()
        t = time.perf_counter()
        model.fit(x, y)
        sk_fit = time.perf_counter() - t
        t = time.perf_counter()
        mu_sk = model.predict(x)
        sk_score = time.perf_counter() - t
    sk_blas = max((pool["num_threads"] for pool in pools if pool["user_api"] == "blas"), default=0)
    sk_omp = max((pool["num_threads"] for pool in pools if pool["user_api"] == "openmp"), default=0)
    sk_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    dev_bp, dev_sk = deviance(mu_bp), deviance(mu_sk)
    gib = 1 << 30
    rows = [
        ("fit (s)", f"{bp['fitSeconds']:.3f}", f"{sk_fit:.3f}", f"{sk_fit / bp['fitSeconds']:.1f}x faster"),
        ("fit without the warm start (s)", f"{cold['fitSeconds']:.3f}", f"{sk_fit:.3f}",
         f"{sk_fit / cold['fitSeconds']:.1f}x faster ({cold['iterations']} iterations)"),
        ("score all rows (s)", f"{bp['scoreSeconds']:.3f}", f"{sk_score:.3f}", f"{sk_score / bp['scoreSeconds']:.1f}x faster"),
        ("training deviance", f"{dev_bp:.6f}", f"{dev_sk:.6f}", f"{(dev_bp - dev_sk) / dev_sk * 100:+.4f}%"),
        ("iterations", str(bp["iterations"]), str(int(np.max(model.n_iter_))), ""),
        ("peak RSS (GiB)", f"{bp['peakRSSBytes'] / gib:.2f}", f"{sk_rss / gib:.2f}",
         f"(python holds X, y, both mu: {rss_before / gib:.2f} before the fit)"),
        ("X^T W X (GFLOP/s)", f"{bp['gramGflops']:.1f}", "", f"{bp['gramGflops'] / bp['dgemmPeakGflops'] * 100:.0f}% of dgemm peak"),
        ("dgemm peak (GFLOP/s)", f"{bp['dgemmPeakGflops']:.1f}", "", "2048^3, same process"),
    ]
    print(f"Poisson GLM, {n:,} rows x {p} features, alpha {a.alpha}, seed {a.seed}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, scikit-learn {sklearn.__version__}")
    route = {True: "stored design copy, then fit(design:)", False: "raw features, fit(features:scaler:)",
             None: "stored design copy, then fit(design:) (binary predates fit(features:scaler:))"}
    print(f"Backplan fit route: {route[bp.get('storedDesign')]}")
    print(f"threads: Backplan {bp['threads']} (OpenBLAS {bp['openblasThreads']} per call); "
          f"scikit-learn BLAS {sk_blas}, OpenMP {sk_omp}")
    print("| measure | Backplan | scikit-learn | ratio |")
    print("|---|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    goals = [
        ("training <= 10 s", bp["fitSeconds"] <= 10),
        ("scoring 1 M <= 1 s", bp["scoreSeconds"] * 1_000_000 / n <= 1),
        ("peak memory < 2 GiB", bp["peakRSSBytes"] < 2 * gib),
        ("deviance within 0.1% of scikit-learn", abs(dev_bp - dev_sk) <= 1e-3 * dev_sk),
        (">= 5x faster than scikit-learn", sk_fit >= 5 * bp["fitSeconds"]),
    ]
    for name, ok in goals:
        print(f"  {'met ' if ok else 'MISSED'}  {name}")


if __name__ == "__main__":
    main()
