"""The deadline sweep: cards, supervision notices and escalation, idempotent and batch-wise.

One pass per case (domain/rules.md §1, §8.2): a batch is the cases with any sweep column (`red_at`, `yellow_at`,
`supervise_at`, `escalate_at`) due, found by the four partial indexes at once; each case is planned for all its due
rules in turn (red card before yellow, then supervision, then escalation or the green channel), with the same workflow
rows as any transition (`workflow.plan_rows_with_follow_ons`: a rule's follow-ons and after-save hooks are taken too), so a case is read, updated and index-maintained once however many rules
are due. The batch is written back chunk by chunk, one UPDATE of the cases and one INSERT of their events per CHUNK
cases; on PostgreSQL in pipeline mode, so the server writes one chunk while the next is planned. Acting clears the
column, so a second sweep finds nothing and writes nothing.

Python per case is kept small (issue 2: 10,000 due among 1,000,000 open cases in under 2 s): cases are read and
written through a binary cursor (Django's quotes parameters into the SQL as text and parses timestamps in Python),
built without `Model.__init__`, and their events are tuples (`EventRow`), not `CaseEvent` instances.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Q, prefetch_related_objects
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone

from whistle.core.errors import Problem
from whistle.org.scopes import Actor

from .models import Case, CaseEvent, EscalationLevel
from .signals import events_written
from .workflow import EventRow, plan_rows_with_follow_ons

log = logging.getLogger("whistle.sweeper")

# The order the rules are applied to one case. Red before yellow: a case already a working day late gets its red
# card, not a stale yellow one. Supervision before escalation: a notice issued now arms the escalation clock.
RULES = [
    ("red_card", "red_at"),
    ("yellow_card", "yellow_at"),
    ("supervise", "supervise_at"),
    ("escalate", "escalate_at"),
]
# The columns the sweep loads (a case is loaded with these only, not all 55 columns): those the rules read and
# change. Which columns it writes back is not listed: it is what planning changed, derived for each
# chunk as `workflow.apply_steps` derives it for one case, so a rule that comes to change another column writes it.
READ = [
    "id",
    "opinion_at",
    "dispatch_due_at",
    "lead_unit",
    "county",
    "sla_profile",
    "urgency",
    "state",
    "is_open",
    "card",
    "yellow_at",
    "red_at",
    "supervise_at",
    "escalate_at",
    "supervised_at",
    "supervision_count",
    "level",
    "escalated_at",
    "resolve_due_at",
    "next_due_at",
    "green_channel_leader",
    "event_seq",
    "last_event_hash",
    "submitted_at",  # the events' partition column and distribution key (not written back: nothing changes them)
    "city",
]
READ_COLUMNS = [{f.name: f.attname for f in Case._meta.concrete_fields}[name] for name in READ]
FIELDS = READ[1:]  # the columns of a case the sweep sees, all but its id (tests compare a swept case by them)
# Every column a plan could change, by attribute name (a column not loaded that an effect sets is written too).
CONCRETE = {f.attname: f for f in Case._meta.concrete_fields if not f.primary_key}
WRITABLE = READ_COLUMNS[1:]
READ_SET = frozenset(READ_COLUMNS)
BATCH = 2000  # cases per sweep column per batch (a batch takes up to 4 × BATCH cases)
WRITE_ROWS = 1000  # rows per UPDATE on SQLite: 1 + the columns written (at most 21 today) stay under its 32,766
EVENT_COLUMNS = list(EventRow._fields)
EVENT_FIELDS = [name.removesuffix("_id") for name in EVENT_COLUMNS]  # case_id → the field "case"
# Cases planned before their chunk is sent: in pipeline mode (PostgreSQL) the server writes a chunk while the next is
# planned, so a small chunk leaves it little to do once the last is planned.
CHUNK = 250


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


def _plan_case(
    case: Case, now: dt.datetime, system: Actor, counts: dict[str, int], events: list[EventRow], hooks: list
) -> None:
    """Every rule due on this case, in RULES order, each seeing what the one before left. A rule's step is taken
    whole, as `workflow.apply_steps` takes it: its follow-ons are planned after it (as the system, each its own
    event) and its after-save hooks run once the chunk is written."""
    for rule, column in RULES:
        moment = getattr(case, column)
        if moment is None or moment > now:
            continue
        try:
            planned = plan_rows_with_follow_ons(case, _action_for(rule, case), system, {}, now, events, hooks)
        except Problem as refused:
            # A column left armed in a state the rule no longer applies to: disarm it, record nothing.
            log.warning("sweep %s skipped case %s: %s", rule, case.number, refused.detail)
            setattr(case, column, None)
            continue
        counts[rule] += 1
        for follow_on in planned[1:]:
            counts[follow_on] = counts.get(follow_on, 0) + 1
        moment = getattr(case, column)
        if moment is not None and moment <= now:
            # Every rule clears or moves its column; should one not, disarm it rather than find the case again.
            log.warning("sweep %s left case %s due; disarmed", rule, case.number)
            setattr(case, column, None)


def _batch(now: dt.datetime, counts: dict[str, int]) -> int:
    """One batch of due cases, all their due rules: returns how many cases it looked at."""
    system = Actor.system()
    with transaction.atomic():
        cases = _load(now)
        # Only the green channel (escalation due at city level) reads the leaders: load them for those cases alone.
        green = [
            c for c in cases if c.escalate_at is not None and c.escalate_at <= now and c.level == EscalationLevel.CITY
        ]
        if green:
            prefetch_related_objects(green, "lead_unit__leader", "county__leader", "county__parent__leader")
        hooks: list[tuple] = []
        with _pipeline():
            for start in range(0, len(cases), CHUNK):
                chunk = cases[start : start + CHUNK]
                events: list[EventRow] = []
                changed: set[str] = set()
                unchanged = WRITABLE  # the loaded columns no case of the chunk has changed yet
                for case in chunk:
                    state = case.__dict__
                    before, size = [state[a] for a in unchanged], len(state)
                    case_hooks: list = []
                    _plan_case(case, now, system, counts, events, case_hooks)
                    grew = [a for a, value in zip(unchanged, before) if state[a] != value]
                    if grew:
                        changed.update(grew)
                        unchanged = [a for a in unchanged if a not in changed]
                    if len(state) != size:  # a column not loaded, set by an effect (or read: written unchanged)
                        changed.update(a for a in state if a in CONCRETE and a not in READ_SET)
                    hooks.extend((hook, case) for hook in case_hooks)
                _write_back(chunk, [f for a, f in CONCRETE.items() if a in changed])
                _append_events(events)
        # After-save hooks (what the case row does not hold, e.g. assisting units), in order, once the cases and
        # events are written; no sweep rule has one today, the sweep runs them as the engine does.
        for hook, case in hooks:
            hook(case)
    return len(cases)


def _load(now: dt.datetime) -> list[Case]:
    """The batch's cases, locked (PostgreSQL), with the READ columns only."""
    qs = Case.objects.filter(due_q(now), pk__in=_due_ids(now)).order_by("pk").values_list(*READ_COLUMNS)
    if connection.vendor != "postgresql":
        return _cases(qs)
    qs = qs.select_for_update(skip_locked=True, of=("self",))
    sql, params = qs.query.sql_with_params()
    with _binary_cursor() as cursor:
        cursor.execute(sql, params)
        return _cases(cursor.fetchall())


def _cases(rows) -> list[Case]:
    """Case instances as `Case.from_db` leaves them (the columns not read are deferred), without its `__init__`: that
    walks all 55 fields for each case, 60 µs a case, more than planning its rules."""
    cases = []
    db = connection.alias
    for row in rows:
        case = Case.__new__(Case)
        case.__dict__.update(zip(READ_COLUMNS, row))
        case._state = state = ModelState()
        state.adding, state.db = False, db
        cases.append(case)
    return cases


@contextmanager
def _binary_cursor():
    """A Django cursor (execute wrappers and the query log see its statements) over a psycopg cursor that binds
    parameters on the server and returns binary results. Django's own cursor quotes parameters into the statement
    as text and reads timestamps as text in Python: for 10,000 cases, ~0.5 s each way; binary, a tenth."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    # Django wraps any DB-API cursor; its stubs name only its own wrapper.
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    cursor = wrap(raw)  # type: ignore[arg-type]
    with cursor:
        yield cursor


@contextmanager
def _pipeline():
    """On PostgreSQL, psycopg's pipeline mode: a statement is sent without waiting for its result, so the server
    writes one chunk while Python plans the next (errors surface at the latest when the block ends, as Django's)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _write_back(cases: list[Case], fields: list) -> None:
    """Save `fields` (the columns planning changed) of many cases in one statement.

    Not `bulk_update`: it builds a CASE WHEN expression per row and field (14 s of Python for 1,306 rows). On
    PostgreSQL one `UPDATE … FROM unnest(array, …)`: an array parameter per column sent in binary, whatever the number of
    rows; elsewhere a VALUES list per WRITE_ROWS rows.
    """
    if not cases or not fields:
        return
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    names = ["id"] + [f.column for f in fields]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    if connection.vendor == "postgresql":
        arrays = [[case.pk for case in cases]] + [[getattr(case, f.attname) for case in cases] for f in fields]
        casts = ["bigint"] + [f.cast_db_type(connection) for f in fields]
        unnest = ", ".join(f"%b::{cast}[]" for cast in casts)
        with _binary_cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({unnest}) AS v({', '.join(quote(n) for n in names)}) "
                f"WHERE {table}.{quote('id')} = v.{quote('id')}",
                arrays,
            )
        return
    with connection.cursor() as cursor:
        row = "(" + ", ".join(["%s"] * len(names)) + ")"
        for start in range(0, len(cases), WRITE_ROWS):
            chunk = cases[start : start + WRITE_ROWS]
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


def _append_events(events: list[EventRow]) -> None:
    """Append the events: on PostgreSQL one `INSERT … SELECT FROM unnest(array, …)` in binary (a COPY cannot run in
    pipeline mode), bulk_create elsewhere."""
    if not events:
        return
    events_written.send(sender=Case, events=events)
    if connection.vendor != "postgresql":
        CaseEvent.objects.bulk_create([CaseEvent(**e._asdict()) for e in events], batch_size=1000)
        return
    from psycopg.types.json import Jsonb

    quote = connection.ops.quote_name
    fields = {f.name: f for f in CaseEvent._meta.concrete_fields}
    casts = [fields[column].cast_db_type(connection) for column in EVENT_FIELDS]
    arrays = [list(values) for values in zip(*events)]
    arrays[EVENT_COLUMNS.index("payload")] = [Jsonb(payload) for payload in arrays[EVENT_COLUMNS.index("payload")]]
    with _binary_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(CaseEvent._meta.db_table)} ({', '.join(quote(c) for c in EVENT_COLUMNS)}) "
            f"SELECT * FROM unnest({', '.join(f'%b::{cast}[]' for cast in casts)})",
            arrays,
        )


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
