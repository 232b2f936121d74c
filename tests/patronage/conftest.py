import datetime as dt

import pytest

from whistle.patronage import services
from whistle.patronage.models import Project


@pytest.fixture
def key(heze):
    """曹县木业 is a key above-scale enterprise; 单县食品 is above scale only; a third 曹县 firm is neither."""
    from whistle.enterprises.models import Enterprise

    heze.ent_cao.is_key = heze.ent_cao.above_scale = True
    heze.ent_cao.save()
    heze.ent_shan.above_scale = True
    heze.ent_shan.save()
    heze.ent_small = Enterprise.objects.create(
        uscc="91371721MA3C5TXL6M", name="曹县小作坊", county=heze.cao, contact_name="赵", contact_phone="13905300003"
    )
    return heze


@pytest.fixture
def assigned(key):
    """曹县木业 → cao_leader, lead unit 曹县住建局, a task force of two; from 2026-01-05."""
    key.patronage = services.patronage_assign(
        key.actor("cao_office"),
        enterprise=key.ent_cao,
        leader="cao_leader",
        lead_unit="caoxian-zjj",
        started_on=dt.date(2026, 1, 5),
        reason="重点企业包保",
        task_force=[{"name": "张专班", "unit": "caoxian-zjj", "duty": "联络员"}, {"name": "李专班", "duty": "专员"}],
    )
    return key


def make_project(heze, code="XM-001", **extra):
    data = dict(
        code=code,
        name="曹县木业扩建项目",
        county="caoxian",
        investment="12000",
        planned_start="2026-01-01",
        planned_end="2026-12-31",
        progress=50,
        milestones=[{"name": "开工", "planned_on": "2026-02-01", "done_on": "2026-02-01"}],
    )
    data.update(extra)
    project, _ = services.project_save(heze.actor("cao_office"), data)
    return project


__all__ = ["make_project", "Project"]
