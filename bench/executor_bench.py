#!/usr/bin/env python3
"""Executor benchmark (issue 12, item 10): `backplan execute` backing up 10,000 conversation datasets of a
generated message store, once in full and then incrementally after 1% of them changed, beside `restic backup`
of the whole store file in the same run.

Steps, all on local restic repositories under --out:
  1. `backplan datasets generate --index` (10,000 conversations, 30 days) plus an index on reads(conversation_id),
     as a real message store has for its per-conversation queries; ingest it and plan it.
  2. The plan cut to one copy per dataset (one repository), hourly, no time of day and no quiet trigger, so that
     every dataset is due in both rounds.
  3. Round 1 (`execute --once`): every dataset exported and sent, one restic snapshot per 1,000 datasets (one
     file each). Round 2, one hour later, after one new message in each of 1% of the conversations: every
     dataset's rows compared with its last backup straight from the source (one read of the store); only the
     changed ones are exported and sent, in one snapshot.
  4. Reference: `restic backup` of the whole store file into its own repository, before and after the same
     change (the second run is restic's incremental backup of the whole file).
Bytes sent are the growth of the repository folder (restic packs: compressed, encrypted, deduplicated).
The "changed datasets' bytes" are the sizes of their exports (the state store's manifests of round 2).

Goals: round 2 sends at most 2x the changed datasets' bytes, and takes at most 1.5x restic's time for the whole
file.

Usage: bench/executor_bench.py --binary .build/release/backplan [--conversations 10000] [--out bench/out/executor]
"""
import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time


CPU = {}   # the last run's CPU seconds (user + system), beside its wall-clock time: the machine may be shared


def run(cmd, env=None, stderr=False):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return (dt, p.stdout, p.stderr) if stderr else (dt, p.stdout)


def snapshot_count(repo, env):
    _, text = run(["restic", "--no-cache", "-r", repo, "snapshots", "--json"], env)
    return len(json.loads(text or "[]"))


def tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/backplan")
    ap.add_argument("--conversations", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="bench/out/executor")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.abspath(a.binary)
    out = os.path.abspath(a.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    store, stats, plan = f"{out}/chat.sqlite", f"{out}/stats.sqlite", f"{out}/plan.json"

    run([binary, "datasets", "generate", "--seed", str(a.seed), "--conversations", str(a.conversations), "--days", str(a.days),
         "--index", "--out", store], env)
    db = sqlite3.connect(store)
    db.execute("CREATE INDEX IF NOT EXISTS reads_conversation ON reads(conversation_id)")
    db.commit()
    messages, last_sent = db.execute("SELECT count(*), max(sent_at) FROM messages").fetchone()
    db.close()
    run([binary, "ingest", store, "--format", "message-store", "--db", stats], env)
    run([binary, "plan", "--db", stats, "--model", f"{root}/models/default", "--policy", f"{root}/datasets/policies/messaging.yaml",
         "--prices", f"{root}/datasets/pricing/aws-s3.yaml", "--out", f"{out}/full.json"], env)
    p = json.load(open(f"{out}/full.json"))
    for d in p["datasets"]:
        d["copies"] = [{"region": "region-1", "tier": "standard", "offline": False}]
        d["schedule"].update(intervalSeconds=3600, timeOfDaySeconds=None, quietSeconds=None)
    json.dump(p, open(plan, "w"))
    datasets = len(p["datasets"])

    pw = f"{out}/pw"
    with open(os.open(pw, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("benchmark password\n")
    renv = dict(env, RESTIC_PASSWORD_FILE=pw)
    for repo in ("repo", "whole"):
        run(["restic", "--no-cache", "-q", "init", "-r", f"{out}/{repo}"], renv)
    with open(f"{out}/targets.yaml", "w") as f:
        f.write("repositories:\n  - {region: region-1, tier: standard, repository: repo, passwordFile: pw}\n"
                "locations:\n  default: {store: chat.sqlite}\n")

    def execute(now):
        before = tree_bytes(f"{out}/repo")
        snaps = snapshot_count(f"{out}/repo", renv)
        dt, text, err = run([binary, "execute", "--plan", plan, "--targets", f"{out}/targets.yaml", "--state", f"{out}/state.sqlite",
                             "--once", "--now", str(now), "--json"], env, stderr=True)
        cpu = CPU["last"]
        kinds = [x["kind"] for x in json.loads(text)]
        load = next((l.split("read and checked in ", 1)[1] for l in err.splitlines() if "read and checked in " in l), "?")
        phases = "plan and targets " + load + ", " + next((l.split("round times: ", 1)[1] for l in err.splitlines() if "round times: " in l), "?")
        memo = [l.split(": ", 2)[-1] for l in err.splitlines() if l.startswith("backplan: probe of ") or "probe memo of" in l]
        if memo:
            phases += "; probe memo: " + "; ".join(memo)
        return dt, tree_bytes(f"{out}/repo") - before, kinds, snapshot_count(f"{out}/repo", renv) - snaps, phases + f"; CPU {cpu:.2f} s"

    def whole():
        before = tree_bytes(f"{out}/whole")
        dt, _ = run(["restic", "--no-cache", "-q", "-r", f"{out}/whole", "backup", "--host", "bench", store], renv)
        return dt, tree_bytes(f"{out}/whole") - before, CPU["last"]

    t1 = last_sent + 3600
    full_s, full_bytes, k1, snaps1, phases1 = execute(t1)
    whole1_s, whole1_bytes, whole1_cpu = whole()

    rng = random.Random(a.seed)
    ids = [d["location"] for d in p["datasets"]]
    changed = rng.sample(ids, max(1, int(len(ids) * a.changed)))
    db = sqlite3.connect(store)
    db.executemany("INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES (?, 'bench', ?, 200, 0)",
                   [(c, t1 + 60) for c in changed])
    db.commit()
    db.close()
    t2 = t1 + 3600
    inc_s, inc_bytes, k2, snaps2, phases2 = execute(t2)
    whole2_s, whole2_bytes, whole2_cpu = whole()
    state = sqlite3.connect(f"{out}/state.sqlite")
    changed_bytes = state.execute("SELECT coalesce(sum(bytes), 0), count(*) FROM backups WHERE time = ?", (t2,)).fetchone()
    state.close()

    print(f"store: {datasets} conversation datasets, {messages} messages, {os.path.getsize(store) / 2**20:.1f} MiB; "
          f"{len(changed)} changed ({a.changed:.0%})")
    print(f"round 1 (full):        {full_s:8.2f} s  {datasets / full_s:8.0f} datasets/s  sent {full_bytes / 2**20:8.2f} MiB  "
          f"({k1.count('backup')} backups in {snaps1} snapshots)")
    print(f"  where its time went (executor's log): {phases1}")
    print(f"round 2 (incremental): {inc_s:8.2f} s  {datasets / inc_s:8.0f} datasets/s  sent {inc_bytes / 2**20:8.2f} MiB  "
          f"({k2.count('backup')} backups in {snaps2} snapshots, {k2.count('unchanged')} unchanged)")
    print(f"  where its time went (executor's log): {phases2}")
    print(f"restic whole file:     {whole1_s:8.2f} s first, {whole2_s:8.2f} s incremental; sent {whole1_bytes / 2**20:.2f} MiB, "
          f"then {whole2_bytes / 2**20:.2f} MiB; CPU {whole1_cpu:.2f} s, then {whole2_cpu:.2f} s")
    print(f"changed datasets' export bytes: {changed_bytes[0] / 2**20:.3f} MiB over {changed_bytes[1]} backups")
    bytes_ratio = inc_bytes / changed_bytes[0] if changed_bytes[0] else float("inf")
    time_ratio = inc_s / whole2_s
    print(f"incremental bytes / changed datasets' bytes: {bytes_ratio:.2f} (goal <= 2): {'met' if bytes_ratio <= 2 else 'NOT met'}")
    print(f"incremental time / restic whole-file incremental time: {time_ratio:.1f} (goal <= 1.5): {'met' if time_ratio <= 1.5 else 'NOT met'}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"incremental bytes / restic whole-file incremental bytes: {inc_bytes / max(whole2_bytes, 1):.2f}")


if __name__ == "__main__":
    main()
