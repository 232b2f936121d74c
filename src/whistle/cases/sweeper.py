"""The deadline sweep: cards, supervision notices and escalation, idempotent and batch-wise.

Each rule is an indexed range query over one sweep column (`yellow_at`, `red_at`, `supervise_at`,
`escalate_at`); the rows found are planned with the same workflow rows as any transition and written
back with one UPDATE … FROM (VALUES …) and one bulk INSERT of events per batch. Acting clears the column, so a
second sweep finds nothing and writes nothing.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from whistle.core.errors import Problem
from whistle.org.scopes import Actor

from .models import Case, CaseEvent, EscalationLevel
from .workflow import plan

log = logging.getLogger("whistle.sweeper")

# Red before yellow: a case already a working day late gets its red card, not a stale yellow one.
RULES = [("red_card", "red_at"), ("yellow_card", "yellow_at"), ("supervise", "supervise_at"), ("escalate", "escalate_at")]
FIELDS = [
    "state", "is_open", "card", "yellow_at", "red_at", "supervise_at", "escalate_at", "supervised_at", "supervision_count",
    "level", "escalated_at", "resolve_due_at", "next_due_at", "green_channel_leader", "event_seq", "last_event_hash",
]
BATCH = 2000
WRITE_ROWS = 1000  # rows per UPDATE: 17 parameters each stays under SQLite's 32,766 and psycopg's 65,535


def _action_for(rule: str, case: Case) -> str:
    if rule == "escalate" and case.level == EscalationLevel.CITY:
        return "green_channel"
    return rule


def _batch(rule: str, column: str, now: dt.datetime) -> tuple[int, int]:
    """One batch: (rows looked at, events written)."""
    system = Actor.system()
    with transaction.atomic():
        qs = Case.objects.filter(**{f"{column}__lte": now}).order_by(column, "pk")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        if rule == "escalate":
            # Only the green channel (escalate at city level) reads the leaders; the other rules skip the joins.
            qs = qs.select_related("lead_unit__leader", "county__leader", "county__parent__leader")
        cases = list(qs[:BATCH])
        events = []
        for case in cases:
            try:
                _, event, _ = plan(case, _action_for(rule, case), system, {}, now)
            except Problem as refused:
                # A column left armed in a state the rule no longer applies to: disarm it, record nothing.
                log.warning("sweep %s skipped case %s: %s", rule, case.number, refused.detail)
                setattr(case, column, None)
                continue
            events.append(event)
        _write_back(cases)
        CaseEvent.objects.bulk_create(events, batch_size=1000)
    return len(cases), len(events)


def _write_back(cases: list[Case]) -> None:
    """Save FIELDS of many cases with one statement per WRITE_ROWS rows.

    Not `bulk_update`: it builds a CASE WHEN expression per row and field, which cost 14 s of Python for
    1,306 rows (bench/sweep_bench.py --profile); this sends the rows as a VALUES list instead.
    """
    fields = [Case._meta.get_field(name) for name in FIELDS]
    quote = connection.ops.quote_name
    names = ["id"] + [f.column for f in fields]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    # PostgreSQL types a VALUES column from its first row; a NULL there would make it text.
    cast = (lambda db_type: f"%s::{db_type}") if connection.vendor == "postgresql" else (lambda db_type: "%s")
    first = "(" + ", ".join([cast("bigint")] + [cast(f.cast_db_type(connection)) for f in fields]) + ")"
    other = "(" + ", ".join(["%s"] * len(names)) + ")"
    # psycopg adapts the model's Python values itself; SQLite needs Django's conversions (datetimes to text).
    prepare = (lambda f, value: value) if connection.vendor == "postgresql" else (lambda f, value: f.get_db_prep_save(value, connection))
    table = quote(Case._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(cases), WRITE_ROWS):
            chunk = cases[start:start + WRITE_ROWS]
            params = []
            for case in chunk:
                params.append(case.pk)
                params.extend(prepare(f, getattr(case, f.attname)) for f in fields)
            rows = ", ".join([first] + [other] * (len(chunk) - 1))
            cursor.execute(
                f"WITH v({', '.join(quote(n) for n in names)}) AS (VALUES {rows}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote('id')} = v.{quote('id')}",
                params,
            )


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every rule until nothing is due. Returns how many events each rule wrote."""
    now = now or timezone.now()
    counts = {}
    for rule, column in RULES:
        total = 0
        while True:
            seen, written = _batch(rule, column, now)
            total += written
            if seen < BATCH:
                break
        counts[rule] = total
    return counts
