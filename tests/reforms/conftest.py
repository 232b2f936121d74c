"""Reform offices for the small Heze of tests/conftest.py, and a helper to make a task."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import PASSWORD, at
from whistle.org.models import Membership, Unit
from whistle.reforms import services


def _office(heze, code, name, parent, username):
    unit = Unit.objects.create(
        code=code, name=name, level=parent.level, kind="reform_office", parent=parent, county=parent.county
    )
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, role="reform_office", unit=unit, display_name=username)
    setattr(heze.users, username, user)
    return unit


@pytest.fixture
def reform(heze):
    """市委改革办 (user `gaige`) and 曹县改革办 (`cao_gaige`)."""
    heze.city_ggb = _office(heze, "heze-ggb", "菏泽市委改革办", heze.city, "gaige")
    heze.cao_ggb = _office(heze, "caoxian-ggb", "曹县委改革办", heze.cao, "cao_gaige")
    return heze


def make_task(heze, lead="caoxian-zjj", *, now=None, by="gaige", **extra):
    data = dict(
        title="深化工程建设项目审批制度改革",
        area="economy",
        lead_unit=lead,
        starts_on="2026-01-05",
        due_on="2026-09-30",
        target="审批时限压减至60个工作日",
        leader_name="刘建国",
        person_name="王明",
    )
    data.update(extra)
    return services.task_create(heze.actor(by), data, now or at(2026, 1, 5))


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n", content_type="application/pdf")


__all__ = ["make_task", "pdf", "dt", "at"]
