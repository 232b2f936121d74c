"""What the requester sees of its own case's history, and what Open311 publishes: one rule for both.

Per event kind (`CaseEvent.action`):
- STEP: that it happened, by which unit, with the unit and deadline it names; no free text written by staff
  (an urge note or a return's reason may name people or say what is meant to stay between units).
- TEXT: also the text addressed to the requester (the contact note, the opinion, the reply, the follow-up).
- missing: internal (urges, yellow cards, extension requests, notes between units, staff comments), not shown
  to the requester at all.
Events the requester's own side wrote (its staff's comments, files, follow-ups) are always shown to it in full.
Staff are shown by their unit's name, never their own name.

Open311 is public: it publishes the kinds marked public, as step sentences only (open311.selectors).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

STEP = "step"
TEXT = "text"


@dataclass(frozen=True)
class Seen:
    requester: str  # STEP or TEXT
    public: bool  # Open311 publishes it too, as a step sentence (it is read by anyone)


RULE: dict[str, Seen] = {
    "submit": Seen(TEXT, True),
    "route": Seen(STEP, False),  # the catalogue found no unit: the office dispatches by hand
    "dispatch": Seen(STEP, True),
    "redispatch": Seen(STEP, False),  # the unit it went to now, not why (the reason is between office and units)
    "accept": Seen(STEP, True),
    "return": Seen(STEP, True),  # that it went back, not why (the reason is between units)
    "contact": Seen(TEXT, True),
    "opinion": Seen(TEXT, True),
    "reply": Seen(TEXT, True),
    "follow_up": Seen(TEXT, True),
    "escalate": Seen(STEP, True),
    "green_channel": Seen(STEP, True),
    "withdraw": Seen(TEXT, True),
    # The requester may know its case is supervised and overdue; the notice's reasons stay inside.
    "supervise": Seen(STEP, False),
    "red_card": Seen(STEP, False),
    "attach": Seen(STEP, False),  # a unit's file: its name; files stay off the public record
}
REQUESTER_SEES: dict[str, str] = {kind: seen.requester for kind, seen in RULE.items()}
PUBLIC_KINDS = frozenset(kind for kind, seen in RULE.items() if seen.public)
# What a STEP keeps of its payload: the unit a case went to, the deadline it has, a notice's number, a file's name.
STEP_FIELDS = frozenset({"unit_name", "resolve_due_at", "notice", "name"})
# What a TEXT drops of its payload: bookkeeping between units.
INTERNAL_FIELDS = frozenset({"on_time", "leader", "assisting_units", "suggested_unit", "unit"})
SYSTEM_LABEL = "系统"


def _people(case, events: list, viewer) -> tuple[set, dict]:
    """Which actors are on the requester's side, and the unit each of the others belongs to: one query, none when
    the only person is the viewer (a case just submitted)."""
    from whistle.org.models import Membership

    own, units = set(), {}
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    if viewer is not None and viewer.user is not None and viewer.enterprise_id == case.enterprise_id:
        own.add(viewer.user.pk)
        actor_ids.discard(viewer.user.pk)
    if actor_ids:
        for m in Membership.objects.filter(user_id__in=actor_ids).select_related("unit"):
            if case.enterprise_id and m.enterprise_id == case.enterprise_id:
                own.add(m.user_id)
            elif m.unit is not None:
                units[m.user_id] = m.unit.display_name
    return own, units


def requester_events(case, events: Iterable, viewer=None) -> list:
    """The case's events as its requester may see them: copies, filtered and redacted by the rule above.
    The copies are never saved (and carry no hash: a hash of what was removed would let it be guessed)."""
    events = list(events)
    own, units = _people(case, events, viewer)
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
