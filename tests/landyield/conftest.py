"""A 曹县 round with its owning departments: 工信 (lead), 税务, 自然资源, 供电 … built on the shared heze fixture."""

from decimal import Decimal

import pytest

from tests.conftest import _member, _unit
from whistle.enterprises.models import Enterprise
from whistle.landyield import services
from whistle.landyield.models import Figure, FigureKind, Participant


def make_uscc(n: int) -> str:
    from stdnum.cn import uscc

    base = f"91371721MA{n:07d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture
def ly(heze):
    """Departments of 曹县 with one handler each, 6 规上 firms (one a power utility) and a round for 2025."""
    u = heze
    for fn, name in [
        ("gxj", "曹县工业和信息化局"),
        ("tax", "国家税务总局曹县税务局"),
        ("zrzy", "曹县自然资源和规划局"),
        ("power", "国网曹县供电公司"),
        ("fgw", "曹县发展和改革局"),
        ("sthj", "曹县环境分局"),
        ("rsj", "曹县人社局"),
    ]:
        unit = _unit(f"caoxian-{fn}", name, "county", "department", u.cao, u.cao)
        setattr(u, f"cao_{fn}", unit)
        setattr(u.users, f"cao_{fn}_user", _member(f"cao_{fn}_user", "handler", unit=unit))
    u.shan_gxj = _unit("shanxian-gxj", "单县工业和信息化局", "county", "department", u.shan, u.shan)
    u.ent_cao.above_scale = True
    u.ent_cao.industry = "木材加工"
    u.ent_cao.save()
    firms = [u.ent_cao]
    for i in range(1, 6):
        firms.append(
            Enterprise.objects.create(
                uscc=make_uscc(i),
                name=f"曹县测试{i}厂",
                county=u.cao,
                industry="木材加工",
                above_scale=True,
                contact_name="联系人",
                contact_phone="13905300009",
            )
        )
    Enterprise.objects.create(
        uscc=make_uscc(99),
        name="曹县热力燃气公司",
        county=u.cao,
        industry="燃气供应",
        above_scale=True,
        contact_name="联系人",
        contact_phone="13905300009",
    )
    u.firms = firms
    u.round = services.round_open(u.actor("cao_office"), county=u.cao, year=2025)
    u.part = {p.enterprise_id: p for p in Participant.objects.filter(round=u.round)}
    return u


def put(rnd, participant, **values):
    """Figures written directly (test setup only)."""
    from django.utils import timezone

    for code, value in values.items():
        Figure.objects.update_or_create(
            participant=participant,
            kind=FigureKind.objects.get(code=code),
            defaults={"round": rnd, "value": Decimal(str(value)), "state": "verified", "updated_at": timezone.now()},
        )
