"""Issue 14 §8, rules.md §8.1–8.2: urgent cases beside ordinary ones. Each urgency has its own SLA profile (data, from
migration cases 0012: Beijing 12345, dispatch within 1 h for emergencies and 2 h for utilities), so deadlines, yellow
and red cards and the overdue counts follow it. Chosen at submission (the office any, an enterprise those its profile
opens to enterprises), changed only by a coordinator's `set_urgency` row, which the chain records.

Times are November 2026 (no statutory holiday); Monday 2 Nov 10:00 is MONDAY.
"""

import pytest

from tests.cases.flow import act, case_in, last_event, reload, submit
from tests.conftest import at
from whistle.cases import selectors, services, workflow
from whistle.cases.models import CaseEvent, SlaProfile, SlaStage
from whistle.cases.sweeper import sweep
from whistle.core.errors import Forbidden, Invalid
from whistle.web.forms import CaseSubmitForm
from whistle.web.timeline import timeline

NOTHING = {"red_card": 0, "yellow_card": 0, "supervise": 0, "escalate": 0}


def _office_submit(heze, urgency, **fields):
    fields.setdefault("contact_name", "王经理")
    fields.setdefault("contact_phone", "13905300001")
    fields.setdefault("county", "caoxian")
    return submit(heze, "cao_office", category="other", urgency=urgency, **fields)


def _sentences(case):
    return [e.text for e in timeline(list(CaseEvent.objects.filter(case=case).order_by("seq")))]


def test_rule_8_2_each_urgency_has_its_own_sla_profile_and_existing_cases_stay_ordinary(heze):
    profiles = {p.urgency: p for p in SlaProfile.objects.exclude(urgency="")}
    assert set(profiles) == {"urgent", "emergency"}
    dispatch = {
        u: SlaStage.objects.get(profile=p, stage="dispatch") for u, p in profiles.items()
    }  # Beijing: 1 h emergencies, 2 h water, power, gas, heat
    assert (dispatch["emergency"].amount, dispatch["emergency"].unit) == (1, "hours")
    assert (dispatch["urgent"].amount, dispatch["urgent"].unit) == (2, "hours")
    case = submit(heze)
    assert case.urgency == "ordinary" and case.sla_profile.urgency == ""
    assert "urgency" not in CaseEvent.objects.get(case=case, action="submit").payload  # the chain as before


def test_rule_8_2_emergency_case_waits_at_most_one_hour_for_dispatch_with_cards_an_hour_apart(heze):
    case = _office_submit(heze, "emergency")
    assert case.urgency == "emergency" and case.state == "submitted"
    assert case.dispatch_due_at == at(2026, 11, 2, 11) and case.next_due_at == case.dispatch_due_at
    submitted = CaseEvent.objects.get(case=case, action="submit")
    assert submitted.payload["urgency"] == "emergency"
    assert sweep(at(2026, 11, 2, 10, 59)) == NOTHING
    # The stage is shorter than the profile's 2-hour yellow lead: the yellow card falls at the deadline itself.
    assert sweep(at(2026, 11, 2, 11, 1)) == {**NOTHING, "yellow_card": 1}
    # Overdue (and counted so) an hour after submission, not a working day.
    overdue = selectors.case_list(heze.actor("cao_office")).filter(next_due_at__lt=at(2026, 11, 2, 11, 1))
    assert overdue.filter(pk=case.pk).exists()
    assert sweep(at(2026, 11, 2, 12, 1)) == {**NOTHING, "red_card": 1}
    assert reload(case).card == "red"
    assert any(s.endswith("提交了紧急诉求") for s in _sentences(case))


def test_rule_8_2_urgent_case_solve_deadline_and_cards_follow_its_profile(heze):
    case = submit(heze, urgency="urgent")  # the enterprise may choose 加急 (its profile says so)
    assert case.state == "dispatched"  # routed by the catalogue at once
    profile = SlaProfile.objects.get(urgency="urgent")
    assert case.sla_profile.urgency == ""  # the submitted profile stays (it is in the content hash) …
    assert case.contact_due_at == at(2026, 11, 2, 12)  # … the clocks run on the urgency's: contact within 2 h
    assert case.opinion_due_at == at(2026, 11, 3, 10)  # 24 h
    assert case.resolve_due_at == at(2026, 11, 5, 10)  # 3 working days
    assert (case.yellow_at, case.red_at) == (at(2026, 11, 5, 6), at(2026, 11, 5, 12))  # 4 h before, 2 h after
    assert sweep(at(2026, 11, 5, 6, 1)) == {**NOTHING, "yellow_card": 1}
    counts = sweep(at(2026, 11, 5, 12, 1))
    assert counts["red_card"] == 1 and counts["supervise"] == 1
    # The cards are data of the profile: a city that wants a day's warning edits the stage.
    SlaStage.objects.filter(profile=profile, stage="yellow_card").update(amount=1, unit="working_days")
    from whistle.cases import deadlines

    deadlines.clear_cache()
    other = submit(heze, urgency="urgent")
    assert other.yellow_at == at(2026, 11, 4, 10)


def test_rule_8_2_enterprise_chooses_only_the_urgencies_its_profiles_open_to_it(heze):
    with pytest.raises(Invalid) as refused:
        submit(heze, urgency="emergency")
    assert refused.value.code == "urgency_not_permitted" and refused.value.field == "urgency"
    with pytest.raises(Invalid) as refused:
        submit(heze, urgency="critical")
    assert refused.value.code == "invalid_urgency"
    # The form offers exactly what the service accepts, for each actor.
    enterprise = dict(services.urgency_choices(heze.actor("ent_cao")))
    assert set(enterprise) == {"ordinary", "urgent"}
    assert set(dict(services.urgency_choices(heze.actor("cao_office")))) == {"ordinary", "urgent", "emergency"}
    form = CaseSubmitForm(urgencies=services.urgency_choices(heze.actor("ent_cao")))
    assert [v for v, _ in form.fields["urgency"].choices] == ["ordinary", "urgent"]
    SlaProfile.objects.filter(urgency="urgent").update(enterprise_may_choose=False)
    assert set(dict(services.urgency_choices(heze.actor("ent_cao")))) == {"ordinary"}
    with pytest.raises(Invalid):
        submit(heze, urgency="urgent")


def test_rule_8_2_coordinator_changes_the_urgency_with_a_recorded_event_and_the_clocks_restart(heze):
    case = case_in(heze, "accepted")
    assert case.resolve_due_at == at(2026, 11, 23, 10)
    moment = at(2026, 11, 3, 9)
    assert "set_urgency" in {t.action for t in workflow.allowed_actions(heze.actor("cao_office"), case, moment)}
    for user in ("ent_cao", "cao_zjj"):
        assert "set_urgency" not in {t.action for t in workflow.allowed_actions(heze.actor(user), case, moment)}
    with pytest.raises(Forbidden):
        act(heze, case, "set_urgency", "ent_cao", {"urgency": "urgent", "reason": "停电"}, moment)
    case = act(heze, case, "set_urgency", "cao_office", {"urgency": "urgent", "reason": "企业停电，影响生产"}, moment)
    assert case.urgency == "urgent"
    assert case.contact_due_at == at(2026, 11, 3, 11)  # the contact still owed: 2 h from the change
    assert case.resolve_due_at == at(2026, 11, 6, 9)  # 3 working days from the change
    event = last_event(case)
    assert event.action == "set_urgency" and event.actor_label
    assert event.payload["previous"] == "ordinary" and event.payload["urgency"] == "urgent"
    assert event.payload["reason"] == "企业停电，影响生产"
    assert any("紧急程度由一般调整为加急" in s for s in _sentences(case))
    with pytest.raises(Invalid) as refused:
        act(heze, case, "set_urgency", "cao_office", {"urgency": "urgent", "reason": "再次确认"}, moment)
    assert refused.value.code == "urgency_unchanged"
    case = act(heze, case, "set_urgency", "cao_office", {"urgency": "ordinary", "reason": "已恢复供电"}, moment)
    assert case.resolve_due_at == at(2026, 11, 24, 9)  # back on the ordinary 15 working days, from the change


def test_rule_8_2_changing_the_urgency_keeps_a_red_card_already_given(heze):
    case = _office_submit(heze, "ordinary")
    sweep(at(2026, 11, 4, 10, 1))
    assert reload(case).card == "red"
    case = act(
        heze, case, "set_urgency", "cao_office", {"urgency": "emergency", "reason": "涉及安全"}, at(2026, 11, 4, 11)
    )
    assert case.card == "red" and case.dispatch_due_at == at(2026, 11, 4, 12)
