"""The rollup equals the raw computation; the worker job recomputes only the (month, county, lead unit) groups the
events since the watermark touched (and those gone stale by the clock), and writes only those that changed."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.cases.flow import PATH, act, submit
from tests.conftest import at
from whistle.cases.models import Case, CaseEvent
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
    # A group touched only through events is recomputed even when its month is no longer the current one.
    result = case_rollup.worker_job(at(2027, 1, 5))
    assert result["metrics_groups_changed"] >= 1
    row = metrics.rates(Actor.system(), NOV, NOV, None)[0]
    assert row["response"]["numerator"] == 1 and row["satisfaction"]["value"] == 100.0
    assert case_rollup.verify() == []
    # Nothing new: nothing recomputed.
    assert case_rollup.worker_job(at(2027, 1, 5))["metrics_groups_recomputed"] == 0
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


def _table() -> dict:
    """The rollup's rows by (month, county, lead unit, state), without their ids."""
    names = ("month", "county_id", "lead_unit_id", "state", *case_rollup.FACT_NAMES, "stale_at")
    return {r[:4]: r[4:] for r in CaseMonthFact.objects.values_list(*names)}


@pytest.mark.parametrize("read", ["group list", "whole month"])
def test_rule_21_5_refresh_recomputes_only_the_groups_that_changed_and_equals_a_full_rebuild(heze, monkeypatch, read):
    """Issue 21 item 5: a refresh recomputes the (month, county, lead unit) groups its events touched — including the
    group a case left when it was returned or dispatched elsewhere — and leaves every other row as it was; the
    result is the rollup a full rebuild makes at the same moment."""
    from whistle.dashboard.models import UnitRollupStamp

    # Which read a month takes depends on its share of groups asked for: both give the same rollup.
    monkeypatch.setattr(case_rollup, "LIST_BELOW_ONE_IN", 0 if read == "group list" else 10**6)
    march_cases(heze)
    march_cases(heze, lead=heze.shan_zjj, county=heze.shan, submitted=at(2026, 4, 1, 0, 30))
    moving = submit(heze)  # dispatched by the catalogue to 曹县住建局
    other = submit(heze, now=at(2026, 11, 2, 9))
    case_rollup.rebuild(at(2026, 11, 2, 10, 5))
    ids_before = dict(CaseMonthFact.objects.values_list("pk", "month"))
    stamps_before = dict(UnitRollupStamp.objects.values_list("unit_id", "changed_at"))
    # Returned (it leaves 曹县住建局's group), then dispatched to 曹县市场监管局 (a group that had no row).
    act(
        heze,
        moving,
        "return",
        "cao_zjj",
        {"reason": "属市场监管职责", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 3),
    )
    act(heze, moving, "dispatch", "cao_office", {"unit": "caoxian-scjg"}, at(2026, 11, 3, 11))
    now = at(2026, 11, 3, 11, 5)
    result = case_rollup.refresh(now)
    assert case_rollup.verify(now) == []
    # Only November's 曹县 groups were read again: the March and April rows are the same rows.
    assert {pk for pk, m in ids_before.items() if m != NOV} <= set(CaseMonthFact.objects.values_list("pk", flat=True))
    assert result["metrics_groups_recomputed"] < CaseMonthFact.objects.count()
    assert result["metrics_groups_changed"] >= 2  # the group it left and the one it joined
    # The stamps moved for the units of the changed groups only.
    moved = {pk for pk, t in UnitRollupStamp.objects.values_list("unit_id", "changed_at") if t == now}
    assert {heze.cao.pk, heze.cao_zjj.pk, heze.cao_scjg.pk} <= moved and heze.shan.pk not in moved
    assert all(UnitRollupStamp.objects.get(unit_id=pk).changed_at == stamps_before[pk] for pk in (heze.shan.pk,))
    refreshed = _table()
    case_rollup.rebuild(now)
    assert refreshed == _table()
    assert other.pk  # a case in the same group that did not move is still counted (the verify above)


def test_rule_21_5_an_event_committed_below_the_watermark_is_found_by_a_later_refresh(heze):
    """An event id handed out before the refresh but committed after it (PostgreSQL) is a hole the next refreshes
    look for again, so its case is counted although its id is below the watermark."""
    case = submit(heze)
    case_rollup.refresh(at(2026, 11, 2, 10, 5))
    act(heze, case, "accept", "cao_zjj", {}, at(2026, 11, 2, 10, 30))
    late = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    # As if the refresh had read a newer id while this one was still uncommitted: the watermark is past it.
    RollupState.objects.update(last_event_id=late, holes=[[late, late, at(2026, 11, 2, 10, 29).isoformat()]])
    assert any("accept_in_time" in line for line in case_rollup.verify(at(2026, 11, 2, 10, 40)))
    case_rollup.refresh(at(2026, 11, 2, 10, 40))
    assert case_rollup.verify(at(2026, 11, 2, 10, 40)) == []
    assert RollupState.objects.get().holes == []
