"""`whistle seed` adds the 不罚/轻罚 demo: the Shandong list and the Heze addition reviewed, inspectors in the demo
counties, months of inspections with every outcome, and the demo enterprise inspected by several departments."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from whistle.leniency import selectors
from whistle.leniency.models import Finding, FindingState, ListVersion
from whistle.org.scopes import Actor

pytestmark = pytest.mark.django_db


def test_demo_seeder_fills_the_lists_inspections_and_figures(demo):
    assert "不罚轻罚：" in demo
    assert set(ListVersion.objects.values_list("code", flat=True)) == {"sd-2020", "sd-2021", "heze-2022"}
    assert all(v.approved for v in ListVersion.objects.all())
    states = set(Finding.objects.values_list("state", flat=True))
    assert {FindingState.ORDERED, FindingState.CLOSED, FindingState.PUNISHED} <= states
    assert Finding.objects.filter(decision="no_penalty").exists()
    User = get_user_model()
    leader = Actor.of(User.objects.get(username="shilingdao"))
    month = timezone.localdate().replace(day=1)
    assert selectors.monthly_figures(leader, month)["totals"]["inspections"] > 0
    qiye = Actor.of(User.objects.get(username="qiye"))
    assert selectors.inbox(qiye)["orders"].exists()  # the enterprise sees an open order on its phone
    assert any(r["enterprise_id"] == qiye.enterprise_id for r in selectors.repeated_inspections(leader, month))
    inspector = Actor.of(User.objects.get(username="zhifa"))
    assert selectors.inspection_list(inspector).exists()
