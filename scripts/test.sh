#!/usr/bin/env bash
# The lint step once (scripts/lint.sh: ruff, import contracts, type check), then the suite on SQLite, then on
# PostgreSQL if one answers (with CI=true an unreachable one fails). WHISTLE_LINT=0 skips the lint step.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${WHISTLE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
export WHISTLE_FAST_HASHER=1
# The suite runs on the public demo keys (pyproject's pytest-env sets the same default); the tests of the refusal
# start their `whistle` processes without it (tests/deploy). `pytest -m deploy` selects the nginx and key tests.
export WHISTLE_DEMO=1
only=${WHISTLE_TEST_DB:-both}
status=0

if [ "${WHISTLE_LINT:-1}" != 0 ]; then
  bash scripts/lint.sh || status=$?
fi

if [ "$only" != postgres ]; then
  echo "== suite on SQLite =="
  env -u WHISTLE_DATABASE_URL "$BIN/pytest" "$@" || status=$?
fi

if [ "$only" != sqlite ]; then
  if "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL unreachable: {exc}", file=sys.stderr); sys.exit(1)
PY
  then
    echo "== suite on PostgreSQL =="
    WHISTLE_DATABASE_URL="$PG_URL" "$BIN/pytest" "$@" || status=$?
  elif [ "${CI:-}" = "true" ] || [ "$only" = postgres ]; then
    echo "PostgreSQL is required here (CI=true) but unreachable at $PG_URL" >&2
    status=1
  else
    echo "PostgreSQL not reachable: skipped the PostgreSQL run"
  fi
fi
exit $status
