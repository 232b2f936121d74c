#!/usr/bin/env bash
# Statements per create, transition and public rating (issue 22), before and after, on the local PostgreSQL:
#
#   bash bench/write_statements.sh [REV]      REV: the revision to compare with (default: main)
#
# Runs bench/write_statements.py with pytest in this checkout and in a throwaway worktree of REV (both against a test
# database of their own, `test_…_wstat`), and prints one table. Counts do not depend on the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-main}
export WHISTLE_FAST_HASHER=1 WHISTLE_DEMO=1 WHISTLE_TEST_DB_SUFFIX=_wstat
export WHISTLE_DATABASE_URL=${WHISTLE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
export WHISTLE_VAR_DIR=${WHISTLE_VAR_DIR:-$PWD/var/test}
OUT=bench/out
mkdir -p "$OUT"
BEFORE=$(mktemp -d)
trap 'git worktree remove --force "$BEFORE/wt" >/dev/null 2>&1 || true; rm -rf "$BEFORE"' EXIT

measure() {  # measure CHECKOUT LABEL
  local checkout=$1 probe=$1/tests/api/test_zz_write_statements.py
  cp bench/write_statements.py "$probe"
  (cd "$checkout" && PYTHONPATH="$checkout/src" nice -n 19 "$OLDPWD/.venv/bin/pytest" -s -p no:cacheprovider \
    -o addopts="" "$probe" 2>&1) | tee -a "$OUT/write-statements.log" | grep '^WRITE-STATEMENTS ' | sed "s/^WRITE-STATEMENTS /$2 /"
  rm -f "$probe"
}

git worktree add --detach "$BEFORE/wt" "$REV" >/dev/null
{
  measure "$BEFORE/wt" "before($(git rev-parse --short "$REV"))"
  measure "$PWD" "after($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo +))"
} | tee "$OUT/write-statements.txt" | .venv/bin/python bench/write_statements.py table
