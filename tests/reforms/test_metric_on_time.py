"""Issue 16 item 10: each unit's on-time task progress is a metric the rankings can weigh when a city switches it on.
The facts come from the reforms app through `metric_facts` (dashboard reads them by path, below reforms)."""

import datetime as dt

import pytest

from tests.reforms.conftest import at, make_task, pdf
from whistle.dashboard import metrics
from whistle.dashboard.models import MetricDefinition
from whistle.dashboard.rankings import classes, ranking
from whistle.org.scopes import Actor
from whistle.reforms import services

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)


def _two_tasks_one_on_time(reform):
    on_time = make_task(reform, due_on="2026-03-31")
    make_task(reform, due_on="2026-03-31", title="逾期未交")
    services.task_submit(reform.actor("cao_zjj"), on_time.pk, text_value="完成", files=[pdf()], now=at(2026, 3, 30))


def test_reform_on_time_facts_reach_the_metrics_by_unit_and_by_county(reform):
    _two_tasks_one_on_time(reform)
    definition = MetricDefinition.objects.get(code="reform_on_time")
    facts = {"reform_due": 2, "reform_on_time": 1}
    by_unit = metrics.outside_facts_by([definition], MARCH, MARCH, "lead_unit_id", [reform.cao_zjj.pk])
    assert by_unit[reform.cao_zjj.pk] == facts
    assert (
        dict(metrics.outside_facts_by([definition], MARCH, MARCH, "county_id", [reform.cao.pk])[reform.cao.pk]) == facts
    )
    # Another month's window holds none of them; a definition not in use reads nothing.
    assert (
        metrics.outside_facts_by(
            [definition], dt.date(2026, 4, 1), dt.date(2026, 4, 1), "lead_unit_id", [reform.cao_zjj.pk]
        )
        == {}
    )
    assert metrics.outside_facts([], MARCH, MARCH, [reform.cao_zjj.pk]) == {}


def test_a_city_ranks_county_departments_on_reform_on_time_when_it_chooses(reform):
    _two_tasks_one_on_time(reform)
    MetricDefinition.objects.filter(code="reform_on_time").update(is_active=True)
    rc = next(c for c in classes() if c.level == "county" and "department" in c.kinds)
    rc.metric = MetricDefinition.objects.get(code="reform_on_time")
    rc.min_cases = 0
    rc.window_months = 1
    rc.save()
    rows = {r["unit"]: r for r in ranking(Actor.system(), rc.code, MARCH)["rows"]}
    assert rows[reform.cao_zjj.code]["score"] == 50.0


def test_a_city_can_switch_reform_on_time_on_in_the_admin_form(reform):
    """The definition's check knows the facts other apps count, so saving it (the admin calls `clean`) is allowed,
    and an unknown fact is still refused with the field named."""
    from django.core.exceptions import ValidationError

    definition = MetricDefinition.objects.get(code="reform_on_time")
    definition.is_active = True
    definition.full_clean()
    definition.params = {"numerator": {"reform_on_time": 1}, "denominator": {"no_such_fact": 1}}
    with pytest.raises(ValidationError) as refused:
        definition.full_clean()
    assert "no_such_fact" in str(refused.value.message_dict["params"])
