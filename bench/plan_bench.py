#!/usr/bin/env python3
"""Planner benchmark: `backplan-bench plan` at 10 k, 100 k and 1 M datasets, one binding budget.

Each run scores N x 32 synthetic features with the GLM (the forecasts), then plans: every dataset is priced on
the interval grid (up to 11 intervals + the RPO + the continuous optimum) x every tier of the S3 catalog that
meets its class RTO (5 tiers, 3 online), and the budget is met by bisection on its multiplier. The table shows
seconds per size (growth should be linear) and peak memory. Goal: 1 M datasets in at most 3 s and 1.5 GiB.

Usage: bench/plan_bench.py --bench .build/release/backplan-bench [--sizes 10000,100000,1000000]
"""
import argparse
import json
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    a = ap.parse_args()
    print("| datasets | score s | plan s | plan us/dataset | budget binds | peak MiB |")
    print("|---:|---:|---:|---:|---|---:|")
    last = None
    for n in [int(s) for s in a.sizes.split(",")]:
        r = json.loads(subprocess.run([a.bench, "plan", "--datasets", str(n)], check=True, capture_output=True, text=True).stdout)
        last = r
        print(f"| {n:,} | {r['scoreSeconds']:.3f} | {r['planSeconds']:.2f} | {r['planSeconds'] / n * 1e6:.2f} | "
              f"{'yes' if r['budgetBinding'] else 'no'} (shadow price {r['shadowPrice']:.3g}) | {r['peakRSSBytes'] / 2**20:.0f} |")
    if last:
        total = last["scoreSeconds"] + last["planSeconds"]
        print(f"  {'met ' if total <= 3 else 'MISSED'}  features to plan at {last['datasets']:,} datasets <= 3 s ({total:.2f} s)")
        print(f"  {'met ' if last['peakRSSBytes'] <= 1.5 * 2**30 else 'MISSED'}  peak memory <= 1.5 GiB ({last['peakRSSBytes'] / 2**30:.2f} GiB)")


if __name__ == "__main__":
    main()
