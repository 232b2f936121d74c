"""Write the outbox in the transaction that appends the case events (`cases.signals.events_written`).

Every path that appends events sends the signal inside its transaction: the engine (one case, a few events) and the
sweeper's set-based write (thousands of events in one statement, on PostgreSQL in psycopg's pipeline mode). The
receiver keeps to the same shape: it picks the events some rule or webhook is watching and writes them with one
INSERT per send — on PostgreSQL `INSERT … SELECT FROM unnest(array, …)` with the arrays bound in binary (Django's own
cursor binds on the client, which pipeline mode does not allow), elsewhere one multi-row INSERT. No recipient is
resolved here: that costs queries per case and belongs to the sender, outside the step's transaction.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from whistle.cases.signals import events_written

from .models import Notice, NoticeRule, WebhookEndpoint

ALL = "*"
_TTL_SECONDS = 30.0  # another process sees a rule or endpoint edited in the admin within this time
_watched: tuple[float, frozenset[str]] | None = None
COLUMNS = ["case_id", "seq", "action", "to_state", "at", "case_submitted_at", "city_id"]


def clear_cache(**kwargs) -> None:
    global _watched
    _watched = None


def watched() -> frozenset[str]:
    """The case actions anyone is told of: those of active rules, and of active webhooks (ALL when a webhook takes
    every event)."""
    global _watched
    if _watched is None or time.monotonic() - _watched[0] > _TTL_SECONDS:
        actions = set(NoticeRule.objects.filter(is_active=True).values_list("action", flat=True))
        for subscribed in WebhookEndpoint.objects.filter(is_active=True).values_list("actions", flat=True):
            actions.update(subscribed or [ALL])
        _watched = (time.monotonic(), frozenset(actions))
    return _watched[1]


for _model in (NoticeRule, WebhookEndpoint):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"notices-watched-save-{_model.__name__}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"notices-watched-delete-{_model.__name__}")


@receiver(events_written, dispatch_uid="notices-outbox")
def write_outbox(sender, events, **kwargs) -> int:
    """One outbox row per watched event, in the caller's transaction. Returns how many."""
    connection = connections[DEFAULT_DB_ALIAS]
    actions = watched()
    if not actions:
        return 0
    every = ALL in actions
    rows = [
        (e.case_id, e.seq, e.action, e.to_state or "", e.at, e.case_submitted_at, e.city_id)
        for e in events
        if every or e.action in actions
    ]
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        _insert_postgres(rows)
    else:
        _insert_values(rows)
    return len(rows)


def _insert_postgres(rows) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    fields = [Notice._meta.get_field(name.removesuffix("_id")) for name in COLUMNS]
    casts = [f.cast_db_type(connection) for f in fields]
    arrays = [list(column) for column in zip(*rows)]
    with _binary_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Notice._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"SELECT * FROM unnest({', '.join(f'%b::{cast}[]' for cast in casts)})",
            arrays,
        )


def _insert_values(rows) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    fields = [Notice._meta.get_field(name.removesuffix("_id")) for name in COLUMNS]
    per_statement = 32766 // len(fields) // 2  # SQLite's parameter limit, with room
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = []
            for row in chunk:
                params.extend(f.get_db_prep_save(value, connection) for f, value in zip(fields, row))
            values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {quote(Notice._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                f"VALUES {values}",
                params,
            )


@contextmanager
def _binary_cursor():
    """A Django cursor over a psycopg cursor binding on the server (as the sweeper's): usable in pipeline mode."""
    connection = connections[DEFAULT_DB_ALIAS]
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor
