#!/usr/bin/env bash
# whistle's figures (issue 2), on the local PostgreSQL. One command per figure; no argument runs them all:
#
#   bash bench/run.sh http     lifecycles/s through the API at 32 clients, and the create step against django-helpdesk
#   bash bench/run.sh sweep    sweep() twice over `whistle seed --cases 1000000`: seconds, rows written, EXPLAIN
#   bash bench/run.sh sweep-open   the same over 1,000,000 cases that are all open (bench/seed_open.py)
#   bash bench/run.sh inbox    a handler's inbox on the big database: selector p95 in-process, and over HTTP
#   bash bench/run.sh sqlite   the sweep on SQLite at a smaller size
#   bash bench/run.sh prepare  make bench_whistle and the peer (venv, database) without measuring, e.g. ahead of a quiet hour
#   bash bench/run.sh clean    drop the bench databases this script made
#
# Databases (all bench_*, made here, never `test` or anyone else's): bench_whistle (demo data + HTTP_CASES synthetic
# cases), bench_helpdesk (the peer), bench_whistle_big (BIG_CASES synthetic cases) and bench_whistle_open (as many,
# all open), the templates of the sweep rounds, bench_whistle_sweep_* (throwaway copies, one a round). Raw outputs go to bench/out/ (gitignored); bench/summarize.py
# turns them into the tables of docs/benchmarks.md. Servers started here are stopped on exit.
#
# Settings (environment): ROUNDS=3 DURATION=30 (seconds per measured run) CLIENTS=32 HTTP_CASES=100000
# BIG_CASES=1000000 SQLITE_CASES=100000 INBOX_UNITS=60 THREADS=4 (granian's blocking threads per worker, for whistle,
# the peer and the ceiling alike: `whistle serve`'s default; 32 before 2026-12-03 evening). WHISTLE_SRC=/path/to/src measures another checkout of
# whistle with this venv (it is put first on PYTHONPATH).
set -euo pipefail
export WHISTLE_DEMO=1  # benchmark databases and servers run on the public demo keys (settings.DEMO)
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-4}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-32}
HTTP_CASES=${HTTP_CASES:-100000}
BIG_CASES=${BIG_CASES:-1000000}
SQLITE_CASES=${SQLITE_CASES:-100000}
INBOX_UNITS=${INBOX_UNITS:-60}
PG=postgres://postgres@127.0.0.1:5432
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
PY=.venv/bin/python
WHISTLE=.venv/bin/whistle
PEER=bench/.peer/bin
OUT=bench/out
WHISTLE_PORT=8100
PEER_PORT=8101
CEILING_PORT=8102
export PYTHONPATH=${WHISTLE_SRC:+$WHISTLE_SRC:}${PYTHONPATH:-}
unset WHISTLE_FAST_HASHER  # passwords hash as in production; the tokens are issued before any measured run
mkdir -p "$OUT/http" "$OUT/big" "$OUT/open" "$OUT/sqlite"

log() { printf '== %s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
db_exists() { [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }

SERVERS=()
stop_servers() {
  for pid in "${SERVERS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  SERVERS=()
}
trap stop_servers EXIT

# serve NAME PORT DIR-ON-PYTHONPATH GRANIAN APP [ENV=…]: the same server and flags for whistle and for the peer.
serve() {
  local name=$1 port=$2 path=$3 granian=$4 app=$5
  shift 5
  env "$@" PYTHONPATH="$path" "$granian" --interface wsgi --workers 2 --blocking-threads "$THREADS" --backpressure 32 \
    --host 127.0.0.1 \
    --port "$port" --no-ws --log-level warning "$app" >"$OUT/server-$name.log" 2>&1 &
  SERVERS+=($!)
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.5
  done
  echo "server $name did not start; see $OUT/server-$name.log" >&2
  exit 1
}

machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "nproc: $(nproc)"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "postgresql: $("${PSQL[@]}" -d postgres -c 'SHOW server_version')"
    echo "python: $($PY -V 2>&1)"
    echo "commit: $(git rev-parse --short HEAD)${WHISTLE_SRC:+ (measured: $WHISTLE_SRC)}"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$OUT/machine-$1.txt"
}

# ---- figure 1: lifecycles through the API, and the create step against the peer -------------------------------

whistle_db() {
  if ! db_exists bench_whistle; then
    log "bench_whistle: migrate, Heze demo, $HTTP_CASES synthetic cases"
    createdb -h 127.0.0.1 -U postgres bench_whistle
    WHISTLE_DATABASE_URL=$PG/bench_whistle $WHISTLE migrate -v 0
    WHISTLE_DATABASE_URL=$PG/bench_whistle $WHISTLE seed >"$OUT/http/seed.log"
    if [ "$HTTP_CASES" -gt 0 ]; then
      WHISTLE_DATABASE_URL=$PG/bench_whistle $WHISTLE seed --cases "$HTTP_CASES" >>"$OUT/http/seed.log"
    fi
  fi
  WHISTLE_DATABASE_URL=$PG/bench_whistle $WHISTLE migrate -v 0  # a database made by an older checkout
  WHISTLE_DATABASE_URL=$PG/bench_whistle $PY bench/prepare_whistle.py --routes 8 --out "$OUT/http/actors.json" >&2
}

peer_setup() {
  if [ ! -x "$PEER/granian" ]; then
    log "peer venv: django-helpdesk 2.6.1"
    python3 -m venv bench/.peer
    "$PEER/pip" install -q --upgrade pip
    "$PEER/pip" install -q "django-helpdesk==2.6.1" "django>=5.2,<5.3" "psycopg[binary]" granian
  fi
  db_exists bench_helpdesk || createdb -h 127.0.0.1 -U postgres bench_helpdesk
  # The peer's table as large as whistle's, so neither creates into an emptier table.
  local tickets
  tickets=$("${PSQL[@]}" -d bench_whistle -c "SELECT count(*) FROM cases_case")
  PYTHONPATH=bench "$PEER/python" bench/peer/prepare.py --tickets "$tickets" >"$OUT/http/peer-prepare.txt"
}

bodies() {
  "$PY" - "$OUT/http" <<'PY'
import json, sys
out = sys.argv[1]
route = json.load(open(f"{out}/actors.json"))[0]
json.dump({"kind": "help", "category": route["category"], "title": "厂区新建仓库施工许可办理咨询",
           "description": "我公司厂区新建仓库，施工许可材料已提交两周未有答复，请协调办理进度。"},
          open(f"{out}/whistle-body.json", "w"), ensure_ascii=False)
open(f"{out}/whistle-auth", "w").write("Bearer " + route["enterprise_token"])
peer = open(f"{out}/peer-prepare.txt").read().split()
queue = peer[0].split("=")[1]
json.dump({"queue": int(queue), "title": "Printer on floor 3 jams", "priority": 3, "submitter_email": "staff@example.com",
           "description": "The printer near the lift jams on every second page since Monday; please send someone."},
          open(f"{out}/peer-body.json", "w"))
open(f"{out}/peer-auth", "w").write("Token " + peer[-1])
PY
}

# create NAME URL: wrk, the same for both, CLIENTS connections for DURATION seconds.
create() {
  AUTH=$(cat "$OUT/http/$1-auth") BODY_FILE=$OUT/http/$1-body.json \
    wrk -t2 -c"$CLIENTS" -d"${3:-$DURATION}s" --timeout 10s -s bench/post.lua "$2" 2>>"$OUT/http/wrk-errors.log" | tail -1
}

# ceiling URL [SECONDS [SCRIPT]]: GETs at CLIENTS connections for DURATION seconds, as wrk reports them.
ceiling() {
  wrk -t2 -c"$CLIENTS" -d"${2:-$DURATION}s" --timeout 10s -s "${3:-bench/get_json.lua}" "$1" \
    2>>"$OUT/http/wrk-errors.log" | tail -1
}

figure_http() {
  machine http
  whistle_db
  peer_setup
  bodies
  log "servers: whistle :$WHISTLE_PORT, django-helpdesk :$PEER_PORT"
  serve whistle $WHISTLE_PORT "${WHISTLE_SRC:-src}" .venv/bin/granian whistle.wsgi:application WHISTLE_DATABASE_URL=$PG/bench_whistle
  serve peer $PEER_PORT bench "$PEER/granian" peer.wsgi:application DJANGO_SETTINGS_MODULE=peer.settings
  create peer "http://127.0.0.1:$PEER_PORT/api/tickets/" 5 >/dev/null  # warm both: connections, imports, caches
  create whistle "http://127.0.0.1:$WHISTLE_PORT/api/v1/cases" 5 >/dev/null
  for round in $(seq 1 "$ROUNDS"); do
    log "http round $round/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
    create peer "http://127.0.0.1:$PEER_PORT/api/tickets/" >"$OUT/http/r$round-peer-create.json"
    create whistle "http://127.0.0.1:$WHISTLE_PORT/api/v1/cases" >"$OUT/http/r$round-whistle-create.json"
    "$PY" bench/lifecycle.py --url "http://127.0.0.1:$WHISTLE_PORT" --actors "$OUT/http/actors.json" \
      --clients "$CLIENTS" --duration "$DURATION" --warmup 5 >"$OUT/http/r$round-whistle-lifecycle.json"
  done
  stop_servers
  # The ceiling (issue 22), once whistle's and the peer's servers have let their connections go: whistle's settings and
  # database without middleware, a plain JSON view and a primary-key read of 1,000 of bench_whistle's cases (each
  # connection starting at its own), on the same server and flags, as many rounds.
  "${PSQL[@]}" -d bench_whistle -c "SELECT '/ceiling/case/' || id || E'\tAccept: application/json' FROM cases_case
    ORDER BY id DESC LIMIT 1000" >"$OUT/http/ceiling-targets.txt"
  serve ceiling $CEILING_PORT "bench:${WHISTLE_SRC:-src}" .venv/bin/granian ceiling.wsgi:application \
    WHISTLE_DATABASE_URL=$PG/bench_whistle DJANGO_SETTINGS_MODULE=ceiling.settings
  ceiling "http://127.0.0.1:$CEILING_PORT/ceiling/json" 5 >/dev/null
  for round in $(seq 1 "$ROUNDS"); do
    log "ceiling round $round/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
    ceiling "http://127.0.0.1:$CEILING_PORT/ceiling/json" >"$OUT/http/r$round-ceiling-json.json"
    TARGETS_FILE=$OUT/http/ceiling-targets.txt ceiling "http://127.0.0.1:$CEILING_PORT" "" \
      bench/get_rotate.lua >"$OUT/http/r$round-ceiling-pk.json"
  done
  stop_servers
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine-http.txt"
  "${PSQL[@]}" -d bench_whistle -c "SELECT count(*) FROM cases_case" >"$OUT/http/cases-after.txt"
  "${PSQL[@]}" -d bench_helpdesk -c "SELECT count(*) FROM helpdesk_ticket" >"$OUT/http/tickets-after.txt"
}

# ---- figure 2: the sweep over the big database ------------------------------------------------------------

# seeded DB FOLDER COMMAND…: make the template database once; later runs reuse it.
seeded() {
  local db=$1 folder=$2
  shift 2
  if ! db_exists "$db"; then
    log "$db: migrate, then $* (takes a while)"
    createdb -h 127.0.0.1 -U postgres "$db"
    WHISTLE_DATABASE_URL=$PG/$db $WHISTLE migrate -v 0
    date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$OUT/$folder/seeded-at.txt"
    WHISTLE_DATABASE_URL=$PG/$db "$@" >"$OUT/$folder/seed.log"
    "${PSQL[@]}" -d "$db" -c "VACUUM ANALYZE"
  fi
  WHISTLE_DATABASE_URL=$PG/$db $WHISTLE migrate -v 0  # a database made by an older checkout
}
big_db() { seeded bench_whistle_big big "$WHISTLE" seed --cases "$BIG_CASES"; }
open_db() { seeded bench_whistle_open open "$PY" bench/seed_open.py "$BIG_CASES"; }

# drop DB: a DROP DATABASE waits for every backend to absorb a barrier, which a backend stuck in someone else's
# COPY FROM STDIN never does (seen here); give up after ten seconds rather than hang the run, and say so.
drop() {
  timeout 10 dropdb -h 127.0.0.1 -U postgres --if-exists "$1" || log "could not drop $1 now; bash bench/run.sh clean later"
}

# figure_sweep TEMPLATE FOLDER
figure_sweep() {
  local db=$1 folder=$2 now copy
  machine "sweep-$folder"
  # Every round sweeps a fresh copy at the moment the data was generated for, so each sees the same due rows.
  now=$(cat "$OUT/$folder/seeded-at.txt")
  for round in $(seq 1 "$ROUNDS") explain; do
    copy=bench_whistle_sweep_${folder}_$round
    drop "$copy"
    createdb -h 127.0.0.1 -U postgres -T "$db" "$copy"
    # The copy went through the WAL; flush it now so the sweep does not share the disk with that checkpoint.
    "${PSQL[@]}" -d postgres -c CHECKPOINT
    if [ "$round" = explain ]; then
      log "sweep $folder: EXPLAIN of each statement on a fresh copy"
      WHISTLE_DATABASE_URL=$PG/$copy $PY bench/sweep_bench.py --now "$now" --explain >"$OUT/$folder/sweep-explain.txt"
    else
      log "sweep $folder round $round/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
      WHISTLE_DATABASE_URL=$PG/$copy $PY bench/sweep_bench.py --now "$now" >"$OUT/$folder/r$round-sweep.json"
    fi
    drop "$copy"
  done
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine-sweep-$folder.txt"
}

# ---- figure 3: a handler's inbox on the big database ------------------------------------------------------------

figure_inbox() {
  machine inbox
  big_db
  WHISTLE_DATABASE_URL=$PG/bench_whistle_big $PY bench/prepare_whistle.py --routes 1 --inbox-units "$INBOX_UNITS" \
    --out "$OUT/big/actors.json" >&2
  for round in $(seq 1 "$ROUNDS"); do
    log "inbox round $round/$ROUNDS in-process"
    WHISTLE_DATABASE_URL=$PG/bench_whistle_big $PY bench/inbox_bench.py --reps 3000 >"$OUT/big/r$round-inbox.json"
  done
  WHISTLE_DATABASE_URL=$PG/bench_whistle_big $PY bench/inbox_bench.py --reps 200 --explain >"$OUT/big/inbox-explain.txt"
  serve whistle-big $WHISTLE_PORT "${WHISTLE_SRC:-src}" .venv/bin/granian whistle.wsgi:application WHISTLE_DATABASE_URL=$PG/bench_whistle_big
  for round in $(seq 1 "$ROUNDS"); do
    log "inbox round $round/$ROUNDS over HTTP, one client at a time"
    for what in inbox endpoint desk; do
      TARGETS_FILE=$OUT/big/$what-targets.tsv wrk -t1 -c1 -d"${DURATION}s" --timeout 10s -s bench/get_rotate.lua \
        "http://127.0.0.1:$WHISTLE_PORT" 2>>"$OUT/big/wrk-errors.log" | tail -1 >"$OUT/big/r$round-http-$what.json"
    done
  done
  stop_servers
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine-inbox.txt"
}

# ---- the sweep on SQLite, smaller ---------------------------------------------------------------------------

figure_sqlite() {
  machine sqlite
  local seeded=$OUT/sqlite/seeded
  if [ ! -f "$seeded/whistle.sqlite3" ]; then
    log "SQLite: migrate and $SQLITE_CASES synthetic cases"
    rm -rf "$seeded" && mkdir -p "$seeded"
    date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$OUT/sqlite/seeded-at.txt"
    env -u WHISTLE_DATABASE_URL WHISTLE_VAR_DIR="$seeded" $WHISTLE migrate -v 0
    env -u WHISTLE_DATABASE_URL WHISTLE_VAR_DIR="$seeded" $WHISTLE seed --cases "$SQLITE_CASES" >"$OUT/sqlite/seed.log"
  fi
  local now
  now=$(cat "$OUT/sqlite/seeded-at.txt")
  for round in $(seq 1 "$ROUNDS"); do
    log "SQLite sweep round $round/$ROUNDS"
    rm -rf "$OUT/sqlite/copy" && cp -r "$seeded" "$OUT/sqlite/copy"
    env -u WHISTLE_DATABASE_URL WHISTLE_VAR_DIR="$OUT/sqlite/copy" $PY bench/sweep_bench.py --now "$now" \
      >"$OUT/sqlite/r$round-sweep.json"
  done
  rm -rf "$OUT/sqlite/copy"
}

clean() {
  for db in bench_whistle bench_helpdesk bench_whistle_big bench_whistle_open \
    $("${PSQL[@]}" -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_whistle\_sweep%'"); do
    drop "$db"
  done
  rm -rf "$OUT/sqlite/seeded"
}

case "${1:-all}" in
  http) figure_http ;;
  sweep) big_db; figure_sweep bench_whistle_big big ;;
  sweep-open) open_db; figure_sweep bench_whistle_open open ;;
  inbox) figure_inbox ;;
  sqlite) figure_sqlite ;;
  clean) clean ;;
  prepare) whistle_db; peer_setup; exit 0 ;;
  all) figure_http; big_db; figure_sweep bench_whistle_big big; open_db; figure_sweep bench_whistle_open open; figure_inbox; figure_sqlite ;;
  *) echo "usage: bash bench/run.sh [http|sweep|sweep-open|inbox|sqlite|prepare|clean|all]" >&2; exit 2 ;;
esac
"$PY" bench/summarize.py >"$OUT/summary.md"
log "done: $OUT/summary.md"
