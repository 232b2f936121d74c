"""The unit tree: a scope is a subtree, found by its path prefix (DESIGN.md "Access")."""

import pytest
from django.core.exceptions import ValidationError

from tests.cases.flow import MONDAY, act, submit
from whistle.cases import selectors
from whistle.org.models import Unit


def test_moving_a_unit_moves_its_subtree_and_the_scopes_follow(heze):
    village = Unit.objects.create(
        code="zhuangzhai-office",
        name="庄寨镇便民服务中心",
        level="township",
        kind="township",
        parent=heze.zhuangzhai,
        county=heze.cao,
    )
    case = act(heze, submit(heze, category="other"), "dispatch", "cao_office", {"unit": "zhuangzhai-office"}, MONDAY)
    assert not heze.actor("shan_office").covers(village)

    heze.zhuangzhai.parent = heze.shan
    heze.zhuangzhai.save()
    village.refresh_from_db()
    assert village.path == heze.shan.path + f"{heze.zhuangzhai.pk:06d}/{village.pk:06d}/"
    assert heze.actor("shan_office").covers(village) and not heze.actor("cao_office").covers(village)
    assert case.pk in set(selectors.case_list(heze.actor("shan_office")).values_list("pk", flat=True))


def test_unit_cannot_be_moved_under_itself_or_its_own_subtree(heze):
    for parent in (heze.cao, heze.zhuangzhai):
        heze.cao.parent = parent
        with pytest.raises(ValidationError) as refused:
            heze.cao.full_clean()
        assert "上级单位不能是本单位或其下级单位" in str(refused.value)
