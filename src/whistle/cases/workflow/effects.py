"""The effects: what each transition does to the case beyond its state (clocks, units, counters), what its event
records (`step.record`), and what follows it (`step.follow_ons`, `step.after_save`). A row of the table names its
effect; nothing here is called from outside the workflow."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from whistle.core import calendar
from whistle.core.errors import Invalid
from whistle.core.hashing import canonical_json, key_id, signed
from whistle.core.memo import remembered
from whistle.core.rules import int_param
from whistle.org.models import Level, Role, Unit, UnitKind

from .. import deadlines
from ..models import (
    Case,
    EscalationLevel,
    ExtensionState,
    Resolution,
    Satisfaction,
    SlaStage,
    Urgency,
    content_record,
)
from ..routing import route_for
from . import payload
from .base import CLOCK_STATES, WAITING_STATES, S, Step

T = TypeVar("T")


def armed(value: T | None) -> T:
    """A clock (or the lead unit) the row's source states always hold: the table's states guarantee it, so a missing
    one is a bug, raised as the comparison with None always raised it."""
    if value is None:
        raise TypeError("a clock the case's state holds is not set")
    return value


def dispatch(step: Step) -> None:
    case = step.case
    unit = payload.unit(step.payload.get("unit"), "unit")
    if unit.kind == UnitKind.COORDINATION_OFFICE:
        raise Invalid("不能派给吹哨办本身，请选择承办单位", code="unit_not_handling", field="unit")
    assisting = payload.units(step.payload.get("assisting_units"), "assisting_units")
    if unit in assisting:
        raise Invalid("主办单位不能同时为协办单位", code="lead_also_assisting", field="assisting_units")
    for name, units in (("unit", [unit]), ("assisting_units", assisting)):
        if not all(payload.in_scope(step.actor, u) for u in units):
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
    _assisting_now(case, assisting)
    step.record.update(
        unit=unit.code,
        unit_name=unit.name,
        assisting_units=[u.code for u in assisting],
        complex=case.is_complex,
        resolve_due_at=payload.local_iso(case.resolve_due_at),
    )
    if step.payload.get("by_catalogue") is True:
        step.record["by_catalogue"] = True


def _assisting_now(case: Case, units: list[Unit]) -> None:
    """What the request now knows of the case's assisting units (`Case.assisting_ids`), in the order a read of them
    gives (by path), so the answer need not read them back."""
    case.assisting_known = sorted(units, key=lambda u: u.path)
    case.assisting_ids = {u.pk for u in units}


def redispatch(step: Step) -> None:
    """改派: like a dispatch, from a unit that holds the case; the reason and the unit it left go in the event."""
    case = step.case
    previous = case.lead_unit
    reason = payload.text(step, "reason", max_length=500, label="改派理由")
    unit = payload.unit(step.payload.get("unit"), "unit")
    if unit.pk == case.lead_unit_id:
        raise Invalid("改派须选择另一个承办单位", code="redispatch_same_unit", field="unit")
    dispatch(step)
    case.extension_state = ExtensionState.NONE  # the new unit's own clocks; the old unit's request lapses
    previous = armed(previous)  # a case is redispatched from the unit that holds it
    step.record.update(reason=reason, previous_unit=previous.code, previous_unit_name=previous.name)


def auto_route(step: Step) -> None:
    """Submission: a case the dispatch catalogue can route is dispatched at once by the system."""
    unit = route_for(step.case)
    step.record["routed"] = unit is not None
    if unit is not None:
        step.follow_ons.append(("dispatch", {"unit": unit, "by_catalogue": True}))


def accept(step: Step) -> None:
    # Signing stays possible after the return window (the case must not be stranded); it is only late.
    step.case.accepted_at = step.now
    step.case.next_due_at = step.case.contact_due_at
    step.record["on_time"] = step.now <= armed(step.case.return_due_at)


def return_to_office(step: Step) -> None:
    case = step.case
    reason = payload.text(step, "reason", max_length=500, label="退单理由")
    suggested = payload.unit(step.payload.get("suggested_unit"), "suggested_unit")
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
    _assisting_now(case, [])
    if case.level == EscalationLevel.COUNTY and case.returns_count >= int_param(
        "escalation.returns_to_city", case.city_id
    ):
        step.follow_ons.append(("escalate", {"reason": f"第{case.returns_count}次退单，提级至市级协调"}))


def contact(step: Step) -> None:
    method = step.payload.get("method") or "phone"
    if not isinstance(method, str) or method not in CONTACT_METHODS:
        raise Invalid(
            "联系方式须为：" + "、".join(f"{k}（{v}）" for k, v in CONTACT_METHODS.items()),
            code="invalid_method",
            field="method",
        )
    note = payload.optional_text(step, "note", max_length=1000, label="联系情况")
    step.case.contacted_at = step.now
    step.case.next_due_at = step.case.opinion_due_at
    step.record.update(method=method, note=note, on_time=step.now <= armed(step.case.contact_due_at))


CONTACT_METHODS = {"phone": "电话联系", "onsite": "到场", "online": "线上", "meeting": "约见"}


def opinion(step: Step) -> None:
    step.record["opinion"] = payload.text(step, "opinion", label="答复意见")
    step.case.opinion_at = step.now
    step.case.next_due_at = step.case.resolve_due_at
    step.record["on_time"] = step.now <= armed(step.case.opinion_due_at)


def request_extension(step: Step) -> None:
    case = step.case
    step.record["reason"] = payload.text(step, "reason", max_length=500, label="延期理由")
    case.extension_state = ExtensionState.REQUESTED
    case.extensions_count += 1
    step.record["nth"] = case.extensions_count


def approve_extension(step: Step) -> None:
    case = step.case
    note = payload.optional_text(step, "note", label="审批意见")
    new_due = deadlines.due(deadlines.profile_of(case), SlaStage.Stage.EXTENSION, armed(case.resolve_due_at))
    card = case.card
    deadlines.arm_resolve_clock(case, new_due, step.now)
    if card == "red":
        case.card = card  # a red card once given is part of the record: more time does not take it back
    # A supervision notice issued for the old deadline must not escalate a case that is now within time;
    # if it is still late after the extension, the sweep supervises it again and re-arms escalation.
    case.escalate_at = None
    if case.opinion_at:
        case.next_due_at = new_due
    case.extension_state = ExtensionState.APPROVED
    step.record.update(note=note, resolve_due_at=payload.local_iso(new_due))


def reject_extension(step: Step) -> None:
    step.record["reason"] = payload.text(step, "reason", max_length=500, label="驳回理由")
    step.case.extension_state = ExtensionState.REJECTED


def reply(step: Step) -> None:
    step.record["content"] = payload.text(step, "content", label="办理结果")
    step.record["on_time"] = step.now <= step.case.resolve_due_at if step.case.resolve_due_at else True
    step.case.replied_at = step.now
    deadlines.stop_clocks(step.case)


def follow_up(step: Step) -> None:
    case = step.case
    if step.actor.role == Role.COORDINATOR:
        step.record["on_behalf"] = True
    resolution = payload.choice(step, "resolution", Resolution, "解决情况")
    if resolution == Resolution.UNREACHABLE and step.actor.role != Role.COORDINATOR:
        raise Invalid("“无法联系”只能由回访人员登记", code="invalid_resolution", field="resolution")
    satisfaction = (
        "" if resolution == Resolution.UNREACHABLE else payload.choice(step, "satisfaction", Satisfaction, "满意度")
    )
    comment = payload.optional_text(step, "comment", max_length=1000, label="评价意见")
    case.resolution, case.satisfaction, case.followed_up_at = resolution, satisfaction, step.now
    step.record.update(resolution=resolution, satisfaction=satisfaction, comment=comment)
    if contradictory(resolution, satisfaction):
        # rules.md §8.5: flagged on the case and listed for the office (台账 答复矛盾); the answers stand as given.
        case.answers_contradict = True
        step.record["contradictory"] = True
    if resolution == Resolution.UNRESOLVED or satisfaction == Satisfaction.UNSATISFIED:
        step.target = S.REOPENED
        case.reopen_count += 1
        deadlines.arm_resolve_clock(
            case, deadlines.due(deadlines.profile_of(case), SlaStage.Stage.REOPEN, step.now), step.now
        )
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


def contradictory(resolution: str, satisfaction: str) -> bool:
    """Whether a pair of follow-up answers is one the city lists as contradictory (`AnswerPattern`, data)."""
    from ..models import AnswerPattern

    return bool(satisfaction) and remembered(
        ("answer_pattern", resolution, satisfaction),
        lambda: AnswerPattern.objects.filter(is_active=True, resolution=resolution, satisfaction=satisfaction).exists(),
    )


def note(step: Step) -> None:
    step.record["note"] = payload.text(step, "note", max_length=2000, label="说明")


def urge(step: Step) -> None:
    step.record["note"] = payload.optional_text(step, "note", label="催办意见", default="请抓紧办理")


def supervise(step: Step) -> None:
    """A supervision notice. Only one issued while the case is past its solve deadline starts the
    escalation clock; one for a dissatisfied follow-up leaves the redo its own deadline."""
    case = step.case
    reason = payload.optional_text(
        step, "reason", label="督办理由", default="超过办结时限" if step.actor.is_system else ""
    )
    case.supervised_at = step.now
    case.supervision_count += 1
    overdue = case.resolve_due_at is not None and case.resolve_due_at <= step.now
    if overdue:
        case.supervise_at = None
        if case.level != EscalationLevel.GREEN_CHANNEL and case.state in CLOCK_STATES:
            case.escalate_at = deadlines.escalation_delay(case.level, step.now, case.city_id)
    step.record.update(reason=reason, notice=f"督办单第{case.supervision_count}号", overdue=overdue)


def escalate(step: Step) -> None:
    case = step.case
    step.record["reason"] = payload.optional_text(
        step, "reason", label="提级理由", default="督办后仍未办结，提级至市级协调"
    )
    case.level = EscalationLevel.CITY
    case.escalated_at = step.now
    case.escalate_at = None
    if case.state in CLOCK_STATES and case.resolve_due_at:
        # The city office sets its own limit ("限时办理") from the moment it takes the case.
        deadlines.arm_resolve_clock(
            case, calendar.add_working_days(step.now, int_param("escalation.city_limit_wd", case.city_id)), step.now
        )
        if case.opinion_at:
            case.next_due_at = case.resolve_due_at
        case.supervise_at = case.resolve_due_at


def green_channel(step: Step) -> None:
    case = step.case
    reason = payload.optional_text(step, "reason", label="理由", default="市级督办后仍未办结，启动跨区域联动绿色通道")
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
    if payload.is_row_id(value):
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
    unit: Unit | None = case.county
    while unit is not None:
        candidates.append(unit)
        unit = unit.parent
    for unit in candidates:
        if unit.leader_id:
            return unit.leader
    return None


def card(colour: str) -> Callable[[Step], None]:
    def effect(step: Step) -> None:
        step.case.card = colour
        if colour == "yellow":
            step.case.yellow_at = None
        else:
            step.case.red_at = step.case.yellow_at = None
        if step.case.state in WAITING_STATES:
            step.record["dispatch_due_at"] = payload.local_iso(step.case.dispatch_due_at)
        else:
            step.record["resolve_due_at"] = payload.local_iso(step.case.resolve_due_at)

    return effect


def set_urgency(step: Step) -> None:
    """A coordinator grades the case's urgency afresh (rules.md §8.2): the clocks it still owes restart on the new
    urgency's SLA profile."""
    case = step.case
    urgency = payload.choice(step, "urgency", Urgency, "紧急程度")
    if urgency == case.urgency:
        raise Invalid("紧急程度未改变", code="urgency_unchanged", field="urgency")
    reason = payload.text(step, "reason", max_length=500, label="调整理由")
    step.record.update(previous=case.urgency, urgency=urgency, reason=reason)
    case.urgency = urgency
    deadlines.rearm_for_urgency(case, step.now)
    if case.state in WAITING_STATES:
        step.record["dispatch_due_at"] = payload.local_iso(case.dispatch_due_at)
    elif case.state in CLOCK_STATES:
        step.record["resolve_due_at"] = payload.local_iso(case.resolve_due_at)


def callback_check(step: Step) -> None:
    """What the office's own call heard, beside what the requester recorded; the case itself does not change."""
    resolution = payload.choice(step, "resolution", Resolution, "解决情况")
    satisfaction = (
        "" if resolution == Resolution.UNREACHABLE else payload.choice(step, "satisfaction", Satisfaction, "满意度")
    )
    step.record.update(
        resolution=resolution,
        satisfaction=satisfaction,
        note=payload.optional_text(step, "note", max_length=500, label="回访记录"),
    )
    if resolution != Resolution.UNREACHABLE:
        step.record["mismatch"] = (resolution, satisfaction) != (step.case.resolution, step.case.satisfaction)


def withdraw(step: Step) -> None:
    step.record["reason"] = payload.text(step, "reason", max_length=500, label="撤回原因")
    step.case.closed_at = step.now
    deadlines.stop_clocks(step.case)


def rating_voided(step: Step) -> None:
    """A poor rating voided on appeal or review ends its rectification (差评整改): closed with the reason, no follow-up."""
    step.record["reason"] = payload.text(step, "reason", max_length=500, label="作废原因")
    step.case.closed_at = step.now
    deadlines.stop_clocks(step.case)


def record(step: Step) -> None:
    step.record.update(step.payload)


def submit(step: Step) -> None:
    """The submit event carries a keyed hash of what the case was submitted with, so `whistle audit verify` finds
    the case row edited afterwards (a description, a phone, an enterprise)."""
    step.record.update(step.payload)
    step.record["content_hash"] = content_hash(step.case)
    deadlines.start_wait_clock(step.case, step.now)  # a dispatch (by the catalogue, at once, or the office) is owed


def content_hash(case) -> str:
    """HMAC under the current hash key of the case's content (`models.content_record`)."""
    return signed(key_id(), canonical_json(content_record(case)))
