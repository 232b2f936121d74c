#!/usr/bin/env bash
# Ratings at scale (issue 4): the figures of docs/benchmarks.md ("Ratings at scale"), on the local PostgreSQL and on SQLite.
#
#   bash bench/ratings_run.sh gen      generate N ratings as CSV (deterministic): bench/out/ratings/ratings-N.csv
#   bash bench/ratings_run.sh import   PostgreSQL: bare COPY of IMPORT_ROWS rows into a bare table vs
#                                      `whistle ratings import` of the same rows (/usr/bin/time -v: wall, peak RSS),
#                                      on a fresh bench_ratings_import; then verify-rollups
#   bash bench/ratings_run.sh floor    FLOOR_ROWS rows, alternating ROUNDS_FLOOR times: bare COPY, COPY of the same rows
#                                      already checked (bench/ratings_floor.py) into an empty ratings_rating — the floor
#                                      of any import into that table — and the import, on a fresh bench_ratings_floor
#   bash bench/ratings_run.sh sqlite   the same import on a fresh SQLite file (SQLITE_ROWS rows)
#   bash bench/ratings_run.sh load     bench_ratings: all N ratings by the bench loader (bench/ratings_load.py)
#   bash bench/ratings_run.sh query    reads on bench_ratings: rollup selectors and the card page vs the plain GROUP BY
#   bash bench/ratings_run.sh http     public rating submissions: granian as `whistle serve` runs it, wrk at CLIENTS;
#                                      SPREAD=1 (default): from random networks through a trusted proxy's header, the
#                                      raters' limits as a city has them (the burst threshold lifted), the ratings
#                                      ANALYZEd first; SPREAD=0: every request from 127.0.0.1, the limits lifted
#   bash bench/ratings_run.sh clean    drop bench_ratings_import and bench_ratings_floor (bench_ratings is kept: the dashboard reuses it)
#
# Settings: N=11000000 IMPORT_ROWS=$N FLOOR_ROWS=1000000 ROUNDS_FLOOR=3 SQLITE_ROWS=200000 ROUNDS=50 CLIENTS=64 DURATION=30
# WARMUP=5 (http: seconds of the same load before the measured run, not counted).
# Each timed side starts after a CHECKPOINT, so neither pays for the other's WAL.
# Databases: bench_ratings (N ratings, kept), bench_ratings_import (throwaway). Raw outputs: bench/out/ratings/.
set -euo pipefail
export WHISTLE_DEMO=1  # benchmark databases and servers run on the public demo keys (settings.DEMO)
cd "$(dirname "$0")/.."

N=${N:-11000000}
IMPORT_ROWS=${IMPORT_ROWS:-$N}
SQLITE_ROWS=${SQLITE_ROWS:-200000}
FLOOR_ROWS=${FLOOR_ROWS:-1000000}
ROUNDS_FLOOR=${ROUNDS_FLOOR:-3}
ROUNDS=${ROUNDS:-50}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
SPREAD=${SPREAD:-1}
PG=postgres://postgres@127.0.0.1:5432
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
PY=.venv/bin/python
WHISTLE=.venv/bin/whistle
OUT=bench/out/ratings
PORT=8102
mkdir -p "$OUT"
unset WHISTLE_FAST_HASHER

log() { printf '== %s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
csv_of() { echo "$OUT/ratings-$1.csv"; }
ensure_csv() {  # ensure_csv ROWS: the first ROWS ratings of the N file (same rows, same bytes)
  local f; f=$(csv_of "$1")
  if [ ! -s "$f" ]; then
    if [ "$1" = "$N" ]; then log "generate $N"; $PY bench/ratings_generate.py "$N" "$f"
    else ensure_csv "$N"; head -n $(($1 + 1)) "$(csv_of "$N")" >"$f"; fi
  fi
}
fresh_pg() {  # fresh_pg DB: drop, create, migrate, prepare
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
  WHISTLE_DATABASE_URL=$PG/$1 $WHISTLE migrate -v0
  WHISTLE_DATABASE_URL=$PG/$1 $PY bench/ratings_prepare.py "${@:2}"
}
machine() { { date -u; uptime; nproc; free -m | head -2; psql -h 127.0.0.1 -U postgres -tAc "select version()"; } >"$OUT/$1-machine.txt"; }

case "${1:-}" in
gen) ensure_csv "$N" ;;
import)
  ensure_csv "$IMPORT_ROWS"; f=$(csv_of "$IMPORT_ROWS"); machine import
  fresh_pg bench_ratings_import
  log "bare COPY of $IMPORT_ROWS rows"
  "${PSQL[@]}" -d bench_ratings_import -c "CREATE TABLE bare_ratings (external_id text, target text, level int, rated_at timestamp, channel text, tags text, comment text, case_number text, phone text)"
  "${PSQL[@]}" -d bench_ratings_import -c "CHECKPOINT"
  start=$(date +%s.%N)
  "${PSQL[@]}" -d bench_ratings_import -c "\\copy bare_ratings FROM '$f' (FORMAT csv, HEADER true)"
  copy_s=$(echo "$(date +%s.%N) - $start" | bc)
  "${PSQL[@]}" -d bench_ratings_import -c "CHECKPOINT"
  log "whistle ratings import of the same rows"
  WHISTLE_DATABASE_URL=$PG/bench_ratings_import /usr/bin/time -v $WHISTLE ratings import "$f" --no-progress >"$OUT/import-pg.out" 2>"$OUT/import-pg.time"
  import_s=$(grep "Elapsed (wall" "$OUT/import-pg.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident" "$OUT/import-pg.time" | awk '{print $NF}')
  WHISTLE_DATABASE_URL=$PG/bench_ratings_import $WHISTLE ratings verify-rollups >>"$OUT/import-pg.out"
  printf '{"rows": %d, "copy_s": %.2f, "import_s": %.2f, "copy_rows_per_s": %.0f, "import_rows_per_s": %.0f, "ratio": %.3f, "import_peak_rss_mb": %.0f}\n' \
    "$IMPORT_ROWS" "$copy_s" "$import_s" "$(echo "$IMPORT_ROWS / $copy_s" | bc -l)" "$(echo "$IMPORT_ROWS / $import_s" | bc -l)" \
    "$(echo "$copy_s / $import_s" | bc -l)" "$(echo "$rss / 1024" | bc -l)" | tee "$OUT/import-pg.json"
  cat "$OUT/import-pg.out" ;;
floor)
  ensure_csv "$FLOOR_ROWS"; f=$(csv_of "$FLOOR_ROWS"); machine floor
  fresh_pg bench_ratings_floor
  columns=$(WHISTLE_DATABASE_URL=$PG/bench_ratings_floor $PY bench/ratings_floor.py "$f" "$OUT/floor.copy")
  "${PSQL[@]}" -d bench_ratings_floor -c "CREATE TABLE bare_ratings (external_id text, target text, level int, rated_at timestamp, channel text, tags text, comment text, case_number text, phone text)"
  timed() {  # timed LABEL COMMAND…: seconds after a checkpoint, appended to floor.tsv
    "${PSQL[@]}" -d bench_ratings_floor -c "TRUNCATE ratings_rating, ratings_ratingrollup CASCADE" -c "TRUNCATE bare_ratings" -c "CHECKPOINT" 2>/dev/null
    local start; start=$(date +%s.%N); "${@:2}" >/dev/null
    printf '%s\t%.2f\n' "$1" "$(echo "$(date +%s.%N) - $start" | bc)" | tee -a "$OUT/floor.tsv"
  }
  : >"$OUT/floor.tsv"
  for round in $(seq 1 "$ROUNDS_FLOOR"); do
    log "floor round $round/$ROUNDS_FLOOR"
    timed bare "${PSQL[@]}" -d bench_ratings_floor -c "\\copy bare_ratings FROM '$f' (FORMAT csv, HEADER true)"
    timed table "${PSQL[@]}" -d bench_ratings_floor -c "\\copy ratings_rating ($columns) FROM '$OUT/floor.copy'"
    timed import env WHISTLE_DATABASE_URL=$PG/bench_ratings_floor $WHISTLE ratings import "$f" --no-progress
  done
  rm -f "$OUT/floor.copy" ;;
sqlite)
  ensure_csv "$SQLITE_ROWS"; f=$(csv_of "$SQLITE_ROWS"); machine sqlite
  db=$PWD/$OUT/bench_ratings.sqlite3; rm -f "$db" "$db-wal" "$db-shm"
  WHISTLE_DATABASE_URL=sqlite:///$db $WHISTLE migrate -v0
  WHISTLE_DATABASE_URL=sqlite:///$db $PY bench/ratings_prepare.py
  WHISTLE_DATABASE_URL=sqlite:///$db /usr/bin/time -v $WHISTLE ratings import "$f" --no-progress >"$OUT/import-sqlite.out" 2>"$OUT/import-sqlite.time"
  WHISTLE_DATABASE_URL=sqlite:///$db $WHISTLE ratings verify-rollups >>"$OUT/import-sqlite.out"
  cat "$OUT/import-sqlite.out"; grep -E "Elapsed|Maximum resident" "$OUT/import-sqlite.time" ;;
load)
  ensure_csv "$N"; machine load
  fresh_pg bench_ratings
  WHISTLE_DATABASE_URL=$PG/bench_ratings /usr/bin/time -v $PY bench/ratings_load.py "$(csv_of "$N")" 2>&1 | tee "$OUT/load.log"
  WHISTLE_DATABASE_URL=$PG/bench_ratings $WHISTLE ratings verify-rollups | tee -a "$OUT/load.log" ;;
query)
  machine query
  WHISTLE_DATABASE_URL=$PG/bench_ratings $PY bench/ratings_query_bench.py --rounds "$ROUNDS" | tee "$OUT/query.json" ;;
http)
  machine http
  if [ "$SPREAD" = 1 ]; then prepare=--http-spread; proxies=127.0.0.1; else prepare=--http; proxies=; fi
  WHISTLE_DATABASE_URL=$PG/bench_ratings $PY bench/ratings_prepare.py $prepare
  "${PSQL[@]}" -d bench_ratings -c "SELECT card_code FROM ratings_cadre UNION ALL SELECT card_code FROM ratings_window" >"$OUT/codes.txt"
  WHISTLE_DATABASE_URL=$PG/bench_ratings WHISTLE_ALLOWED_HOSTS='*' WHISTLE_TRUSTED_PROXIES=$proxies \
    $WHISTLE serve --port $PORT --no-worker >"$OUT/server.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/r/bench-c-00000/" && break; sleep 1; done
  # Warm first (WARMUP seconds, not counted): each of the server's threads opens its connection and compiles its
  # statements on its first request, which would otherwise sit in the measured tail.
  CODES_FILE=$OUT/codes.txt SPREAD=$SPREAD wrk -t2 -c"$CLIENTS" -d"${WARMUP}s" --timeout 10s -s bench/ratings_post.lua \
    "http://127.0.0.1:$PORT" >/dev/null 2>>"$OUT/wrk-errors.log"
  before=$("${PSQL[@]}" -d bench_ratings -c "SELECT count(*) FROM ratings_rating")
  CODES_FILE=$OUT/codes.txt SPREAD=$SPREAD wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --timeout 10s -s bench/ratings_post.lua "http://127.0.0.1:$PORT" \
    2>>"$OUT/wrk-errors.log" | tail -1 | tee "$OUT/http.json"
  after=$("${PSQL[@]}" -d bench_ratings -c "SELECT count(*) FROM ratings_rating")
  echo "ratings stored during the run: $((after - before))"
  WHISTLE_DATABASE_URL=$PG/bench_ratings $WHISTLE ratings verify-rollups ;;
clean) "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench_ratings_import" -c "DROP DATABASE IF EXISTS bench_ratings_floor" ;;
*) sed -n "2,/^set -euo/p" "$0" | sed '$d'; exit 2 ;;
esac
