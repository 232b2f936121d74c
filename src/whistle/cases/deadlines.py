"""SLA arithmetic: turn a profile's stages into deadline columns on a case."""

from __future__ import annotations

import datetime as dt
import time

from whistle.core import calendar
from whistle.core.rules import int_param

from .models import Case, SlaStage

_profiles: dict[int, dict[str, tuple[int, str]]] = {}
_loaded_at = 0.0
_TTL_SECONDS = 60.0  # other processes (the worker, other web workers) see an edit within this time


def _stages(profile_id: int) -> dict[str, tuple[int, str]]:
    global _loaded_at
    if time.monotonic() - _loaded_at > _TTL_SECONDS:
        _profiles.clear()
        _loaded_at = time.monotonic()
    if profile_id not in _profiles:
        _profiles[profile_id] = {s.stage: (s.amount, s.unit) for s in SlaStage.objects.filter(profile_id=profile_id)}
    return _profiles[profile_id]


def clear_cache() -> None:
    _profiles.clear()


def due(profile_id: int, stage: str, start: dt.datetime) -> dt.datetime:
    try:
        amount, unit = _stages(profile_id)[stage]
    except KeyError:
        raise LookupError(f"SLA profile {profile_id} has no stage {stage!r}") from None
    if unit == SlaStage.TimeUnit.HOURS:
        return calendar.add_hours(start, amount)
    return calendar.add_working_days(start, amount)


def arm_resolve_clock(case: Case, resolve_due: dt.datetime) -> None:
    """Set the solve deadline and the sweep columns that hang off it (cards one working day either side)."""
    case.resolve_due_at = resolve_due
    case.yellow_at = calendar.add_working_days(resolve_due, -1)
    case.red_at = calendar.add_working_days(resolve_due, 1)
    case.supervise_at = resolve_due
    case.card = "none"


def stop_clocks(case: Case) -> None:
    """The unit owes nothing now (it replied, or the case closed): nothing left to sweep."""
    case.next_due_at = None
    case.yellow_at = case.red_at = case.supervise_at = case.escalate_at = None


def start_wait_clock(case: Case, now: dt.datetime) -> None:
    """A case waiting for the office to dispatch it (submitted, or returned) owes a dispatch by the profile's
    dispatch stage. Cards as for any stage, yellow one working day before and red one after; a stage shorter than
    a working day gets its yellow card at the deadline itself. No supervision notice: the office would send it to
    itself."""
    try:
        due_at = due(case.sla_profile_id, SlaStage.Stage.DISPATCH, now)
    except LookupError:  # a profile added in the admin without a dispatch stage: no dispatch clock
        case.dispatch_due_at = case.next_due_at = case.yellow_at = case.red_at = None
        return
    case.dispatch_due_at = case.next_due_at = due_at
    yellow = calendar.add_working_days(due_at, -1)
    case.yellow_at = yellow if yellow > now else due_at
    case.red_at = calendar.add_working_days(due_at, 1)
    case.supervise_at = case.escalate_at = None
    case.card = "none"


def start_dispatch_clocks(case: Case, now: dt.datetime) -> None:
    p = case.sla_profile_id
    case.return_due_at = due(p, SlaStage.Stage.RETURN_WINDOW, now)
    case.contact_due_at = due(p, SlaStage.Stage.CONTACT, now)
    case.opinion_due_at = due(p, SlaStage.Stage.OPINION, now)
    stage = SlaStage.Stage.RESOLVE_COMPLEX if case.is_complex else SlaStage.Stage.RESOLVE
    arm_resolve_clock(case, due(p, stage, now))
    case.escalate_at = None
    case.next_due_at = case.contact_due_at


def escalation_delay(level: str, supervised: dt.datetime) -> dt.datetime:
    key = (
        "escalation.county_to_city_after_supervision_wd"
        if level == "county"
        else "escalation.green_channel_after_supervision_wd"
    )
    return calendar.add_working_days(supervised, int_param(key))
