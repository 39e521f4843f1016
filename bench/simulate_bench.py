#!/usr/bin/env python3
"""What-if simulation benchmark: 100 k datasets x 365 days (at least 50 M events) under 5 policies.

Generates a seeded message store (100,000 conversations, 365 days, 17 M messages, which brings about twice
as many reads), ingests it, then times `backplan simulate` with the baseline scenario and the policies
fixed-1h, fixed-24h, cron-daily, intelligent-tiering and all-hot, 20 failure runs each. Wall time and peak
memory come from GNU time. Goal: at most 60 s and 2 GiB. The store is cached in bench/out between runs.

Usage: bench/simulate_bench.py --binary .build/release/backplan [--out bench/out]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return dt, int(re.findall(r"MAXRSS (\d+)", p.stderr)[-1]) / 1024, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--conversations", type=int, default=100_000)
    ap.add_argument("--messages", type=int, default=17_000_000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    store = os.path.join(a.out, f"sim-{a.conversations}.sqlite")
    stats = os.path.join(a.out, f"sim-{a.conversations}-stats.sqlite")
    if not os.path.exists(stats):
        print("generating and ingesting the store (cached for later runs) ...", file=sys.stderr)
        subprocess.run([a.binary, "datasets", "generate", "--seed", "5", "--conversations", str(a.conversations), "--days", "365",
                        "--messages", str(a.messages), "--out", store, "--force"], check=True)
        subprocess.run([a.binary, "ingest", store, "--format", "message-store", "--db", stats + ".tmp"], check=True)
        os.replace(stats + ".tmp", stats)
    summary = json.loads(subprocess.run([a.binary, "stats", "--db", stats, "--json"], check=True, capture_output=True, text=True).stdout)
    policies = "fixed-1h,fixed-24h,cron-daily,intelligent-tiering,all-hot"
    dt, rss, out = timed([a.binary, "simulate", "--db", stats, "--scenario", "datasets/scenarios/baseline.yaml",
                          "--policies", policies, "--runs", "20", "--seed", "1", "--json"])
    report = json.loads(out)
    print(f"| datasets | events | replayed writes | policies x runs | seconds | peak MiB |")
    print(f"|---:|---:|---:|---|---:|---:|")
    print(f"| {summary['datasets']:,} | {summary['events']:,} | {report['writes']:,} | 5 x 20 | {dt:.1f} | {rss:.0f} |")
    print(f"  {'met ' if dt <= 60 else 'MISSED'}  at most 60 s")
    print(f"  {'met ' if rss <= 2048 else 'MISSED'}  at most 2 GiB")
    print(f"  {'met ' if summary['events'] >= 50_000_000 else 'MISSED'}  at least 50 M events")


if __name__ == "__main__":
    main()
