"""`whistle seed` adds indicator demo data: the 16 cities, the counties and 172 towns, three years of figures, figures
waiting for review, published points with ranks, whistle's own rates, and warning letters; the pages open."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from whistle.indicators.models import Figure, Point, Region, Warning


def test_demo_seeder_fills_the_pages(db):
    out = StringIO()
    call_command("seed", "--history", "20", "--enterprises", "40", stdout=out)
    assert "指标监测：" in out.getvalue()
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
