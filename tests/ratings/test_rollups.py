"""Rollups (rules.md §8.4 亮评价 per person, unit and month) and the aggregates of issue 4 item 7 (§8.6): kept in the
same transaction as the ratings, rebuildable, verifiable; the dashboard's overview and per-unit figures."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import at
from whistle.cases import workflow
from whistle.ratings import rating_rollup
from whistle.ratings.callbacks import callback_record
from whistle.ratings.models import Appeal, Rating, RatingRollup, Window
from whistle.ratings.selectors import monthly_ranking, rating_summary, ratings_by_unit, ratings_overview
from whistle.ratings.services import appeal_file, appeal_review, rater_contact, rating_review, rating_submit

NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def rollup_rows():
    return sorted(
        RatingRollup.objects.exclude(n1=0, n2=0, n3=0, n4=0, n5=0).values_list(
            "kind", "target_id", "unit_id", "month", "n1", "n2", "n3", "n4", "n5"
        )
    )


@pytest.fixture
def rated(heze, cards, set_rule):
    """Ratings of every path: counted, a burst-flagged one then reviewed, a poor one appealed and voided."""
    cadre, window = cards
    shan_window = Window.objects.create(
        name="单县住建窗口", hall="单县政务服务中心", unit=heze.shan_zjj, supervision_phone="0530-4610001"
    )
    plan = [
        (cadre, 5, at(2026, 11, 3)),
        (cadre, 4, at(2026, 11, 4)),
        (cadre, 2, at(2026, 11, 30, 23, 30)),
        (cadre, 1, at(2026, 12, 1, 0, 30)),
        (window, 3, at(2026, 11, 6)),
        (shan_window, 1, at(2026, 11, 7)),
        (shan_window, 5, at(2026, 11, 8)),
    ]
    ratings = [
        rating_submit(t, comment="窗口让我跑了三趟", level=lv, device=f"d{i}", ip=f"10.0.{i}.1", now=m)
        for i, (t, lv, m) in enumerate(plan)
    ]
    set_rule("ratings.burst_threshold", 1)  # the next rating on the window is a burst: flagged, not counted
    flagged = rating_submit(
        window, comment="窗口让我跑了三趟", level=2, device="dx", ip="10.9.9.1", now=at(2026, 11, 6, 10, 5)
    )
    set_rule("ratings.burst_threshold", 10)
    assert flagged.status == "flagged"
    return heze, cadre, window, shan_window, ratings, flagged


def test_rule_8_4_rollups_follow_submit_review_and_void_and_rebuild_equals(rated):
    heze, cadre, window, shan_window, ratings, flagged = rated
    cao_zjj, cao_office = heze.actor("cao_zjj"), heze.actor("cao_office")
    assert rating_rollup.verify() == (4, [])
    assert rating_summary(cadre) == {"count": 4, "good_rate": 50.0, "poor_rate": 50.0, "satisfaction_rate": 50.0}
    rating_review(heze.actor("city_office"), flagged.pk, "counted", "回访确认为真实评价", now=at(2026, 11, 7))
    assert rating_summary(window)["count"] == 2
    appeal = appeal_file(cao_zjj, ratings[2].pk, "评价人办理的不是本科室事项")
    appeal_review(cao_office, appeal.pk, "voided", "经核实为误评", now=at(2026, 12, 2))
    assert rating_summary(cadre) == {"count": 3, "good_rate": 66.7, "poor_rate": 33.3, "satisfaction_rate": 66.7}
    assert rating_rollup.verify() == (4, [])
    before = rollup_rows()
    assert (RatingRollup.objects.get(kind="c", month=NOV).n2, RatingRollup.objects.get(kind="c", month=DEC).n1) == (
        0,
        1,
    )
    assert rating_rollup.rebuild() == 4 and rollup_rows() == before
    call_command("ratings", "verify-rollups")


def test_verify_rollups_names_the_first_disagreement(rated):
    heze, cadre, *_ = rated
    call_command("ratings", "rebuild-rollups")
    RatingRollup.objects.filter(kind="c", target_id=cadre.pk, month=NOV).update(n5=7)
    with pytest.raises(CommandError) as failed:
        call_command("ratings", "verify-rollups")
    assert f"干部#{cadre.pk} 单位#{heze.cao_zjj.pk} 2026-11：汇总表 [0, 1, 0, 1, 7]，按评价重算 [0, 1, 0, 1, 1]" in str(
        failed.value
    )
    call_command("ratings", "rebuild-rollups")
    assert rating_rollup.verify()[1] == []


def test_monthly_ranking_reads_rollups(rated):
    heze, cadre, window, shan_window, *_ = rated
    Rating.objects.filter(cadre=cadre).update(level=5)  # behind the rollups' back: the ranking does not see it
    rows = monthly_ranking(heze.actor("cao_office"), NOV)
    assert [(r["target"], r["count"], r["levels"]) for r in rows] == [(cadre, 3, [1, 1, 0, 1, 0])]


def test_rule_8_6_overview_and_units_in_scope(rated):
    heze, cadre, window, shan_window, ratings, flagged = rated
    city = ratings_overview(heze.actor("city_leader"), NOV, dt.date(2026, 12, 31))
    assert city["by_level"] == {1: 2, 2: 1, 3: 1, 4: 1, 5: 2} and city["count"] == 7 and city["poor"] == 3
    assert (city["good_rate"], city["poor_rate"], city["satisfaction_rate"]) == (42.9, 42.9, 57.1)
    assert city["definition"] == "非常满意+满意+基本满意"
    nov_only = ratings_overview(heze.actor("city_leader"), dt.date(2026, 11, 15), dt.date(2026, 11, 20))
    assert nov_only["count"] == 6  # whole Beijing months: the 23:30 Nov 30 rating is in November
    cao = ratings_overview(heze.actor("cao_leader"), NOV, DEC)
    assert cao["count"] == 4 and cao["by_level"] == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    by_unit = ratings_by_unit(heze.actor("city_leader"), NOV, DEC)
    assert [(r["unit"], r["count"], r["satisfaction_rate"], r["poor"]) for r in by_unit] == [
        ("caoxian-zjj", 4, 50.0, 2),
        ("shanxian-zjj", 2, 50.0, 1),
        ("heze-scjg", 1, 100.0, 0),
    ]
    assert [r["unit"] for r in ratings_by_unit(heze.actor("shan_office"), NOV, DEC)] == ["shanxian-zjj"]


def test_rule_8_6_satisfaction_definition_is_data(rated, set_rule):
    heze = rated[0]
    set_rule("ratings.satisfied_min_level", 4)
    overview = ratings_overview(heze.actor("city_leader"), NOV, DEC)
    assert (overview["definition"], overview["satisfaction_rate"]) == ("非常满意+满意", 42.9)
    assert rating_summary(rated[1])["satisfaction_rate"] == 50.0


def test_rule_3_poor_rating_callback_and_rectification_rates(rated):
    heze, cadre, window, shan_window, ratings, flagged = rated
    actor = heze.actor("cao_zjj")
    poor = [r for r in ratings if r.cadre_id and r.level <= 2]  # both opened a case at 曹县住建局
    case = poor[0].rectification
    for action, payload in (("accept", {}), ("contact", {"method": "phone", "note": "已回访评价人"})):
        case = workflow.apply(case, action, actor, payload, at(2026, 12, 2))
    # 差评回访率 counts recorded call-back outcomes (issue 12), not the case's contact step.
    assert ratings_overview(heze.actor("city_leader"), NOV, DEC)["callback_rate"] == 0.0
    rater_contact(actor, poor[0].pk, "回访核实差评")
    callback_record(actor, poor[0].pk, "reached", now=at(2026, 12, 2))
    overview = ratings_overview(heze.actor("city_leader"), NOV, DEC)
    assert (overview["callback_rate"], overview["rectification_rate"]) == (
        33.3,
        0.0,
    )  # 3 poor with a case, 1 called back
    case = workflow.apply(case, "opinion", actor, {"opinion": "属实，立行立改"}, at(2026, 12, 2))
    case = workflow.apply(case, "reply", actor, {"content": "已整改"}, at(2026, 12, 3))
    workflow.apply(
        case,
        "follow_up",
        heze.actor("cao_office"),
        {"resolution": "resolved", "satisfaction": "satisfied"},
        at(2026, 12, 4),
    )
    cao = ratings_overview(heze.actor("cao_leader"), NOV, DEC)
    assert (cao["callback_rate"], cao["rectification_rate"]) == (50.0, 50.0)
    assert ratings_overview(heze.actor("cao_leader"), dt.date(2027, 1, 1), dt.date(2027, 1, 1))["callback_rate"] is None


def test_appeal_void_of_a_flagged_rating_leaves_rollups_alone(rated):
    heze, cadre, window, shan_window, ratings, flagged = rated
    appeal = appeal_file(heze.actor("city_scjg"), flagged.pk, "集中评价，疑似恶意")
    appeal_review(heze.actor("city_office"), appeal.pk, "voided", "作废")
    assert Appeal.objects.get().state == "voided" and rating_rollup.verify()[1] == []
