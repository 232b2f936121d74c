"""What the requester sees of its own case's history, and what Open311 publishes: one rule for both.

Per event kind (`CaseEvent.action`):
- STEP: that it happened, by which unit, with the unit and deadline it names; no free text written by staff
  (an urge note or a return's reason may name people or say what is meant to stay between units).
- TEXT: also the text addressed to the requester (the contact note, the opinion, the reply, the follow-up).
- missing: internal (urge, supervision notices, yellow and red cards, extension requests, notes between units,
  staff comments, routing), not shown to the requester at all.
Events the requester's own side wrote (its staff's comments, files, follow-ups) are always shown to it in full.
Staff are shown by their unit's name, never their own name.

Open311 is public: it publishes the kinds in PUBLIC_KINDS, as step sentences only (open311.selectors).
"""
from __future__ import annotations

import copy
from collections.abc import Iterable

from django.db.models import Q

STEP = "step"
TEXT = "text"

REQUESTER_SEES: dict[str, str] = {
    "submit": TEXT,
    "dispatch": STEP,
    "accept": STEP,
    "return": STEP,
    "contact": TEXT,
    "opinion": TEXT,
    "reply": TEXT,
    "follow_up": TEXT,
    "escalate": STEP,
    "green_channel": STEP,
    "withdraw": TEXT,
    "attach": STEP,  # a unit's file: its name; the file itself is listed with the case's attachments
}
# Files stay off the public record; everything else the requester follows is public as a step.
PUBLIC_KINDS = frozenset(REQUESTER_SEES) - {"attach"}
# What a STEP keeps of its payload: the unit a case went to, the deadline it now has, a file's name.
STEP_FIELDS = frozenset({"unit_name", "resolve_due_at", "name"})
# What a TEXT drops of its payload: bookkeeping between units.
INTERNAL_FIELDS = frozenset({"on_time", "leader", "assisting_units", "suggested_unit", "unit"})
SYSTEM_LABEL = "系统"


def _requester_side(case, events: list) -> set:
    """Users among the events' actors who belong to the case's enterprise."""
    from whistle.org.models import Membership

    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    if not actor_ids or not case.enterprise_id:
        return set()
    return set(Membership.objects.filter(user_id__in=actor_ids, enterprise_id=case.enterprise_id)
               .values_list("user_id", flat=True))


def _unit_names(events: list) -> dict:
    from whistle.org.models import Membership

    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    rows = Membership.objects.filter(user_id__in=actor_ids).filter(Q(unit__isnull=False)).select_related("unit")
    return {m.user_id: m.unit.display_name for m in rows}


def requester_events(case, events: Iterable) -> list:
    """The case's events as its requester may see them: copies, filtered and redacted by the rule above.
    The copies are never saved (and carry no hash: a hash of what was removed would let it be guessed)."""
    events = list(events)
    own = _requester_side(case, events)
    units = _unit_names(events)
    shown = []
    for event in events:
        if event.actor_id is not None and event.actor_id in own:
            visible = copy.copy(event)
        elif event.action in REQUESTER_SEES:
            visible = copy.copy(event)
            if event.actor_id is None:
                visible.actor_label = SYSTEM_LABEL
            else:
                visible.actor_label = units.get(event.actor_id, "工作人员")
            if REQUESTER_SEES[event.action] == STEP:
                visible.payload = {k: v for k, v in event.payload.items() if k in STEP_FIELDS}
            else:
                visible.payload = {k: v for k, v in event.payload.items() if k not in INTERNAL_FIELDS}
        else:
            continue
        visible.hash = visible.prev_hash = ""
        shown.append(visible)
    return shown
