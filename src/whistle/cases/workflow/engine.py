"""The engine: one function that applies any row of the table, and the planning it is made of.

`apply` checks scope, relation, state, guards and payload, changes the case, appends a hash-chained `CaseEvent`,
and runs any follow-on system transitions (a second return escalates to the city; an unsatisfied follow-up is
supervised). Nothing else changes a case's state: other apps call `cases.services`, which calls this; the sweeper
plans with the same rows (`plan_row`) and writes in bulk what `apply_steps` would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from whistle.core.compiled import insert_statement
from whistle.core.errors import Conflict, Forbidden, Invalid
from whistle.core.hashing import chain_hash, key_id
from whistle.org.models import Role
from whistle.org.scopes import UNIT_ROLES, Actor

from .. import deadlines
from ..models import Case, CaseEvent, Channel
from ..selectors import case_get
from ..signals import events_written
from .base import (
    ASSISTING,
    CITY_COORDINATOR,
    COORDINATOR,
    ENTERPRISE,
    LEAD,
    REQUESTER,
    SYSTEM,
    VISITING_LEADER,
    S,
    Step,
)
from .table import GUARDS, TRANSITIONS, Guard, Transition


def guard_failure(transition: Transition, case: Case, actor: Actor, now: dt.datetime, rel: set[str]) -> Guard | None:
    for name in transition.guards:
        guard = GUARDS[name]
        if not guard.holds(case, actor, now, rel):
            return guard
    return None


# ---- applying ---------------------------------------------------------------------------------------


def relations(actor: Actor, case: Case, assisting_ids: set[int] | None = None) -> set[str]:
    if actor.is_system:
        return {SYSTEM}
    found = set()
    role = actor.role
    if role == Role.ENTERPRISE and case.enterprise_id == actor.enterprise_id:
        found.add(ENTERPRISE)
        if actor.user is not None and case.requester_id == actor.user.pk:
            found.add(REQUESTER)
    elif role in UNIT_ROLES and actor.unit is not None:
        if case.lead_unit_id == actor.unit.pk:
            found.add(LEAD)
        ids = _assisting_ids(case) if assisting_ids is None else assisting_ids
        if actor.unit.pk in ids:
            found.add(ASSISTING)
    elif role == Role.COORDINATOR:
        found.add(COORDINATOR)  # the caller has already found the case inside the coordinator's scope
        if actor.is_city_level:  # the case's own city's office, or the province's (the case is in scope)
            found.add(CITY_COORDINATOR)
    elif role == Role.LEADER and case.channel == Channel.VISIT and actor.covers(case.county):
        found.add(VISITING_LEADER)
    return found


def _assisting_ids(case: Case) -> set[int]:
    """The case's assisting units, as the request knows them (`Case.assisting_ids`), else read."""
    known = getattr(case, "assisting_ids", None)
    return known if known is not None else set(case.assisting_units.values_list("pk", flat=True))


def allowed_actions(actor: Actor, case: Case, now: dt.datetime | None = None) -> list[Transition]:
    """The rows this actor may apply to this case now, from the case itself: the same checks as `plan_row` before the
    payload. That is the generic action's rows (`services.case_transition`) and the upload (`attach`, through its own
    door on the same page and at POST /cases/{number}/attachments); a row written only by another page's service
    (the office's 回访抽查, recorded at /callbacks) is not offered on the case."""
    rel = relations(actor, case)
    now = now or timezone.now()
    return [
        t
        for t in TRANSITIONS.values()
        if t.public
        and (t.manual or t.action == "attach")
        and case.state in t.sources
        and rel & t.actors
        and guard_failure(t, case, actor, now, rel) is None
    ]


class EventRow(NamedTuple):
    """An event's columns, in the order `CaseEvent` stores them, without a model instance: the sweep sends these
    tuples to the database as they are (building a `CaseEvent` costs more than planning the transition)."""

    case_id: int
    seq: int
    action: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_label: str
    at: dt.datetime
    payload: dict
    prev_hash: str
    hash: str
    hash_key: str
    # Not hashed: the case's, for the partition and the distribution key (docs/architecture.md).
    case_submitted_at: dt.datetime
    city_id: int | None


def plan(
    case: Case,
    action: str,
    actor: Actor,
    payload: dict | None = None,
    now: dt.datetime | None = None,
    *,
    assisting_ids: set[int] | None = None,
) -> tuple[Case, CaseEvent, Step]:
    """Check and apply one transition to the in-memory case; return the event to append. Writes nothing."""
    row, step = plan_row(case, action, actor, payload, now, assisting_ids=assisting_ids)
    event = CaseEvent(
        case=case,
        seq=row.seq,
        action=row.action,
        from_state=row.from_state,
        to_state=row.to_state,
        actor=None if actor.is_system else actor.user,
        actor_label=row.actor_label,
        at=row.at,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
        hash_key=row.hash_key,
        case_submitted_at=row.case_submitted_at,
        city_id=row.city_id,
    )
    return case, event, step


def plan_row(
    case: Case,
    action: str,
    actor: Actor,
    payload: dict | None = None,
    now: dt.datetime | None = None,
    *,
    assisting_ids: set[int] | None = None,
) -> tuple[EventRow, Step]:
    """`plan`, with the event as a row of its columns."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Invalid(f"未知操作：{action}", code="unknown_action", field="action")
    payload = payload or {}
    if not isinstance(payload, dict):
        raise Invalid("参数须为对象", code="invalid_payload", field="payload")
    now = now or timezone.now()
    rel = relations(actor, case, assisting_ids)
    if not rel & transition.actors:
        raise Forbidden(f"您无权对本工单执行“{transition.label}”", code="action_not_permitted", field="action")
    if transition.sources and case.state not in transition.sources:
        raise Conflict(
            f"工单当前状态为“{case.get_state_display()}”，不能执行“{transition.label}”",
            code="invalid_state",
            field="action",
            state=case.state,
        )
    failed = guard_failure(transition, case, actor, now, rel)
    if failed is not None:
        raise (Forbidden if failed.forbidden else Conflict)(failed.detail, code=failed.code, field="action")
    for name in transition.required:
        if payload.get(name) in (None, "", []):
            raise Invalid(f"缺少必填项：{name}", code=f"{name}_required", field=name)
    step = Step(case=case, actor=actor, payload=payload, now=now, target=transition.target)
    from_state = case.state
    if transition.effect:
        transition.effect(step)
    if step.target:
        case.state = step.target
    case.is_open = case.state != S.CLOSED
    if not case.is_open:
        deadlines.stop_clocks(case)
    kid = key_id()
    row = EventRow(
        case.pk,
        case.event_seq + 1,
        action,
        from_state if transition.sources else "",
        case.state,
        None if actor.user is None else actor.user.pk,  # the system (`is_system`) has no user
        actor.label,
        now,
        step.record,
        case.last_event_hash,
        "",
        kid,
        case.submitted_at,
        case.city_id,
    )
    # The fields the hash covers are the ones CaseEvent.record names; a row has the same attributes.
    row = row._replace(hash=chain_hash(row.prev_hash, CaseEvent.record(row), kid))
    case.event_seq, case.last_event_hash = row.seq, row.hash
    return row, step


def plan_with_follow_ons(case: Case, action: str, actor: Actor, payload, now, events: list, hooks: list) -> None:
    """Plan a transition and its follow-ons (as the system), appending their events and after-save hooks."""
    _, event, step = plan(case, action, actor, payload, now)
    events.append(event)
    hooks.extend(step.after_save)
    for follow_action, follow_payload in step.follow_ons:
        plan_with_follow_ons(case, follow_action, Actor.system(), follow_payload, step.now, events, hooks)


def plan_rows_with_follow_ons(
    case: Case,
    action: str,
    actor: Actor,
    payload,
    now,
    rows: list[EventRow],
    hooks: list,
    *,
    assisting_ids: set[int] | None = None,
) -> list[str]:
    """`plan_with_follow_ons` with the events as rows (the sweeper's and the bulk seed's set-based writes); returns
    the actions planned, the transition's own first. `assisting_ids`: the case's assisting units, when the caller
    holds them (a case not in the database yet), as for `plan_row`."""
    row, step = plan_row(case, action, actor, payload, now, assisting_ids=assisting_ids)
    rows.append(row)
    hooks.extend(step.after_save)
    done = [action]
    for follow_action, follow_payload in step.follow_ons:
        done += plan_rows_with_follow_ons(case, follow_action, Actor.system(), follow_payload, step.now, rows, hooks)
    return done


def apply_steps(case: Case, steps: Sequence[tuple[str, Actor, dict | None]], now: dt.datetime | None = None) -> Case:
    """Apply several transitions in turn (each with its follow-ons as the system) to a case already locked in the
    current transaction, then write once: the UPDATE of the columns they changed and the INSERT of their events
    (still one event per transition, each chained to the one before) — one statement on PostgreSQL — then the hooks
    (assisting units) in order.

    `case.written_events` is left holding the events written, in order."""
    connection = connections[DEFAULT_DB_ALIAS]  # the thread's own, not the proxy: compilers read it often
    before = {f.attname: getattr(case, f.attname) for f in _CONCRETE}
    events, hooks = _plan_steps(case, steps, now)
    changed = [f for f in _CONCRETE if getattr(case, f.attname) != before[f.attname]]
    if connection.vendor == "postgresql" and changed:
        update = UpdateQuery(Case)
        update.add_update_fields([(f, None, f.pre_save(case, False)) for f in changed])
        update.add_q(Q(pk=case.pk))
        _write_with_events([update.get_compiler(connection=connection).as_sql()], events)
    else:
        if changed:
            case.save(update_fields=[f.name for f in changed])
        CaseEvent.objects.bulk_create(events)
    return _written(case, events, hooks)


def apply_new(
    case: Case,
    steps: Sequence[tuple[str, Actor, dict | None]],
    now: dt.datetime | None = None,
    *,
    with_rows: Sequence[models.Model] = (),
) -> Case:
    """Write a new case with the transitions it starts with (submission, routing) and `with_rows` (rows that point
    at it: its Idempotency-Key record). A case numbered in advance (`pk` set: on PostgreSQL the submission's reading
    statement took the next id from the sequence) is planned in memory and written whole — the case row as the
    steps left it, the rows and the events — in one statement; otherwise the case is inserted first to learn its
    id (the events' hashes cover it), and `apply_steps` writes the rest."""
    connection = connections[DEFAULT_DB_ALIAS]  # the thread's own, not the proxy: compilers read it often
    if case.pk is None or connection.vendor != "postgresql":
        case.save(force_insert=True)
        for row in with_rows:
            row.save(force_insert=True)
        return apply_steps(case, steps, now)
    events, hooks = _plan_steps(case, steps, now)
    statements: list[tuple[str, Sequence]] = []
    for obj in [case, *with_rows]:
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key or obj.pk is not None]
        statements.append(insert_statement(type(obj), fields, [obj], connection))
    _write_with_events(statements, events)
    for obj in [case, *with_rows]:
        obj._state.adding, obj._state.db = False, connection.alias
    return _written(case, events, hooks)


def _plan_steps(case: Case, steps, now) -> tuple[list[CaseEvent], list[Callable[[Case], None]]]:
    events: list[CaseEvent] = []
    hooks: list[Callable[[Case], None]] = []
    for action, actor, payload in steps:
        plan_with_follow_ons(case, action, actor, payload, now, events, hooks)
    return events, hooks


def _write_with_events(statements: list[tuple[str, Sequence]], events: list[CaseEvent]) -> None:
    """PostgreSQL: the statements that write the case (its UPDATE, or its INSERT and the rows that point at it) and
    the INSERT of its events as one statement: `WITH w0 AS (…), w1 AS (…) INSERT INTO cases_caseevent …`. Each part
    runs once whether or not the main statement reads it; the foreign keys are checked at commit (deferred)."""
    connection = connections[DEFAULT_DB_ALIAS]  # the thread's own, not the proxy: compilers read it often
    events_sql, events_params = insert_statement(CaseEvent, _EVENT_FIELDS, list[models.Model](events), connection)
    parts = ", ".join(f"w{i} AS ({sql})" for i, (sql, _) in enumerate(statements))
    params = [p for _, statement_params in statements for p in statement_params]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {parts} {events_sql}", [*params, *events_params])


def _written(case: Case, events: list[CaseEvent], hooks) -> Case:
    for hook in hooks:
        hook(case)
    case.written_events = events
    events_written.send(sender=Case, events=events)
    return case


_CONCRETE = [f for f in Case._meta.concrete_fields if not f.primary_key]
_EVENT_FIELDS = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]


def apply_locked(
    case: Case, action: str, actor: Actor, payload: dict | None = None, now: dt.datetime | None = None
) -> Case:
    """Apply to a case already locked in the current transaction, then its follow-ons as the system."""
    return apply_steps(case, [(action, actor, payload)], now)


def apply(
    case: Case | str, action: str, actor: Actor, payload: dict | None = None, now: dt.datetime | None = None
) -> Case:
    """The one way to change a case: in one transaction, with the case row locked."""
    with transaction.atomic():
        number = case.number if isinstance(case, Case) else case
        locked = case_get(actor, number, for_update=True)
        return apply_locked(locked, action, actor, payload, now)
