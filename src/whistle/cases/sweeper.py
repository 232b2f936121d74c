"""The deadline sweep: cards, supervision notices and escalation, idempotent and batch-wise.

One pass per case (domain/rules.md §1, §8.2): a batch is the cases with any sweep column (`red_at`, `yellow_at`,
`supervise_at`, `escalate_at`) due, found by the four partial indexes at once; each case is planned for all its due
rules in turn (red card before yellow, then supervision, then escalation or the green channel), with the same workflow
rows as any transition (`workflow.plan`), so a case is read, updated and index-maintained once however many rules are
due. The batch is written back with one UPDATE and one append of events. Acting clears the column, so a second sweep
finds nothing and writes nothing.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

from django.db import connection, transaction
from django.db.models import Q, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.utils import timezone

from whistle.core.errors import Problem
from whistle.org.scopes import Actor

from .models import Case, CaseEvent, EscalationLevel
from .workflow import plan

log = logging.getLogger("whistle.sweeper")

# The order the rules are applied to one case. Red before yellow: a case already a working day late gets its red
# card, not a stale yellow one. Supervision before escalation: a notice issued now arms the escalation clock.
RULES = [("red_card", "red_at"), ("yellow_card", "yellow_at"), ("supervise", "supervise_at"), ("escalate", "escalate_at")]
# The columns the sweep writes back.
FIELDS = [
    "state", "is_open", "card", "yellow_at", "red_at", "supervise_at", "escalate_at", "supervised_at", "supervision_count",
    "level", "escalated_at", "resolve_due_at", "next_due_at", "green_channel_leader", "event_seq", "last_event_hash",
]
# The columns the rules read, besides FIELDS: a case is loaded with these only (`only()`), not all 55 columns.
READ = ["id", "opinion_at", "lead_unit", "county", "sla_profile", *FIELDS]
BATCH = 2000  # cases per sweep column per batch (a batch takes up to 4 × BATCH cases)
WRITE_ROWS = 1000  # rows per UPDATE on SQLite: 17 parameters each stays under its 32,766
EVENT_COLUMNS = ["case_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "payload", "prev_hash", "hash"]


def _action_for(rule: str, case: Case) -> str:
    if rule == "escalate" and case.level == EscalationLevel.CITY:
        return "green_channel"
    return rule


def due_q(now: dt.datetime) -> Q:
    """Any sweep column due."""
    q = Q()
    for _, column in RULES:
        q |= Q(**{f"{column}__lte": now})
    return q


def _due_ids(now: dt.datetime) -> RawSQL:
    """The next cases to sweep: up to BATCH per sweep column, each an index range scan on its partial index,
    united. (An OR of the four columns ordered by id would walk the primary key over the whole table.)"""
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    parts = [
        f"SELECT {quote('id')} FROM (SELECT {quote('id')} FROM {table} WHERE {quote(column)} <= %s "
        f"ORDER BY {quote(column)} LIMIT {BATCH}) AS {column}_due"
        for _, column in RULES
    ]
    moment = connection.ops.adapt_datetimefield_value(now)
    return RawSQL(" UNION ".join(parts), [moment] * len(parts))


def _plan_case(case: Case, now: dt.datetime, system: Actor, counts: dict[str, int], events: list[CaseEvent]) -> None:
    """Every rule due on this case, in RULES order, each seeing what the one before left."""
    for rule, column in RULES:
        moment = getattr(case, column)
        if moment is None or moment > now:
            continue
        try:
            _, event, _ = plan(case, _action_for(rule, case), system, {}, now)
        except Problem as refused:
            # A column left armed in a state the rule no longer applies to: disarm it, record nothing.
            log.warning("sweep %s skipped case %s: %s", rule, case.number, refused.detail)
            setattr(case, column, None)
            continue
        events.append(event)
        counts[rule] += 1
        moment = getattr(case, column)
        if moment is not None and moment <= now:
            # Every rule clears or moves its column; should one not, disarm it rather than find the case again.
            log.warning("sweep %s left case %s due; disarmed", rule, case.number)
            setattr(case, column, None)


def _batch(now: dt.datetime, counts: dict[str, int]) -> int:
    """One batch of due cases, all their due rules: returns how many cases it looked at."""
    system = Actor.system()
    with transaction.atomic():
        qs = Case.objects.filter(due_q(now), pk__in=_due_ids(now)).only(*READ).order_by("pk")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        cases = list(qs)
        # Only the green channel (escalation due at city level) reads the leaders: load them for those cases alone.
        green = [c for c in cases if c.escalate_at is not None and c.escalate_at <= now and c.level == EscalationLevel.CITY]
        if green:
            prefetch_related_objects(green, "lead_unit__leader", "county__leader", "county__parent__leader")
        events: list[CaseEvent] = []
        for case in cases:
            _plan_case(case, now, system, counts, events)
        _write_back(cases)
        _append_events(events)
    return len(cases)


def _write_back(cases: list[Case]) -> None:
    """Save FIELDS of many cases in one statement.

    Not `bulk_update`: it builds a CASE WHEN expression per row and field (14 s of Python for 1,306 rows). On
    PostgreSQL one `UPDATE … FROM unnest(array, …)`: 17 array parameters, whatever the number of rows; elsewhere a
    VALUES list per WRITE_ROWS rows.
    """
    if not cases:
        return
    fields = [Case._meta.get_field(name) for name in FIELDS]
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    names = ["id"] + [f.column for f in fields]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [[case.pk for case in cases]] + [[getattr(case, f.attname) for case in cases] for f in fields]
            casts = ["bigint"] + [f.cast_db_type(connection) for f in fields]
            unnest = ", ".join(f"%s::{cast}[]" for cast in casts)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({unnest}) AS v({', '.join(quote(n) for n in names)}) "
                f"WHERE {table}.{quote('id')} = v.{quote('id')}",
                arrays,
            )
            return
        row = "(" + ", ".join(["%s"] * len(names)) + ")"
        for start in range(0, len(cases), WRITE_ROWS):
            chunk = cases[start:start + WRITE_ROWS]
            params = []
            for case in chunk:
                params.append(case.pk)
                # SQLite needs Django's conversions (datetimes to text).
                params.extend(f.get_db_prep_save(getattr(case, f.attname), connection) for f in fields)
            cursor.execute(
                f"WITH v({', '.join(quote(n) for n in names)}) AS (VALUES {', '.join([row] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote('id')} = v.{quote('id')}",
                params,
            )


def _append_events(events: list[CaseEvent]) -> None:
    """The batch's events: binary COPY on PostgreSQL (no model-to-SQL conversion in Python), bulk_create elsewhere."""
    if not events:
        return
    if connection.vendor != "postgresql":
        CaseEvent.objects.bulk_create(events, batch_size=1000)
        return
    copy_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, [
        (e.case_id, e.seq, e.action, e.from_state, e.to_state, e.actor_id, e.actor_label, e.at, e.payload, e.prev_hash, e.hash)
        for e in events
    ])


_column_types: dict[tuple[str, str], int] = {}


def copy_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Append rows to a table: binary COPY on PostgreSQL (column types read from the catalogue), executemany elsewhere.
    A dict goes to a JSON column."""
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [_column_types.get((table, c)) for c in columns]
            if None in types:
                cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table])
                found = dict(cursor.fetchall())
                _column_types.update({(table, c): found[c] for c in columns})
                types = [found[c] for c in columns]
            with cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        from decimal import Decimal

        adapt = connection.ops.adapt_datetimefield_value
        rows = [tuple(adapt(v) if isinstance(v, dt.datetime) else json.dumps(v, ensure_ascii=False) if isinstance(v, dict)
                      else str(v) if isinstance(v, Decimal) else v for v in row) for row in rows]
        cursor.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})", rows)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every rule until nothing is due. Returns how many events each rule wrote (the green channel counts as
    escalation)."""
    now = now or timezone.now()
    counts = {rule: 0 for rule, _ in RULES}
    # Every case a batch takes is left with nothing due (each rule clears or moves its column, or it is disarmed),
    # so this ends; cases locked by someone else (SKIP LOCKED) wait for the next sweep.
    while _batch(now, counts):
        pass
    return counts
