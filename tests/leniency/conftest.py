"""The 不罚/轻罚 fixtures: the demo's Shandong lists (2020 and 2021, reviewed) and the Heze addition, loaded through
the services; an inspector and a department head in 曹县市场监管局, an inspector in 单县住建局."""

import datetime as dt

import pytest

from tests.conftest import _member, at
from whistle.leniency import demo, services
from whistle.leniency.models import ListItem


@pytest.fixture
def lists(heze):
    versions = demo.load_lists()
    heze.users.cao_inspector = _member("cao_inspector", "inspector", unit=heze.cao_scjg)
    heze.users.cao_zjj_inspector = _member("cao_zjj_inspector", "inspector", unit=heze.cao_zjj)
    heze.users.cao_scjg_admin = _member("cao_scjg_admin", "unit_admin", unit=heze.cao_scjg)
    heze.users.cao_zjj_head = _member("cao_zjj_head", "unit_admin", unit=heze.cao_zjj)
    heze.users.shan_inspector = _member("shan_inspector", "inspector", unit=heze.shan_zjj)
    heze.versions = versions
    heze.item = lambda code, number: ListItem.objects.get(version__code=code, number=number)
    return heze


LICENCE = "检查发现个体工商户营业执照未置于经营场所醒目位置"


def record(heze, text=LICENCE, *, day=dt.date(2026, 3, 10), user="cao_inspector", enterprise=None, now=None):
    """One inspection with one finding, recorded by `user` (an inspector) on `day`."""
    inspection = services.inspection_record(
        heze.actor(user),
        enterprise=enterprise or heze.ent_cao,
        inspected_on=day,
        subject="日常检查",
        findings=[text],
        now=now or at(day.year, day.month, day.day, 18),
    )
    return inspection.findings.get()


ALL_YES = {"minor": True, "no_harm": True, "corrected_promptly": True, "mitigated": True}
