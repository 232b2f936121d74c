#!/usr/bin/env bash
# The checks that keep the code's shape, run once before the suite (scripts/test.sh; `make lint` alone):
# ruff (lint and format), the import contracts of docs/architecture.md "Layers" (import-linter, pyproject
# [tool.importlinter]) and the type check (mypy with django-stubs, pyproject [tool.mypy]) on the apps the others
# stand on. Each names what it found; the script fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export WHISTLE_DEMO=1  # mypy's Django plugin loads the settings
status=0
step() {
  echo "== $1 =="
  shift
  "$@" || status=1
}
step "ruff check" "$BIN/ruff" check src tests bench
step "ruff format --check" "$BIN/ruff" format --check src tests bench
step "import contracts (lint-imports)" "$BIN/lint-imports" --no-cache
step "type check (mypy: core, org, enterprises, cases)" \
  "$BIN/mypy" src/whistle/core src/whistle/org src/whistle/enterprises src/whistle/cases
exit $status
