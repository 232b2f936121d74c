#!/usr/bin/env bash
# `whistle audit verify` over N synthetic cases on the local PostgreSQL: wall time and peak memory (max RSS), at
# 100,000 and 1,000,000 cases, to show memory constant in the number of cases (issue 11, figures).
#
#   bash bench/audit_verify.sh              SIZES="100000 1000000"
#   SIZES="100000" bash bench/audit_verify.sh
#   bash bench/audit_verify.sh clean        drop the bench_audit_* databases
#
# Per size: a fresh database bench_audit_<N>, `whistle migrate`, `whistle seed --cases N` (timed), the first signed
# checkpoint `whistle audit checkpoint` (every case, timed), then `whistle audit verify` under /usr/bin/time -v.
# Raw outputs in bench/out/audit/ (gitignored); one line per size on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-100000 1000000}
PG=postgres://postgres@127.0.0.1:5432
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
WHISTLE=.venv/bin/whistle
OUT=bench/out/audit
mkdir -p "$OUT"
unset WHISTLE_FAST_HASHER

if [ "${1:-}" = clean ]; then
  for db in $("${PSQL[@]}" -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench_audit_%'"); do
    "${PSQL[@]}" -d postgres -c "DROP DATABASE \"$db\" WITH (FORCE)"
  done
  exit 0
fi

timed() {  # timed NAME cmd...: wall seconds and max RSS (kB) of one command, its output in $OUT/NAME.log
  local name=$1; shift
  /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$name.time")
  echo "$wall $rss"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), $(psql --version | head -1), server $("${PSQL[@]}" -d postgres -c 'SHOW server_version')"
printf "%-9s %-12s %-14s %-14s %-16s %s\n" cases seed_wall checkpoint_wall verify_wall verify_maxrss_MB events
for n in $SIZES; do
  db=bench_audit_$n
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db"
  export WHISTLE_DATABASE_URL=$PG/$db
  $WHISTLE migrate -v 0 >/dev/null
  read -r seed_wall _ < <(timed "seed_$n" $WHISTLE seed --cases "$n")
  read -r cp_wall _ < <(timed "checkpoint_$n" $WHISTLE audit checkpoint)
  read -r verify_wall verify_rss < <(timed "verify_$n" $WHISTLE audit verify)
  grep -q "^OK" "$OUT/verify_$n.log" || { echo "verify failed at $n: see $OUT/verify_$n.log" >&2; exit 1; }
  events=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM cases_caseevent")
  printf "%-9s %-12s %-14s %-14s %-16s %s\n" "$n" "$seed_wall" "$cp_wall" "$verify_wall" "$((verify_rss / 1024))" "$events"
done
