#!/usr/bin/env bash
# Crash test of the executor (issue #12): RUNS rounds of a backup loop over a copy of the sample store, each
# round's executor killed with SIGKILL at a random moment of its run, then rerun to completion. Afterwards:
# no backup recorded without all its copies, every recorded live snapshot present in its repository and no
# unrecorded `backplan` snapshot left, every live recorded backup restores and verifies, `restic check
# --read-data` passes on every repository, no executor run changed the source store (the "application"
# writes one message between rounds; the store's digest is taken around each run), the audit chain holds,
# and no restic outlived the executor it belonged to.
#
# How the kill is made: the executor is started as the leader of its own session and process group
# (`setsid`), as systemd (KillMode=control-group), a Kubernetes pod or a supervisor with killasgroup starts a
# service, and odd rounds SIGKILL that whole group (what those supervisors do); even rounds SIGKILL the
# executor's PID alone, which restic must survive neither (the executor starts it with
# `setpriv --pdeathsig KILL`, Sources/BackplanExecutor/ChildProcess.swift).
#
# Usage: scripts/executor-crash-test.sh [RUNS] [SEED]   (make crash-test: 200 runs; make test: 8)
set -euo pipefail
RUNS=${1:-200}
SEED=${2:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/.build/debug/backplan}
export OPENBLAS_NUM_THREADS=1
for tool in restic sqlite3 python3 setsid; do
  command -v $tool >/dev/null || { echo "$tool not on PATH (apt-get install restic sqlite3 python3 util-linux)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "no $BIN: run swift build first" >&2; exit 1; }
W=$(mktemp -d /tmp/backplan-crash-XXXXXX)
trap 'rm -rf "$W"' EXIT
RANDOM=$SEED

# The stats store is made from the copy the executor backs up (the plan-input check compares them).
cp "$ROOT/datasets/sample/chat-sample.sqlite" "$W/chat.sqlite"
"$BIN" ingest "$W/chat.sqlite" --format message-store --db "$W/stats.sqlite" >/dev/null 2>&1
"$BIN" plan --db "$W/stats.sqlite" --model "$ROOT/models/default" --policy "$ROOT/datasets/policies/messaging.yaml" \
  --prices "$ROOT/datasets/pricing/aws-s3.yaml" --out "$W/full.json" >/dev/null
umask 077
head -c 24 /dev/urandom | base64 > "$W/pw"
umask 022
# Three datasets, hourly, every copy; a targets file for the (region, tier) pairs they use.
python3 - "$W" <<'EOF'
import json, sys
w = sys.argv[1]
p = json.load(open(f"{w}/full.json"))
p["datasets"] = p["datasets"][:3]
for d in p["datasets"]:
    d["schedule"]["intervalSeconds"] = 3600
    d["schedule"].pop("timeOfDaySeconds", None)
    d["schedule"].pop("quietSeconds", None)
json.dump(p, open(f"{w}/plan.json", "w"))
pairs = sorted({(c["region"], c["tier"]) for d in p["datasets"] for c in d["copies"]})
with open(f"{w}/targets.yaml", "w") as f:
    f.write("repositories:\n")
    for i, (r, t) in enumerate(pairs):
        f.write(f"  - {{region: {r}, tier: {t}, repository: repo{i}, passwordFile: pw}}\n")
    f.write("locations:\n  default: {store: chat.sqlite}\n")
EOF
for repo in $(grep -o 'repository: repo[0-9]*' "$W/targets.yaml" | cut -d' ' -f2); do
  RESTIC_PASSWORD_FILE="$W/pw" restic --no-cache -q init -r "$W/$repo" >/dev/null
done

digest() { sqlite3 "$W/chat.sqlite" "SELECT count(*) || '/' || coalesce(max(id),0) || '/' || total(size_bytes) FROM messages"; sha256sum "$W/chat.sqlite" | cut -c1-64; }
execute() { "$BIN" execute --plan "$W/plan.json" --targets "$W/targets.yaml" --state "$W/state.sqlite" --once --now "$1"; }
T=1767225600
ids=$(sqlite3 "$W/chat.sqlite" "SELECT id FROM conversations LIMIT 3")
write_message() {
  local conv; conv=$(echo "$ids" | sed -n "$(($1 % 3 + 1))p")
  sqlite3 "$W/chat.sqlite" "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES ('$conv', 'u', $T, $1, 0)"
}
# Round 0, not killed: how long a whole round takes, so the kills spread over all of a run's phases.
write_message 0
start=$(date +%s%N)
execute "$T" >/dev/null 2>"$W/first.err" || { cat "$W/first.err" >&2; exit 1; }
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
killed=0; group_kills=0; pid_kills=0; finished_before_kill=0; changed=0; outlived=0
for i in $(seq 1 "$RUNS"); do
  T=$((T + 3600))
  write_message "$i"
  before=$(digest)
  setsid "$BIN" execute --plan "$W/plan.json" --targets "$W/targets.yaml" --state "$W/state.sqlite" --once --now "$T" >/dev/null 2>&1 &
  pid=$!
  delay_ms=$(( (RANDOM * 32768 + RANDOM) % (full_ms + 1) ))
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  if [ $((i % 2)) = 1 ]; then target="-$pid"; else target="$pid"; fi
  # (A finished executor not yet waited for is a zombie, which kill would still "reach".)
  if [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] && kill -9 -- "$target" 2>/dev/null; then
    killed=$((killed + 1))
    if [ $((i % 2)) = 1 ]; then group_kills=$((group_kills + 1)); else pid_kills=$((pid_kills + 1)); fi
  else
    finished_before_kill=$((finished_before_kill + 1))
  fi
  wait "$pid" 2>/dev/null || true
  # A live process left of the killed executor's session is a child that outlived it (a zombie is dead: a
  # container's PID 1 may never reap it).
  alive() { ps -s "$pid" -o stat=,pid=,args= 2>/dev/null | grep -v '^Z' || true; }
  for _ in 1 2 3 4 5; do [ -z "$(alive)" ] && break; sleep 0.1; done
  if [ -n "$(alive)" ]; then
    outlived=$((outlived + 1)); echo "run $i: outlived the executor: $(alive | cut -c1-120)" >&2
    pkill -9 -s "$pid" || true
  fi
  start=$(date +%s%N)
  execute "$T" >/dev/null 2>"$W/rerun.err" || { echo "run $i: the rerun failed:" >&2; cat "$W/rerun.err" >&2; exit 1; }
  # The next kill spreads over a whole run as long as this one (round 0 sends every dataset: longer).
  full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$(digest)" = "$before" ] || changed=$((changed + 1))
done

# The checks, over the state store and every repository.
python3 - "$W" "$BIN" <<'EOF' >"$W/checks"
import json, os, sqlite3, subprocess, sys
w, binary = sys.argv[1], sys.argv[2]
plan = json.load(open(f"{w}/plan.json"))
copies = {d["id"]: len(d["copies"]) for d in plan["datasets"]}
db = sqlite3.connect(f"{w}/state.sqlite")
backups = db.execute("SELECT id, dataset, time FROM backups").fetchall()
partial = sum(1 for (b, d, _) in backups if db.execute("SELECT count(*) FROM copies WHERE backup_id = ?", (b,)).fetchone()[0] != copies[d])
env = dict(os.environ, RESTIC_PASSWORD_FILE=f"{w}/pw")
repos = sorted(x for x in os.listdir(w) if x.startswith("repo"))
missing = unrecorded = live = 0
for r in repos:
    path = f"{w}/{r}"
    snaps = json.loads(subprocess.run(["restic", "--no-cache", "-r", path, "snapshots", "--json"], env=env, check=True,
                                      capture_output=True, text=True).stdout or "[]")
    ids = [s["id"] for s in snaps if "backplan" in (s.get("tags") or [])]
    recorded = [row[0] for row in db.execute("SELECT snapshot FROM copies WHERE repository = ? AND forgotten_at IS NULL", (path,))]
    live += len(recorded)
    missing += sum(1 for rec in recorded if not any(i.startswith(rec) for i in ids))
    unrecorded += sum(1 for i in ids if not any(i.startswith(rec) for rec in recorded))
restored = failed = 0
for (b, d, t) in db.execute("SELECT DISTINCT b.id, b.dataset, b.time FROM backups b JOIN copies c ON c.backup_id = b.id WHERE c.forgotten_at IS NULL ORDER BY b.id").fetchall():
    out = f"{w}/restore-{b}.sqlite"
    r = subprocess.run([binary, "restore", d, "--at", str(t), "--to", out, "--targets", f"{w}/targets.yaml", "--state", f"{w}/state.sqlite", "--json"],
                       capture_output=True, text=True)
    ok = r.returncode == 0 and json.loads(r.stdout).get("backupID") == b
    restored += ok
    failed += not ok
    if os.path.exists(out): os.remove(out)
checks = 0
for r in repos:
    c = subprocess.run(["restic", "--no-cache", "-q", "-r", f"{w}/{r}", "check", "--read-data"], env=env, capture_output=True, text=True)
    if c.returncode != 0:
        print(f"restic check failed on {r}: {c.stderr}", file=sys.stderr); sys.exit(1)
    checks += 1
sweeps = db.execute("SELECT count(*) FROM audit WHERE action = 'sweep'").fetchone()[0]
print(len(backups), partial, live, missing, unrecorded, restored, failed, checks, len(repos), sweeps)
EOF
read -r backups partial live missing unrecorded restored failed checks nrepos sweeps <"$W/checks"
audit=$("$BIN" audit verify --state "$W/state.sqlite")
echo "runs $RUNS (kills at a uniform moment of the previous whole run, ${full_ms} ms at the end): killed mid-run $killed ($group_kills process-group kills, $pid_kills executor-only kills), finished before the kill $finished_before_kill; restic outlived the executor $outlived times;"
echo "backups recorded $backups (partial $partial); live recorded snapshots $live (missing from restic $missing); unrecorded backplan snapshots left $unrecorded (sweeps $sweeps);"
echo "live recorded backups restored and verified $restored (failed $failed); restic check --read-data passed on $checks of $nrepos repositories; source changed by a run $changed times; $audit"
[ "$partial" = 0 ] && [ "$missing" = 0 ] && [ "$unrecorded" = 0 ] && [ "$failed" = 0 ] && [ "$changed" = 0 ] && [ "$outlived" = 0 ] && [ "$checks" = "$nrepos" ]
