"""A lost database connection answers 503 with Retry-After, not 500 (core.unavailable), as a PostgreSQL failover
does to whistle for a few seconds: the backend serving whistle's connection is terminated mid-session
(pg_terminate_backend), and the connection is pointed at a closed port. Real database, real errors; the SQLite run
checks that an SQLite error (always a bug of ours) stays a 500."""

import json
import logging
import socket
from xml.etree import ElementTree as ET

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

postgres_only = pytest.mark.skipif(
    "not __import__('django.db').db.connection.vendor == 'postgresql'", reason="PostgreSQL's connection errors"
)


def _terminate_whistles_backend():
    """Kill the server process behind Django's connection from another connection, as a failover does."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    dsn = {k: params[k] for k in ("host", "port", "user", "dbname") if params.get(k)}
    with psycopg.connect(**dsn, autocommit=True) as other:
        (done,) = other.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone()
    assert done


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again once the socket is: nobody listens there


def _signed_in(heze) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=heze.users.ent_cao.username, password=PASSWORD)
    return client


def _assert_503(response):
    assert response.status_code == 503, response.content[:500]
    assert int(response["Retry-After"]) > 0


@postgres_only
def test_a_terminated_backend_mid_session_answers_503_with_retry_after_and_the_next_request_is_served(heze, caplog):
    client = _signed_in(heze)
    assert client.get("/my").status_code == 200
    _terminate_whistles_backend()
    with caplog.at_level(logging.INFO):
        page = client.get("/my")
    _assert_503(page)
    text = page.content.decode()
    assert "服务暂时不可用" in text and "请求编号" in text and "Traceback" not in text
    # Logged once, as a warning with the driver's words, and no ERROR traceback from Django on top.
    mine = [r for r in caplog.records if r.name == "whistle.database"]
    assert len(mine) == 1 and mine[0].levelno == logging.WARNING and mine[0].event == "database_unavailable"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    # Django dropped the broken connection at the end of the request: the next one connects afresh and is served.
    assert client.get("/my").status_code == 200

    _terminate_whistles_backend()
    api = client.get("/api/v1/cases")
    _assert_503(api)
    assert api["content-type"] == "application/problem+json"
    body = api.json()
    assert body["status"] == 503 and body["code"] == "database_unavailable" and body["detail"]
    assert client.get("/api/v1/cases").status_code == 200

    _terminate_whistles_backend()
    services = Client(raise_request_exception=False).get("/open311/v2/services.json")
    _assert_503(services)
    errors = json.loads(services.content)
    assert errors[0]["code"] == "database_unavailable" and errors[0]["description"]


@postgres_only
def test_a_database_on_a_closed_port_answers_503_for_pages_api_and_open311(heze):
    client = _signed_in(heze)
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = str(_closed_port())  # the host list leads nowhere (connection refused)
    try:
        anonymous = Client(raise_request_exception=False)
        _assert_503(client.get("/my"))
        _assert_503(client.get("/api/v1/cases"))
        xml = anonymous.get("/open311/v2/services.xml")
        _assert_503(xml)
        assert ET.fromstring(xml.content).find("error/code").text == "database_unavailable"
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert client.get("/my").status_code == 200


def test_a_bug_in_a_query_stays_a_500_on_either_database(heze, settings):
    """A missing column is a bug whether PostgreSQL (ProgrammingError) or SQLite (OperationalError) says so."""
    settings.ROOT_URLCONF = "tests.core.urls_failing"
    client = Client(raise_request_exception=False)
    page = client.get("/bad-query")
    assert page.status_code == 500 and "Retry-After" not in page
    api = client.get("/api/bad-query")
    assert api.status_code == 500 and api.json()["code"] == "server_error"


@postgres_only
def test_a_statement_timeout_is_not_a_lost_connection():
    """57014 (query_canceled) is an OperationalError too, but the connection is fine: not a 503."""
    from django.db import OperationalError

    from whistle.core.unavailable import database_unavailable

    with pytest.raises(OperationalError) as raised, connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 1")
        try:
            cursor.execute("SELECT pg_sleep(1)")
        finally:
            cursor.execute("RESET statement_timeout")
    assert raised.value.__cause__.sqlstate == "57014"
    assert not database_unavailable(raised.value)


@postgres_only
def test_a_write_refused_as_read_only_counts_as_the_database_being_unavailable():
    """25006: what a node that has just become a standby answers a write (the host list led to it mid-switch)."""
    from django.db import DatabaseError

    from whistle.core.unavailable import database_unavailable

    with pytest.raises(DatabaseError) as raised, connection.cursor() as cursor:
        cursor.execute("BEGIN READ ONLY")
        try:
            cursor.execute("CREATE TEMPORARY TABLE whistle_standby_probe (id int)")
        finally:
            cursor.execute("ROLLBACK")
    assert raised.value.__cause__.sqlstate == "25006"
    assert database_unavailable(raised.value)
