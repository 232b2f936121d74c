"""Request ids, request log lines, /readyz and /metrics (issue 11 items 4 and 5), over a real HTTP server."""

import datetime as dt
import io
import json
import logging

import httpx
import pytest
from django.utils import timezone

from tests.cases.flow import submit
from tests.conftest import PASSWORD, at
from whistle.core.models import JobHeartbeat, WorkerJob

# The server thread reads committed data; the migration data is restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def request_log():
    """The lines the configured console handler would write for `whistle.request`, captured as text."""
    console = logging.getLogger("whistle").handlers[0]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(console.formatter)
    for f in console.filters:
        handler.addFilter(f)
    logger = logging.getLogger("whistle.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_request_id_from_the_client_comes_back_in_the_header_and_the_problem_json_body(http):
    response = http.get("/api/v1/cases/2026-000001", headers={"X-Request-ID": "nginx-7f3a9c2e5b1d"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    assert response.headers["X-Request-ID"] == "nginx-7f3a9c2e5b1d"
    assert response.json()["request_id"] == "nginx-7f3a9c2e5b1d"


def test_an_unsafe_request_id_is_replaced_by_one_of_ours(http):
    response = http.get("/api/v1/cases/2026-000001", headers={"X-Request-ID": 'x" injected=1 ' + "a" * 200})
    ours = response.headers["X-Request-ID"]
    assert len(ours) == 32 and ours.isalnum() and response.json()["request_id"] == ours


def test_each_request_writes_one_json_log_line_with_id_user_route_status_and_duration(http, heze, request_log):
    token = http.post("/api/v1/auth/token", json={"username": "ent_cao", "password": PASSWORD}).json()["token"]
    response = http.get(
        "/api/v1/cases/2026-999999", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"}
    )
    assert response.status_code == 404
    lines = [line for line in request_log() if line["request_id"] == "req-42"]
    assert len(lines) == 1
    line = lines[0]
    assert line["logger"] == "whistle.request" and line["event"] == "request" and line["method"] == "GET"
    assert line["route"] == "/api/v1/cases/<number>" and line["path"] == "/api/v1/cases/2026-999999"
    assert line["status"] == 404 and line["user_id"] == heze.users.ent_cao.pk
    assert isinstance(line["duration_ms"], float) and line["time"].endswith("+00:00")
    # A 4xx is a line with its status, not a traceback.
    assert line["level"] == "WARNING" and "exc_info" not in line


def test_a_refused_page_is_logged_by_its_status_without_a_traceback(http, caplog):
    with caplog.at_level(logging.INFO):
        response = http.get("/no-such-page/at-all")
    assert response.status_code == 404
    mine = [r for r in caplog.records if r.name == "whistle.request" and r.path == "/no-such-page/at-all"]
    assert [r.status for r in mine] == [404] and mine[0].route == "<unmatched>"
    assert not [r for r in caplog.records if r.exc_info], "a 404 must not log a traceback"


def test_the_500_page_shows_the_request_id_in_chinese(http, settings):
    settings.ROOT_URLCONF = "tests.core.urls_failing"
    page = http.get("/boom", headers={"X-Request-ID": "incident-0815"})
    assert page.status_code == 500 and page.headers["X-Request-ID"] == "incident-0815"
    assert "系统出错了" in page.text and "请求编号" in page.text and "incident-0815" in page.text
    api = http.get("/api/boom", headers={"X-Request-ID": "incident-0816"})
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["request_id"] == "incident-0816" and api.json()["code"] == "server_error"


def test_healthz_answers_without_the_database_and_readyz_says_why_it_is_not_ready(http):
    assert http.get("/healthz").json() == {"status": "ok"}
    never = http.get("/readyz")  # no sweep has run yet
    assert never.status_code == 503
    body = never.json()
    assert body["ready"] is False and body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["sweep"] == {
        "ok": False,
        "last_success_at": None,
        "age_seconds": None,
        "max_age_seconds": 180,
    }


def test_readyz_is_ready_after_a_recent_sweep_and_not_once_it_is_three_intervals_old(http):
    now = timezone.now()
    JobHeartbeat.objects.create(name="deadline_sweep", last_success_at=now - dt.timedelta(seconds=30), runs=1)
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["checks"]["sweep"]["ok"]
    JobHeartbeat.objects.filter(name="deadline_sweep").update(last_success_at=now - dt.timedelta(minutes=4))
    stale = http.get("/readyz")
    assert stale.status_code == 503 and stale.json()["checks"]["sweep"]["ok"] is False
    # The interval is the table's: a city that sweeps every five minutes is ready with a four-minute-old sweep.
    WorkerJob.objects.filter(name="deadline_sweep").update(every_seconds=300)
    assert http.get("/readyz").status_code == 200


def test_metrics_count_requests_by_route_and_status_and_show_job_ages_and_sweep_lag(http, heze):
    from django.core.management import call_command

    submit(heze, now=at(2020, 1, 6, 10))  # overdue: the sweep lag is years until the sweep acts
    http.get("/healthz")
    http.get("/api/v1/cases/2026-000001")
    lagging = http.get("/metrics").text
    lag = next(
        float(line.split()[-1]) for line in lagging.splitlines() if line.startswith("whistle_sweep_lag_seconds ")
    )
    assert lag > 86400
    call_command("worker", "--once", "--jobs", "sweep")
    text = http.get("/metrics").text
    assert 'whistle_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'whistle_http_requests_total{method="GET",route="/api/v1/cases/<number>",status="401"}' in text
    assert 'whistle_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/healthz"}' in text
    assert "whistle_sweep_lag_seconds 0.0" in text
    assert 'whistle_job_seconds_since_success{job="deadline_sweep"}' in text
    assert 'whistle_job_consecutive_failures{job="deadline_sweep"} 0.0' in text


def test_metrics_answer_only_a_bearer_token_or_an_allowed_address(http, settings):
    assert http.get("/metrics").status_code == 200  # the test server's client is 127.0.0.1, allowed by default
    settings.WHISTLE_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.WHISTLE_METRICS_TOKEN = "scrape-secret-0123456789"
    assert http.get("/metrics").status_code == 404
    assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    allowed = http.get("/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"})
    assert allowed.status_code == 200 and "whistle_http_requests_total" in allowed.text
    settings.WHISTLE_METRICS_TOKEN = ""
    assert http.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404  # no token set: none matches
