"""A lost database is a 503 with Retry-After, not a 500.

During a PostgreSQL failover (deploy/patroni, bench/failover_drill.py) the connections whistle holds break for a few
seconds: the server closes them, the old primary's port refuses, or the host list briefly leads to a node that has
just become a standby ("cannot execute … in a read-only transaction"). Those are not faults of ours and a client
should simply try again, so `core.observability.server_error` (handler500) answers them with 503 and Retry-After:

- a short Chinese page for people (503.html);
- problem+json with the stable code `database_unavailable` under /api/;
- for the URL prefixes an app declares on its AppConfig as `unavailable_responses` (open311: the GeoReport `errors`
  document in the format the path asks for), that app's own shape.

Only connection-level errors qualify (`database_unavailable`): InterfaceError (the connection is already closed);
PostgreSQL errors without an SQLSTATE (libpq's own: connection refused, could not connect, server closed the
connection unexpectedly); SQLSTATE class 08 (connection exception), 57P01–57P03 (the server shut down or is starting),
53300 (too many connections) and 25006 (read-only transaction: the host is a standby now). Anything else — a
constraint, a syntax error, a statement timeout, any SQLite error — stays a 500 with its traceback: a bug must not
hide behind "try again".

Retry-After is settings.WHISTLE_DB_RETRY_AFTER_SECONDS (env, default 5): a setting, not a rule in a table, since the
table is exactly what cannot be read at that moment.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.db import InterfaceError, InternalError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.module_loading import import_string

log = logging.getLogger("whistle.database")

CODE = "database_unavailable"
DETAIL = "数据库暂时不可用（可能正在主备切换），请稍后重试"
# SQLSTATEs of a connection that is gone or of a server that cannot take it right now.
_SQLSTATES = {"57P01", "57P02", "57P03", "53300", "25006"}


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says the database connection is lost or unavailable (not that a query of ours is wrong)."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, (OperationalError, InternalError)):
        return False
    cause = exc.__cause__
    if not hasattr(cause, "sqlstate"):  # not a PostgreSQL driver's error (SQLite's errors are all ours to fix)
        return False
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:  # libpq's own failure: no server answered or the connection broke under us
        return isinstance(exc, OperationalError)
    return sqlstate.startswith("08") or sqlstate in _SQLSTATES


def retry_after() -> int:
    return int(getattr(settings, "WHISTLE_DB_RETRY_AFTER_SECONDS", 5))


def response(request, exc: BaseException) -> HttpResponse:
    """The 503 for `request`, logged once as a warning (no traceback: the error's text says what happened)."""
    from .errors import Problem

    problem = Problem(DETAIL, code=CODE, status=503)
    problem.title = "服务暂时不可用"
    answer = None
    for config in apps.get_app_configs():
        for prefix, path in getattr(config, "unavailable_responses", {}).items():
            if request.path.startswith(prefix):
                answer = import_string(path)(request, problem)
    if answer is None and request.path.startswith("/api/"):
        answer = JsonResponse(
            problem.as_dict(request.path),
            status=503,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
    if answer is None:
        from .observability import current_request_id

        page = loader.get_template("503.html").render(
            {"request_id": getattr(request, "request_id", None) or current_request_id(), "retry_after": retry_after()}
        )
        answer = HttpResponse(page, status=503)
    answer["Retry-After"] = str(retry_after())
    log.warning(
        "database unavailable",
        extra={
            "event": CODE,
            "path": request.path,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "sqlstate": getattr(exc.__cause__, "sqlstate", None),
        },
    )
    answer._has_been_logged = True  # type: ignore[union-attr]  # Django would add an ERROR with a traceback
    # Drop the broken connection now (Django would at the request's end; a test client or a long-lived caller would
    # not): the next request connects afresh and finds the new primary.
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    return answer
