"""`whistle seed` adds patronage demo data: the demo leaders have portfolios, some projects are behind plan, visits
happened and some problems became cases that trace back to their visit."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from whistle.cases.models import Case
from whistle.org.scopes import Actor
from whistle.patronage import selectors
from whistle.patronage.models import Patronage, Visit

pytestmark = pytest.mark.django_db


def test_demo_seeder_fills_the_pages(demo):
    assert "领导包保：" in demo
    User = get_user_model()
    county_leader = Actor.of(User.objects.get(username="xianlingdao"))
    city_leader = Actor.of(User.objects.get(username="shilingdao"))
    assert selectors.portfolio(county_leader).exists()
    assert selectors.portfolio(city_leader).exists()
    assert Patronage.objects.filter(project__isnull=False).count() == 8
    year = timezone.localdate().year
    summary = selectors.coverage_summary(city_leader, year)
    assert summary["visited"] > 0 and summary["behind_plan"] > 0 and summary["projects"] == 8
    assert (
        Visit.objects.filter(visited_on__lte=timezone.localdate(), visited_on__gte=dt.date(year, 1, 1)).count()
        == Visit.objects.count()
    )
    case = Case.objects.filter(channel="visit", external_ref__startswith="patronage-visit:").first()
    assert case is not None and selectors.case_origin(city_leader, case) is not None
    # The demo's enterprise user sees none of it.
    assert not selectors.patronage_list(Actor.of(User.objects.get(username="qiye"))).exists()
