"""whistle behind Debian's pgbouncer in transaction mode (deploy/pgbouncer/pgbouncer.ini with
WHISTLE_DATABASE_POOL=transaction, issue 21 item 4). The pool here has ONE server connection, so every process's
transactions run on the same server session one after another, as a busy pool's clients do.

PostgreSQL only; select with `pytest -m deploy`."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.cases.flow import reload, submit
from tests.conftest import PASSWORD, at
from tests.deploy.stack import PgBouncer, Stack, csrf_token, login
from whistle.cases.models import Case

# The processes read committed data; the migration data is restored afterwards. Sequences reset: `audit verify`
# reads a case number missing below the first case as a deleted case.
pytestmark = [
    pytest.mark.deploy,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True),
]

SWEEP_AGAIN_AND_AGAIN = "from whistle.cases import sweeper\nfor _ in range(8):\n    sweeper.sweep()\n"


@pytest.fixture(scope="module")
def bouncer(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("pgbouncer pools PostgreSQL connections")
        db = connection.settings_dict
    running = PgBouncer(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432), pool_size=1).start()
    yield running
    running.stop()


def whistle_via(bouncer: PgBouncer, *args: str, pool: str = "transaction") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "WHISTLE_DATABASE_URL": bouncer.url(connection.settings_dict["NAME"]),
        "WHISTLE_DATABASE_POOL": pool,
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "whistle"), *args], capture_output=True, text=True, env=env, timeout=180
    )


def transactions_through(bouncer: PgBouncer) -> int:
    name = connection.settings_dict["NAME"]
    return sum(row["total_xact_count"] for row in bouncer.admin("SHOW STATS") if row["database"] == name)


def test_issue_21_4_through_pgbouncer_the_worker_sweeps_again_and_again_and_audit_verify_streams(bouncer, heze):
    case = submit(heze, now=at(2020, 1, 6, 10))  # long overdue whenever this runs
    before = transactions_through(bouncer)

    worker = whistle_via(bouncer, "worker", "--once")
    assert worker.returncode == 0 and "red_card=1" in worker.stdout, worker.stderr[-3000:]
    # The sweep's binary cursor runs its statement again and again on one connection (psycopg would prepare it on
    # the sixth run); two processes in a row share the pool's one server session.
    for _ in range(2):
        swept = whistle_via(bouncer, "shell", "-c", SWEEP_AGAIN_AND_AGAIN)
        assert swept.returncode == 0, swept.stderr[-3000:]
    # `audit verify` reads every case and event in chunks (`.iterator()`: a server-side cursor unless disabled).
    verified = whistle_via(bouncer, "audit", "verify")
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]

    assert reload(case).card == "red"
    assert transactions_through(bouncer) > before  # the commands did go through pgbouncer


def test_issue_21_4_the_pool_setting_turns_server_side_cursors_off_and_an_unknown_mode_refuses_to_start(bouncer):
    show = "from django.db import connection as c\nprint(c.settings_dict['DISABLE_SERVER_SIDE_CURSORS'])\n"
    pooled = whistle_via(bouncer, "shell", "-c", show)
    assert pooled.returncode == 0 and pooled.stdout.split()[-1] == "True", pooled.stderr[-2000:]
    direct = whistle_via(bouncer, "shell", "-c", show, pool="")
    assert direct.returncode == 0 and direct.stdout.split()[-1] == "False", direct.stderr[-2000:]
    wrong = whistle_via(bouncer, "shell", "-c", show, pool="session")
    assert wrong.returncode != 0 and "WHISTLE_DATABASE_POOL" in wrong.stderr


def test_issue_21_4_through_nginx_granian_and_pgbouncer_a_person_logs_in_and_submits_a_case(
    bouncer, heze, tmp_path_factory
):
    stack = Stack(
        tmp_path_factory.mktemp("pooled"),
        bouncer.url(connection.settings_dict["NAME"]),
        extra_env={"WHISTLE_DATABASE_POOL": "transaction"},
    ).start()
    try:
        origin = {"Origin": stack.public_url}
        with stack.client() as http:
            login(http, stack.public_url, "ent_cao", PASSWORD)
            for _ in range(7):  # the same pages again and again on the one pooled server session
                form = http.get("/cases/new")
                assert form.status_code == 200
            submitted = http.post(
                "/cases/new",
                headers=origin,
                data={
                    "csrfmiddlewaretoken": csrf_token(form.text),
                    "kind": "help",
                    "category": "construction-permit",
                    "description": "施工许可材料已交两周，没有答复",
                    "contact_name": "王经理",
                    "contact_phone": "13905300001",
                    "idempotency_key": uuid.uuid4().hex,
                },
            )
            assert submitted.status_code == 302, submitted.text[:2000]
            mine = http.get(submitted.headers["location"])
            assert mine.status_code == 200
    finally:
        stack.stop()
    case = Case.objects.get(enterprise=heze.ent_cao)
    assert submitted.headers["location"] == f"/cases/{case.number}"
