"""Which enterprises an actor may see (DESIGN.md "Access"): its own, its unit's territory, or all for auditors."""

import pytest
from django.contrib.auth import get_user_model

from whistle.enterprises.models import Enterprise
from whistle.enterprises.selectors import enterprise_get, enterprise_list
from whistle.org.scopes import Actor


@pytest.fixture
def township_firm(heze):
    return Enterprise.objects.create(
        uscc="91371721MA3C5TXL6M", name="庄寨板材厂", county=heze.cao, township=heze.zhuangzhai
    )


def names(heze, user, **filters) -> list[str]:
    return list(enterprise_list(heze.actor(user), **filters).values_list("name", flat=True))


def test_enterprise_user_sees_only_its_own_enterprise(heze, township_firm):
    assert names(heze, "ent_cao") == ["曹县木业有限公司"]


def test_county_users_see_the_enterprises_of_their_county(heze, township_firm, subtests):
    for user in ["cao_zjj", "cao_office", "cao_leader"]:
        with subtests.test(user=user):
            assert names(heze, user) == ["庄寨板材厂", "曹县木业有限公司"]


def test_city_level_users_and_auditors_see_every_enterprise(heze, township_firm, subtests):
    for user in ["city_scjg", "city_office", "city_leader", "auditor"]:
        with subtests.test(user=user):
            assert len(names(heze, user)) == 3


def test_user_without_a_role_sees_no_enterprise(heze):
    nobody = Actor.of(get_user_model().objects.create_user("nobody", password="x" * 12))
    assert enterprise_list(nobody).count() == 0


def test_enterprise_list_filters_by_name_code_and_county(heze, township_firm):
    assert names(heze, "auditor", q="食品") == ["单县食品有限公司"]
    assert names(heze, "auditor", q="91371721ma3c5txl5j") == ["曹县木业有限公司"]
    assert names(heze, "auditor", county="shanxian") == ["单县食品有限公司"]


def test_enterprise_outside_scope_is_not_found_by_its_code(heze):
    assert enterprise_get(heze.actor("cao_office"), "91371721MA3C5TXL5J") == heze.ent_cao
    assert enterprise_get(heze.actor("cao_office"), "91371722MA3C5TXL51") is None
