"""What every part of the workflow shares: the state sets, the relations of an actor to a case, and `Step`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from whistle.org.scopes import Actor

from ..models import OPEN_STATES, Case, State

S = State
CLOCK_STATES = frozenset({S.DISPATCHED, S.ACCEPTED, S.CONTACTED, S.IN_PROGRESS, S.REOPENED})
# Waiting for the office to dispatch: the dispatch clock runs (rules.md §4: dispatch within a set time).
WAITING_STATES = frozenset({S.SUBMITTED, S.RETURNED})
WORKING_STATES = frozenset({S.ACCEPTED, S.CONTACTED, S.IN_PROGRESS, S.REOPENED})
OPEN = frozenset(OPEN_STATES)

# Relations of an actor to a case; a row lists which of them may act.
REQUESTER, ENTERPRISE, LEAD, ASSISTING, COORDINATOR, CITY_COORDINATOR, SYSTEM = (
    "requester",
    "enterprise",
    "lead_unit",
    "assisting_unit",
    "coordinator",
    "city_coordinator",
    "system",
)
# A leader over the case's county raising what an enterprise told them on a visit (领导包保走访, channel `visit`).
VISITING_LEADER = "visiting_leader"


@dataclass
class Step:
    """What an effect sees and returns: the case being changed, the cleaned payload for the event, follow-ons.

    `after_save` hooks write what the case row does not hold (its assisting units) once the case is saved;
    `follow_ons` are (action, payload) transitions the system applies next, each with its own event."""

    case: Case
    actor: Actor
    payload: dict
    now: dt.datetime
    target: str | None
    record: dict = field(default_factory=dict)
    after_save: list[Callable[[Case], None]] = field(default_factory=list)
    follow_ons: list[tuple[str, dict]] = field(default_factory=list)
