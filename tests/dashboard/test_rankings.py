"""§4 / §8.6: monthly rankings by class, minimum sample, rolling window, 红榜/黑榜, month-on-month, ties."""

import datetime as dt

import pytest

from tests.conftest import at
from whistle.core.errors import Invalid
from whistle.dashboard import case_rollup
from whistle.dashboard.models import RankingClass
from whistle.dashboard.rankings import ranking
from whistle.org.scopes import Actor

from .conftest import MARCH, make_case, march_cases

APRIL = dt.date(2026, 4, 1)


def good(heze, lead, n, county=None, submitted=None):
    for _ in range(n):
        make_case(
            heze,
            lead=lead,
            county=county,
            submitted=submitted,
            contact=True,
            opinion=True,
            replied=True,
            follow=("resolved", "satisfied"),
            state="closed",
        )


def test_rule_4_a_unit_below_the_minimum_number_of_cases_is_not_ranked(heze, march):
    # 曹县 has 7 cases in March; the county class needs 10 by default.
    data = ranking(Actor.system(), "county", MARCH)
    cao = next(r for r in data["rows"] if r["unit"] == "caoxian")
    assert cao["rank"] is None and cao["cases"] == 7 and cao["composite"] == 62.3
    assert data["top_list"] == [] and data["ranked_count"] == 0
    RankingClass.objects.filter(code="county").update(min_cases=7)
    cao = next(r for r in ranking(Actor.system(), "county", MARCH)["rows"] if r["unit"] == "caoxian")
    assert cao["rank"] == 1


def test_rule_4_one_fast_case_cannot_top_the_table(heze, march):
    good(heze, heze.city_zjj, 1)  # one perfect case
    good(heze, heze.city_scjg, 6)
    make_case(heze, lead=heze.city_scjg, contact=False)
    case_rollup.rebuild()
    data = ranking(Actor.system(), "city_department", MARCH)
    assert [r["unit"] for r in data["rows"] if r["rank"] is not None] == ["heze-scjg"]
    assert next(r for r in data["rows"] if r["unit"] == "heze-zjj")["rank"] is None


def test_rule_4_the_rolling_window_counts_the_previous_months(heze):
    good(heze, heze.city_zjj, 3, submitted=at(2026, 2, 10))
    good(heze, heze.city_zjj, 3, submitted=at(2026, 3, 10))
    case_rollup.rebuild()
    row = ranking(Actor.system(), "city_department", MARCH)["rows"][0]
    assert row["unit"] == "heze-zjj" and row["cases"] == 6 and row["rank"] == 1
    RankingClass.objects.filter(code="city_department").update(window_months=1)
    row = ranking(Actor.system(), "city_department", MARCH)["rows"][0]
    assert row["cases"] == 3 and row["rank"] is None


def test_rankings_are_stable_under_ties(heze):
    # Two city departments with identical facts: same score, same cases → same rank, listed by unit code.
    for lead in (heze.city_zjj, heze.city_scjg):
        march_cases(heze, lead=lead, county=heze.cao)
    case_rollup.rebuild()
    for _ in range(3):
        rows = ranking(Actor.system(), "city_department", MARCH)["rows"]
        assert [(r["unit"], r["rank"]) for r in rows] == [("heze-scjg", 1), ("heze-zjj", 1)]
    # More cases wins a tie on score: the same rates over twice the cases.
    march_cases(heze, lead=heze.city_zjj, county=heze.cao)
    case_rollup.rebuild()
    rows = ranking(Actor.system(), "city_department", MARCH)["rows"]
    assert rows[0]["composite"] == rows[1]["composite"]
    assert [(r["unit"], r["rank"], r["cases"]) for r in rows] == [("heze-zjj", 1, 14), ("heze-scjg", 2, 7)]


def test_rule_4_red_and_black_lists_and_month_on_month_change(heze):
    RankingClass.objects.filter(code="county_department").update(min_cases=2, list_length=1)
    # March: 曹县住建局 perfect, 曹县市场监管局 poor, 单县住建局 middling.
    good(heze, heze.cao_zjj, 2)
    for _ in range(2):
        make_case(
            heze, lead=heze.cao_scjg, contact=False, follow=("unresolved", "unsatisfied"), state="reopened", reopens=1
        )
    good(heze, heze.shan_zjj, 1, county=heze.shan)
    make_case(
        heze, lead=heze.shan_zjj, county=heze.shan, contact=False, follow=("resolved", "satisfied"), state="closed"
    )
    case_rollup.rebuild()
    march = ranking(Actor.system(), "county_department", MARCH)
    assert [(r["unit"], r["rank"]) for r in march["rows"]] == [
        ("caoxian-zjj", 1),
        ("shanxian-zjj", 2),
        ("caoxian-scjg", 3),
    ]
    assert [r["unit"] for r in march["top_list"]] == ["caoxian-zjj"]
    assert [r["unit"] for r in march["bottom_list"]] == ["caoxian-scjg"]
    # April (window 3 months): 曹县市场监管局 turns it around with many good cases.
    good(heze, heze.cao_scjg, 20, submitted=at(2026, 4, 8))
    case_rollup.rebuild()
    april = {r["unit"]: r for r in ranking(Actor.system(), "county_department", APRIL)["rows"]}
    scjg = april["caoxian-scjg"]
    assert scjg["previous_rank"] == 3 and scjg["rank"] == 2 and scjg["rank_change"] == 1
    assert scjg["score_change"] > 0
    assert april["caoxian-zjj"]["rank_change"] == 0


def test_rule_4_classes_map_from_unit_level_and_kind(heze):
    good(heze, heze.zhuangzhai, 3)
    good(heze, heze.cao_zjj, 5)
    case_rollup.rebuild()
    assert [r["unit"] for r in ranking(Actor.system(), "township", MARCH)["rows"]] == ["caoxian-zhuangzhai"]
    assert {r["unit"] for r in ranking(Actor.system(), "county_department", MARCH)["rows"]} == {
        "caoxian-zjj",
        "caoxian-scjg",
        "shanxian-zjj",
    }
    assert {r["unit"] for r in ranking(Actor.system(), "city_department", MARCH)["rows"]} == {"heze-zjj", "heze-scjg"}
    data = ranking(Actor.system(), "county", MARCH)
    assert {r["unit"] for r in data["rows"]} == {"caoxian", "shanxian"}
    assert data["definition"] == "composite@1" and [c["code"] for c in data["classes"]] == [
        "county",
        "city_department",
        "county_department",
        "county_stationed",
        "township",
    ]


def test_rankings_a_county_leader_sees_only_their_county(heze):
    good(heze, heze.cao_zjj, 5)
    good(heze, heze.shan_zjj, 5, county=heze.shan)
    case_rollup.rebuild()
    data = ranking(heze.actor("cao_leader"), "county_department", MARCH)
    assert {r["unit"] for r in data["rows"]} == {"caoxian-zjj", "caoxian-scjg"}
    assert [r["unit"] for r in ranking(heze.actor("cao_leader"), "county", MARCH)["rows"]] == ["caoxian"]


def test_an_unknown_class_is_refused(heze):
    with pytest.raises(Invalid) as refused:
        ranking(Actor.system(), "planets", MARCH)
    assert refused.value.code == "invalid_class" and refused.value.field == "class"
