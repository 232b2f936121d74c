"""The real `whistle` commands, run as a user runs them: a separate process on the same database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.cases.flow import case_in, reload, submit
from tests.cases.test_audit import around_the_trigger
from tests.conftest import at
from whistle.cases.models import CaseEvent

# The command runs in another process, so the data must be committed; the migration data is restored afterwards.
# Sequences reset: on SQLite a case number missing below the first case is a deleted case to `audit verify`, and the
# flush between transactional tests keeps SQLite's id counter.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True)


def whistle(*args) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "WHISTLE_DATABASE_URL": url}
    return subprocess.run(
        [str(Path(sys.executable).parent / "whistle"), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_whistle_audit_verify_exits_non_zero_naming_the_case_when_an_event_row_is_altered(heze):
    case, other = case_in(heze, "replied"), submit(heze)
    ok = whistle("audit", "verify")
    assert ok.returncode == 0 and "哈希链完整" in ok.stdout
    with around_the_trigger():  # on PostgreSQL the append-only trigger refuses the edit otherwise
        CaseEvent.objects.filter(case_id=case.pk, seq=4).update(payload={"accepted_by": "别人"})
    tampered = whistle("audit", "verify")
    assert tampered.returncode != 0
    assert f"{case.number} 第4条" in tampered.stderr and other.number not in tampered.stderr


def test_whistle_worker_once_sweeps_and_reports(heze):
    case = submit(heze, now=at(2020, 1, 6, 10))  # long overdue whenever this runs
    run = whistle("worker", "--once")
    assert run.returncode == 0 and "巡检完成" in run.stdout and "red_card=1" in run.stdout
    case = reload(case)
    assert case.card == "red" and case.supervision_count == 1
