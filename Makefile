# whistle: two commands a newcomer needs.
#   make demo   venv, install, migrate, Heze demo data, serve on 127.0.0.1:8000 with the worker (SQLite)
#   make test   the lint step (ruff, import contracts, mypy), then the whole suite on SQLite and, side by side, on
#               PostgreSQL when one is reachable (scripts/test.sh)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-sqlite test-postgres lint install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/whistle demo

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	bash scripts/lint.sh

test-sqlite: $(STAMP)
	WHISTLE_TEST_DB=sqlite bash scripts/test.sh

test-postgres: $(STAMP)
	WHISTLE_TEST_DB=postgres bash scripts/test.sh

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(VENV) var/test*.sqlite3*
