#!/usr/bin/env python3
"""Ingest benchmark: `backplan ingest` beside the sqlite3 shell doing the same load and GROUP BY roll-up.

Two inputs, each at three sizes (1/100, 1/10 and the full size) to show growth is linear and memory flat:
  csv    a generated event log, `ts,dataset,op,bytes`, Zipf-popular datasets, sorted by time
  store  a generated SQLite message store (`backplan datasets generate --messages N`)

The reference is the sqlite3 shell run in the same script on the same file, producing the same stats-store
schema: `.import` (or ATTACH) into the events table clustered by (dataset_id, at, seq), datasets resolved
by a join, then the hourly `buckets` roll-up with GROUP BY. Times are wall-clock seconds of whole processes;
peak memory is the maximum resident set size reported by GNU time.

Usage: bench/ingest_bench.py --binary .build/release/backplan [--events 10000000] [--out bench/out]
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time

SCHEMA = """
PRAGMA application_id = 1114329196;
CREATE TABLE sources (id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, options TEXT NOT NULL DEFAULT '',
  sha256 TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL, imported_at INTEGER NOT NULL, events INTEGER NOT NULL, rejected INTEGER NOT NULL);
CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, class TEXT NOT NULL DEFAULT 'default',
  size_bytes INTEGER NOT NULL DEFAULT 0, created_at INTEGER, attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)));
CREATE TABLE events (dataset_id INTEGER NOT NULL REFERENCES datasets(id), at INTEGER NOT NULL, seq INTEGER NOT NULL,
  op INTEGER NOT NULL CHECK (op IN (0, 1)), bytes INTEGER NOT NULL CHECK (bytes >= 0), PRIMARY KEY (dataset_id, at, seq)) WITHOUT ROWID;
CREATE TABLE buckets (dataset_id INTEGER NOT NULL REFERENCES datasets(id), start INTEGER NOT NULL, reads INTEGER NOT NULL DEFAULT 0,
  writes INTEGER NOT NULL DEFAULT 0, bytes_read INTEGER NOT NULL DEFAULT 0, bytes_written INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dataset_id, start)) WITHOUT ROWID;
PRAGMA cache_size = -262144;
"""

ROLLUP = """
INSERT INTO buckets SELECT dataset_id, (at / 3600) * 3600, sum(op = 0), sum(op = 1),
  sum(CASE op WHEN 0 THEN bytes ELSE 0 END), sum(CASE op WHEN 1 THEN bytes ELSE 0 END)
FROM events GROUP BY 1, 2;
UPDATE datasets SET size_bytes = coalesce((SELECT sum(bytes_written) FROM buckets b WHERE b.dataset_id = datasets.id), 0),
  created_at = (SELECT min(at) FROM events e WHERE e.dataset_id = datasets.id);
"""


def make_csv(path, events, datasets, seed=1):
    """A time-sorted event log over 30 days; dataset popularity Zipf(1.1) over `datasets` names."""
    rng = random.Random(seed)
    weights = [1.0 / (k ** 1.1) for k in range(1, datasets + 1)]
    names = [f"conv-{k:07d}" for k in range(datasets)]
    rng.shuffle(names)
    start, span = 1_767_225_600, 30 * 86_400
    step = span / events
    with open(path, "w") as f:
        f.write("ts,dataset,op,bytes\n")
        chunk = 200_000
        done = 0
        while done < events:
            n = min(chunk, events - done)
            picks = rng.choices(names, weights=weights, k=n)
            lines = []
            for i, name in enumerate(picks):
                t = start + int((done + i) * step)
                if rng.random() < 0.35:
                    lines.append(f"{t},{name},w,{rng.randint(40, 4000)}\n")
                else:
                    lines.append(f"{t},{name},r,{rng.randint(40, 40000)}\n")
            f.write("".join(lines))
            done += n


def timed(cmd, **kw):
    """Runs `cmd` under GNU time; returns (seconds, peak RSS in MiB, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.findall(r"MAXRSS (\d+)", p.stderr)[-1]) / 1024
    return dt, rss, p.stdout


def sqlite_csv(csv, db):
    script = SCHEMA + f"""
CREATE TEMP TABLE staging(ts INTEGER, dataset TEXT, op TEXT, bytes INTEGER);
.import --csv --skip 1 {csv} staging
BEGIN;
INSERT INTO datasets(name) SELECT DISTINCT dataset FROM staging;
INSERT INTO events SELECT d.id, s.ts, s.rowid, CASE s.op WHEN 'r' THEN 0 ELSE 1 END, s.bytes
  FROM staging s JOIN datasets d ON d.name = s.dataset;
{ROLLUP}
COMMIT;
"""
    return timed(["sqlite3", db], input=script)


def sqlite_store(store, db):
    script = SCHEMA + f"""
ATTACH '{store}' AS m;
BEGIN;
INSERT INTO datasets(name, class, created_at) SELECT id, coalesce(class, kind, 'default'), created_at FROM m.conversations;
INSERT INTO events SELECT d.id, x.sent_at, x.id, 1, x.size_bytes + coalesce(x.attachment_bytes, 0)
  FROM m.messages x JOIN datasets d ON d.name = x.conversation_id;
INSERT INTO events SELECT d.id, r.read_at, (1 << 40) + r.rowid, 0, r.bytes
  FROM m.reads r JOIN datasets d ON d.name = r.conversation_id;
{ROLLUP}
COMMIT;
"""
    return timed(["sqlite3", db], input=script)


def count_events(db):
    out = subprocess.run(["sqlite3", db, "SELECT count(*), (SELECT sum(reads + writes) FROM buckets) FROM events"],
                         capture_output=True, text=True, check=True).stdout.strip()
    n, b = out.split("|")
    assert n == b, f"{db}: events {n} != bucket sum {b}"
    return int(n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/backplan")
    ap.add_argument("--events", type=int, default=10_000_000, help="largest size (default 10 M)")
    ap.add_argument("--out", default="bench/out")
    args = ap.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("sqlite3 shell missing: make deps installs it")
    os.makedirs(args.out, exist_ok=True)
    binary = os.path.abspath(args.binary)
    rows = []
    sizes = [args.events // 100, args.events // 10, args.events]
    for n in sizes:
        csv = os.path.join(args.out, f"events-{n}.csv")
        if not os.path.exists(csv):
            print(f"generating {csv} …", file=sys.stderr)
            make_csv(csv, n, datasets=max(1000, n // 100))
        store = os.path.join(args.out, f"store-{n}.sqlite")
        if not os.path.exists(store):
            print(f"generating {store} …", file=sys.stderr)
            conversations = max(500, n // 500)
            subprocess.run([binary, "datasets", "generate", "--seed", "7", "--messages", str(n),
                            "--conversations", str(conversations), "--days", "90", "--out", store],
                           check=True, stdout=subprocess.DEVNULL)
        for kind, src, fmt, extra, ref in [
            ("csv", csv, "csv", ["--map", "time=ts,dataset=dataset,op=op,bytes=bytes"], sqlite_csv),
            ("store", store, "message-store", [], sqlite_store),
        ]:
            ours_db = os.path.join(args.out, f"ours-{kind}-{n}.sqlite")
            ref_db = os.path.join(args.out, f"ref-{kind}-{n}.sqlite")
            for p in (ours_db, ref_db):
                if os.path.exists(p):
                    os.remove(p)
            print(f"{kind} {n}: backplan …", file=sys.stderr)
            t_ours, m_ours, _ = timed([binary, "ingest", src, "--format", fmt, "--db", ours_db] + extra)
            print(f"{kind} {n}: sqlite3 …", file=sys.stderr)
            t_ref, m_ref, _ = timed_ref = ref(src, ref_db)
            events = count_events(ours_db)
            ref_events = count_events(ref_db)
            assert events == ref_events, f"{kind} {n}: backplan {events} events, sqlite3 {ref_events}"
            rows.append((kind, events, t_ours, events / t_ours, t_ref, t_ours / t_ref, m_ours, m_ref))
            for p in (ours_db, ref_db):
                os.remove(p)

    header = "| input | events | backplan s | backplan events/s | sqlite3 shell s | time ratio (backplan/sqlite3) | backplan peak MiB | sqlite3 peak MiB |"
    lines = [header, "|" + "---|" * 8]
    for kind, events, t, eps, tr, ratio, m, mr in rows:
        lines.append(f"| {kind} | {events:,} | {t:.2f} | {eps/1e6:.2f} M | {tr:.2f} | {ratio:.2f} | {m:.0f} | {mr:.0f} |")
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(args.out, "ingest.md"), "w") as f:
        f.write(table + "\n")
    print("goals: ≥ 2 M events/s, ≤ 1.5 × the sqlite3 shell's time, peak < 1 GiB at every size", file=sys.stderr)


if __name__ == "__main__":
    main()
