#!/usr/bin/env bash
# Crash test of the executor (issue #12): RUNS rounds of a backup loop over a copy of the sample store, each
# round's executor killed with SIGKILL at a random moment, then rerun to completion. Afterwards: no backup
# recorded without all its copies, every recorded snapshot present in its repository, every dataset's last
# backup restores and verifies, `restic check` passes on every repository, and no executor run changed the
# source store (the "application" writes one message between rounds; its digest is taken around each run).
#
# Usage: scripts/executor-crash-test.sh [RUNS] [SEED]   (make crash-test: 200 runs)
set -euo pipefail
RUNS=${1:-200}
SEED=${2:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/.build/debug/backplan}
export OPENBLAS_NUM_THREADS=1
command -v restic >/dev/null || { echo "restic not on PATH (apt-get install restic)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no $BIN: run swift build first" >&2; exit 1; }
W=$(mktemp -d /tmp/backplan-crash-XXXXXX)
trap 'rm -rf "$W"' EXIT
RANDOM=$SEED

"$BIN" ingest "$ROOT/datasets/sample/chat-sample.sqlite" --format message-store --db "$W/stats.sqlite" >/dev/null 2>&1
"$BIN" plan --db "$W/stats.sqlite" --model "$ROOT/models/default" --policy "$ROOT/datasets/policies/messaging.yaml" \
  --prices "$ROOT/datasets/pricing/aws-s3.yaml" --out "$W/full.json" >/dev/null
cp "$ROOT/datasets/sample/chat-sample.sqlite" "$W/chat.sqlite"
umask 077
head -c 24 /dev/urandom | base64 > "$W/pw"
umask 022
# Three datasets, every copy; a targets file for the (region, tier) pairs they use.
python3 - "$W" <<'EOF'
import json, sys
w = sys.argv[1]
p = json.load(open(f"{w}/full.json"))
p["datasets"] = p["datasets"][:3]
for d in p["datasets"]:
    d["schedule"]["intervalSeconds"] = 3600
    d["schedule"].pop("timeOfDaySeconds", None)
json.dump(p, open(f"{w}/plan.json", "w"))
pairs = sorted({(c["region"], c["tier"]) for d in p["datasets"] for c in d["copies"]})
with open(f"{w}/targets.yaml", "w") as f:
    f.write("repositories:\n")
    for i, (r, t) in enumerate(pairs):
        f.write(f"  - {{region: {r}, tier: {t}, repository: repo{i}, passwordFile: pw}}\n")
    f.write("locations:\n  default: {store: chat.sqlite}\n")
print(len(pairs))
EOF
for repo in $(grep -o 'repository: repo[0-9]*' "$W/targets.yaml" | cut -d' ' -f2); do
  RESTIC_PASSWORD_FILE="$W/pw" restic --no-cache -q init -r "$W/$repo" >/dev/null
done

digest() { sqlite3 "$W/chat.sqlite" "SELECT count(*) || '/' || coalesce(max(id),0) || '/' || total(size_bytes) FROM messages"; sha256sum "$W/chat.sqlite" | cut -c1-64; }
T=1767225600
killed=0; finished_before_kill=0; changed=0
for i in $(seq 1 "$RUNS"); do
  T=$((T + 3600))
  ids=$(sqlite3 "$W/chat.sqlite" "SELECT id FROM conversations LIMIT 3")
  conv=$(echo "$ids" | sed -n "$((i % 3 + 1))p")
  sqlite3 "$W/chat.sqlite" "INSERT INTO messages(conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES ('$conv', 'u', $T, $i, 0)"
  before=$(digest)
  "$BIN" execute --plan "$W/plan.json" --targets "$W/targets.yaml" --state "$W/state.sqlite" --once --now "$T" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished_before_kill=$((finished_before_kill + 1)); fi
  wait "$pid" 2>/dev/null || true
  "$BIN" execute --plan "$W/plan.json" --targets "$W/targets.yaml" --state "$W/state.sqlite" --once --now "$T" >/dev/null 2>"$W/rerun.err" \
    || { echo "run $i: the rerun failed:" >&2; cat "$W/rerun.err" >&2; exit 1; }
  [ "$(digest)" = "$before" ] || changed=$((changed + 1))
done

copies=$(python3 -c "import json; print(len(json.load(open('$W/plan.json'))['datasets'][0]['copies']))")
partial=$(sqlite3 "$W/state.sqlite" "SELECT count(*) FROM (SELECT b.id FROM backups b LEFT JOIN copies c ON c.backup_id = b.id GROUP BY b.id HAVING count(c.rowid) <> $copies)")
backups=$(sqlite3 "$W/state.sqlite" "SELECT count(*) FROM backups")
missing=0; live=0
while IFS='|' read -r repo snap; do
  live=$((live + 1))
  RESTIC_PASSWORD_FILE="$W/pw" restic --no-cache -r "$repo" snapshots --json "$snap" 2>/dev/null | grep -q "$snap" || missing=$((missing + 1))
done < <(sqlite3 "$W/state.sqlite" "SELECT repository, snapshot FROM copies WHERE forgotten_at IS NULL")
restored=0; bad=0
for d in $(sqlite3 "$W/state.sqlite" "SELECT DISTINCT dataset FROM backups"); do
  if "$BIN" restore "$d" --to "$W/restore-$d.sqlite" --targets "$W/targets.yaml" --state "$W/state.sqlite" >/dev/null 2>&1; then
    restored=$((restored + 1)); else bad=$((bad + 1)); fi
done
checks=0
for repo in "$W"/repo*; do
  RESTIC_PASSWORD_FILE="$W/pw" restic --no-cache -q -r "$repo" check >/dev/null 2>&1 || { echo "restic check failed on $repo" >&2; exit 1; }
  checks=$((checks + 1))
done
audit=$("$BIN" audit verify --state "$W/state.sqlite")
echo "runs $RUNS: killed mid-run $killed, finished before the kill $finished_before_kill; backups recorded $backups (partial $partial);"
echo "live recorded snapshots $live (missing from restic $missing); datasets restored and verified $restored (failed $bad);"
echo "restic check passed on $checks repositories; source changed by a run $changed times; $audit"
[ "$partial" = 0 ] && [ "$missing" = 0 ] && [ "$bad" = 0 ] && [ "$changed" = 0 ]
