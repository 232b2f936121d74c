"""The failover drill (issue 21 item 4) at a small size: bench/failover_drill.py starts etcd and three Patroni nodes
of PostgreSQL from deploy/patroni/, whistle on them (`whistle serve`, WHISTLE_DATABASE_URL naming every node with
target_session_attrs=read-write), writes cases, transitions and public ratings through HTTP, kills the primary's
postmaster with SIGKILL and counts, on the new primary, every write a client was answered 2xx for.

Runs in the PostgreSQL run of the suite (the SQLite run skips it); needs Debian's patroni and etcd
(`apt-get install -y patroni etcd-server etcd-client`, which .ci/run does): without them it is skipped, and fails
under CI=true. Select with `pytest -m deploy`."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def drill_tools():
    if connection.vendor != "postgresql":
        pytest.skip("the failover drill runs in the PostgreSQL run of the suite")
    missing = [program for program in ("patroni", "etcd") if not shutil.which(program)]
    if missing and os.environ.get("CI") != "true":
        pytest.skip(f"{' and '.join(missing)} not installed: apt-get install -y patroni etcd-server etcd-client")


def test_issue_21_4_the_primary_killed_under_load_whistle_serves_again_and_no_acknowledged_write_is_lost(drill_tools):
    drill = subprocess.run(
        [sys.executable, "bench/failover_drill.py", "--clients", "2", "--warmup", "3", "--after", "3", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert drill.stdout.strip(), drill.stderr[-5000:]
    result = json.loads(drill.stdout.strip().splitlines()[-1])
    # Writes went on before the kill and came back after it, each kind, through the same whistle processes.
    assert all(result["acknowledged"].values()), result
    assert result["time_to_serve_writes_s"] is not None, result
    assert all(seconds == seconds for seconds in result["time_to_serve_by_kind_s"].values()), result  # no NaN
    assert result["ok_after_kill"] > 0
    # While the database is switching, clients are told 503 (try again), never 500.
    assert result["server_errors_500"] == 0, result
    # Another node is the primary now, and whistle's readiness probe reads it.
    assert result["roles_after"][result["old_primary"]] != "primary", result
    assert result["served_after_switch"]["checks"]["database"], result
    assert result["served_after_switch"]["backup"] is True, result  # pg_dump, too, follows the URL to the new primary
    # Every case, event and rating a client was answered 2xx for is on the new primary.
    assert result["lost"] == {"cases": 0, "events": 0, "ratings": 0}, result
    assert drill.returncode == 0, drill.stderr[-3000:]
