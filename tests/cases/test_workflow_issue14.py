"""Issue 14, the case workflow: who dispatches city-level cases, the dispatch clock, extensions (before the deadline,
a further one by the level above, a red card kept), 改派, and a page that offers exactly what the server accepts.

Every rule here is a row or a guard of `cases.workflow.TRANSITIONS`, or a stage of the SLA profile (data).
Times are November 2026 (no statutory holiday); `case_in` is dispatched Monday 2 Nov 10:00, due Monday 23 Nov 10:00.
"""

import pytest
from django.db import transaction

from tests.cases.flow import MONDAY, act, case_in, last_event, reload, submit
from tests.conftest import at
from whistle.cases import selectors, services, workflow
from whistle.cases.models import CaseEvent, SlaStage
from whistle.cases.sweeper import sweep
from whistle.core.errors import Conflict, Forbidden, Invalid, Problem
from whistle.web.forms import ACTION_FORMS
from whistle.web.timeline import timeline

NOTHING = {"red_card": 0, "yellow_card": 0, "supervise": 0, "escalate": 0}


def offered(heze, case, user, now):
    return {t.action for t in workflow.allowed_actions(heze.actor(user), reload(case), now)}


# ---- 3. city-level cases are dispatched by the city office -------------------------------------------------


def test_rule_1_only_the_city_office_dispatches_a_city_level_case(heze):
    case = submit(heze, category="other", cross_county=True)
    assert case.level == "city" and case.state == "submitted"
    # The county office may see the case of its county, but is neither offered nor allowed the dispatch.
    assert "dispatch" not in offered(heze, case, "cao_office", MONDAY)
    with pytest.raises(Forbidden) as refused:
        act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 2, 11))
    assert refused.value.code == "city_level_case" and "市吹哨办" in refused.value.detail
    assert reload(case).state == "submitted"
    assert "dispatch" in offered(heze, case, "city_office", MONDAY)
    case = act(heze, case, "dispatch", "city_office", {"unit": "heze-zjj"}, at(2026, 11, 2, 11))
    assert case.state == "dispatched" and case.lead_unit == heze.city_zjj


def test_rule_1_county_case_escalated_to_the_city_is_redispatched_only_by_the_city_office(heze):
    case = case_in(heze, "accepted")
    case = act(heze, case, "escalate", "cao_office", {"reason": "涉及跨县区"}, at(2026, 11, 3))
    assert "redispatch" not in offered(heze, case, "cao_office", at(2026, 11, 3, 11))
    with pytest.raises(Forbidden):
        act(heze, case, "redispatch", "cao_office", {"unit": "caoxian-scjg", "reason": "派错"}, at(2026, 11, 3, 11))
    act(heze, case, "redispatch", "city_office", {"unit": "heze-zjj", "reason": "由市住建局牵头"}, at(2026, 11, 3, 11))


# ---- 5. a case waiting for dispatch has a clock --------------------------------------------------------------


def test_rule_1_dispatch_stage_of_every_sla_profile_defaults_to_one_working_day(db):
    # Every profile for ordinary cases; urgent cases have their own (test_rule_8_2_urgent_case_…).
    stages = SlaStage.objects.filter(stage="dispatch", profile__urgency="")
    assert stages.exists() and {(s.amount, s.unit) for s in stages} == {(1, "working_days")}


def test_rule_1_case_waiting_for_dispatch_gets_yellow_and_red_cards_and_counts_overdue(heze):
    case = submit(heze, category="other")  # no catalogue rule: waits for the office
    assert case.dispatch_due_at == at(2026, 11, 3, 10) and case.next_due_at == case.dispatch_due_at
    assert sweep(at(2026, 11, 3, 9)) == NOTHING
    assert sweep(at(2026, 11, 3, 10, 1)) == {**NOTHING, "yellow_card": 1}  # a 1-day stage: yellow at the deadline
    assert reload(case).card == "yellow"
    # Overdue like any stage: its current deadline has passed.
    assert (
        selectors.case_list(heze.actor("cao_office")).filter(pk=case.pk, next_due_at__lt=at(2026, 11, 3, 11)).exists()
    )
    assert sweep(at(2026, 11, 4, 10, 1)) == {**NOTHING, "red_card": 1}
    assert reload(case).card == "red" and last_event(case).payload == {"dispatch_due_at": "2026-11-03T10:00:00+08:00"}
    assert sweep(at(2026, 11, 30)) == NOTHING  # no supervision notice to the office itself, nothing twice
    case = act(heze, case, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 4, 11))
    assert last_event(case).payload["dispatch_on_time"] is False and case.card == "none"
    sentences = [e.text for e in timeline(list(CaseEvent.objects.filter(case=case).order_by("seq")))]
    assert "系统发出红牌警示" in sentences


def test_rule_1_dispatch_time_limit_is_data_of_the_sla_profile(heze):
    SlaStage.objects.filter(stage="dispatch").update(amount=4, unit="hours")
    case = submit(heze, category="other")
    assert case.dispatch_due_at == at(2026, 11, 2, 14)


def test_rule_1_returned_case_waits_for_the_office_with_a_dispatch_clock(heze):
    case = act(
        heze,
        submit(heze),
        "return",
        "cao_zjj",
        {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 2, 11),
    )
    assert case.dispatch_due_at == at(2026, 11, 3, 11) and case.resolve_due_at is None
    assert sweep(at(2026, 11, 4, 11, 1))["red_card"] == 1


def test_rule_8_2_sweep_of_a_waiting_case_leaves_it_as_the_one_case_workflow_leaves_its_twin(heze):
    from whistle.cases.models import Case
    from whistle.cases.sweeper import FIELDS
    from whistle.org.scopes import Actor

    swept, twin = submit(heze, category="other"), submit(heze, category="other")
    moment = at(2026, 11, 4, 10, 1)
    act(heze, twin, "red_card", Actor.system(), {}, moment)
    assert sweep(moment) == {**NOTHING, "red_card": 1}

    def columns(case):
        return {
            k: v
            for k, v in Case.objects.filter(pk=case.pk).values(*FIELDS, "dispatch_due_at").get().items()
            if k != "last_event_hash"
        }

    def events(case):
        return list(
            CaseEvent.objects.filter(case_id=case.pk)
            .order_by("seq")
            .values_list("action", "from_state", "to_state", "payload")
        )

    assert columns(swept) == columns(twin) and events(swept) == events(twin)


# ---- 6. extensions before the deadline only; a red card stays --------------------------------------------------


def test_rule_1_extension_requested_after_the_deadline_is_refused_and_not_offered(heze):
    case = case_in(heze, "in_progress")
    late = at(2026, 11, 23, 10, 1)
    assert "request_extension" not in offered(heze, case, "cao_zjj", late)
    with pytest.raises(Conflict) as refused:
        act(heze, case, "request_extension", "cao_zjj", {"reason": "来不及了"}, late)
    assert refused.value.code == "deadline_passed" and "超过办结时限" in refused.value.detail
    assert reload(case).extension_state == "none"


def test_rule_1_extension_not_approved_before_the_deadline_lapses_and_the_case_counts_late(heze):
    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 20))
    sweep(at(2026, 11, 24, 10, 0))  # red card
    assert "approve_extension" not in offered(heze, case, "cao_office", at(2026, 11, 24, 11))
    with pytest.raises(Conflict):
        act(heze, case, "approve_extension", "cao_office", {}, at(2026, 11, 24, 11))
    case = reload(case)
    assert case.card == "red" and case.resolve_due_at == at(2026, 11, 23, 10)
    case = act(heze, case, "reply", "cao_zjj", {"content": "已办结"}, at(2026, 11, 25))
    assert last_event(case).payload["on_time"] is False


def test_rule_1_approved_extension_never_clears_a_red_card_already_given(heze):
    from whistle.cases.models import Case

    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 20))
    Case.objects.filter(pk=case.pk).update(card="red")  # a red card the case carries (e.g. from an earlier stage)
    case = act(heze, case, "approve_extension", "cao_office", {}, at(2026, 11, 20, 15))
    assert case.extension_state == "approved" and case.card == "red" and case.resolve_due_at == at(2026, 12, 2, 10)


# ---- 7. a further extension by the level above -------------------------------------------------------------------


def test_rule_1_second_extension_is_approved_by_the_city_office_not_the_county_office(heze):
    case = case_in(heze, "in_progress")
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "需省厅审批"}, at(2026, 11, 10))
    case = act(heze, case, "approve_extension", "cao_office", {}, at(2026, 11, 10, 15))
    assert case.resolve_due_at == at(2026, 12, 2, 10)
    assert "request_extension" in offered(heze, case, "cao_zjj", at(2026, 11, 30))
    case = act(heze, case, "request_extension", "cao_zjj", {"reason": "省厅尚未批复"}, at(2026, 11, 30))
    assert case.extensions_count == 2 and last_event(case).payload["nth"] == 2
    assert not offered(heze, case, "cao_office", at(2026, 11, 30, 15)) & {"approve_extension", "reject_extension"}
    with pytest.raises(Forbidden) as refused:
        act(heze, case, "approve_extension", "cao_office", {}, at(2026, 11, 30, 15))
    assert refused.value.code == "extension_needs_higher_approval"
    assert {"approve_extension", "reject_extension"} <= offered(heze, case, "city_office", at(2026, 11, 30, 15))
    case = act(heze, case, "approve_extension", "city_office", {"note": "同意再延期"}, at(2026, 11, 30, 15))
    assert case.resolve_due_at == at(2026, 12, 11, 10)
    assert "request_extension" not in offered(heze, case, "cao_zjj", at(2026, 12, 1))


def test_rule_1_who_approves_the_nth_extension_is_data_on_the_row():
    row = workflow.TRANSITIONS["request_extension"]
    assert row.approvers == (frozenset({workflow.COORDINATOR}), frozenset({workflow.CITY_COORDINATOR}))


# ---- 9. 改派 ---------------------------------------------------------------------------------------------------


def test_rule_8_2_coordinator_redispatches_a_case_sent_to_the_wrong_unit(heze):
    case = case_in(heze, "accepted")
    assert "redispatch" in offered(heze, case, "cao_office", at(2026, 11, 3))
    case = act(
        heze, case, "redispatch", "cao_office", {"unit": "caoxian-scjg", "reason": "属市场监管职责"}, at(2026, 11, 3)
    )
    assert case.state == "dispatched" and case.lead_unit == heze.cao_scjg
    assert case.contact_due_at == at(2026, 11, 3, 12) and case.resolve_due_at == at(2026, 11, 24)
    payload = last_event(case).payload
    assert payload["previous_unit"] == "caoxian-zjj" and payload["reason"] == "属市场监管职责"
    assert not selectors.inbox(heze.actor("cao_zjj")).filter(pk=case.pk).exists()
    assert selectors.inbox(heze.actor("cao_scjg")).filter(pk=case.pk).exists()
    entries = timeline(list(CaseEvent.objects.filter(case=case).order_by("seq")))
    assert (
        entries[-1].text == "曹县企业吹哨办 cao_office改派至曹县市场监督管理局"
        and "属市场监管职责" in entries[-1].detail
    )
    act(heze, case, "accept", "cao_scjg", {}, at(2026, 11, 3, 11))


def test_redispatch_needs_a_reason_another_unit_in_scope_and_a_case_still_in_hand(heze, subtests):
    case = case_in(heze, "in_progress")
    for payload, code in (
        ({"unit": "caoxian-scjg"}, "reason_required"),
        ({"unit": "caoxian-zjj", "reason": "x"}, "redispatch_same_unit"),
        ({"unit": "shanxian-zjj", "reason": "x"}, "unit_out_of_scope"),
    ):
        with subtests.test(code=code), pytest.raises(Invalid) as refused:
            act(heze, case, "redispatch", "cao_office", payload, at(2026, 11, 4))
        assert refused.value.code == code
    with pytest.raises(Forbidden):
        act(heze, case, "redispatch", "cao_zjj", {"unit": "caoxian-scjg", "reason": "x"}, at(2026, 11, 4))
    replied = case_in(heze, "replied")
    with pytest.raises(Conflict):
        act(heze, replied, "redispatch", "cao_office", {"unit": "caoxian-scjg", "reason": "x"}, at(2026, 11, 6))


# ---- 13. the panel offers exactly what the server accepts --------------------------------------------------------

PAYLOADS = {
    "dispatch": {"unit": "caoxian-scjg"},
    "redispatch": {"unit": "caoxian-scjg", "reason": "派错单位"},
    "return": {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
    "contact": {"method": "phone"},
    "opinion": {"opinion": "三日内办结"},
    "request_extension": {"reason": "需省厅审批"},
    "approve_extension": {"note": "同意"},
    "reject_extension": {"reason": "可以按期办结"},
    "reply": {"content": "已办结"},
    "follow_up": {"resolution": "resolved", "satisfaction": "satisfied"},
    "assist_note": {"note": "已配合"},
    "comment": {"note": "补充材料"},
    "urge": {},
    "supervise": {"reason": "请按期办结"},
    "escalate": {"reason": "跨县区"},
    "green_channel": {"reason": "市级督办后仍未办结"},
    "withdraw": {"reason": "已自行解决"},
    "accept": {},
    "set_urgency": {"urgency": "urgent", "reason": "企业停电，影响生产"},
}
CITY_PAYLOADS = {"dispatch": {"unit": "heze-zjj"}, "redispatch": {"unit": "heze-zjj", "reason": "派错单位"}}
USERS = ["ent_cao", "ent_cao2", "cao_zjj", "cao_scjg", "cao_office", "shan_office", "city_office"]


def _cases(heze):
    cases = {state: case_in(heze, state) for state in ("dispatched", "accepted", "contacted", "in_progress", "replied")}
    cases["waiting"] = submit(heze, category="other")
    cases["city_level"] = submit(heze, category="other", cross_county=True)
    cases["returned"] = act(
        heze,
        submit(heze),
        "return",
        "cao_zjj",
        {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 2, 11),
    )
    pending = act(
        heze, case_in(heze, "in_progress"), "request_extension", "cao_zjj", {"reason": "需审批"}, at(2026, 11, 10)
    )
    cases["extension_pending"] = pending
    used = act(
        heze, case_in(heze, "in_progress"), "request_extension", "cao_zjj", {"reason": "需审批"}, at(2026, 11, 10)
    )
    cases["extension_approved"] = act(heze, used, "approve_extension", "cao_office", {}, at(2026, 11, 10, 15))
    cases["escalated"] = act(
        heze, case_in(heze, "in_progress"), "escalate", "cao_office", {"reason": "跨县区"}, at(2026, 11, 10)
    )
    cases["closed"] = act(
        heze,
        case_in(heze, "replied"),
        "follow_up",
        "ent_cao",
        {"resolution": "resolved", "satisfaction": "satisfied"},
        at(2026, 11, 6),
    )
    return cases


@pytest.mark.parametrize("now", [at(2026, 11, 11, 10), at(2026, 11, 24, 11)], ids=["before_deadline", "after_deadline"])
def test_issue_14_13_every_offered_action_succeeds_and_every_other_is_refused(heze, now):
    """What the case page offers (`allowed_actions`, also the API's list) is what `case_transition` accepts, for
    every page action, user and case state; the submission is rolled back so each starts from the same case."""
    cases = _cases(heze)
    actions = [a for a in ACTION_FORMS if a != "attach"]  # an upload is its own service (attachment_add)
    mismatches = []
    for name, case in cases.items():
        for user in USERS:
            actor = heze.actor(user)
            try:
                seen = selectors.case_get(actor, case.number)
            except Problem:
                continue  # outside this user's sight: no page, no action
            can = {t.action for t in workflow.allowed_actions(actor, seen, now)}
            for action in actions:
                payload = (CITY_PAYLOADS if seen.level != "county" or user == "city_office" else {}).get(
                    action, PAYLOADS[action]
                )
                if action == "redispatch" and seen.lead_unit_id == heze.cao_scjg.pk:
                    payload = {"unit": "caoxian-zjj", "reason": "派错单位"}
                accepted = _accepted(actor, case.number, action, payload, now)
                if accepted is not (action in can):
                    mismatches.append((name, user, action, "offered" if action in can else "not offered", accepted))
    assert mismatches == []


class _Rollback(Exception):
    pass


def _accepted(actor, number, action, payload, now):
    try:
        with transaction.atomic():
            services.case_transition(actor, number, action, payload, now)
            raise _Rollback
    except _Rollback:
        return True
    except Problem as refused:
        assert refused.status in (403, 404, 409), (action, refused.code)  # never a payload problem: it was valid
        return False
