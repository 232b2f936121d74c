#!/usr/bin/env bash
# The lint step once (scripts/lint.sh: ruff, import contracts, type check), then the suite on SQLite and on
# PostgreSQL if one answers (with CI=true an unreachable one fails). WHISTLE_LINT=0 skips the lint step.
#
# Each database's suite runs in shares side by side (WHISTLE_TEST_SHARDS, default 2; tests/shares.py deals whole files
# to the shares by their measured seconds). The suite is bound by the CPU, so the shares gain only the tail the longer
# PostgreSQL run had alone (docs/architecture.md, "How the suite runs"). Each share has its own test database,
# directory under var/ and range of loopback ports; its output is shown when all have ended (and kept in
# var/test-<database>-<K>.log). WHISTLE_TEST_SHARDS=1: one run per database. WHISTLE_TEST_SERIAL=1 runs each
# database's whole suite in one run, one after the other, printing as they go.
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

# Each run keeps its files (the SQLite test database, uploads, metrics) in its own directory under var/ and its own
# test database: run <database> <share K/N or ""> <ports> [pytest arguments].
run() {
  local db=$1 shard=$2 ports=$3 name=$1
  shift 3
  [ -z "$shard" ] || name="$db-${shard%/*}"
  if [ "$db" = sqlite ]; then
    env -u WHISTLE_DATABASE_URL WHISTLE_VAR_DIR="$PWD/var/test-$name" WHISTLE_TEST_PORTS="$ports" \
      WHISTLE_TEST_SHARD="$shard" "$BIN/pytest" "$@"
  else
    WHISTLE_DATABASE_URL="$PG_URL" WHISTLE_VAR_DIR="$PWD/var/test-$name" WHISTLE_TEST_PORTS="$ports" \
      WHISTLE_TEST_SHARD="$shard" WHISTLE_TEST_DB_SUFFIX="${WHISTLE_TEST_DB_SUFFIX:-}${shard:+_${shard%/*}}" \
      "$BIN/pytest" "$@"
  fi
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

databases=()
[ "$only" = postgres ] || databases+=(sqlite)
[ "$with_postgres" = 0 ] || databases+=(postgres)
low=${ports%-*}
high=${ports#*-}
if [ "${WHISTLE_TEST_SERIAL:-0}" = 1 ]; then
  for db in "${databases[@]}"; do
    echo "== suite on $db =="
    run "$db" "" "$ports" "$@" || status=$?
  done
  exit $status
fi

# Side by side: each database's suite in WHISTLE_TEST_SHARDS shares, every share a pytest of its own on its own slice
# of the ports.
shards=${WHISTLE_TEST_SHARDS:-2}
runs=()
for db in "${databases[@]}"; do
  for k in $(seq 1 "$shards"); do runs+=("$db $k"); done
done
[ "${#runs[@]}" -gt 0 ] || exit $status
slice=$(((high - low + 1) / ${#runs[@]}))
if [ "$slice" -lt 10 ]; then
  echo "WHISTLE_TEST_PORTS=$ports is too narrow for ${#runs[@]} runs side by side (10 ports each at least)" >&2
  exit 2
fi
pids=()
i=0
echo "== the suite on ${databases[*]}, $shards shares each, side by side =="
for entry in "${runs[@]}"; do
  read -r db k <<<"$entry"
  first=$((low + i * slice))
  run "$db" "$k/$shards" "$first-$((first + slice - 1))" "$@" >"var/test-$db-$k.log" 2>&1 &
  pids+=($!)
  i=$((i + 1))
done
i=0
for entry in "${runs[@]}"; do
  read -r db k <<<"$entry"
  code=0
  wait "${pids[$i]}" || code=$?
  # pytest exits 5 when a share has no test (a narrow selection): not a failure.
  [ "$code" != 5 ] || code=0
  echo "== suite on $db, share $k of $shards (exit $code) =="
  cat "var/test-$db-$k.log"
  [ "$code" = 0 ] || status=$code
  i=$((i + 1))
done
exit $status
