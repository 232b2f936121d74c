"""亮评价 by month (rules.md §8.4, §8.6): per cadre and window in the viewer's scope, Beijing calendar months."""

import re

from django.test import Client

from tests.conftest import PASSWORD, at
from whistle.ratings.models import Window
from whistle.ratings.services import rating_submit


def test_monthly_ranking_per_cadre_and_window_in_scope(heze, cards):
    cadre, window = cards
    shan_window = Window.objects.create(
        name="单县住建窗口", hall="单县政务服务中心", unit=heze.shan_zjj, supervision_phone="0530-4610001"
    )
    for i, (target, level, moment) in enumerate(
        [
            (cadre, 5, at(2026, 11, 3)),
            (cadre, 2, at(2026, 11, 30, 23, 30)),  # still November in Beijing
            (cadre, 1, at(2026, 12, 1, 0, 30)),  # December
            (shan_window, 3, at(2026, 11, 5)),
            (window, 4, at(2026, 11, 6)),
        ]
    ):
        rating_submit(target, comment="窗口让我跑了三趟", level=level, device=f"d{i}", ip=f"10.0.{i}.1", now=moment)
    client = Client()
    client.post("/login", {"username": "cao_office", "password": PASSWORD})
    html = re.sub(r"\s+", "", client.get("/r/ranking?month=2026-11").content.decode())
    assert "亮评价·2026年11月" in html
    assert (
        "干部张伟</td><td>曹县住房和城乡建设局</td><td>2</td><td>1</td><td>0</td><td>0</td><td>1</td><td>0</td><td>50.0%</td><td>50.0%</td><td>50.0%"
        in html
    )
    assert "单县住建窗口" not in html and "企业开办综合窗口" not in html  # outside 曹县
    city = Client()
    city.post("/login", {"username": "city_office", "password": PASSWORD})
    html = re.sub(r"\s+", "", city.get("/r/ranking?month=2026-11").content.decode())
    ranked = re.findall(r"<tr><td>(\d+)</td><td>(?:干部|窗口)(\w+)</td>", html)
    assert ranked == [("1", "企业开办综合窗口"), ("2", "单县住建窗口"), ("3", "张伟")]
    assert "本月暂无评价" in city.get("/r/ranking?month=2027-01").content.decode()
