#!/usr/bin/env bash
# Behaviour check for refactors of the planner and its plan contract: runs two built `backplan` binaries on the
# same inputs and diffs what they write. Builds nothing.
#
#   scripts/plan-identity.sh BASE_BINARY NEW_BINARY [WORK_DIR]
#
# Inputs: the committed sample (datasets/sample, models/default) and, when present, CollegeMsg from
# ../shared/data/real beside the checkout (or $BACKPLAN_REAL_DATA) with a model BASE trains (--split 0.6 --horizon 7d). The stats
# stores and that model are made once, by BASE, and both binaries plan from them, so the inputs' digests agree.
# Compared byte for byte, per input and for every catalog: plan.json, plan.s3-lifecycle.json,
# plan.restic.txt, the summary `plan` prints (and `plan --json`), and `explain` (text and --json) for a spread
# of datasets. Exit 0 when everything is identical, 1 when anything differs (the diffs are printed), 2 on misuse.
set -euo pipefail
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: $0 BASE_BINARY NEW_BINARY [WORK_DIR]  (both binaries must exist and be executable)" >&2
  exit 2
fi
BASE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NEW=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${3:-$(mktemp -d "${TMPDIR:-/tmp}/plan-identity.XXXXXX")}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
REAL=${BACKPLAN_REAL_DATA:-$ROOT/../shared/data/real}
POLICY=$ROOT/datasets/policies/messaging.yaml
failures=0
compared=0

# same LABEL FILE_A FILE_B: diff two outputs; count the comparison and any difference.
same() {
  compared=$((compared + 1))
  if ! cmp -s "$2" "$3"; then
    echo "DIFFERS: $1" >&2
    diff "$2" "$3" | head -20 >&2 || true
    failures=$((failures + 1))
  fi
}

# run_both CASE STORE ARGS...: runs `plan` with each binary in WORK/CASE/{base,new}, writing plan.json there.
# Each side plans from its own copy of STORE (as ./stats.sqlite, so the plans record the same path): a newer
# binary may migrate a store's schema on opening it, which an older one then refuses to read.
run_both() {
  local case=$1 store=$2; shift 2
  for side in base new; do
    local bin=$BASE; [ $side = new ] && bin=$NEW
    mkdir -p "$WORK/$case/$side"
    cp "$store" "$WORK/$case/$side/stats.sqlite"
    (cd "$WORK/$case/$side" && { status=0; "$bin" plan --db stats.sqlite "$@" --out plan.json > plan.stdout 2> plan.stderr || status=$?; echo "$status" > plan.status; })
    (cd "$WORK/$case/$side" && "$bin" plan --db stats.sqlite "$@" --out plan-json.json --json > plan-json.stdout 2>/dev/null || true)
  done
  for f in plan.json plan.s3-lifecycle.json plan.restic.txt plan.stdout plan.stderr plan.status plan-json.stdout; do
    if [ -e "$WORK/$case/base/$f" ] || [ -e "$WORK/$case/new/$f" ]; then
      same "$case/$f" "$WORK/$case/base/$f" "$WORK/$case/new/$f"
    fi
  done
  # explain: a spread of datasets (first, last, every k-th), text and JSON, and an unknown id.
  local ids
  ids=$(python3 - "$WORK/$case/base/plan.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["datasets"]
step = max(1, len(d) // 25)
picks = sorted(set(list(range(0, len(d), step)) + ([len(d) - 1] if d else [])))
print("\n".join(d[i]["id"] for i in picks))
PY
)
  local n=0
  while IFS= read -r id; do
    [ -n "$id" ] || continue
    n=$((n + 1))
    for side in base new; do
      local bin=$BASE; [ $side = new ] && bin=$NEW
      (cd "$WORK/$case/$side" && "$bin" explain plan.json "$id" > "explain-$n.txt" 2>&1 || true)
      (cd "$WORK/$case/$side" && "$bin" explain plan.json "$id" --json > "explain-$n.json" 2>&1 || true)
    done
    same "$case/explain $id" "$WORK/$case/base/explain-$n.txt" "$WORK/$case/new/explain-$n.txt"
    same "$case/explain --json $id" "$WORK/$case/base/explain-$n.json" "$WORK/$case/new/explain-$n.json"
  done <<< "$ids"
  for side in base new; do
    local bin=$BASE; [ $side = new ] && bin=$NEW
    (cd "$WORK/$case/$side" && { status=0; "$bin" explain plan.json no-such-dataset > explain-missing.txt 2>&1 || status=$?; echo "status $status" >> explain-missing.txt; })
  done
  same "$case/explain no-such-dataset" "$WORK/$case/base/explain-missing.txt" "$WORK/$case/new/explain-missing.txt"
  echo "$case: $n datasets explained, $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["datasets"]))' "$WORK/$case/base/plan.json") planned"
}

# The committed sample (what `make demo` plans).
if [ ! -e "$WORK/sample.sqlite" ]; then
  "$BASE" ingest "$ROOT/datasets/sample/chat-sample.sqlite" --format message-store --db "$WORK/sample.sqlite" > /dev/null
fi
for prices in aws-s3 gcs azure-blob; do
  run_both "sample-$prices" "$WORK/sample.sqlite" --model "$ROOT/models/default" --policy "$POLICY" --prices "$ROOT/datasets/pricing/$prices.yaml"
done

# CollegeMsg, with a model trained by BASE.
if [ -e "$REAL/CollegeMsg.txt" ]; then
  if [ ! -e "$WORK/college/model/model.json" ]; then
    mkdir -p "$WORK/college"
    rm -f "$WORK/college.sqlite"
    "$BASE" ingest "$REAL/CollegeMsg.txt" --format snap-temporal --db "$WORK/college.sqlite" > /dev/null
    "$BASE" train --db "$WORK/college.sqlite" --split 0.6 --horizon 7d --out "$WORK/college/model" > /dev/null
  fi
  run_both "college-aws-s3" "$WORK/college.sqlite" --model "$WORK/college/model" --policy "$POLICY" --prices "$ROOT/datasets/pricing/aws-s3.yaml"
else
  echo "skipped: $REAL/CollegeMsg.txt not found" >&2
fi

echo "plan identity: $((compared - failures)) passed, $failures failed (work in $WORK)"
[ $failures -eq 0 ]
