"""Read replicas (issue 21 item 3): read-only pages read from a PostgreSQL streaming replica, everything else from the
primary.

- Which requests: GET and HEAD of the paths in READ_PATHS (the cockpit and rankings with their exports and report,
  the ledger list, Open311's public GETs). The middleware marks such a request; only then does the router send reads
  to a replica. Writes always go to the primary (Django's `default`), and so does every read of any other request.
- Reading your own writes: a browser that has sent a write (any POST, PUT, PATCH, DELETE) gets a cookie naming the
  moment until which its requests read the primary (settings.REPLICA_PIN_SECONDS), so a person never sees a page
  older than what they just did.
- Lag: before a replica is used its replay lag is read (at most every settings.REPLICA_CHECK_SECONDS per process);
  a replica lagging more than settings.REPLICA_MAX_LAG_SECONDS, or not answering, is skipped until the next check,
  and the request reads the primary. Several replicas are taken in turn.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import re
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections

log = logging.getLogger(__name__)

READ_PATHS = re.compile(
    r"^/(?:dashboard(?:/rankings(?:\.xlsx)?|/rates\.xlsx|/report)?"
    r"|ledger"
    r"|open311/v2/(?:discovery|services?|requests)(?:/[^/]+)?(?:\.(?:json|xml))?)$"
)
PIN_COOKIE = "whistle_primary_until"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_replica_ok: contextvars.ContextVar[bool] = contextvars.ContextVar("whistle_replica_ok", default=False)
_checked: dict[str, tuple[float, bool]] = {}  # alias -> (monotonic time of the check, usable)
_turn = itertools.count()

# The replica's replay lag in seconds: 0 when it has replayed all it received, else the age of the last transaction
# it replayed (a paused or stuck replay grows without bound). NULL replay timestamp (nothing replayed yet): lagging.
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END"
)


def lag_seconds(alias: str) -> float:
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


def usable(alias: str) -> bool:
    now = time.monotonic()
    checked = _checked.get(alias)
    if checked and now - checked[0] < settings.REPLICA_CHECK_SECONDS:
        return checked[1]
    try:
        lag = lag_seconds(alias)
        ok = lag <= settings.REPLICA_MAX_LAG_SECONDS
        if not ok:
            log.warning("replica %s lags %.1f s: reads go to the primary", alias, lag)
    except Exception as exc:  # a replica down is skipped, never an error page
        log.warning("replica %s does not answer (%s): reads go to the primary", alias, exc)
        connections[alias].close()
        ok = False
    _checked[alias] = (now, ok)
    return ok


def replica_for_read() -> str | None:
    aliases = settings.REPLICA_ALIASES
    if not aliases or not _replica_ok.get():
        return None
    start = next(_turn)
    for i in range(len(aliases)):
        alias = aliases[(start + i) % len(aliases)]
        if usable(alias):
            return alias
    return None


class ReplicaRouter:
    """Reads of a marked request go to a usable replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        return replica_for_read()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # a replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _pinned(request) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


class ReplicaReads:
    """Marks the requests whose reads may come from a replica, and pins a writer to the primary for a while."""

    def __init__(self, get_response):
        if not settings.REPLICA_ALIASES:
            raise MiddlewareNotUsed  # no replica: Django leaves this middleware out of the chain
        self.get_response = get_response

    def __call__(self, request):
        eligible = request.method in ("GET", "HEAD") and bool(READ_PATHS.match(request.path)) and not _pinned(request)
        token = _replica_ok.set(eligible)
        try:
            response = self.get_response(request)
        finally:
            _replica_ok.reset(token)
        if request.method not in SAFE_METHODS:
            pin = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + pin:.0f}",
                max_age=pin,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
