"""Request ids, one JSON log line per request, Prometheus metrics, readiness, and the 500 page.

- `RequestMiddleware` (first in MIDDLEWARE): takes a sane `X-Request-ID` from the client (or nginx's `$request_id`)
  or makes one, returns it as a header, puts it on every log record of the request (`RequestIdFilter`) and in
  every problem+json body (`core.errors.Problem.as_dict`), and writes one `whistle.request` line per request with
  the route pattern, method, status, user and duration. 4xx are a line with their status, never a traceback.
- Metrics: request counts by route and status and a latency histogram live in prometheus_client's multiprocess mode
  (files under PROMETHEUS_MULTIPROC_DIR, set from WHISTLE_VAR_DIR in settings), so the several granian worker
  processes add up instead of each answering for itself. What the database knows — each job's age since its last
  success, the sweep lag — is read from the database at scrape time (`DatabaseCollector`), so any web process
  answers the same for the whole installation, whichever worker process ran the job.
- `/metrics` answers a bearer token (WHISTLE_METRICS_TOKEN) or an address in WHISTLE_METRICS_ALLOW (CIDRs, default
  loopback); anyone else gets a 404, as if it did not exist.
"""

from __future__ import annotations

import contextvars
import hmac
import ipaddress
import logging
import os
import re
import shutil
import sys
import time
import uuid
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.template import loader
from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("whistle.request")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("whistle_request_id", default=None)
# What a client or proxy may hand us as an id: what nginx's $request_id, a UUID or a trace id look like; anything
# else (too long, spaces, quotes, control characters) would forge log lines or headers, so we make our own.
_SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}$")


def current_request_id() -> str | None:
    """The id of the request being answered in this thread, if any."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Every log record made while a request is answered carries its id (the worker's records carry none)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


REQUESTS = Counter(
    "whistle_http_requests_total",
    "HTTP requests answered, by route pattern, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "whistle_http_request_duration_seconds",
    "Time to answer a request, by route pattern",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def _route(request) -> str:
    """The URL pattern, not the path: /api/v1/cases/<number> is one series, not one per case."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return "/" + (match.route or match.view_name or "")


def _user_id(request):
    user = getattr(request, "auth", None)  # django-ninja: who the bearer token or session authenticated
    if not getattr(user, "pk", None):
        user = getattr(request, "user", None)
    try:  # request.user may not be loaded yet, and the database may be what failed the request (a 503)
        return user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    except DatabaseError:
        return None


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            seconds = time.perf_counter() - started
            route = _route(request)
            REQUESTS.labels(route, request.method, str(status)).inc()
            LATENCY.labels(route, request.method).observe(seconds)
            # 503 is an answer (not ready, overloaded), not a fault of ours; other 5xx are, and Django adds the
            # traceback on its own logger.
            level = (
                logging.ERROR if status >= 500 and status != 503 else logging.WARNING if status >= 400 else logging.INFO
            )
            log.log(
                level,
                "request",
                extra={
                    "event": "request",
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            _request_id.reset(token)


# --- metrics computed from the database at scrape time -----------------------------------------------------------


class DatabaseCollector:
    """Gauges every web process answers alike: read from the heartbeat table and the apps' declared gauges."""

    def collect(self):
        from .models import JobHeartbeat

        now = timezone.now()
        since = GaugeMetricFamily(
            "whistle_job_seconds_since_success",
            "Seconds since the job last succeeded (absent when it never has)",
            labels=["job"],
        )
        duration = GaugeMetricFamily(
            "whistle_job_last_duration_seconds", "How long the job's last run took", labels=["job"]
        )
        failing = GaugeMetricFamily(
            "whistle_job_consecutive_failures", "Failures in a row since the job last succeeded", labels=["job"]
        )
        runs = GaugeMetricFamily("whistle_job_runs", "Runs recorded on the job's heartbeat", labels=["job"])
        failures = GaugeMetricFamily(
            "whistle_job_failures", "Failed runs recorded on the job's heartbeat", labels=["job"]
        )
        for beat in JobHeartbeat.objects.all():
            if beat.last_success_at:
                since.add_metric([beat.name], (now - beat.last_success_at).total_seconds())
            if beat.last_duration_seconds is not None:
                duration.add_metric([beat.name], beat.last_duration_seconds)
            failing.add_metric([beat.name], beat.consecutive_failures)
            runs.add_metric([beat.name], beat.runs)
            failures.add_metric([beat.name], beat.failures)
        yield from (since, duration, failing, runs, failures)
        for config in apps.get_app_configs():
            for path in getattr(config, "metrics_gauges", ()):
                for name, help_text, value in import_string(path)(now):
                    yield GaugeMetricFamily(name, help_text, value=value)


def _client_allowed(request) -> bool:
    token = getattr(settings, "WHISTLE_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in settings.WHISTLE_METRICS_ALLOW)


def metrics(request):
    if not _client_allowed(request):
        return HttpResponseNotFound("Not Found", content_type="text/plain")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:  # one process (tests without the multiprocess directory): its own counters are the whole truth
        registry.register(_ProcessMetrics())
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ProcessMetrics:
    def collect(self):
        yield from REQUESTS.collect()
        yield from LATENCY.collect()


def reset_metrics_dir() -> None:
    """Empty the multiprocess directory before the web server starts: files of processes from an earlier start would
    otherwise be added in forever. Called by `whistle serve` before it starts granian."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True, exist_ok=True)


# --- readiness ----------------------------------------------------------------------------------------------------

_migrations_checked_at = 0.0


def _migrations_applied() -> tuple[bool, int]:
    """No unapplied migration. Reading the migration files costs ~0.1 s, so a positive answer is kept a minute."""
    global _migrations_checked_at
    if time.monotonic() - _migrations_checked_at < 60:
        return True, 0
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        _migrations_checked_at = time.monotonic()
    return not plan, len(plan)


def readiness() -> tuple[bool, dict]:
    from .jobs import SWEEP_JOB
    from .models import JobHeartbeat, WorkerJob

    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 — any failure to reach it is the answer
        checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        return False, checks
    ok, unapplied = _migrations_applied()
    checks["migrations"] = {"ok": ok, "unapplied": unapplied}
    if not ok:
        return False, checks
    every = WorkerJob.objects.filter(name=SWEEP_JOB).values_list("every_seconds", flat=True).first() or 60
    last = JobHeartbeat.objects.filter(name=SWEEP_JOB).values_list("last_success_at", flat=True).first()
    age = (timezone.now() - last).total_seconds() if last else None
    # Three intervals: one late sweep is a busy minute, three missed ones mean deadlines are not being enforced.
    checks["sweep"] = {
        "ok": age is not None and age < 3 * every,
        "last_success_at": last.isoformat() if last else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "max_age_seconds": 3 * every,
    }
    return all(check["ok"] for check in checks.values()), checks


def readyz(request):
    ready, checks = readiness()
    response = JsonResponse(
        {"ready": ready, "checks": checks}, status=200 if ready else 503, json_dumps_params={"ensure_ascii": False}
    )
    response._has_been_logged = True  # type: ignore[attr-defined]  # the request line says 503; Django need not add an error for each probe
    return response


def healthz(request):
    """Liveness only: the process answers. Nothing is read, so a slow database does not get a live server killed."""
    return JsonResponse({"status": "ok"})


# --- the 500 page -------------------------------------------------------------------------------------------------


def server_error(request):
    """handler500: the request id on the page (and in problem+json for the API), so a user can quote it to support.

    A lost database connection is not a fault of ours: a 503 with Retry-After instead (core.unavailable)."""
    from . import unavailable

    exc = sys.exception()
    if exc is not None and unavailable.database_unavailable(exc):
        return unavailable.response(request, exc)
    request_id = getattr(request, "request_id", None) or current_request_id()
    if request.path.startswith("/api/"):
        from .errors import Problem

        body = Problem("系统内部错误，已记录在日志中，请稍后再试", code="server_error", status=500).as_dict(
            request.path
        )
        body["title"] = "系统错误"
        return JsonResponse(
            body, status=500, content_type="application/problem+json", json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(loader.get_template("500.html").render({"request_id": request_id}), status=500)
