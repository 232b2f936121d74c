#!/usr/bin/env bash
# `whistle audit verify` on one existing database: before (another checkout's code, e.g. main: a server-side cursor
# per stream) and after (this checkout: keyset pages; --workers 1 and 2), each also as behind pgbouncer's transaction
# pooling (WHISTLE_DATABASE_POOL=transaction: no server-side cursors, so the before code reads whole result sets).
# Wall time and peak memory (max RSS of the biggest process, /usr/bin/time -v) per run, ROUNDS rounds in rotating
# order (issue 21 item 5).
#
#   git worktree add --detach ../before main
#   DB=bench_w5_audit_100000 BEFORE=../before ROUNDS=2 bash bench/audit_verify_workers.sh
#
# The before code runs with this checkout's .venv and PYTHONPATH=$BEFORE/src.
#
# The database needs a checkpoint (`whistle audit checkpoint`; the worker writes them). Raw outputs in
# bench/out/audit-workers/ (gitignored); one line per run and the medians on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DB:?DB=<database>}" "${BEFORE:?BEFORE=<checkout of the code before>}"
BEFORE=$(cd "$BEFORE" && pwd)
ROUNDS=${ROUNDS:-3}
OUT=bench/out/audit-workers
mkdir -p "$OUT"
export WHISTLE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB WHISTLE_DEMO=1
unset WHISTLE_FAST_HASHER

run() {  # run NAME POOL CHECKOUT ARGS...: one verify, prints NAME wall_s maxrss_MB
  local name=$1 pool=$2 checkout=$3; shift 3
  PYTHONPATH=$checkout/src WHISTLE_DATABASE_POOL=$pool /usr/bin/time -v -o "$OUT/$name.time" .venv/bin/whistle audit verify "$@" \
    >"$OUT/$name.log" 2>&1 || { echo "$name failed: see $OUT/$name.log" >&2; exit 1; }
  grep -q "^OK" "$OUT/$name.log" || { echo "$name did not say OK: see $OUT/$name.log" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/$name.time" | awk -F: '{print ($1 * 60) + $2}')
  rss=$(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$OUT/$name.time")
  echo "$name $wall $rss"
}

echo "machine: $(nproc) cores, $(psql --version | head -1); $DB: $(psql -h 127.0.0.1 -U postgres -qtA -d "$DB" -c 'SELECT count(*) FROM cases_case') cases; before $(git -C "$BEFORE" rev-parse --short HEAD), after $(git rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
VARIANTS=(
  "before_cursor||$BEFORE"
  "before_pool|transaction|$BEFORE"
  "after_w1||."
  "after_w1_pool|transaction|.|--workers 1"
  "after_w2|transaction|.|--workers 2"
)
: >"$OUT/runs.txt"
for round in $(seq 1 "$ROUNDS"); do
  n=${#VARIANTS[@]}
  for i in $(seq 0 $((n - 1))); do
    IFS='|' read -r name pool checkout args <<<"${VARIANTS[$(((i + round) % n))]}"
    # shellcheck disable=SC2086
    run "$name" "$pool" "$checkout" $args | tee -a "$OUT/runs.txt"
  done
done
echo "medians (wall s, max RSS MB):"
awk '{w[$1] = w[$1] " " $2; r[$1] = r[$1] " " $3} END {for (k in w) print k, w[k], "|", r[k]}' "$OUT/runs.txt" | sort
