#!/usr/bin/env bash
# The lint step once (scripts/lint.sh: ruff, import contracts, type check), then the suite on SQLite and on
# PostgreSQL if one answers (with CI=true an unreachable one fails). WHISTLE_LINT=0 skips the lint step.
#
# The two database runs go side by side when both are asked for (WHISTLE_TEST_DB unset): much of a run waits on a
# browser, a live server or the database, so two runs on two cores take little longer than the longer one. Each run
# has its own test database, directory under var/ and range of loopback ports; its output is shown when it ends (and is kept in
# var/test-<database>.log). WHISTLE_TEST_SERIAL=1 runs them one after the other, printing as they go.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${WHISTLE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
export WHISTLE_FAST_HASHER=1
# The suite runs on the public demo keys (pyproject's pytest-env sets the same default); the tests of the refusal
# start their `whistle` processes without it (tests/deploy). `pytest -m deploy` selects the nginx and key tests.
export WHISTLE_DEMO=1
only=${WHISTLE_TEST_DB:-both}
ports=${WHISTLE_TEST_PORTS:-18300-18399}
status=0
mkdir -p var

if [ "${WHISTLE_LINT:-1}" != 0 ]; then
  bash scripts/lint.sh || status=$?
fi

postgres_answers() {
  "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL unreachable: {exc}", file=sys.stderr); sys.exit(1)
PY
}

# Each run keeps its files (the SQLite test database, uploads, metrics) in its own directory under var/.
run_sqlite() {
  env -u WHISTLE_DATABASE_URL WHISTLE_VAR_DIR="$PWD/var/test-sqlite" WHISTLE_TEST_PORTS="$1" "$BIN/pytest" "${@:2}"
}
run_postgres() {
  WHISTLE_DATABASE_URL="$PG_URL" WHISTLE_VAR_DIR="$PWD/var/test-postgres" WHISTLE_TEST_PORTS="$1" "$BIN/pytest" "${@:2}"
}

with_postgres=0
if [ "$only" != sqlite ]; then
  if postgres_answers; then
    with_postgres=1
  elif [ "${CI:-}" = "true" ] || [ "$only" = postgres ]; then
    echo "PostgreSQL is required here (CI=true) but unreachable at $PG_URL" >&2
    status=1
  else
    echo "PostgreSQL not reachable: skipped the PostgreSQL run"
  fi
fi

low=${ports%-*}
high=${ports#*-}
half=$(((low + high) / 2))
if [ "$only" = both ] && [ "$with_postgres" = 1 ] && [ "${WHISTLE_TEST_SERIAL:-0}" != 1 ]; then
  echo "== suite on SQLite and on PostgreSQL, side by side =="
  run_sqlite "$low-$half" "$@" >var/test-sqlite.log 2>&1 &
  sqlite_pid=$!
  run_postgres "$((half + 1))-$high" "$@" >var/test-postgres.log 2>&1 &
  postgres_pid=$!
  sqlite_status=0
  postgres_status=0
  wait "$sqlite_pid" || sqlite_status=$?
  echo "== suite on SQLite (exit $sqlite_status) =="
  cat var/test-sqlite.log
  wait "$postgres_pid" || postgres_status=$?
  echo "== suite on PostgreSQL (exit $postgres_status) =="
  cat var/test-postgres.log
  [ "$sqlite_status" = 0 ] || status=$sqlite_status
  [ "$postgres_status" = 0 ] || status=$postgres_status
else
  if [ "$only" != postgres ]; then
    echo "== suite on SQLite =="
    run_sqlite "$ports" "$@" || status=$?
  fi
  if [ "$with_postgres" = 1 ]; then
    echo "== suite on PostgreSQL =="
    run_postgres "$ports" "$@" || status=$?
  fi
fi
exit $status
