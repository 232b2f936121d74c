"""Chain offices for the small Heze of tests/conftest.py: 市工信局 keeps 生物医药 (user `chain_bio`) and 高端化工 is
kept by another office (`chain_chem`); a helper makes an investment project."""

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import PASSWORD, at
from whistle.chains import services
from whistle.chains.models import Chain, Officer
from whistle.org.models import Membership, Unit


def _office(heze, username, unit, chain_code):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, role="chain_office", unit=unit, display_name=username)
    Officer.objects.create(chain=Chain.objects.get(code=chain_code), user=user)
    setattr(heze.users, username, user)
    return user


@pytest.fixture
def chains(heze):
    heze.city_gxj = Unit.objects.create(
        code="heze-gxj", name="菏泽市工业和信息化局", level="city", kind="department", parent=heze.city
    )
    heze.bio = Chain.objects.get(code="biomedicine")
    heze.chem = Chain.objects.get(code="chemicals")
    heze.bio.lead_unit = heze.city_gxj
    heze.bio.save()
    _office(heze, "chain_bio", heze.city_gxj, "biomedicine")
    _office(heze, "chain_chem", heze.city_gxj, "chemicals")
    return heze


def make_project(heze, *, by="chain_bio", chain=None, now=None, **extra):
    data = dict(name="原料药扩产项目", target_firm="上海某药业", county="caoxian", responsible_unit="heze-gxj")
    data.update(extra)
    return services.project_create(heze.actor(by), chain or heze.bio, data, now or at(2026, 3, 2))


__all__ = ["make_project", "at"]
