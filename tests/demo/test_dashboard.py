"""On the Heze demo (a year played through the real workflow): the rollup is built, agrees with the raw rows, and
every ranking class finds its units."""

import pytest

from whistle.dashboard import case_rollup, metrics
from whistle.dashboard.rankings import classes, ranking
from whistle.org.scopes import Actor

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_the_rollup_and_it_agrees_with_the_raw_rows(demo):
    assert "指标月度汇总" in demo
    assert case_rollup.verify() == []


def test_demo_every_ranking_class_has_units_and_rates(demo):
    months = sorted(case_rollup.CaseMonthFact.objects.values_list("month", flat=True).distinct())
    month = months[-2]
    for rc in classes():
        data = ranking(Actor.system(), rc.code, month)
        assert data["rows"], rc.code
        assert data["rows"] and data["definition"] == "composite@1"
    row = metrics.rates(Actor.system(), months[0], months[-1], None)[0]
    assert row["cases"] >= 300 and row["satisfaction"]["value"] is not None and row["response"]["value"] is not None
