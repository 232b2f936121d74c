"""Read replicas (issue 21 item 3) against a real PostgreSQL streaming replica: `pg_basebackup -R` of the test server
into a second cluster on another port, started as a hot standby. The test pauses the replica's replay to make it
visibly behind, then reads pages through `whistle serve` configured with WHISTLE_DATABASE_REPLICA_URLS.

PostgreSQL only; the server must accept replication connections from 127.0.0.1 (.ci/run adds that line to pg_hba.conf;
elsewhere the test is skipped, and fails under CI=true). Select with `pytest -m deploy`."""

import os
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.cases.flow import submit
from tests.conftest import PASSWORD
from tests.deploy.stack import Stack, as_postgres, csrf_token, free_port, login

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True),
]

# A hot standby must allow at least what its primary does.
COPIED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class Replica:
    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="whistle-replica-"))
        self.data = self.home / "data"
        self.bin: Path | None = None

    def start(self) -> "Replica":
        with psycopg.connect(host=self.upstream[0], port=self.upstream[1], user="postgres", dbname="postgres") as db:
            version = int(db.execute("SHOW server_version_num").fetchone()[0]) // 10000
            settings = {name: db.execute(f"SHOW {name}").fetchone()[0] for name in COPIED_SETTINGS}
        self.bin = Path(f"/usr/lib/postgresql/{version}/bin")
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        backup = as_postgres(
            [
                str(self.bin / "pg_basebackup"),
                f"--host={self.upstream[0]}",
                f"--port={self.upstream[1]}",
                "--username=postgres",
                f"--pgdata={self.data}",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--write-recovery-conf",
            ]
        )
        if backup.returncode != 0:
            if "replication" in backup.stderr and os.environ.get("CI") != "true":
                pytest.skip(f"the server refuses replication connections: {backup.stderr.strip()[:300]}")
            raise RuntimeError(f"pg_basebackup failed: {backup.stderr[-2000:]}")
        # Debian keeps the configuration outside the data directory: the standby gets a minimal one of its own.
        conf = "\n".join(
            [
                f"port = {self.port}",
                "listen_addresses = '127.0.0.1'",
                f"unix_socket_directories = '{self.home}'",
                f"hba_file = '{self.home}/pg_hba.conf'",
                "hot_standby = on",
                "fsync = off",
                *(f"{name} = {value}" for name, value in settings.items()),
            ]
        )
        (self.data / "postgresql.conf").write_text(conf + "\n")
        (self.home / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        if os.geteuid() == 0:
            for path in (self.data / "postgresql.conf", self.home / "pg_hba.conf"):
                shutil.chown(path, "postgres", "postgres")
        started = as_postgres(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-t", "120", "start"]
        )
        if started.returncode != 0:
            log = (self.home / "log").read_text()[-3000:] if (self.home / "log").exists() else ""
            raise RuntimeError(f"the replica did not start: {started.stderr[-1000:]}\n{log}")
        return self

    def connect(self, dbname: str) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        if self.bin and (self.data / "postmaster.pid").exists():
            as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("streaming replicas are PostgreSQL's")
        db = connection.settings_dict
    running = Replica(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    try:
        yield running.start()
    finally:
        running.stop()


def _caught_up(replica: Replica, dbname: str, timeout: float = 60) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    with replica.connect(dbname) as standby:
        for _ in range(int(timeout * 10)):
            if standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                return
            time.sleep(0.1)
    raise AssertionError("the replica did not catch up")


def _stack(tmp_path_factory, replica: Replica, **env) -> Stack:
    name = connection.settings_dict["NAME"]
    db = connection.settings_dict
    primary = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    return Stack(
        tmp_path_factory.mktemp("replica"),
        primary,
        extra_env={"WHISTLE_DATABASE_REPLICA_URLS": replica.url(name), "WHISTLE_REPLICA_CHECK_SECONDS": "0", **env},
    ).start()


def _ledger_numbers(http) -> str:
    """The ledger list's page (the case numbers are in it)."""
    page = http.get("/ledger")
    assert page.status_code == 200, page.text[:2000]
    return page.text


def test_issue_21_3_read_only_pages_come_from_the_replica_and_a_writer_reads_the_primary_for_a_while(
    replica, heze, tmp_path_factory
):
    name = connection.settings_dict["NAME"]
    stack = _stack(tmp_path_factory, replica, WHISTLE_REPLICA_MAX_LAG_SECONDS="3600", WHISTLE_REPLICA_PIN_SECONDS="3")
    try:
        with stack.client() as http:
            _caught_up(replica, name)
            login(http, stack.public_url, "city_office", PASSWORD)
            time.sleep(3.5)  # the login's pin runs out
            with replica.connect(name) as standby:
                standby.execute("SELECT pg_wal_replay_pause()")
                case = submit(heze)  # committed on the primary; the paused replica does not show it
                assert case.number not in _ledger_numbers(http)  # the ledger list reads the replica
                assert http.get(f"/cases/{case.number}").status_code == 200  # any other page reads the primary

                # A write (here a refused one: any POST counts) pins this browser to the primary for a while.
                page = http.get("/password")
                http.post(
                    "/password",
                    headers={"Origin": stack.public_url},
                    data={"csrfmiddlewaretoken": csrf_token(page.text), "old_password": "wrong"},
                )
                assert case.number in _ledger_numbers(http)
                time.sleep(3.5)
                assert case.number not in _ledger_numbers(http)  # back on the replica once the pin runs out

                standby.execute("SELECT pg_wal_replay_resume()")
            _caught_up(replica, name)
            assert case.number in _ledger_numbers(http)
    finally:
        stack.stop()


def test_issue_21_3_a_lagging_replica_is_skipped(replica, heze, tmp_path_factory):
    name = connection.settings_dict["NAME"]
    stack = _stack(tmp_path_factory, replica, WHISTLE_REPLICA_MAX_LAG_SECONDS="1", WHISTLE_REPLICA_PIN_SECONDS="1")
    try:
        with stack.client() as http:
            _caught_up(replica, name)
            login(http, stack.public_url, "city_office", PASSWORD)
            time.sleep(1.5)
            with replica.connect(name) as standby:
                standby.execute("SELECT pg_wal_replay_pause()")
                try:
                    case = submit(heze)
                    time.sleep(2.5)  # the replica is now more than a second behind what it has received
                    assert case.number in _ledger_numbers(http)  # so the ledger reads the primary
                finally:
                    standby.execute("SELECT pg_wal_replay_resume()")
    finally:
        stack.stop()
