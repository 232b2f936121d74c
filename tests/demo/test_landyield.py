"""`whistle seed` adds 曹县's 亩产效益 rounds: two signed-off years, one on 公示 with an objection, class history."""

import pytest
from django.contrib.auth import get_user_model

from whistle.landyield.models import Objection, Participant, Round

pytestmark = pytest.mark.django_db


def test_demo_seeder_fills_the_pages(demo, client):
    assert "亩产效益：" in demo
    assert list(Round.objects.order_by("year").values_list("year", "state")) == [
        (2023, "frozen"),
        (2024, "frozen"),
        (2025, "publicity"),
    ]
    assert Participant.objects.filter(round__year=2025, status="evaluated").count() >= 240
    assert Participant.objects.filter(round__year=2024, klass="D", consecutive_d=2).exists()
    assert Objection.objects.filter(state="open").count() == 1
    user = get_user_model().objects.get(username="qiye")
    client.force_login(user)
    page = client.get("/landyield/mine/", follow=True).content.decode()
    assert "历年类别" in page and "2025年度" in page
