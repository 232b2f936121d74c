#!/usr/bin/env bash
# A province: sixteen cities in one deployment (issue 21, "Figures"). On the local PostgreSQL (127.0.0.1:5432).
#
#   bash bench/province_run.sh base      bench_province_base: migrate, `whistle seed --province --firms-per-county
#                                        FIRMS` (Heze demo + 15 cities), the bench rating cards over all 16 cities
#   CASES=N RATINGS=M bash bench/province_run.sh prepare
#                                        the template bench_province_N: a copy of the base, `whistle seed --cases N`
#                                        (spread over the 16 cities), M generated ratings loaded (bench/ratings_load.py),
#                                        VACUUM ANALYZE, then one worker minute (the cold one: every rollup month and
#                                        every cockpit scope computed) so the template is steady; each step timed
#   CASES=N bash bench/province_run.sh measure
#                                        on a fresh copy (bench_province_N_run, CREATE DATABASE … TEMPLATE): ROUNDS
#                                        rounds of, over HTTP (`whistle serve`, granian 2 workers, wrk): GET /healthz
#                                        (baseline), case submit (POST /api/v1/cases, CLIENTS), public rating
#                                        (POST /r/<code>/, RATING_CLIENTS); then the worker minute after that busy
#                                        time (bench/province_worker_minute.py), a handler's inbox (bench/inbox_bench.py
#                                        in-process and GET /api/v1/cases/inbox over HTTP, one client) and the cockpit
#                                        of the province leader, a city leader and a county leader
#                                        (bench/dashboard_cockpit.py); the copy is dropped at the end
#   CASES=N bash bench/province_run.sh replica
#                                        the read load (cockpit, rankings, ledger pages of leaders in every city; wrk,
#                                        CLIENTS) against the primary alone and against primary + one streaming replica
#                                        (pg_basebackup of the local cluster on REPLICA_PORT, WHISTLE_DATABASE_REPLICA_URLS)
#   bash bench/province_run.sh clean     drop bench_province_*_run copies (KEEP_TEMPLATES=0: also the templates)
#
# TAG=b measures again into bench/out/province/m-N-b/ (province_summary.py N-b reads it).
# Settings: FIRMS=150 CASES=300000 RATINGS=10×CASES ROUNDS=3 DURATION=20 CLIENTS=32 RATING_CLIENTS=64 PORT=18900
# CADRES=48000 WINDOWS=9600 (16 × ratings_prepare.py's Heze defaults). Raw outputs: bench/out/province/.
# Heavy preparation runs at `nice -n 19` (NICE=…); the timed measurements at the caller's priority.
set -euo pipefail
export WHISTLE_DEMO=1  # benchmark databases and servers run on the public demo keys (settings.DEMO)
cd "$(dirname "$0")/.."

FIRMS=${FIRMS:-150}
CASES=${CASES:-300000}
RATINGS=${RATINGS:-$((CASES * 10))}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-32}
RATING_CLIENTS=${RATING_CLIENTS:-64}
PORT=${PORT:-18900}
CADRES=${CADRES:-48000}
WINDOWS=${WINDOWS:-9600}
NICE=${NICE:-nice -n 19}
PG=postgres://postgres@127.0.0.1:5432
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
PY=.venv/bin/python
WHISTLE=.venv/bin/whistle
OUT=bench/out/province
BASE=bench_province_base
DB=bench_province_$CASES
RUN=${DB}_run
mkdir -p "$OUT"
unset WHISTLE_FAST_HASHER

log() { printf '== %s %s (load %s)\n' "$(date +%H:%M:%S)" "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/run.log" >&2; }
db_exists() { [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }
on() { local db=$1; shift; env WHISTLE_DATABASE_URL=$PG/$db "$@"; }
# timed NAME COMMAND…: wall seconds of one preparation step, appended to $OUT/prepare-$CASES.tsv
timed() {
  local name=$1 start; shift
  start=$(date +%s.%N)
  "$@"
  printf '%s\t%s\t%.1f\t%s\n' "$CASES" "$name" "$(echo "$(date +%s.%N) - $start" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee -a "$OUT/prepare.tsv" >&2
}
machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "nproc: $(nproc), memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "postgresql: $("${PSQL[@]}" -d postgres -c 'SHOW server_version')"
    echo "commit: $(git rev-parse --short HEAD)"
    echo "uptime: $(uptime)"
  } >"$OUT/machine-$1.txt"
}

base() {
  db_exists $BASE && return 0
  log "$BASE: migrate, seed --province --firms-per-county $FIRMS, $CADRES cadres + $WINDOWS windows"
  createdb -h 127.0.0.1 -U postgres $BASE
  timed migrate $NICE env WHISTLE_DATABASE_URL=$PG/$BASE $WHISTLE migrate -v0
  timed seed-province $NICE env WHISTLE_DATABASE_URL=$PG/$BASE $WHISTLE seed --province --firms-per-county "$FIRMS" \
    >"$OUT/seed-province.log"
  timed cards $NICE env WHISTLE_DATABASE_URL=$PG/$BASE $PY bench/ratings_prepare.py --cadres "$CADRES" --windows "$WINDOWS"
}

prepare() {
  base
  db_exists "$DB" && { log "$DB exists"; return 0; }
  local csv=$OUT/ratings-$RATINGS.csv
  if [ ! -s "$csv" ]; then
    timed "generate-$RATINGS-ratings-csv" $NICE $PY bench/ratings_generate.py "$RATINGS" "$csv.tmp" --cadres "$CADRES" --windows "$WINDOWS"
    mv "$csv.tmp" "$csv"
  fi
  log "$DB: copy of $BASE, $CASES cases, $RATINGS ratings"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE ${DB}_building TEMPLATE $BASE"
  date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$OUT/seeded-at-$CASES.txt"
  timed "seed-cases" $NICE env WHISTLE_DATABASE_URL=$PG/${DB}_building $WHISTLE seed --cases "$CASES" >"$OUT/seed-cases-$CASES.log"
  timed "load-ratings" $NICE env WHISTLE_DATABASE_URL=$PG/${DB}_building $PY bench/ratings_load.py "$csv" --keep-existing >"$OUT/load-ratings-$CASES.log"
  timed "vacuum-analyze" $NICE "${PSQL[@]}" -d "${DB}_building" -c "VACUUM ANALYZE"
  timed "worker-minute-cold" $NICE env WHISTLE_DATABASE_URL=$PG/${DB}_building $PY bench/province_worker_minute.py --label cold \
    >"$OUT/worker-minute-cold-$CASES.json"
  # The hot topics and the notices caught up with the bulk load (several runs), so that a measured minute after a busy
  # time counts what that time wrote, not the load's backlog.
  timed "catch-up" $NICE env WHISTLE_DATABASE_URL=$PG/${DB}_building $PY bench/province_worker_minute.py --label catch-up \
    --catch-up hot_topics,notices_send >"$OUT/worker-catch-up-$CASES.json"
  "${PSQL[@]}" -d postgres -c "ALTER DATABASE ${DB}_building RENAME TO $DB"
  "${PSQL[@]}" -d "$DB" -c "SELECT 'cases', count(*) FROM cases_case UNION ALL SELECT 'events', count(*) FROM cases_caseevent
    UNION ALL SELECT 'ratings', count(*) FROM ratings_rating UNION ALL SELECT 'cities', count(*) FROM org_unit WHERE level = 'city' AND kind = 'government'
    UNION ALL SELECT 'size_mb', pg_database_size('$DB') / 1048576" | tee "$OUT/sizes-$CASES.txt"
  "${PSQL[@]}" -d "$DB" -c "SELECT c.name, count(*) FROM cases_case k JOIN org_unit c ON c.id = k.city_id GROUP BY 1 ORDER BY 2 DESC" \
    >"$OUT/cases-by-city-$CASES.txt"
}

fresh_copy() {
  timeout 20 dropdb -h 127.0.0.1 -U postgres --if-exists "$RUN"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $RUN TEMPLATE $DB" -c "CHECKPOINT"
  on "$RUN" $WHISTLE migrate -v0
}

SERVER=""
stop_server() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=""; }
trap stop_server EXIT
serve() {  # serve DB [ENV=…]: whistle serve as production runs it (granian, 2 workers), no worker
  local db=$1; shift
  env "$@" WHISTLE_DATABASE_URL=$PG/$db WHISTLE_ALLOWED_HOSTS='*' $WHISTLE serve --port "$PORT" --no-worker \
    >"$OUT/server-$CASES.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.5; done
  echo "server did not start: $OUT/server-$CASES.log" >&2; exit 1
}
wrk_json() {  # wrk_json CLIENTS SCRIPT URL [ENV=…]: one JSON line (bench/wrk_report.lua)
  local clients=$1 script=$2 url=$3; shift 3
  env "$@" wrk -t2 -c"$clients" -d"${DURATION}s" --timeout 10s -s "$script" "$url" 2>>"$OUT/wrk-errors.log" | tail -1
}
with_load() { sed "s/}\$/, \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}/"; }

measure() {
  local out=$OUT/m-$CASES${TAG:+-$TAG}
  mkdir -p "$out"
  machine "measure-$CASES"
  log "measure $CASES: fresh copy $RUN"
  fresh_copy
  on "$RUN" $PY bench/prepare_whistle.py --routes 1 --inbox-units 60 --out "$out/actors.json" >&2
  on "$RUN" $PY bench/ratings_prepare.py --http --cadres "$CADRES" --windows "$WINDOWS" >&2
  "${PSQL[@]}" -d "$RUN" -c "SELECT card_code FROM ratings_cadre WHERE card_code LIKE 'bench-%' UNION ALL
    SELECT card_code FROM ratings_window WHERE card_code LIKE 'bench-%'" >"$out/codes.txt"
  "$PY" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
route = json.load(open(f"{out}/actors.json"))[0]
json.dump({"kind": "help", "category": route["category"], "title": "厂区新建仓库施工许可办理咨询",
           "description": "我公司厂区新建仓库，施工许可材料已提交两周未有答复，请协调办理进度。"},
          open(f"{out}/body.json", "w"), ensure_ascii=False)
open(f"{out}/auth", "w").write("Bearer " + route["enterprise_token"])
PY
  printf '/healthz\tX-Bench: 1\n' >"$out/healthz-targets.tsv"
  serve "$RUN"
  local url=http://127.0.0.1:$PORT
  DURATION=5 wrk_json "$CLIENTS" bench/post.lua "$url/api/v1/cases" AUTH="$(cat "$out/auth")" BODY_FILE="$out/body.json" >/dev/null
  DURATION=5 wrk_json "$RATING_CLIENTS" bench/ratings_post.lua "$url" CODES_FILE="$out/codes.txt" >/dev/null
  local before_cases before_ratings
  before_cases=$("${PSQL[@]}" -d "$RUN" -c "SELECT count(*) FROM cases_case")
  before_ratings=$("${PSQL[@]}" -d "$RUN" -c "SELECT count(*) FROM ratings_rating")
  for round in $(seq 1 "$ROUNDS"); do
    log "measure $CASES round $round/$ROUNDS: healthz, create, rating"
    wrk_json "$CLIENTS" bench/get_rotate.lua "$url" TARGETS_FILE="$out/healthz-targets.tsv" | with_load >"$out/r$round-healthz.json"
    wrk_json "$CLIENTS" bench/post.lua "$url/api/v1/cases" AUTH="$(cat "$out/auth")" BODY_FILE="$out/body.json" \
      | with_load >"$out/r$round-create.json"
    # What autovacuum's analyze would have done by now (it is off on this machine): the month's partitions filled
    # from empty during the rounds, and planned as empty the ratings' look-backs read them whole.
    "${PSQL[@]}" -d "$RUN" -c "ANALYZE ratings_rating" -c "ANALYZE cases_case"
    wrk_json "$RATING_CLIENTS" bench/ratings_post.lua "$url" CODES_FILE="$out/codes.txt" | with_load >"$out/r$round-rating.json"
  done
  echo "cases $((  $("${PSQL[@]}" -d "$RUN" -c "SELECT count(*) FROM cases_case") - before_cases )) ratings $((  $("${PSQL[@]}" -d "$RUN" -c "SELECT count(*) FROM ratings_rating") - before_ratings ))" \
    >"$out/written.txt"
  log "measure $CASES: the worker minute after the busy time"
  on "$RUN" $PY bench/province_worker_minute.py --label after-busy >"$out/worker-minute.json"
  log "measure $CASES: inbox over HTTP (one client), healthz beside it"
  for round in $(seq 1 "$ROUNDS"); do
    for what in healthz endpoint; do
      TARGETS_FILE=$out/$what-targets.tsv wrk -t1 -c1 -d"${DURATION}s" --timeout 10s -s bench/get_rotate.lua "$url" \
        2>>"$OUT/wrk-errors.log" | tail -1 | with_load >"$out/r$round-1c-$what.json"
    done
  done
  stop_server
  log "measure $CASES: inbox in-process"
  on "$RUN" $PY bench/inbox_bench.py --reps 600 >"$out/inbox.json"
  log "measure $CASES: cockpit"
  on "$RUN" $PY bench/dashboard_cockpit.py --reps 20 --cold-reps 10 --raw-reps 1 --topics 500 --city heze >"$out/cockpit.json"
  uptime >>"$OUT/machine-measure-$CASES.txt"
  timeout 20 dropdb -h 127.0.0.1 -U postgres --if-exists "$RUN" || log "could not drop $RUN now"
  $PY bench/province_summary.py "$CASES${TAG:+-$TAG}" | tee "$out/summary.md"
}

REPLICA_PORT=${REPLICA_PORT:-18910}
READ_CLIENTS=${READ_CLIENTS:-16}
REPLICA_HOME=$PWD/var/replica-bench
PGBIN=""
stop_replica() {
  if [ -n "$PGBIN" ] && [ -f "$REPLICA_HOME/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$REPLICA_HOME/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$REPLICA_HOME"
}

# replica: the same read load against the primary alone and against primary + one streaming replica (a
# pg_basebackup of the local cluster, as tests/deploy/test_replica.py makes one), alternating, ROUNDS times.
replica() {
  local out=$OUT/replica-$CASES url=http://127.0.0.1:$PORT
  mkdir -p "$out"
  machine "replica-$CASES"
  fresh_copy
  on "$RUN" $PY bench/province_readers.py "$out/targets.tsv" >&2
  PGBIN=/usr/lib/postgresql/$("${PSQL[@]}" -d postgres -c "SHOW server_version_num" | cut -c1-2)/bin
  trap 'stop_server; stop_replica' EXIT
  rm -rf "$REPLICA_HOME" && mkdir -p "$REPLICA_HOME" && chown postgres:postgres "$REPLICA_HOME"
  log "pg_basebackup of the whole local cluster ($("${PSQL[@]}" -d postgres -c "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database")) into $REPLICA_HOME"
  timed basebackup runuser -u postgres -- "$PGBIN/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$REPLICA_HOME/data" \
    --wal-method=stream --checkpoint=fast --write-recovery-conf
  {
    echo "port = $REPLICA_PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$REPLICA_HOME'"
    echo "hba_file = '$REPLICA_HOME/pg_hba.conf'"
    echo "hot_standby = on"
    for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction \
      shared_buffers work_mem effective_cache_size; do
      echo "$name = '$("${PSQL[@]}" -d postgres -c "SHOW $name")'"
    done
  } >"$REPLICA_HOME/data/postgresql.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$REPLICA_HOME/pg_hba.conf"
  chown postgres:postgres "$REPLICA_HOME/data/postgresql.conf" "$REPLICA_HOME/pg_hba.conf"
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$REPLICA_HOME/data" -l "$REPLICA_HOME/log" -w -t 300 start >&2
  local replica_url=postgres://postgres@127.0.0.1:$REPLICA_PORT/$RUN reads
  reads() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d "$RUN" -qtAc "SELECT xact_commit FROM pg_stat_database WHERE datname = '$RUN'"; }
  for round in $(seq 1 "$ROUNDS"); do
    for side in primary replica; do
      if [ $side = primary ]; then serve "$RUN"; else serve "$RUN" WHISTLE_DATABASE_REPLICA_URLS="$replica_url"; fi
      DURATION=5 wrk_json "$READ_CLIENTS" bench/get_rotate.lua "$url" TARGETS_FILE="$out/targets.tsv" >/dev/null  # warm
      local before; before=$(reads)
      log "replica $CASES round $round/$ROUNDS: $side"
      wrk_json "$READ_CLIENTS" bench/get_rotate.lua "$url" TARGETS_FILE="$out/targets.tsv" | with_load >"$out/r$round-$side.json"
      sed -i "s/}\$/, \"replica_transactions\": $(($(reads) - before))}/" "$out/r$round-$side.json"
      stop_server
    done
  done
  stop_replica
  timeout 20 dropdb -h 127.0.0.1 -U postgres --if-exists "$RUN" || log "could not drop $RUN now"
  uptime >>"$OUT/machine-replica-$CASES.txt"
  cat "$out"/r*.json
}

clean() {
  for db in $("${PSQL[@]}" -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_province\_%'"); do
    case "$db" in *_run|*_building|*_replica_run) timeout 20 dropdb -h 127.0.0.1 -U postgres "$db" ;; *)
      [ "${KEEP_TEMPLATES:-1}" = 0 ] && timeout 20 dropdb -h 127.0.0.1 -U postgres "$db" ;; esac
  done
  true
}

case "${1:-}" in
base) base ;;
prepare) prepare ;;
measure) measure ;;
replica) replica ;;
clean) clean ;;
*) sed -n "2,/^set -euo/p" "$0" | sed '$d'; exit 2 ;;
esac
