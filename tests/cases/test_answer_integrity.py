"""Issue 14 §12, rules.md §8.5 (anti-fraud and integrity): contradictory 解决/满意 answers are flagged on the case and
listed for the office (the pairs are data), and a randomised independent call-back sample (回访抽查) cross-checks the
self-reported answers, with mismatches counted per unit.

Cases close in November 2026; the draw runs on 2 December 2026 (its last complete month is November)."""

import datetime as dt

import pytest

from tests.cases.flow import act, case_in, last_event, reload
from tests.conftest import at
from whistle.cases import callbacks, selectors, services, workflow
from whistle.cases.audit import verify
from whistle.cases.models import AnswerPattern, CallbackCheck, CallbackDraw, CaseEvent
from whistle.core.errors import Conflict, Invalid, NotFound
from whistle.core.models import RuleParameter
from whistle.core.rules import clear_cache
from whistle.web.timeline import timeline

NOVEMBER = dt.date(2026, 11, 1)
DRAW_AT = at(2026, 12, 2, 9)
SATISFIED = {"resolution": "resolved", "satisfaction": "satisfied"}


def _closed(heze, answers=SATISFIED, user="ent_cao"):
    return act(heze, case_in(heze, "replied"), "follow_up", user, answers, at(2026, 11, 6))


def _sentences(case):
    return [e.text for e in timeline(list(CaseEvent.objects.filter(case=case).order_by("seq")))]


# ---- contradictory answers ---------------------------------------------------------------------------------


def test_rule_8_5_unresolved_yet_satisfied_follow_up_is_flagged_and_listed_for_the_office(heze):
    case = act(
        heze,
        case_in(heze, "replied"),
        "follow_up",
        "ent_cao",
        {"resolution": "unresolved", "satisfaction": "satisfied"},
        at(2026, 11, 6),
    )
    assert case.answers_contradict is True and case.state == "reopened"  # unresolved: redone all the same
    assert CaseEvent.objects.get(case=case, action="follow_up").payload["contradictory"] is True
    assert any("解决情况与满意度矛盾" in s for s in _sentences(case))
    consistent = _closed(heze)
    assert consistent.answers_contradict is False
    from whistle.web.selectors import ledger

    listed = ledger(heze.actor("cao_office"), {"view": "contradictory"})
    assert list(listed.values_list("pk", flat=True)) == [case.pk]


def test_rule_8_5_contradictory_answer_pairs_are_data_a_city_switches_on(heze):
    assert _closed(heze, {"resolution": "resolved", "satisfaction": "unsatisfied"}).answers_contradict is False
    AnswerPattern.objects.filter(resolution="resolved", satisfaction="unsatisfied").update(is_active=True)
    assert _closed(heze, {"resolution": "resolved", "satisfaction": "unsatisfied"}).answers_contradict is True


# ---- the independent call-back sample ------------------------------------------------------------------------


def _params(share, least):
    RuleParameter.objects.filter(key="cases.callback_sample_pct").update(value=share)
    RuleParameter.objects.filter(key="cases.callback_sample_min").update(value=least)
    clear_cache()


def test_rule_8_5_callback_sample_draws_a_random_share_of_self_reported_closed_cases_once_a_month(heze):
    own = [_closed(heze) for _ in range(4)]
    on_behalf = _closed(heze, {**SATISFIED}, user="cao_office")  # the office recorded it: not self-reported
    assert CaseEvent.objects.get(case=on_behalf, action="follow_up").payload["on_behalf"] is True
    act(heze, case_in(heze, "replied"), "comment", "ent_cao", {"note": "仍在办"}, at(2026, 11, 6))  # not closed
    _params(share=50, least=1)
    assert callbacks.draw_job(DRAW_AT) == {"callback_checks_drawn": 2}  # half of the 4 eligible in 曹县
    batch = CallbackDraw.objects.get()
    assert batch.month == NOVEMBER and batch.eligible == 4 and batch.drawn == 2
    drawn = set(CallbackCheck.objects.values_list("case_id", flat=True))
    assert drawn <= {c.pk for c in own}
    check = CallbackCheck.objects.first()
    assert (check.recorded_resolution, check.recorded_satisfaction, check.state) == ("resolved", "satisfied", "pending")
    assert check.unit == heze.cao_zjj
    assert callbacks.draw_job(DRAW_AT) == {"callback_checks_drawn": 0}  # once a month
    assert CallbackCheck.objects.count() == 2
    # The least number per county wins over a small share; never more than there are.
    assert callbacks.sample_size(4, 5, 3) == 3 and callbacks.sample_size(2, 5, 3) == 2
    assert callbacks.sample_size(1000, 5, 3) == 50


def test_rule_8_5_callback_answers_are_recorded_by_the_office_and_mismatches_counted_per_unit(heze):
    cases = [_closed(heze) for _ in range(3)]
    _params(share=100, least=0)
    callbacks.draw(NOVEMBER, DRAW_AT)
    checks = {c.case_id: c for c in CallbackCheck.objects.all()}
    first, second, third = (checks[c.pk] for c in cases)
    office = heze.actor("cao_office")
    with pytest.raises(NotFound):
        services.callback_record(heze.actor("shan_office"), first.pk, resolution="resolved", satisfaction="satisfied")
    with pytest.raises(NotFound):
        services.callback_record(heze.actor("ent_cao"), first.pk, resolution="resolved", satisfaction="satisfied")
    with pytest.raises(Invalid) as refused:
        services.callback_record(office, first.pk, resolution="resolved")
    assert refused.value.field == "satisfaction"
    done = services.callback_record(
        office, first.pk, resolution="unresolved", satisfaction="unsatisfied", note="企业称问题仍在", now=DRAW_AT
    )
    assert done.state == "done" and done.mismatch is True
    assert (
        services.callback_record(office, second.pk, resolution="resolved", satisfaction="satisfied").mismatch is False
    )
    unreachable = services.callback_record(office, third.pk, resolution="unreachable")
    assert unreachable.state == "unreachable" and unreachable.mismatch is None
    with pytest.raises(Conflict):
        services.callback_record(office, first.pk, resolution="resolved", satisfaction="satisfied")
    # In the case's chain, on its timeline, and the case itself unchanged.
    event = last_event(cases[0])
    assert event.action == "callback_check" and event.payload["mismatch"] is True
    assert reload(cases[0]).state == "closed" and reload(cases[0]).resolution == "resolved"
    assert any("回访抽查：未解决，不满意；与企业回访评价不一致" in s for s in _sentences(cases[0]))
    report = verify()
    assert report.ok and not report.broken  # an event on a closed case keeps every chain whole
    summary = selectors.callback_summary(office)
    assert summary == [
        {
            "unit": heze.cao_zjj.name,
            "drawn": 3,
            "checked": 2,
            "pending": 0,
            "mismatches": 1,
            "mismatch_rate": 50.0,
        }
    ]
    assert selectors.callback_summary(heze.actor("shan_office")) == []


def test_rule_8_5_a_drawn_case_does_not_offer_the_callback_where_the_generic_action_refuses_it(heze):
    """The office records a call-back at /callbacks (`services.callback_record`); the case itself, on its page and in
    the API's `allowed_actions`, does not offer `callback_check`, which the generic action refuses."""
    case = _closed(heze)
    _params(share=100, least=0)
    callbacks.draw(NOVEMBER, DRAW_AT)
    office = heze.actor("cao_office")
    offered = {t.action for t in workflow.allowed_actions(office, reload(case), DRAW_AT)}
    assert "callback_check" not in offered
    with pytest.raises(Invalid) as refused:
        services.case_transition(office, case.number, "callback_check", SATISFIED, DRAW_AT)
    assert refused.value.code == "unknown_action"


def test_rule_8_5_callback_consistency_is_a_metric_the_rankings_can_weigh(heze):
    """回访一致率 (off by default): of the sampled cases the office's call reached, the share whose answers agreed with
    the requester's; its facts come from the cases app by unit and month of closing."""
    from whistle.dashboard import metrics
    from whistle.dashboard.models import MetricDefinition

    cases = [_closed(heze) for _ in range(3)]
    _params(share=100, least=0)
    callbacks.draw(NOVEMBER, DRAW_AT)
    checks = {c.case_id: c for c in CallbackCheck.objects.all()}
    office = heze.actor("cao_office")
    services.callback_record(office, checks[cases[0].pk].pk, resolution="unresolved", satisfaction="unsatisfied")
    services.callback_record(office, checks[cases[1].pk].pk, resolution="resolved", satisfaction="satisfied")
    services.callback_record(office, checks[cases[2].pk].pk, resolution="unreachable")
    definition = MetricDefinition.objects.get(code="callback_consistency")
    assert not definition.is_active
    facts = metrics.outside_facts([definition], NOVEMBER, NOVEMBER, [heze.cao_zjj.pk])[heze.cao_zjj.pk]
    assert facts == {"callback_checked": 2, "callback_consistent": 1}
    assert metrics.evaluate([definition], facts)["callback_consistency"]["value"] == 50.0
    assert metrics.outside_facts([definition], DRAW_AT.date().replace(day=1), DRAW_AT.date(), [heze.cao_zjj.pk]) == {}
