"""`whistle seed` adds a believable reform plan: about two hundred tasks over the six areas, a sheet per county,
reports, lights, letters, closed tasks and the outcomes funnel; every timeline verifies."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from whistle.org.scopes import Actor
from whistle.reforms import audit, selectors
from whistle.reforms.models import Kind, Task

pytestmark = pytest.mark.django_db


def test_demo_seeder_fills_the_reform_pages(demo):
    assert "改革任务：" in demo
    office = Actor.of(get_user_model().objects.get(username="gaige"))
    year = timezone.localdate().year
    board = selectors.board(office, year)
    assert board["total"] > 200 and board["closed"] > 0 and len([r for r in board["by_area"] if r["area__code"]]) == 6
    assert Task.objects.filter(kind=Kind.SHEET).count() == len(selectors.sheet_rows(office, year)) > 0
    funnel = selectors.funnel(office, year)
    assert funnel["tasks"] == 200 and funnel["innovation"] == 43 and funnel["typical"] == 28
    assert audit.verify().ok
    leader = Actor.of(get_user_model().objects.get(username="shilingdao"))
    assert selectors.leader_summary(leader)["total"] == board["total"]
