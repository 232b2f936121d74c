"""The deadline sweep: cards, supervision notices and escalation, idempotent and batch-wise.

Each rule is an indexed range query over one sweep column (`yellow_at`, `red_at`, `supervise_at`,
`escalate_at`); the rows found are planned with the same workflow rows as any transition and written
back with one bulk UPDATE and one bulk INSERT of events per batch. Acting clears the column, so a
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
        cases = list(qs.select_related("lead_unit__leader", "county__leader", "county__parent__leader")[:BATCH])
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
        Case.objects.bulk_update(cases, FIELDS, batch_size=500)
        CaseEvent.objects.bulk_create(events, batch_size=1000)
    return len(cases), len(events)


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
