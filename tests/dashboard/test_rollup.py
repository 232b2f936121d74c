"""The rollup equals the raw computation; the worker job recomputes only touched months (and the current one)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.cases.flow import PATH, act, submit
from tests.conftest import at
from whistle.cases.models import Case
from whistle.dashboard import case_rollup, metrics
from whistle.dashboard.models import CaseMonthFact, RollupState
from whistle.org.scopes import Actor

from .conftest import march_cases

NOV = dt.date(2026, 11, 1)


def test_rollup_equals_the_raw_rows(heze):
    march_cases(heze)
    march_cases(heze, lead=heze.shan_zjj, county=heze.shan, submitted=at(2026, 4, 1, 0, 30))
    march_cases(heze, lead=heze.city_scjg, submitted=at(2026, 2, 28, 23, 59))  # still February in Beijing
    result = case_rollup.rebuild()
    assert result["months"] == 3
    assert case_rollup.verify() == []
    assert sorted(CaseMonthFact.objects.values_list("month", flat=True).distinct()) == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
    ]


def test_verify_reports_a_rollup_that_drifted(heze):
    march_cases(heze)
    case_rollup.rebuild()
    CaseMonthFact.objects.update(on_time=99)
    problems = case_rollup.verify()
    assert problems and "on_time: rollup 99, raw 2" in problems[0]
    with pytest.raises(CommandError):
        call_command("metrics", "verify")
    call_command("metrics", "rebuild")
    call_command("metrics", "verify")


def test_the_worker_job_follows_the_workflow_from_the_watermark(heze):
    case = submit(heze)
    case_rollup.worker_job(at(2026, 11, 2, 10, 5))
    # Dispatched at 10:00, not contacted yet, its contact deadline ahead: pending, in no rate yet (rules.md §4).
    assert metrics.rates(Actor.system(), NOV, NOV, None)[0]["response"]["denominator"] == 0
    assert case_rollup.sums(CaseMonthFact.objects.filter(month=NOV))["contact_pending"] == 1
    for action, user, payload, now in PATH:
        case = act(heze, case, action, user, payload, now)
    act(heze, case, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "satisfied"}, at(2026, 11, 6))
    # A month touched only through events is recomputed even when it is no longer the current month.
    result = case_rollup.worker_job(at(2027, 1, 5))
    assert result["metrics_months_recomputed"] == 2
    row = metrics.rates(Actor.system(), NOV, NOV, None)[0]
    assert row["response"]["numerator"] == 1 and row["satisfaction"]["value"] == 100.0
    assert case_rollup.verify() == []
    # Nothing new: nothing recomputed.
    assert case_rollup.worker_job(at(2027, 1, 5))["metrics_months_recomputed"] == 0
    assert RollupState.objects.get().last_event_id > 0


def test_a_case_edited_after_the_rollup_shows_after_the_next_refresh(heze):
    case = submit(heze)
    case_rollup.refresh(at(2026, 11, 2, 11))
    for action, user, payload, now in PATH[:2]:
        case = act(heze, case, action, user, payload, now)
    assert Case.objects.get(pk=case.pk).contacted_at is not None
    assert any("contact_in_time: rollup 0, raw 1" in line for line in case_rollup.verify())
    case_rollup.refresh(at(2026, 11, 2, 11))
    assert case_rollup.verify() == []


def test_rates_and_rankings_from_the_rollup_equal_those_from_the_raw_rows(heze):
    from whistle.dashboard.rankings import ranking

    march_cases(heze)
    march_cases(heze, lead=heze.shan_zjj, county=heze.shan, submitted=at(2026, 2, 1, 0, 30))
    march_cases(heze, lead=heze.city_scjg, submitted=at(2026, 2, 28, 23, 59))
    case_rollup.rebuild()
    march, feb = dt.date(2026, 3, 1), dt.date(2026, 2, 1)
    for actor in (Actor.system(), heze.actor("cao_leader"), heze.actor("shan_zjj")):
        for group in (None, "county", "unit"):
            assert metrics.rates(actor, feb, march, group) == metrics.rates(actor, feb, march, group, source="raw")
    for code in ("county", "city_department", "county_department", "township"):
        assert ranking(Actor.system(), code, march) == ranking(Actor.system(), code, march, source="raw")
