#!/usr/bin/env bash
# `whistle seed --cases N` timed, this checkout against a baseline checkout, rounds interleaved (issue 15).
#
#   BASE_SRC=/path/to/baseline/src bash bench/seed_bulk_bench.sh     # CASES=200000 ROUNDS=3
#
# One template database (`bench_seedbulk_tpl`: migrate + the Heze organisation, made once) and, per round and
# way, a fresh copy of it (`bench_seedbulk_run`) in which `whistle seed --cases N` runs under `nice -n 19`; the
# wall time of the command, the load average before and after it, go to bench/out/seedbulk/times.tsv. The copy is
# dropped after each run; `bash bench/seed_bulk_bench.sh clean` drops the template.
set -euo pipefail
export WHISTLE_DEMO=1
cd "$(dirname "$0")/.."
CASES=${CASES:-200000}
ROUNDS=${ROUNDS:-3}
PG=postgres://postgres@127.0.0.1:5432
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA -d postgres)
OUT=bench/out/seedbulk
TPL=bench_seedbulk_tpl
RUN=bench_seedbulk_run
mkdir -p "$OUT"
if [ "${1:-}" = clean ]; then
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $TPL" -c "DROP DATABASE IF EXISTS $RUN"
  exit 0
fi
: "${BASE_SRC:?set BASE_SRC to the src of a baseline checkout, e.g. a git archive of main}"
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$TPL'")" != 1 ]; then
  "${PSQL[@]}" -c "CREATE DATABASE $TPL"
  WHISTLE_DATABASE_URL=$PG/$TPL nice -n 19 .venv/bin/whistle migrate -v0
  # The organisation only (the same for both ways): the load below then times the cases alone.
  WHISTLE_DATABASE_URL=$PG/$TPL nice -n 19 .venv/bin/python -c \
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'whistle.settings'); django.setup();
from whistle.seed.heze import load_heze; load_heze(enterprises=300, seed=1)"
fi
for round in $(seq "$ROUNDS"); do
  for way in base new; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $RUN" -c "CREATE DATABASE $RUN TEMPLATE $TPL"
    src=$([ "$way" = base ] && echo "$BASE_SRC" || echo "$PWD/src")
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    start=$(date +%s.%N)
    PYTHONPATH=$src WHISTLE_DATABASE_URL=$PG/$RUN nice -n 19 .venv/bin/whistle seed --cases "$CASES" >"$OUT/$way-$round.log" 2>&1
    end=$(date +%s.%N)
    after=$(cut -d' ' -f1-3 /proc/loadavg)
    printf '%s\t%s\t%s\t%.1f\t%s\t%s\t%s\n' "$(date -u +%H:%M:%S)" "$way" "$round" "$(echo "$end - $start" | bc)" \
      "$before" "$after" "$(git rev-parse --short HEAD)" | tee -a "$OUT/times.tsv"
  done
done
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $RUN"
