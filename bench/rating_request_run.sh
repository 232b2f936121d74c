#!/usr/bin/env bash
# The public rating POST in-process (bench/rating_request_bench.py), this checkout against a baseline's sources,
# alternating round by round on the same database: the baseline runs with its src first on PYTHONPATH.
#
#   BEFORE_SRC=<checkout of the baseline>/src DB=<ratings bench database> [BEFORE_DB=<its copy>] bash bench/rating_request_run.sh
#
# Settings: ROUNDS=5 N=200 SPREAD=1 (each request from a random network: rating_request_bench.py --spread; 0: all from
# one address, which needs the limits lifted: ratings_prepare.py --http). The database: bench/ratings_run.sh load (or a copy: CREATE DATABASE x TEMPLATE
# bench_ratings), with `bench/ratings_prepare.py --http` run on it (the live limits lifted). Each round adds 2 × N
# ratings. One JSON line a run, then the medians of the rounds' p50s and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BEFORE_SRC:?a checkout of the baseline, its src directory}" "${DB:?the bench database}"
BEFORE_DB=${BEFORE_DB:-$DB}  # the baseline on its own copy when the two checkouts migrate the database differently
ROUNDS=${ROUNDS:-5}
N=${N:-200}
SPREAD=${SPREAD:-1}
if [ "$SPREAD" = 1 ]; then spread=--spread; else spread=; fi
export WHISTLE_DEMO=1
PG=postgres://postgres@127.0.0.1:5432
unset WHISTLE_FAST_HASHER
OUT=bench/out/rating-request.jsonl
mkdir -p bench/out
: >"$OUT"
{ date -u; cat /proc/loadavg; git rev-parse --short HEAD; git -C "$BEFORE_SRC" rev-parse --short HEAD; } >&2
for round in $(seq 1 "$ROUNDS"); do
  WHISTLE_DATABASE_URL=$PG/$BEFORE_DB PYTHONPATH=$BEFORE_SRC .venv/bin/python bench/rating_request_bench.py -n "$N" --seed "$round" $spread --label before | tee -a "$OUT"
  WHISTLE_DATABASE_URL=$PG/$DB .venv/bin/python bench/rating_request_bench.py -n "$N" --seed "$round" $spread --label after | tee -a "$OUT"
  cat /proc/loadavg >&2
done
.venv/bin/python - "$OUT" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
med = {label: statistics.median(r["p50_ms"] for r in runs if r["label"] == label) for label in ("before", "after")}
p95 = {label: statistics.median(r["p95_ms"] for r in runs if r["label"] == label) for label in ("before", "after")}
cpu = {
    figure: {label: statistics.median(r[figure] for r in runs if r["label"] == label) for label in ("before", "after")}
    for figure in ("python_cpu_ms", "postgres_cpu_ms")
    if all(figure in r for r in runs)
}
print(json.dumps({"p50_median_ms": med, "p95_median_ms": p95, "after_over_before_p50": round(med["after"] / med["before"], 3), **{f"{k}_median": v for k, v in cpu.items()}}))
PY
