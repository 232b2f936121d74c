import pytest

from whistle.core import rules
from whistle.core.models import RuleParameter
from whistle.ratings.models import Cadre, Window


@pytest.fixture
def cards(heze):
    """A county cadre (曹县住建局) and a city window (市市场监管局)."""
    cadre = Cadre.objects.create(
        name="张伟",
        post="审批科科长",
        unit=heze.cao_zjj,
        is_party_member=True,
        supervision_phone="0530-3212345",
        duties="负责建筑工程施工许可审批",
        service_items="施工许可证核发 3个工作日",
    )
    window = Window.objects.create(
        name="企业开办综合窗口",
        hall="菏泽市政务服务中心一楼",
        unit=heze.city_scjg,
        supervision_phone="0530-5310001",
        duties="营业执照、印章刻制一窗通办",
    )
    return cadre, window


@pytest.fixture
def set_rule():
    def set_(key, value):
        RuleParameter.objects.filter(key=key).update(value=value)
        rules.clear_cache()

    return set_
