"""A small indicator world on the Heze fixture: the migration's catalogue and 16 cities, two counties, two towns,
a reporting unit (市统计局) with a reporter and two reviewers."""

from types import SimpleNamespace

import pytest

from tests.conftest import _member, _unit
from whistle.indicators.models import Indicator, Region
from whistle.org.scopes import Actor


@pytest.fixture
def world(heze):
    w = SimpleNamespace(heze=heze)
    w.tjj = _unit("heze-tjj", "菏泽市统计局", "city", "department", heze.city)
    w.sthj = _unit("heze-sthj", "菏泽市生态环境局", "city", "department", heze.city)
    heze.users.tianbao = _member("tianbao", "handler", unit=w.tjj)
    heze.users.reviewer = _member("reviewer", "data_reviewer", unit=w.tjj)
    heze.users.reviewer2 = _member("reviewer2", "data_reviewer", unit=w.tjj)
    heze.users.sthj = _member("sthj", "handler", unit=w.sthj)
    heze.users.cao_reviewer = _member("cao_reviewer", "data_reviewer", unit=heze.cao_zjj)
    for ind in Indicator.objects.all():
        ind.reporting_unit = w.sthj if ind.category == "environment" else w.tjj
        ind.lead_unit = heze.city_zjj
        ind.save()
    w.home = Region.objects.get(code="heze")
    w.home.unit = heze.city
    w.home.save()
    w.cao = Region.objects.create(code="caoxian", name="曹县", peer_set="county", unit=heze.cao, reporter=heze.cao_zjj)
    w.shan = Region.objects.create(
        code="shanxian", name="单县", peer_set="county", unit=heze.shan, reporter=heze.shan_zjj
    )
    w.zhuangzhai = Region.objects.create(
        code="caoxian-zhuangzhai", name="庄寨镇", peer_set="town", unit=heze.zhuangzhai, parent=w.cao
    )
    w.actor = lambda name: Actor.of(getattr(heze.users, name))
    w.ind = lambda code: Indicator.objects.get(code=code)
    return w
