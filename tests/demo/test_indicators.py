"""`whistle seed` adds indicator demo data: the 16 cities, the counties and 172 towns, three years of figures, figures
waiting for review, published points with ranks, whistle's own rates, and warning letters; the pages open."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from whistle.indicators.models import Figure, Point, Region, Warning

pytestmark = pytest.mark.django_db


def test_demo_seeder_fills_the_pages(demo):
    assert "指标监测：" in demo
    assert Region.objects.filter(peer_set="province").count() == 16
    assert Region.objects.filter(peer_set="town").count() == 172
    assert Figure.objects.filter(state="pending").count() == 2
    assert Point.objects.filter(indicator__code="town_air_index", rank__isnull=False).exists()
    assert Point.objects.filter(indicator__code="whistle_satisfaction").exists()
    assert Warning.objects.exists()
    client = Client()
    users = get_user_model().objects
    for username, paths in [
        ("shilingdao", ["/indicators/", "/indicators/?indicator=town_air_index", "/indicators/report", "/dashboard"]),
        ("tongji", ["/indicators/review"]),
        ("tongji-tianbao", ["/indicators/owe", "/indicators/enter"]),
    ]:
        client.force_login(users.get(username=username))
        for path in paths:
            assert client.get(path).status_code == 200, (username, path)
