"""The case workflow: one declarative table of transitions and one function that applies any of them.

Each row says which action, from which states, to which state, who may do it (as a relation of the
actor to the case), which payload fields it needs, and what it does to deadlines. `apply` checks scope,
relation, state and payload, changes the case, appends a hash-chained `CaseEvent`, and runs any follow-on
system transitions (a second return escalates to the city; an unsatisfied follow-up is supervised).
Nothing else changes a case's state; the sweeper plans with the same rows (`plan_row`) and writes in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from whistle.core import calendar
from whistle.core.errors import Conflict, Forbidden, Invalid
from whistle.core.hashing import canonical_json, chain_hash, key_id, signed
from whistle.core.rules import int_param
from whistle.org.models import Level, Role, Unit, UnitKind
from whistle.org.scopes import UNIT_ROLES, Actor

from . import deadlines
from .models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    Channel,
    EscalationLevel,
    ExtensionState,
    Resolution,
    Satisfaction,
    SlaStage,
    State,
    content_record,
)
from .signals import events_written

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
    """What an effect sees and returns: the case being changed, the cleaned payload for the event, follow-ons."""

    case: Case
    actor: Actor
    payload: dict
    now: dt.datetime
    target: str | None
    record: dict = field(default_factory=dict)
    after_save: list[Callable[[Case], None]] = field(default_factory=list)
    follow_ons: list[tuple[str, dict]] = field(default_factory=list)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (notes, cards, supervision)
    actors: frozenset[str]
    required: tuple[str, ...] = ()
    effect: Callable[[Step], None] | None = None
    deadline_effect: str = ""  # for the docs and the API listing: what happens to the clocks
    # False for the rows their own service writes (case_submit, attachment_add): a bare transition
    # could not carry what they carry (the case's fields, the file).
    manual: bool = True
    # Conditions on the case (names in GUARDS) that must hold besides state and relation: the server refuses with
    # the guard's own words, and `allowed_actions` offers the row only when they hold, so a page never offers
    # what the server would refuse.
    guards: tuple[str, ...] = ()
    # Extensions only: who may approve the n-th extension (n-th entry; none past the end). rules.md §1: one
    # extension approved by the coordinating office, a further one "by approval" of the level above.
    approvers: tuple[frozenset[str], ...] = ()

    @property
    def public(self) -> bool:
        return self.actors != frozenset({SYSTEM})


# ---- payload helpers --------------------------------------------------------------------------------


def _text(step: Step, name: str, *, max_length: int = 4000, label: str = "内容") -> str:
    value = _optional_text(step, name, max_length=max_length, label=label)
    if not value:
        raise Invalid(f"请填写{label}", code=f"{name}_required", field=name)
    return value


def _optional_text(step: Step, name: str, *, max_length: int = 500, label: str = "内容", default: str = "") -> str:
    value = step.payload.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise Invalid(f"{label}须为文字", code=f"invalid_{name}", field=name)
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(f"{label}不能超过{max_length}字", code=f"{name}_too_long", field=name)
    return value or default


def _choice(step: Step, name: str, choices, label: str) -> str:
    value = step.payload.get(name)
    if value not in choices.values:
        allowed = "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices)
        raise Invalid(f"{label}须为：{allowed}", code=f"invalid_{name}", field=name)
    return value


def _unit(value, name: str) -> Unit:
    """A unit named by its code (or, from our own code, its id or the active unit itself, already loaded)."""
    if value is None or value == "":
        raise Invalid("请选择单位", code=f"{name}_required", field=name)
    if isinstance(value, Unit) and value.pk and value.is_active:
        return value
    if isinstance(value, str):
        lookup = {"code": value}
    elif is_row_id(value):
        lookup = {"pk": value}
    else:
        raise Invalid("单位须为单位编码", code="invalid_unit", field=name)
    unit = Unit.objects.filter(is_active=True, **lookup).first()
    if unit is None:
        raise Invalid("单位不存在或已停用", code="unknown_unit", field=name)
    return unit


def _units(value, name: str) -> list[Unit]:
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) or is_row_id(v) for v in value):
        raise Invalid("协办单位须为单位编码的列表", code=f"invalid_{name}", field=name)
    return [_unit(v, name) for v in value]


def is_row_id(value) -> bool:
    """An int that can be a primary key (our own code names rows by id; JSON true is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _in_scope(actor: Actor, unit: Unit) -> bool:
    """A county coordinator hands cases only to units of its county; the city office to any."""
    return actor.role != Role.COORDINATOR or actor.covers(unit)


def _local_iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


# ---- effects ----------------------------------------------------------------------------------------


def _dispatch(step: Step) -> None:
    case = step.case
    unit = _unit(step.payload.get("unit"), "unit")
    if unit.kind == UnitKind.COORDINATION_OFFICE:
        raise Invalid("不能派给吹哨办本身，请选择承办单位", code="unit_not_handling", field="unit")
    assisting = _units(step.payload.get("assisting_units"), "assisting_units")
    if unit in assisting:
        raise Invalid("主办单位不能同时为协办单位", code="lead_also_assisting", field="assisting_units")
    for name, units in (("unit", [unit]), ("assisting_units", assisting)):
        if not all(_in_scope(step.actor, u) for u in units):
            raise Invalid("只能派给本县区的单位；跨县区事项请提级至市级协调", code="unit_out_of_scope", field=name)
    complex_ = step.payload.get("complex")
    if complex_ is not None:
        if not isinstance(complex_, bool):
            raise Invalid("复杂事项标记须为是或否", code="invalid_complex", field="complex")
        case.is_complex = complex_
    if case.state in WAITING_STATES and case.dispatch_due_at:
        step.record["dispatch_on_time"] = step.now <= case.dispatch_due_at
    case.lead_unit = unit
    case.dispatched_at = step.now
    case.accepted_at = case.contacted_at = case.opinion_at = None
    deadlines.start_dispatch_clocks(case, step.now)
    # A submitted case has no assisting units yet (only dispatch adds them; a return clears them), so a first
    # dispatch without any has nothing to write.
    if assisting or case.state != S.SUBMITTED:
        step.after_save.append(lambda c: c.assisting_units.set(assisting))
    step.record.update(
        unit=unit.code,
        unit_name=unit.name,
        assisting_units=[u.code for u in assisting],
        complex=case.is_complex,
        resolve_due_at=_local_iso(case.resolve_due_at),
    )
    if step.payload.get("by_catalogue") is True:
        step.record["by_catalogue"] = True


def _redispatch(step: Step) -> None:
    """改派: like a dispatch, from a unit that holds the case; the reason and the unit it left go in the event."""
    case = step.case
    previous = case.lead_unit
    reason = _text(step, "reason", max_length=500, label="改派理由")
    unit = _unit(step.payload.get("unit"), "unit")
    if unit.pk == case.lead_unit_id:
        raise Invalid("改派须选择另一个承办单位", code="redispatch_same_unit", field="unit")
    _dispatch(step)
    case.extension_state = ExtensionState.NONE  # the new unit's own clocks; the old unit's request lapses
    step.record.update(reason=reason, previous_unit=previous.code, previous_unit_name=previous.name)


def _auto_route(step: Step) -> None:
    """Submission: a case the dispatch catalogue can route is dispatched at once by the system."""
    from .services import route_for

    unit = route_for(step.case)
    step.record["routed"] = unit is not None
    if unit is not None:
        step.follow_ons.append(("dispatch", {"unit": unit, "by_catalogue": True}))


def _accept(step: Step) -> None:
    # Signing stays possible after the return window (the case must not be stranded); it is only late.
    step.case.accepted_at = step.now
    step.case.next_due_at = step.case.contact_due_at
    step.record["on_time"] = step.now <= step.case.return_due_at


def _return(step: Step) -> None:
    case = step.case
    reason = _text(step, "reason", max_length=500, label="退单理由")
    suggested = _unit(step.payload.get("suggested_unit"), "suggested_unit")
    if suggested.pk == case.lead_unit_id:
        raise Invalid("建议承办单位不能是本单位", code="suggested_unit_is_self", field="suggested_unit")
    step.record.update(
        reason=reason,
        suggested_unit=suggested.code,
        suggested_unit_name=suggested.name,
        returned_by=case.lead_unit.code if case.lead_unit else "",
    )
    case.returns_count += 1
    case.lead_unit = None
    case.return_due_at = case.contact_due_at = case.opinion_due_at = case.resolve_due_at = None
    deadlines.stop_clocks(case)
    deadlines.start_wait_clock(case, step.now)  # back with the office, which owes a new dispatch
    step.after_save.append(lambda c: c.assisting_units.clear())
    if case.level == EscalationLevel.COUNTY and case.returns_count >= int_param("escalation.returns_to_city"):
        step.follow_ons.append(("escalate", {"reason": f"第{case.returns_count}次退单，提级至市级协调"}))


def _contact(step: Step) -> None:
    method = step.payload.get("method") or "phone"
    if not isinstance(method, str) or method not in CONTACT_METHODS:
        raise Invalid(
            "联系方式须为：" + "、".join(f"{k}（{v}）" for k, v in CONTACT_METHODS.items()),
            code="invalid_method",
            field="method",
        )
    note = _optional_text(step, "note", max_length=1000, label="联系情况")
    step.case.contacted_at = step.now
    step.case.next_due_at = step.case.opinion_due_at
    step.record.update(method=method, note=note, on_time=step.now <= step.case.contact_due_at)


CONTACT_METHODS = {"phone": "电话联系", "onsite": "到场", "online": "线上", "meeting": "约见"}


def _opinion(step: Step) -> None:
    step.record["opinion"] = _text(step, "opinion", label="答复意见")
    step.case.opinion_at = step.now
    step.case.next_due_at = step.case.resolve_due_at
    step.record["on_time"] = step.now <= step.case.opinion_due_at


def _request_extension(step: Step) -> None:
    case = step.case
    step.record["reason"] = _text(step, "reason", max_length=500, label="延期理由")
    case.extension_state = ExtensionState.REQUESTED
    case.extensions_count += 1
    step.record["nth"] = case.extensions_count


def _approve_extension(step: Step) -> None:
    case = step.case
    note = _optional_text(step, "note", label="审批意见")
    new_due = deadlines.due(case.sla_profile_id, SlaStage.Stage.EXTENSION, case.resolve_due_at)
    card = case.card
    deadlines.arm_resolve_clock(case, new_due)
    if card == "red":
        case.card = card  # a red card once given is part of the record: more time does not take it back
    # A supervision notice issued for the old deadline must not escalate a case that is now within time;
    # if it is still late after the extension, the sweep supervises it again and re-arms escalation.
    case.escalate_at = None
    if case.opinion_at:
        case.next_due_at = new_due
    case.extension_state = ExtensionState.APPROVED
    step.record.update(note=note, resolve_due_at=_local_iso(new_due))


def _reject_extension(step: Step) -> None:
    step.record["reason"] = _text(step, "reason", max_length=500, label="驳回理由")
    step.case.extension_state = ExtensionState.REJECTED


def _reply(step: Step) -> None:
    step.record["content"] = _text(step, "content", label="办理结果")
    step.record["on_time"] = step.now <= step.case.resolve_due_at if step.case.resolve_due_at else True
    step.case.replied_at = step.now
    deadlines.stop_clocks(step.case)


def _follow_up(step: Step) -> None:
    case = step.case
    if step.actor.role == Role.COORDINATOR:
        step.record["on_behalf"] = True
    resolution = _choice(step, "resolution", Resolution, "解决情况")
    if resolution == Resolution.UNREACHABLE and step.actor.role != Role.COORDINATOR:
        raise Invalid("“无法联系”只能由回访人员登记", code="invalid_resolution", field="resolution")
    satisfaction = "" if resolution == Resolution.UNREACHABLE else _choice(step, "satisfaction", Satisfaction, "满意度")
    comment = _optional_text(step, "comment", max_length=1000, label="评价意见")
    case.resolution, case.satisfaction, case.followed_up_at = resolution, satisfaction, step.now
    step.record.update(resolution=resolution, satisfaction=satisfaction, comment=comment)
    if resolution == Resolution.UNRESOLVED or satisfaction == Satisfaction.UNSATISFIED:
        step.target = S.REOPENED
        case.reopen_count += 1
        deadlines.arm_resolve_clock(case, deadlines.due(case.sla_profile_id, SlaStage.Stage.REOPEN, step.now))
        case.next_due_at = case.resolve_due_at
        case.replied_at = None
        step.record["reopen_count"] = case.reopen_count
        if satisfaction == Satisfaction.UNSATISFIED:
            step.follow_ons.append(
                ("supervise", {"reason": "回访不满意" if case.reopen_count == 1 else "重办后仍不满意"})
            )
    else:
        step.target = S.CLOSED
        case.closed_at = step.now


def _note(step: Step) -> None:
    step.record["note"] = _text(step, "note", max_length=2000, label="说明")


def _urge(step: Step) -> None:
    step.record["note"] = _optional_text(step, "note", label="催办意见", default="请抓紧办理")


def _supervise(step: Step) -> None:
    """A supervision notice. Only one issued while the case is past its solve deadline starts the
    escalation clock; one for a dissatisfied follow-up leaves the redo its own deadline."""
    case = step.case
    reason = _optional_text(step, "reason", label="督办理由", default="超过办结时限" if step.actor.is_system else "")
    case.supervised_at = step.now
    case.supervision_count += 1
    overdue = case.resolve_due_at is not None and case.resolve_due_at <= step.now
    if overdue:
        case.supervise_at = None
        if case.level != EscalationLevel.GREEN_CHANNEL and case.state in CLOCK_STATES:
            case.escalate_at = deadlines.escalation_delay(case.level, step.now)
    step.record.update(reason=reason, notice=f"督办单第{case.supervision_count}号", overdue=overdue)


def _escalate(step: Step) -> None:
    case = step.case
    step.record["reason"] = _optional_text(step, "reason", label="提级理由", default="督办后仍未办结，提级至市级协调")
    case.level = EscalationLevel.CITY
    case.escalated_at = step.now
    case.escalate_at = None
    if case.state in CLOCK_STATES and case.resolve_due_at:
        # The city office sets its own limit ("限时办理") from the moment it takes the case.
        deadlines.arm_resolve_clock(case, calendar.add_working_days(step.now, int_param("escalation.city_limit_wd")))
        if case.opinion_at:
            case.next_due_at = case.resolve_due_at
        case.supervise_at = case.resolve_due_at


def _green_channel(step: Step) -> None:
    case = step.case
    reason = _optional_text(step, "reason", label="理由", default="市级督办后仍未办结，启动跨区域联动绿色通道")
    chosen = step.payload.get("leader")
    leader = _leader(chosen) if chosen not in (None, "") else _default_leader(case)
    case.level = EscalationLevel.GREEN_CHANNEL
    case.green_channel_leader = leader
    case.escalate_at = None
    step.record.update(
        leader=leader.pk if leader else None,
        leader_name=_person_name(leader),
        reason=reason,
    )


def _leader(value):
    from django.contrib.auth import get_user_model

    if isinstance(value, str) and value.isascii() and value.isdecimal():
        value = int(value)
    leader = None
    if is_row_id(value):
        leader = (
            get_user_model().objects.filter(pk=value, membership__role=Role.LEADER).select_related("membership").first()
        )
    if leader is None:
        raise Invalid("所选领导不存在", code="unknown_leader", field="leader")
    return leader


def _person_name(user) -> str:
    if user is None:
        return ""
    membership = getattr(user, "membership", None)  # a unit's leader may have no role of their own
    return (membership.display_name if membership else "") or user.get_username()


def _default_leader(case: Case):
    """Who takes a green-channel case (分签): the city leader in charge of a city-level lead unit's field,
    else the head of the case's county, else the head of the city. A county department's own leader is
    neither, so it is skipped."""
    candidates = []
    if case.lead_unit is not None and case.lead_unit.level == Level.CITY:
        candidates.append(case.lead_unit)
    unit = case.county
    while unit is not None:
        candidates.append(unit)
        unit = unit.parent
    for unit in candidates:
        if unit.leader_id:
            return unit.leader
    return None


def _card(colour: str) -> Callable[[Step], None]:
    def effect(step: Step) -> None:
        step.case.card = colour
        if colour == "yellow":
            step.case.yellow_at = None
        else:
            step.case.red_at = step.case.yellow_at = None
        if step.case.state in WAITING_STATES:
            step.record["dispatch_due_at"] = _local_iso(step.case.dispatch_due_at)
        else:
            step.record["resolve_due_at"] = _local_iso(step.case.resolve_due_at)

    return effect


def _withdraw(step: Step) -> None:
    step.record["reason"] = _text(step, "reason", max_length=500, label="撤回原因")
    step.case.closed_at = step.now
    deadlines.stop_clocks(step.case)


def _rating_voided(step: Step) -> None:
    """A poor rating voided on appeal or review ends its rectification (差评整改): closed with the reason, no follow-up."""
    step.record["reason"] = _text(step, "reason", max_length=500, label="作废原因")
    step.case.closed_at = step.now
    deadlines.stop_clocks(step.case)


def _record(step: Step) -> None:
    step.record.update(step.payload)


def _submit(step: Step) -> None:
    """The submit event carries a keyed hash of what the case was submitted with, so `whistle audit verify` finds
    the case row edited afterwards (a description, a phone, an enterprise)."""
    step.record.update(step.payload)
    step.record["content_hash"] = content_hash(step.case)
    deadlines.start_wait_clock(step.case, step.now)  # a dispatch (by the catalogue, at once, or the office) is owed


def content_hash(case) -> str:
    """HMAC under the current hash key of the case's content (`models.content_record`)."""
    return signed(key_id(), canonical_json(content_record(case)))


def T(
    action,
    label,
    sources,
    target,
    actors,
    required=(),
    effect=None,
    deadline_effect="",
    manual=True,
    guards=(),
    approvers=(),
):
    return Transition(
        action,
        label,
        frozenset(sources),
        target,
        frozenset(actors),
        tuple(required),
        effect,
        deadline_effect,
        manual,
        tuple(guards),
        tuple(frozenset(a) for a in approvers),
    )


# ---- guards: conditions on the case a row needs, checked by the server and by `allowed_actions` alike ----


@dataclass(frozen=True)
class Guard:
    holds: Callable[[Case, Actor, dt.datetime, set[str]], bool]  # (case, actor, now, the actor's relations)
    code: str
    detail: str
    forbidden: bool = False  # a matter of who acts (403), not of the case's moment (409)


def _extension_approvers(case: Case) -> frozenset[str]:
    """Who approves the extension pending now: the row's n-th approvers for the case's n-th request."""
    approvers = TRANSITIONS["request_extension"].approvers
    n = case.extensions_count
    return approvers[n - 1] if 0 < n <= len(approvers) else frozenset()


GUARDS: dict[str, Guard] = {
    # rules.md §1: cross-county, cross-field or unclear-ownership matters are referred by the 市吹哨办 itself.
    "city_level_by_city_office": Guard(
        lambda case, actor, now, rel: case.level == EscalationLevel.COUNTY or bool(rel & {CITY_COORDINATOR, SYSTEM}),
        "city_level_case",
        "本工单为市级协调（跨县区）事项，只能由市吹哨办派单或改派",
        forbidden=True,
    ),
    "extension_pending": Guard(
        lambda case, actor, now, rel: case.extension_state == ExtensionState.REQUESTED,
        "no_extension_requested",
        "没有待审批的延期申请",
    ),
    "no_extension_pending": Guard(
        lambda case, actor, now, rel: case.extension_state != ExtensionState.REQUESTED,
        "extension_pending",
        "已有延期申请待审批",
    ),
    "extensions_left": Guard(
        lambda case, actor, now, rel: case.extensions_count < len(TRANSITIONS["request_extension"].approvers),
        "extension_already_requested",
        "本工单的延期次数已用完，不能再申请延期",
    ),
    # rules.md §1 / §4: an extension is asked for (and granted) before the deadline, never to excuse a late case.
    "before_resolve_deadline": Guard(
        lambda case, actor, now, rel: case.resolve_due_at is None or now < case.resolve_due_at,
        "deadline_passed",
        "已超过办结时限，不能再延期；工单按超期计",
    ),
    "extension_approver": Guard(
        lambda case, actor, now, rel: bool(rel & _extension_approvers(case)),
        "extension_needs_higher_approval",
        "本次为再次延期，须由上一级（市吹哨办）审批",
        forbidden=True,
    ),
    # rules.md §1 (濮阳 analogue, 2 working days): signing stays possible after the window, returning does not.
    "within_return_window": Guard(
        lambda case, actor, now, rel: case.return_due_at is None or now <= case.return_due_at,
        "return_window_closed",
        "已超过退单时限，不能退单；如确有异议请联系吹哨办",
    ),
    "at_county_level": Guard(
        lambda case, actor, now, rel: case.level == EscalationLevel.COUNTY,
        "already_escalated",
        "工单已在市级协调或绿色通道，不能再提级",
    ),
    "at_city_level": Guard(
        lambda case, actor, now, rel: case.level == EscalationLevel.CITY,
        "not_at_city_level",
        "只有市级协调中的工单才能转入绿色通道",
    ),
    "has_lead_unit": Guard(
        lambda case, actor, now, rel: case.lead_unit_id is not None, "no_lead_unit", "工单尚未派单，请先派单"
    ),
}


def _guard_failure(transition: Transition, case: Case, actor: Actor, now: dt.datetime, rel: set[str]) -> Guard | None:
    for name in transition.guards:
        guard = GUARDS[name]
        if not guard.holds(case, actor, now, rel):
            return guard
    return None


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        T(
            "submit",
            "企业吹哨",
            [],
            S.SUBMITTED,
            [REQUESTER, ENTERPRISE, COORDINATOR, VISITING_LEADER, SYSTEM],
            effect=_submit,
            manual=False,
        ),
        T("route", "按派单目录自动派单", [S.SUBMITTED], None, [SYSTEM], effect=_auto_route),
        T(
            "dispatch",
            "派单",
            [S.SUBMITTED, S.RETURNED],
            S.DISPATCHED,
            [COORDINATOR, SYSTEM],
            ["unit"],
            _dispatch,
            "stops the dispatch clock; starts return window, contact, opinion and solve clocks",
            guards=["city_level_by_city_office"],
        ),
        # 改派: the office moves a case it sent to the wrong unit; the old unit loses it, the new one starts afresh.
        T(
            "redispatch",
            "改派",
            [S.DISPATCHED, S.ACCEPTED, S.CONTACTED, S.IN_PROGRESS],
            S.DISPATCHED,
            [COORDINATOR],
            ["unit", "reason"],
            _redispatch,
            "restarts return window, contact, opinion and solve clocks for the new unit",
            guards=["city_level_by_city_office", "has_lead_unit"],
        ),
        T("accept", "签收", [S.DISPATCHED], S.ACCEPTED, [LEAD], effect=_accept),
        T(
            "return",
            "退单",
            [S.DISPATCHED],
            S.RETURNED,
            [LEAD],
            ["reason", "suggested_unit"],
            _return,
            "only within the return window; stops every clock and starts the dispatch clock",
            guards=["within_return_window"],
        ),
        T("contact", "联系企业/到场", [S.ACCEPTED], S.CONTACTED, [LEAD], effect=_contact),
        T("opinion", "答复意见", [S.CONTACTED], S.IN_PROGRESS, [LEAD], ["opinion"], _opinion),
        # The first extension is approved by the office handling the case, a further one by the city office (the level
        # above a county; rules.md §1 "further extension by approval"); a third is not offered.
        T(
            "request_extension",
            "申请延期",
            WORKING_STATES,
            None,
            [LEAD],
            ["reason"],
            _request_extension,
            guards=["no_extension_pending", "extensions_left", "before_resolve_deadline"],
            approvers=[[COORDINATOR], [CITY_COORDINATOR]],
        ),
        T(
            "approve_extension",
            "批准延期",
            CLOCK_STATES,
            None,
            [COORDINATOR],
            effect=_approve_extension,
            deadline_effect="solve deadline + extension stage (7 working days); a red card already given stays",
            guards=["extension_pending", "extension_approver", "before_resolve_deadline"],
        ),
        T(
            "reject_extension",
            "驳回延期",
            CLOCK_STATES,
            None,
            [COORDINATOR],
            ["reason"],
            _reject_extension,
            guards=["extension_pending", "extension_approver"],
        ),
        T(
            "reply",
            "办结回复",
            [S.CONTACTED, S.IN_PROGRESS, S.REOPENED],
            S.REPLIED,
            [LEAD],
            ["content"],
            _reply,
            "stops every clock",
        ),
        # SYSTEM: an anonymous rater's re-rating of a poor-rating rectification (差评整改), taken by the public page.
        T(
            "follow_up",
            "回访评价",
            [S.REPLIED],
            S.CLOSED,
            [REQUESTER, COORDINATOR, SYSTEM],
            ["resolution"],
            _follow_up,
            "unresolved or unsatisfied: reopens with the reopen stage as the new solve clock",
        ),
        T("assist_note", "协办意见", CLOCK_STATES | {S.REPLIED}, None, [ASSISTING], ["note"], _note),
        T("comment", "补充说明", OPEN, None, [REQUESTER, ENTERPRISE, COORDINATOR, LEAD], ["note"], _note),
        T("urge", "催办", CLOCK_STATES, None, [COORDINATOR], effect=_urge),
        T(
            "supervise",
            "督办",
            CLOCK_STATES | {S.REPLIED},
            None,
            [COORDINATOR, SYSTEM],
            effect=_supervise,
            deadline_effect="arms escalation after the configured working days",
        ),
        T(
            "escalate",
            "提级至市级协调",
            OPEN,
            None,
            [COORDINATOR, SYSTEM],
            effect=_escalate,
            deadline_effect="city sets its own solve limit",
            guards=["at_county_level"],
        ),
        T(
            "green_channel",
            "转入绿色通道",
            OPEN,
            None,
            [CITY_COORDINATOR, SYSTEM],
            effect=_green_channel,
            guards=["at_city_level"],
        ),
        T("yellow_card", "黄牌预警", CLOCK_STATES | WAITING_STATES, None, [SYSTEM], effect=_card("yellow")),
        T("red_card", "红牌警示", CLOCK_STATES | WAITING_STATES, None, [SYSTEM], effect=_card("red")),
        T(
            "attach",
            "上传附件",
            OPEN,
            None,
            [REQUESTER, ENTERPRISE, LEAD, ASSISTING, COORDINATOR],
            effect=_record,
            manual=False,
        ),
        T("withdraw", "撤回", [S.SUBMITTED, S.DISPATCHED, S.RETURNED], S.CLOSED, [REQUESTER], ["reason"], _withdraw),
        T(
            "rating_voided",
            "评价作废，终止整改",
            OPEN,
            S.CLOSED,
            [SYSTEM],
            ["reason"],
            _rating_voided,
            "stops every clock",
            manual=False,
        ),
    ]
}


# ---- applying ---------------------------------------------------------------------------------------


def relations(actor: Actor, case: Case, assisting_ids: set[int] | None = None) -> set[str]:
    if actor.is_system:
        return {SYSTEM}
    found = set()
    role = actor.role
    if role == Role.ENTERPRISE and case.enterprise_id == actor.enterprise_id:
        found.add(ENTERPRISE)
        if case.requester_id == actor.user.pk:
            found.add(REQUESTER)
    elif role in UNIT_ROLES and actor.unit is not None:
        if case.lead_unit_id == actor.unit.pk:
            found.add(LEAD)
        ids = assisting_ids if assisting_ids is not None else set(case.assisting_units.values_list("pk", flat=True))
        if actor.unit.pk in ids:
            found.add(ASSISTING)
    elif role == Role.COORDINATOR:
        found.add(COORDINATOR)  # the caller has already found the case inside the coordinator's scope
        if actor.is_city_wide:
            found.add(CITY_COORDINATOR)
    elif role == Role.LEADER and case.channel == Channel.VISIT and actor.covers(case.county):
        found.add(VISITING_LEADER)
    return found


def allowed_actions(actor: Actor, case: Case, now: dt.datetime | None = None) -> list[Transition]:
    """The rows this actor may apply to this case now: the same checks as `plan_row` before the payload."""
    rel = relations(actor, case)
    now = now or timezone.now()
    return [
        t
        for t in TRANSITIONS.values()
        if t.public and case.state in t.sources and rel & t.actors and _guard_failure(t, case, actor, now, rel) is None
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
    failed = _guard_failure(transition, case, actor, now, rel)
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
        None if actor.is_system else actor.user.pk,
        actor.label,
        now,
        step.record,
        case.last_event_hash,
        "",
        kid,
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


def apply_steps(case: Case, steps: list[tuple[str, Actor, dict | None]], now: dt.datetime | None = None) -> Case:
    """Apply several transitions in turn (each with its follow-ons as the system) to a case already locked in the
    current transaction, then write once: one UPDATE of the columns they changed, one INSERT of their events (still
    one event per transition, each chained to the one before), then the hooks (assisting units) in order.

    `case.written_events` is left holding the events written, in order."""
    before = {f.attname: getattr(case, f.attname) for f in _CONCRETE}
    events, hooks = [], []
    for action, actor, payload in steps:
        plan_with_follow_ons(case, action, actor, payload, now, events, hooks)
    changed = [f.name for f in _CONCRETE if getattr(case, f.attname) != before[f.attname]]
    if changed:
        case.save(update_fields=changed)
    CaseEvent.objects.bulk_create(events)
    for hook in hooks:
        hook(case)
    case.written_events = events
    events_written.send(sender=Case, events=events)
    return case


_CONCRETE = [f for f in Case._meta.concrete_fields if not f.primary_key]


def apply_locked(
    case: Case, action: str, actor: Actor, payload: dict | None = None, now: dt.datetime | None = None
) -> Case:
    """Apply to a case already locked in the current transaction, then its follow-ons as the system."""
    return apply_steps(case, [(action, actor, payload)], now)


def apply(
    case: Case | str, action: str, actor: Actor, payload: dict | None = None, now: dt.datetime | None = None
) -> Case:
    """The one way to change a case: in one transaction, with the case row locked."""
    from .selectors import case_get

    with transaction.atomic():
        number = case.number if isinstance(case, Case) else case
        locked = case_get(actor, number, for_update=True)
        return apply_locked(locked, action, actor, payload, now)


__all__ = [
    "TRANSITIONS",
    "Transition",
    "EventRow",
    "apply",
    "apply_locked",
    "apply_steps",
    "plan",
    "plan_row",
    "allowed_actions",
    "Level",
]
