"""The 吹哨 workflow, rule by rule (domain/rules.md §1 and §8.2; DESIGN.md "The case workflow")."""

import pytest

from tests.cases.flow import MONDAY, act, actions, case_in, last_event, reload, submit
from tests.conftest import at
from whistle.cases import services
from whistle.cases.models import Case, CaseEvent, DispatchRule
from whistle.cases.services import case_transition
from whistle.core.errors import Conflict, Forbidden, Invalid
from whistle.core.models import RuleParameter
from whistle.org.models import Unit
from whistle.org.scopes import Actor


def events_of(case):
    return list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq"))


# ---- dispatch ---------------------------------------------------------------------------------------


def test_case_is_dispatched_automatically_by_catalogue_category_and_county(heze):
    case = submit(heze, category="construction", county="shanxian")
    assert case.state == "dispatched" and case.lead_unit == heze.shan_zjj
    assert actions(case) == ["submit", "route", "dispatch"]
    dispatch = last_event(case)
    assert dispatch.actor_label == "系统" and dispatch.payload["unit"] == "shanxian-zjj"


def test_dispatch_uses_nearest_ancestor_category_when_subcategory_has_no_rule(heze):
    case = submit(heze, category="construction-permit")  # only 工程建设 (the parent) is in the catalogue
    assert case.lead_unit == heze.cao_zjj


def test_area_less_rule_dispatches_when_no_rule_for_the_county(heze):
    case = submit(heze, category="market")
    assert case.state == "dispatched" and case.lead_unit == heze.city_scjg


def test_county_rule_wins_over_area_less_rule(heze):
    DispatchRule.objects.create(category=heze.cat_market, area=heze.cao, unit=heze.cao_scjg)
    assert submit(heze, category="market").lead_unit == heze.cao_scjg
    assert submit(heze, "ent_shan", category="market").lead_unit == heze.city_scjg


def test_unroutable_case_waits_in_submitted_for_the_coordinator(heze):
    case = submit(heze, category="other")
    # It waits with a dispatch clock (the profile's dispatch stage, 1 working day): test_workflow_issue14.py.
    assert case.state == "submitted" and case.lead_unit is None and case.next_due_at == case.dispatch_due_at
    assert last_event(case).payload == {"routed": False}
    case = act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 2, 14))
    assert case.state == "dispatched" and case.lead_unit == heze.cao_scjg
    assert last_event(case).actor_label == "曹县企业吹哨办 cao_office"


def test_cross_county_case_goes_to_city_coordination_undispatched(heze):
    case = submit(heze, category="construction", cross_county=True)
    assert case.state == "submitted" and case.level == "city"
    case = act(heze, case, "dispatch", "city_office", {"unit": "heze-zjj"}, at(2026, 11, 2, 11))
    assert case.lead_unit == heze.city_zjj


def test_case_county_is_a_county_government_or_development_zone(heze):
    zone = Unit.objects.create(code="caoxian-kfq", name="曹县经济开发区", level="county", kind="zone", parent=heze.cao)
    contact = {"contact_name": "赵六", "contact_phone": "13905300003"}
    by_id, _ = services.case_submit(
        Actor.system(),
        kind="report",
        category="other",
        description="夜间施工扰民",
        county=heze.shan.pk,
        now=MONDAY,
        **contact,
    )
    in_zone, _ = services.case_submit(
        Actor.system(),
        kind="report",
        category="other",
        description="园区道路破损",
        county="caoxian-kfq",
        now=MONDAY,
        **contact,
    )
    assert (by_id.county, in_zone.county) == (heze.shan, zone)
    for county in ("caoxian-zjj", "caoxian-zhuangzhai", heze.cao_zjj.pk, True, ["caoxian"]):
        with pytest.raises(Invalid) as refused:
            services.case_submit(
                Actor.system(), kind="report", category="other", description="x", county=county, **contact
            )
        assert refused.value.code == "unknown_county"


def test_county_coordinator_dispatches_only_within_its_county(heze):
    case = submit(heze, category="other")
    with pytest.raises(Invalid) as refused:
        act(heze, case, "dispatch", "cao_office", {"unit": "shanxian-zjj"})
    assert refused.value.code == "unit_out_of_scope" and refused.value.field == "unit"
    assert reload(case).state == "submitted" and actions(case) == ["submit", "route"]


def test_dispatch_starts_return_contact_opinion_and_solve_clocks(heze):
    case = submit(heze)  # dispatched Monday 2026-11-02 10:00
    assert case.return_due_at == at(2026, 11, 4, 10)  # 2 working days
    assert case.contact_due_at == at(2026, 11, 2, 12)  # 2 natural hours
    assert case.opinion_due_at == at(2026, 11, 3, 10)  # 1 working day
    assert case.resolve_due_at == at(2026, 11, 23, 10)  # 15 working days
    assert case.next_due_at == case.contact_due_at


def test_contact_deadline_is_two_natural_hours_even_on_friday_evening(heze):
    case = submit(heze, now=at(2026, 11, 6, 17, 0))
    assert case.contact_due_at == at(2026, 11, 6, 19, 0)
    assert case.opinion_due_at == at(2026, 11, 9, 17, 0)


def test_complex_case_has_thirty_working_days_to_solve(heze):
    case = submit(heze, category="other")
    case = act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-zjj", "complex": True}, MONDAY)
    assert case.is_complex and case.resolve_due_at == at(2026, 12, 14, 10)


# ---- sign or return -----------------------------------------------------------------------------------


def test_unit_signs_for_case_and_owes_contact_next(heze):
    case = act(heze, submit(heze), "accept", "cao_zjj", {}, at(2026, 11, 2, 10, 30))
    assert case.state == "accepted" and case.accepted_at == at(2026, 11, 2, 10, 30)
    assert case.next_due_at == at(2026, 11, 2, 12)


def test_signing_after_the_return_window_is_possible_but_recorded_late(heze):
    case = act(heze, submit(heze), "accept", "cao_zjj", {}, at(2026, 11, 4, 10, 1))
    assert case.state == "accepted" and last_event(case).payload == {"on_time": False}
    assert last_event(act(heze, submit(heze), "accept", "cao_zjj", {}, at(2026, 11, 4, 10))).payload == {
        "on_time": True
    }


def test_return_with_reason_and_suggested_unit_within_two_working_days(heze):
    case = submit(heze)
    case = act(
        heze,
        case,
        "return",
        "cao_zjj",
        {"reason": "属市场监管职责", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 4, 9, 59),
    )
    assert case.state == "returned" and case.lead_unit is None and case.returns_count == 1
    # Back with the office, which owes a dispatch within a working day.
    assert case.next_due_at == at(2026, 11, 5, 9, 59) and case.resolve_due_at is None
    assert last_event(case).payload["suggested_unit"] == "caoxian-scjg"
    case = act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 4, 11))
    assert case.lead_unit == heze.cao_scjg and case.resolve_due_at == at(2026, 11, 25, 11)


def test_return_after_two_working_days_is_refused_with_409(heze):
    case = submit(heze)
    with pytest.raises(Conflict) as refused:
        act(
            heze,
            case,
            "return",
            "cao_zjj",
            {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
            at(2026, 11, 4, 10, 1),
        )
    assert refused.value.status == 409 and refused.value.code == "return_window_closed"
    assert reload(case).state == "dispatched" and actions(case) == ["submit", "route", "dispatch"]


def test_return_needs_reason_and_an_existing_suggested_unit(heze):
    case = submit(heze)
    with pytest.raises(Invalid) as no_reason:
        act(heze, case, "return", "cao_zjj", {"suggested_unit": "caoxian-scjg"}, at(2026, 11, 2, 11))
    assert no_reason.value.field == "reason"
    with pytest.raises(Invalid) as unknown:
        act(
            heze,
            case,
            "return",
            "cao_zjj",
            {"reason": "不属本单位", "suggested_unit": "no-such-unit"},
            at(2026, 11, 2, 11),
        )
    assert unknown.value.code == "unknown_unit" and unknown.value.field == "suggested_unit"


def test_accepted_case_cannot_be_returned(heze):
    case = case_in(heze, "accepted")
    with pytest.raises(Conflict) as refused:
        act(
            heze,
            case,
            "return",
            "cao_zjj",
            {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
            at(2026, 11, 2, 11),
        )
    assert refused.value.code == "invalid_state"


def test_second_return_escalates_case_from_county_to_city(heze):
    case = submit(heze)
    case = act(
        heze, case, "return", "cao_zjj", {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"}, at(2026, 11, 2, 11)
    )
    assert case.level == "county"
    case = act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 2, 14))
    case = act(
        heze, case, "return", "cao_scjg", {"reason": "属住建职责", "suggested_unit": "caoxian-zjj"}, at(2026, 11, 3, 9)
    )
    assert case.state == "returned" and case.level == "city" and case.escalated_at == at(2026, 11, 3, 9)
    escalation = last_event(case)
    assert (
        escalation.action == "escalate"
        and escalation.actor_label == "系统"
        and "第2次退单" in escalation.payload["reason"]
    )


def test_returns_before_escalation_come_from_rule_parameter(heze):
    RuleParameter.objects.filter(key="escalation.returns_to_city").update(value=3)
    case = submit(heze)
    case = act(
        heze, case, "return", "cao_zjj", {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"}, at(2026, 11, 2, 11)
    )
    case = act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 2, 14))
    case = act(
        heze, case, "return", "cao_scjg", {"reason": "属住建职责", "suggested_unit": "caoxian-zjj"}, at(2026, 11, 3, 9)
    )
    assert case.returns_count == 2 and case.level == "county"


# ---- contact, opinion, reply --------------------------------------------------------------------------


def test_contact_within_two_hours_and_opinion_within_one_working_day_are_on_time(heze):
    case = case_in(heze, "in_progress")
    contact, opinion = [e for e in events_of(case) if e.action in ("contact", "opinion")]
    assert contact.payload["on_time"] is True and opinion.payload["on_time"] is True
    assert case.next_due_at == case.resolve_due_at


def test_late_contact_and_opinion_are_recorded_as_late(heze):
    case = case_in(heze, "accepted")
    case = act(heze, case, "contact", "cao_zjj", {"method": "onsite"}, at(2026, 11, 2, 12, 1))
    case = act(heze, case, "opinion", "cao_zjj", {"opinion": "正在协调"}, at(2026, 11, 3, 10, 1))
    contact, opinion = [e for e in events_of(case) if e.action in ("contact", "opinion")]
    assert contact.payload["on_time"] is False and opinion.payload["on_time"] is False


def test_reply_needs_content(heze):
    case = case_in(heze, "in_progress")
    for payload in ({}, {"content": "   "}, {"content": 42}):
        with pytest.raises(Invalid) as refused:
            act(heze, case, "reply", "cao_zjj", payload, at(2026, 11, 5))
        assert refused.value.field == "content"
    assert reload(case).state == "in_progress"


def test_reply_stops_every_clock(heze):
    case = case_in(heze, "replied")
    assert case.next_due_at is None and case.yellow_at is None and case.red_at is None and case.supervise_at is None
    assert last_event(case).payload == {"content": "施工许可证已核发", "on_time": True}


# ---- extension -------------------------------------------------------------------------------------


def test_one_extension_of_seven_working_days(heze):
    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 10))
    assert case.extension_state == "requested" and case.resolve_due_at == at(2026, 11, 23, 10)
    case = act(heze, case, "approve_extension", "cao_office", {"note": "同意"}, at(2026, 11, 10, 15))
    assert case.extension_state == "approved" and case.resolve_due_at == at(2026, 12, 2, 10)
    assert case.next_due_at == at(2026, 12, 2, 10) and case.yellow_at == at(2026, 12, 1, 10)


def test_third_extension_request_is_refused_with_409(heze):
    # The second goes to the city office (test_workflow_issue14.py); the row names no approver for a third.
    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 10))
    case = act(heze, case, "reject_extension", "cao_office", {"reason": "时限内可以办结"}, at(2026, 11, 10, 15))
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "再申请一次"}, at(2026, 11, 11))
    case = act(heze, case, "reject_extension", "city_office", {"reason": "时限内可以办结"}, at(2026, 11, 11, 15))
    with pytest.raises(Conflict) as refused:
        act(heze, case, "request_extension", "cao_zjj", {"reason": "第三次"}, at(2026, 11, 12))
    assert refused.value.code == "extension_already_requested"
    assert reload(case).extension_state == "rejected" and reload(case).extensions_count == 2


def test_extension_is_approved_by_coordinator_not_by_the_unit(heze):
    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 10))
    with pytest.raises(Forbidden):
        act(heze, case, "approve_extension", "cao_zjj", {}, at(2026, 11, 10, 15))


# ---- follow-up and reopen ---------------------------------------------------------------------------


def test_follow_up_resolved_and_satisfied_closes_the_case(heze):
    case = case_in(heze, "replied")
    case = act(
        heze, case, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "satisfied"}, at(2026, 11, 6)
    )
    assert case.state == "closed" and not case.is_open and case.closed_at == at(2026, 11, 6)
    assert (case.resolution, case.satisfaction) == ("resolved", "satisfied")


def test_follow_up_partly_resolved_and_basically_satisfied_closes_the_case(heze):
    case = case_in(heze, "replied")
    case = act(
        heze,
        case,
        "follow_up",
        "ent_cao",
        {"resolution": "partly", "satisfaction": "basically_satisfied"},
        at(2026, 11, 6),
    )
    assert case.state == "closed"


def test_follow_up_needs_resolution_and_satisfaction_from_the_lists(heze):
    case = case_in(heze, "replied")
    with pytest.raises(Invalid) as bad_resolution:
        act(heze, case, "follow_up", "ent_cao", {"resolution": "done", "satisfaction": "satisfied"})
    assert bad_resolution.value.field == "resolution"
    with pytest.raises(Invalid) as bad_satisfaction:
        act(heze, case, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": ["satisfied"]})
    assert bad_satisfaction.value.field == "satisfaction"


def test_unresolved_follow_up_reopens_case_with_a_new_clock(heze):
    case = case_in(heze, "replied")
    case = act(
        heze,
        case,
        "follow_up",
        "ent_cao",
        {"resolution": "unresolved", "satisfaction": "basically_satisfied"},
        at(2026, 11, 6),
    )
    assert case.state == "reopened" and case.reopen_count == 1 and case.lead_unit == heze.cao_zjj
    assert case.resolve_due_at == at(2026, 11, 27) and case.next_due_at == at(2026, 11, 27)
    assert case.supervision_count == 0
    case = act(heze, case, "reply", "cao_zjj", {"content": "已重新办理"}, at(2026, 11, 9))
    assert case.state == "replied"


def test_unsatisfied_follow_up_reopens_and_issues_supervision_notice(heze):
    case = case_in(heze, "replied")
    case = act(
        heze, case, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "unsatisfied"}, at(2026, 11, 6)
    )
    assert case.state == "reopened" and case.supervision_count == 1
    supervision = last_event(case)
    assert supervision.action == "supervise" and supervision.payload["reason"] == "回访不满意"
    assert supervision.payload["notice"] == "督办单第1号"
    # The redo has its own 15 working days: the notice neither escalates early nor disarms the overdue check.
    assert case.escalate_at is None and case.supervise_at == at(2026, 11, 27)


def test_still_unsatisfied_after_redo_issues_another_supervision_notice(heze):
    case = case_in(heze, "replied")
    case = act(
        heze, case, "follow_up", "ent_cao", {"resolution": "unresolved", "satisfaction": "unsatisfied"}, at(2026, 11, 6)
    )
    case = act(heze, case, "reply", "cao_zjj", {"content": "已重新办理"}, at(2026, 11, 10))
    case = act(
        heze,
        case,
        "follow_up",
        "ent_cao",
        {"resolution": "unresolved", "satisfaction": "unsatisfied"},
        at(2026, 11, 11),
    )
    assert case.reopen_count == 2 and case.supervision_count == 2
    assert last_event(case).payload["reason"] == "重办后仍不满意"


def test_follow_up_by_another_user_of_the_same_enterprise_is_forbidden(heze):
    case = case_in(heze, "replied")
    with pytest.raises(Forbidden) as refused:
        act(heze, case, "follow_up", "ent_cao2", {"resolution": "resolved", "satisfaction": "satisfied"})
    assert refused.value.code == "action_not_permitted"
    assert reload(case).state == "replied"


def test_coordinator_follows_up_on_behalf_of_the_enterprise(heze):
    case = case_in(heze, "replied")
    case = act(
        heze, case, "follow_up", "cao_office", {"resolution": "resolved", "satisfaction": "satisfied"}, at(2026, 11, 6)
    )
    assert case.state == "closed" and last_event(case).payload["on_behalf"] is True


def test_only_a_caller_may_record_the_enterprise_as_unreachable(heze):
    case = case_in(heze, "replied")
    with pytest.raises(Invalid) as refused:
        act(heze, case, "follow_up", "ent_cao", {"resolution": "unreachable"})
    assert refused.value.code == "invalid_resolution"
    case = act(heze, case, "follow_up", "cao_office", {"resolution": "unreachable"}, at(2026, 11, 6))
    assert case.state == "closed" and case.satisfaction == ""


def test_unit_cannot_follow_up_its_own_case(heze):
    case = case_in(heze, "replied")
    with pytest.raises(Forbidden):
        act(heze, case, "follow_up", "cao_zjj", {"resolution": "resolved", "satisfaction": "satisfied"})


# ---- lead and assisting units ------------------------------------------------------------------------


def test_assisting_unit_sees_case_adds_assist_note_but_may_not_reply(heze):
    case = submit(heze, category="other")
    case = act(
        heze, case, "dispatch", "cao_office", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-scjg"]}, MONDAY
    )
    assert list(case.assisting_units.all()) == [heze.cao_scjg]
    for action, user, payload, now in [
        ("accept", "cao_zjj", {}, at(2026, 11, 2, 11)),
        ("contact", "cao_zjj", {}, at(2026, 11, 2, 11, 30)),
    ]:
        case = act(heze, case, action, user, payload, now)
    case = act(heze, case, "assist_note", "cao_scjg", {"note": "已核查营业执照，无问题"}, at(2026, 11, 3))
    assert last_event(case).payload == {"note": "已核查营业执照，无问题"}
    with pytest.raises(Forbidden):
        act(heze, case, "reply", "cao_scjg", {"content": "协办单位不能答复"})
    with pytest.raises(Forbidden):
        act(heze, case, "assist_note", "cao_zjj", {"note": "主办单位不是协办"})


def test_lead_unit_cannot_also_assist(heze):
    case = submit(heze, category="other")
    with pytest.raises(Invalid) as refused:
        act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-zjj"]})
    assert refused.value.code == "lead_also_assisting"


def test_return_drops_the_assisting_units(heze):
    case = submit(heze, category="other")
    case = act(
        heze, case, "dispatch", "cao_office", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-scjg"]}, MONDAY
    )
    case = act(
        heze, case, "return", "cao_zjj", {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"}, at(2026, 11, 2, 11)
    )
    assert case.assisting_units.count() == 0


# ---- withdraw ---------------------------------------------------------------------------------------


def test_requester_withdraws_a_case_not_yet_signed_for(heze):
    case = act(heze, submit(heze), "withdraw", "ent_cao", {"reason": "问题已自行解决"}, at(2026, 11, 2, 10, 5))
    assert case.state == "closed" and case.closed_at == at(2026, 11, 2, 10, 5) and case.next_due_at is None


def test_signed_case_cannot_be_withdrawn(heze):
    case = case_in(heze, "accepted")
    with pytest.raises(Conflict) as refused:
        act(heze, case, "withdraw", "ent_cao", {"reason": "不需要了"})
    assert refused.value.code == "invalid_state"


# ---- payload types -----------------------------------------------------------------------------------


def test_dispatch_payload_of_wrong_type_is_invalid(heze, subtests):
    case = submit(heze, category="other")
    for payload, field in [
        ({"unit": []}, "unit"),
        ({"unit": {"code": "caoxian-zjj"}}, "unit"),
        ({"unit": True}, "unit"),
        ({"unit": 10**30}, "unit"),
        ({"unit": "caoxian-zjj", "complex": "yes"}, "complex"),
        ({"unit": "caoxian-zjj", "assisting_units": "caoxian-scjg"}, "assisting_units"),
        ({"unit": "caoxian-zjj", "assisting_units": 5}, "assisting_units"),
        ({"unit": "caoxian-zjj", "assisting_units": [["caoxian-scjg"]]}, "assisting_units"),
    ]:
        with subtests.test(payload=payload):
            with pytest.raises(Invalid) as refused:
                act(heze, case, "dispatch", "cao_office", payload)
            assert refused.value.status == 422 and refused.value.field == field
            assert reload(case).state == "submitted"


def test_workflow_payload_of_wrong_type_is_invalid(heze, subtests):
    cases = {state: case_in(heze, state) for state in ("dispatched", "accepted", "in_progress", "replied")}
    for state, action, user, payload, field in [
        ("accepted", "contact", "cao_zjj", {"method": ["phone"]}, "method"),
        ("accepted", "contact", "cao_zjj", {"method": "phone", "note": 7}, "note"),
        ("in_progress", "urge", "cao_office", {"note": 7}, "note"),
        ("in_progress", "supervise", "cao_office", {"reason": {"x": 1}}, "reason"),
        ("in_progress", "escalate", "cao_office", {"reason": 3.5}, "reason"),
        (
            "replied",
            "follow_up",
            "ent_cao",
            {"resolution": "resolved", "satisfaction": "satisfied", "comment": 1},
            "comment",
        ),
        ("dispatched", "return", "cao_zjj", {"reason": "不属本单位", "suggested_unit": [1]}, "suggested_unit"),
    ]:
        with subtests.test(action=action, payload=payload):
            case = cases[state]
            with pytest.raises(Invalid) as refused:
                act(heze, case, action, user, payload, at(2026, 11, 2, 11))
            assert refused.value.field == field
            assert reload(case).event_seq == case.event_seq


def test_approve_extension_note_of_wrong_type_is_invalid(heze):
    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 10))
    with pytest.raises(Invalid) as refused:
        act(heze, case, "approve_extension", "cao_office", {"note": ["同意"]}, at(2026, 11, 10, 15))
    assert refused.value.field == "note" and reload(case).extension_state == "requested"


def test_green_channel_leader_must_be_a_leader(heze):
    case = submit(heze, category="construction", cross_county=True)
    for leader in ("abc", [1], heze.users.cao_zjj.pk, True):
        with pytest.raises(Invalid) as refused:
            act(heze, case, "green_channel", "city_office", {"leader": leader})
        assert refused.value.code == "unknown_leader" and refused.value.field == "leader"
    case = act(heze, case, "green_channel", "city_office", {"leader": str(heze.users.city_leader.pk)}, MONDAY)
    assert case.level == "green_channel" and case.green_channel_leader == heze.users.city_leader


def test_service_only_actions_cannot_be_invoked_as_transitions(heze):
    case = case_in(heze, "in_progress")
    for action in ("submit", "attach", "route", "yellow_card"):
        with pytest.raises((Invalid, Forbidden)):
            case_transition(heze.actor("ent_cao"), case.number, action, {"state": "submitted"})
    assert reload(case).state == "in_progress" and reload(case).event_seq == case.event_seq


# ---- the event chain -------------------------------------------------------------------------------


def test_every_step_appends_a_hash_chained_case_event(heze):
    case = case_in(heze, "replied")
    case = act(
        heze, case, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "satisfied"}, at(2026, 11, 6)
    )
    events = events_of(case)
    assert [e.action for e in events] == [
        "submit",
        "route",
        "dispatch",
        "accept",
        "contact",
        "opinion",
        "reply",
        "follow_up",
    ]
    assert [e.seq for e in events] == list(range(1, 9))
    assert events[0].prev_hash == "" and all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert case.last_event_hash == events[-1].hash and case.event_seq == 8
    assert [(e.from_state, e.to_state) for e in events[2:]] == [
        ("submitted", "dispatched"),
        ("dispatched", "accepted"),
        ("accepted", "contacted"),
        ("contacted", "in_progress"),
        ("in_progress", "replied"),
        ("replied", "closed"),
    ]
    assert events[3].actor == heze.users.cao_zjj and events[3].actor_label == "曹县住房和城乡建设局 cao_zjj"


def test_refused_transition_writes_nothing(heze):
    case = case_in(heze, "accepted")
    before = (Case.objects.values().get(pk=case.pk), CaseEvent.objects.count())
    with pytest.raises(Conflict):
        act(heze, case, "reply", "cao_zjj", {"content": "跳过联系直接答复"})
    assert (Case.objects.values().get(pk=case.pk), CaseEvent.objects.count()) == before


def test_requester_withdraws_a_case_still_waiting_for_dispatch(heze):
    case = act(
        heze, submit(heze, category="other"), "withdraw", "ent_cao", {"reason": "已找到办法"}, at(2026, 11, 2, 11)
    )
    assert case.state == "closed" and case.lead_unit is None


def test_requester_withdraws_a_returned_case(heze):
    case = act(
        heze,
        submit(heze),
        "return",
        "cao_zjj",
        {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 2, 11),
    )
    case = act(heze, case, "withdraw", "ent_cao", {"reason": "不再需要"}, at(2026, 11, 2, 12))
    assert case.state == "closed" and reload(case).state == "closed"


def test_a_system_transition_finds_a_case_by_its_number(heze):
    case = case_in(heze, "in_progress")
    services.system_transition(case.number, "escalate", {"reason": "跨部门"})
    assert last_event(case).action == "escalate"
    with pytest.raises(Case.DoesNotExist):
        services.system_transition("not a number", "escalate", {"reason": "跨部门"})
