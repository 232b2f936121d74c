"""SLA arithmetic: turn a profile's stages into deadline columns on a case."""

from __future__ import annotations

import datetime as dt
import time

from django.db.models import Q

from whistle.core import calendar
from whistle.core.rules import int_param

from .models import Case, SlaProfile, SlaStage, Urgency

_profiles: dict[int, dict[str, tuple[int, str]]] = {}
# (urgency, city id or None) → profile; city id or None → the default profile.
_urgency_profiles: dict[tuple[str, int | None], int] = {}
_default_profiles: dict[int | None, int] = {}
_loaded_at = 0.0
_TTL_SECONDS = 60.0  # other processes (the worker, other web workers) see an edit within this time


def _fresh() -> None:
    global _loaded_at
    if time.monotonic() - _loaded_at > _TTL_SECONDS:
        _profiles.clear()
        _urgency_profiles.clear()
        _default_profiles.clear()
        # One statement for the profiles chosen by rule: each urgency's, and the default, the deployment's and each
        # city's own.
        for pk, urgency, is_default, city in SlaProfile.objects.filter(Q(is_default=True) | ~Q(urgency="")).values_list(
            "pk", "urgency", "is_default", "city_id"
        ):
            if urgency:
                _urgency_profiles[(urgency, city)] = pk
            if is_default:
                _default_profiles[city] = pk
        _loaded_at = time.monotonic()


def default_profile(city_id: int | None = None) -> int | None:
    """The default SLA profile (`SlaProfile.is_default`): a case's whose category names none — its city's own
    default where the city has one, else the deployment's."""
    _fresh()
    return _default_profiles.get(city_id) or _default_profiles.get(None)


def _stages(profile_id: int) -> dict[str, tuple[int, str]]:
    _fresh()
    if profile_id not in _profiles:
        _profiles[profile_id] = {s.stage: (s.amount, s.unit) for s in SlaStage.objects.filter(profile_id=profile_id)}
    return _profiles[profile_id]


def clear_cache() -> None:
    global _loaded_at
    _profiles.clear()
    _urgency_profiles.clear()
    _default_profiles.clear()
    _loaded_at = 0.0


def profile_of(case: Case) -> int:
    """The SLA profile a case's clocks run on: its urgency's profile (rules.md §8.2: urgent cases have their own
    limits; its city's own where it has one), else the profile it was submitted with (its category's, or the default). An urgency whose profile was
    removed in the admin falls back to the case's own."""
    if case.urgency != Urgency.ORDINARY:
        _fresh()
        found = _urgency_profiles.get((case.urgency, case.city_id)) or _urgency_profiles.get((case.urgency, None))
        if found is not None:
            return found
    return case.sla_profile_id


def _add(amount: int, unit: str, start: dt.datetime, sign: int = 1) -> dt.datetime:
    if unit == SlaStage.TimeUnit.HOURS:
        return calendar.add_hours(start, sign * amount)
    return calendar.add_working_days(start, sign * amount)


def due(profile_id: int, stage: str, start: dt.datetime) -> dt.datetime:
    try:
        amount, unit = _stages(profile_id)[stage]
    except KeyError:
        raise LookupError(f"SLA profile {profile_id} has no stage {stage!r}") from None
    return _add(amount, unit, start)


ONE_WORKING_DAY = (1, SlaStage.TimeUnit.WORKING_DAYS)


def card_times(profile_id: int, due_at: dt.datetime, start: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """(yellow, red) for a deadline: the profile's yellow-card lead before it and red-card lag after it (1 working
    day each unless the profile says otherwise). A yellow card that would fall at or before the clock's start (a
    stage shorter than the lead) falls at the deadline itself."""
    stages = _stages(profile_id)
    yellow = _add(*stages.get(SlaStage.Stage.YELLOW_CARD, ONE_WORKING_DAY), due_at, -1)
    red = _add(*stages.get(SlaStage.Stage.RED_CARD, ONE_WORKING_DAY), due_at)
    if start is not None and yellow <= start:
        yellow = due_at
    return yellow, red


def arm_resolve_clock(case: Case, resolve_due: dt.datetime, start: dt.datetime | None = None) -> None:
    """Set the solve deadline and the sweep columns that hang off it (cards as the profile says, by default one
    working day either side). `start`: when this clock started, so a short stage gets its yellow card at the end."""
    case.resolve_due_at = resolve_due
    case.yellow_at, case.red_at = card_times(profile_of(case), resolve_due, start)
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
    profile = profile_of(case)
    try:
        due_at = due(profile, SlaStage.Stage.DISPATCH, now)
    except LookupError:  # a profile added in the admin without a dispatch stage: no dispatch clock
        case.dispatch_due_at = case.next_due_at = case.yellow_at = case.red_at = None
        return
    case.dispatch_due_at = case.next_due_at = due_at
    case.yellow_at, case.red_at = card_times(profile, due_at, now)
    case.supervise_at = case.escalate_at = None
    case.card = "none"


def start_dispatch_clocks(case: Case, now: dt.datetime) -> None:
    p = profile_of(case)
    case.return_due_at = due(p, SlaStage.Stage.RETURN_WINDOW, now)
    case.contact_due_at = due(p, SlaStage.Stage.CONTACT, now)
    case.opinion_due_at = due(p, SlaStage.Stage.OPINION, now)
    stage = SlaStage.Stage.RESOLVE_COMPLEX if case.is_complex else SlaStage.Stage.RESOLVE
    arm_resolve_clock(case, due(p, stage, now), now)
    case.escalate_at = None
    case.next_due_at = case.contact_due_at


def rearm_for_urgency(case: Case, now: dt.datetime) -> None:
    """A coordinator changed the case's urgency: every clock the case still owes restarts from now on the new
    urgency's profile (a stage already met keeps its record). A red card once given stays, as for an extension."""
    from .models import State

    red = case.card == "red"
    if case.state in (State.SUBMITTED, State.RETURNED):
        start_wait_clock(case, now)
    elif case.state in (State.DISPATCHED, State.ACCEPTED, State.CONTACTED, State.IN_PROGRESS, State.REOPENED):
        p = profile_of(case)
        if case.state == State.DISPATCHED:
            case.return_due_at = due(p, SlaStage.Stage.RETURN_WINDOW, now)
        if case.contacted_at is None:
            case.contact_due_at = due(p, SlaStage.Stage.CONTACT, now)
        if case.opinion_at is None:
            case.opinion_due_at = due(p, SlaStage.Stage.OPINION, now)
        if case.state == State.REOPENED:
            stage = SlaStage.Stage.REOPEN
        else:
            stage = SlaStage.Stage.RESOLVE_COMPLEX if case.is_complex else SlaStage.Stage.RESOLVE
        arm_resolve_clock(case, due(p, stage, now), now)
        case.escalate_at = None
        if case.state in (State.DISPATCHED, State.ACCEPTED):
            case.next_due_at = case.contact_due_at
        elif case.state == State.CONTACTED:
            case.next_due_at = case.opinion_due_at
        else:
            case.next_due_at = case.resolve_due_at
    else:
        return
    if red:
        case.card = "red"


def escalation_delay(level: str, supervised: dt.datetime, city_id: int | None = None) -> dt.datetime:
    """When an unsolved case under supervision moves up (to the city, or into the green channel): the case's city's
    rule where it has its own (`core.rules.param`)."""
    key = (
        "escalation.county_to_city_after_supervision_wd"
        if level == "county"
        else "escalation.green_channel_after_supervision_wd"
    )
    return calendar.add_working_days(supervised, int_param(key, city_id))
