"""§8.6: every definition against the hand-computed March fixture (see conftest)."""

import datetime as dt

from whistle.dashboard import case_rollup, metrics
from whistle.dashboard.models import CaseMonthFact, MetricDefinition
from whistle.org.scopes import Actor

from .conftest import MARCH, make_case


def scope_row(actor=None, month=MARCH):
    return metrics.rates(actor or Actor.system(), month, month, None)[0]


def test_rule_8_6_on_time_rate_counts_replied_and_red_carded_cases(march):
    row = scope_row()
    assert row["on_time"] == {"value": 50.0, "numerator": 2, "denominator": 4}


def test_rule_8_6_response_rate_is_contact_within_its_deadline(march):
    assert scope_row()["response"] == {"value": 71.4, "numerator": 5, "denominator": 7}


def test_rule_8_6_answer_rate_is_opinion_within_its_deadline(march):
    assert scope_row()["answer"] == {"value": 57.1, "numerator": 4, "denominator": 7}  # c6, c7 gave no opinion


def test_rule_8_6_resolution_rate_weights_partly_resolved_half_and_excludes_unreachable(march):
    assert scope_row()["resolution"] == {"value": 50.0, "numerator": 1.5, "denominator": 3}


def test_rule_8_6_partly_resolved_weight_is_data_and_editing_bumps_the_version(march):
    d = MetricDefinition.objects.get(code="resolution")
    d.params = {**d.params, "numerator": {"res_resolved": 1, "res_partly": 1}}
    d.save()
    row = scope_row()
    assert row["resolution"] == {"value": 66.7, "numerator": 2, "denominator": 3}
    assert row["definitions"]["resolution"] == "resolution@2"
    d.name = "问题解决率"
    d.save()
    assert MetricDefinition.objects.get(code="resolution").version == 2  # a new name is not a new definition


def test_rule_8_6_satisfaction_rate_and_its_stricter_variant(march):
    row = scope_row()
    assert row["satisfaction"] == {"value": 66.7, "numerator": 2, "denominator": 3}
    assert row["satisfaction_strict"] == {"value": 33.3, "numerator": 1, "denominator": 3}


def test_rule_4_return_and_reopen_rates(march):
    row = scope_row()
    assert row["return_rate"] == {"value": 14.3, "numerator": 1, "denominator": 7}
    assert row["reopen_rate"] == {"value": 25.0, "numerator": 1, "denominator": 4}


def test_rule_8_3_poor_rating_call_back_rate(march):
    assert scope_row()["poor_callback"] == {"value": 50.0, "numerator": 1, "denominator": 2}


def test_rule_4_composite_is_30_35_35_of_response_resolution_satisfaction(march):
    row = scope_row()
    expected = round((30 * 71.4 + 35 * 50.0 + 35 * 66.7) / 100, 1)
    assert row["composite"]["value"] == expected == 62.3
    assert row["definitions"]["composite"] == "composite@1"


def test_rule_4_composite_rescales_weights_when_a_part_has_no_cases(heze):
    make_case(heze, contact=True)
    make_case(heze, contact=False)
    case_rollup.rebuild()
    row = scope_row()
    assert row["resolution"]["value"] is None and row["satisfaction"]["value"] is None
    assert row["composite"]["value"] == 50.0
    d = MetricDefinition.objects.get(code="composite")
    d.params = {**d.params, "missing": "null"}
    d.save()
    assert scope_row()["composite"]["value"] is None


def test_rule_0_every_figure_names_its_definition_and_version(march):
    row = scope_row()
    assert set(row["definitions"]) == {d.code for d in MetricDefinition.objects.filter(is_active=True)}
    assert all("@" in label for label in row["definitions"].values())


def test_rates_group_by_county_and_unit(heze, march):
    make_case(heze, county=heze.shan, lead=heze.shan_zjj, contact=True)
    case_rollup.rebuild()
    by_county = metrics.rates(Actor.system(), MARCH, MARCH, "county")
    assert [(r["code"], r["cases"]) for r in by_county] == [("caoxian", 7), ("shanxian", 1)]
    by_unit = metrics.rates(Actor.system(), MARCH, MARCH, "unit")
    assert {r["code"]: r["response"]["value"] for r in by_unit} == {"caoxian-zjj": 71.4, "shanxian-zjj": 100.0}


def test_rates_a_county_leader_sees_only_their_county(heze, march):
    make_case(heze, county=heze.shan, lead=heze.shan_zjj, contact=True)
    case_rollup.rebuild()
    rows = metrics.rates(heze.actor("cao_leader"), MARCH, MARCH, "county")
    assert [r["code"] for r in rows] == ["caoxian"]
    assert scope_row(heze.actor("cao_leader"))["cases"] == 7
    assert scope_row(heze.actor("shan_office"))["cases"] == 1
    assert scope_row(heze.actor("cao_zjj"))["cases"] == 7
    assert scope_row(heze.actor("shan_zjj"))["cases"] == 1


def test_rates_over_a_range_of_months(heze, march):
    make_case(heze, submitted=dt.datetime(2026, 4, 3, 2, 0, tzinfo=dt.UTC), contact=True)
    case_rollup.rebuild()
    assert scope_row(month=dt.date(2026, 4, 1))["cases"] == 1
    assert metrics.rates(Actor.system(), MARCH, dt.date(2026, 4, 1), None)[0]["cases"] == 8


def test_rule_8_6_a_definition_the_computation_cannot_read_is_refused(db):
    import pytest
    from django.core.exceptions import ValidationError

    d = MetricDefinition.objects.get(code="resolution")
    d.params = {"numerator": {"res_solved": 1}, "denominator": {"followed": 1}}
    with pytest.raises(ValidationError) as refused:
        d.full_clean()
    assert "res_solved" in str(refused.value)
    c = MetricDefinition.objects.get(code="composite")
    c.params = {"weights": {"response": "30%"}}
    with pytest.raises(ValidationError):
        c.full_clean()
    c.params = {"weights": {"response": 1, "on_time": 1}, "missing": "null"}
    c.full_clean()


def test_editing_a_definition_in_the_admin_bumps_its_version(admin_client, march):
    d = MetricDefinition.objects.get(code="satisfaction")
    form = {
        "code": d.code,
        "name": d.name,
        "kind": d.kind,
        "is_active": "on",
        "source": d.source,
        "order": d.order,
        "params": '{"numerator": {"sat_satisfied": 1}, "denominator": {"sat_satisfied": 1, "sat_basic": 1, "sat_unsatisfied": 1}}',
    }
    response = admin_client.post(f"/admin/dashboard/metricdefinition/{d.pk}/change/", form)
    assert response.status_code == 302
    assert MetricDefinition.objects.get(pk=d.pk).version == 2
    assert scope_row()["satisfaction"]["value"] == 33.3
    form["params"] = '{"numerator": {"nonsense": 1}, "denominator": {"cases": 1}}'
    assert admin_client.post(f"/admin/dashboard/metricdefinition/{d.pk}/change/", form).status_code == 200
    assert MetricDefinition.objects.get(pk=d.pk).version == 2


def test_rule_8_3_a_poor_rating_voided_on_appeal_leaves_the_call_back_rate(heze, march):
    from whistle.ratings.models import Rating, Window

    never_called = march[6]
    window = Window.objects.create(
        name="施工许可窗口", unit=heze.cao_zjj, supervision_phone="0530-1234567", hall="曹县政务大厅"
    )
    Rating.objects.create(
        window=window,
        unit=heze.cao_zjj,
        level=1,
        created_at=never_called.submitted_at,
        device_hash="d",
        network_hash="n",
        counted=False,
        status="voided",
        rectification=never_called,
    )
    case_rollup.rebuild()
    assert scope_row()["poor_callback"] == {"value": 100.0, "numerator": 1, "denominator": 1}
    assert case_rollup.verify() == []


# ---- §4 / §8.6: a case not yet due is pending, not late ---------------------------------------------------------
# Measured at T = 10 Nov 2026 12:00 (Beijing). Five cases submitted that morning, deadlines set by hand:
#        contact deadline / contacted          opinion deadline / answered
#   a    T−3h / T−4h       on time             T−1h / T−2h        on time
#   b    T−3h / T−2h       late                T−1h / T−30min     late
#   c    T−3h / —          late (missed)       T+3h / —           pending
#   d    T+1h / —          pending             T+3h / —           pending
#   e    T+1h / T−30min    on time             T+3h / T−10min     on time
# At T:    response = {a, e} / {a, b, c, e} = 2/4 = 50.0 %, 1 pending;  answer = {a, e} / {a, b, e} = 2/3 = 66.7 %, 2 pending.
# At T+2h: d's contact deadline has passed uncontacted: response 2/5 = 40.0 %; answer unchanged.
# At T+4h: c's and d's opinion deadlines have passed: answer 2/5 = 40.0 %.
NOV = dt.date(2026, 11, 1)


def _pending_fixture(heze):
    from tests.conftest import at

    t = at(2026, 11, 10, 12, 0)
    h = dt.timedelta(hours=1)
    rows = {
        "a": (t - 3 * h, t - 4 * h, t - h, t - 2 * h),
        "b": (t - 3 * h, t - 2 * h, t - h, t - h / 2),
        "c": (t - 3 * h, None, t + 3 * h, None),
        "d": (t + h, None, t + 3 * h, None),
        "e": (t + h, t - h / 2, t + 3 * h, t - h / 6),
    }
    for title, (contact_due, contacted, opinion_due, answered) in rows.items():
        make_case(
            heze,
            title=title,
            submitted=t - 6 * h,
            contact_due_at=contact_due,
            contacted_at=contacted,
            opinion_due_at=opinion_due,
            opinion_at=answered,
        )
    return t


def _at(now, bring_up_to=case_rollup.refresh):
    """The rollup brought to `now` (hand-made cases have no events: the first build is a rebuild), its figures."""
    bring_up_to(now)
    row = scope_row(month=NOV)
    assert row == metrics.rates(Actor.system(), NOV, NOV, None, source="raw")[0]  # the raw rows at the same moment
    assert case_rollup.verify() == []
    return row, case_rollup.sums(CaseMonthFact.objects.filter(month=NOV))


def test_rule_4_response_rate_leaves_out_cases_not_yet_due(heze):
    t = _pending_fixture(heze)
    row, facts = _at(t, case_rollup.rebuild)
    assert row["response"] == {"value": 50.0, "numerator": 2, "denominator": 4}
    assert facts["contact_pending"] == 1


def test_rule_8_6_answer_rate_leaves_out_cases_not_yet_answered_and_not_yet_due(heze):
    t = _pending_fixture(heze)
    row, facts = _at(t, case_rollup.rebuild)
    assert row["answer"] == {"value": 66.7, "numerator": 2, "denominator": 3}
    assert facts["opinion_pending"] == 2


def test_rule_4_a_pending_case_counts_late_once_its_deadline_passes_without_any_event(heze):
    t = _pending_fixture(heze)
    _at(t, case_rollup.rebuild)
    assert case_rollup.refresh(t + dt.timedelta(minutes=30))["metrics_groups_recomputed"] == 0  # nothing fell due yet
    result = case_rollup.refresh(t + dt.timedelta(hours=2))
    # No case event: the clock alone made November's group stale, and its counts changed.
    assert result["metrics_groups_recomputed"] == result["metrics_groups_changed"] == 1
    row, facts = _at(t + dt.timedelta(hours=2))
    assert row["response"] == {"value": 40.0, "numerator": 2, "denominator": 5}
    assert row["answer"] == {"value": 66.7, "numerator": 2, "denominator": 3}
    assert facts["contact_pending"] == 0 and facts["opinion_pending"] == 2
    row, facts = _at(t + dt.timedelta(hours=4))
    assert row["answer"] == {"value": 40.0, "numerator": 2, "denominator": 5}
    assert facts["opinion_pending"] == 0


def test_rule_4_a_rollup_counted_the_old_way_is_recounted_by_the_next_refresh(heze):
    """The migration marks every existing row stale: the next refresh recomputes them without any case event."""
    t = _pending_fixture(heze)
    case_rollup.rebuild(t)
    CaseMonthFact.objects.update(contact_due=5, contact_pending=0, stale_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert case_rollup.refresh(t)["metrics_groups_changed"] == 1
    assert scope_row(month=NOV)["response"]["denominator"] == 4
