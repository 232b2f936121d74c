"""Issue 14, item 16: on a 375 px phone the 转为工单 selects of a visit's problem are wide enough to read."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser, open_as  # noqa: F401  (fixtures)
from whistle.patronage import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_phone_convert_to_case_selects_are_readable(assigned, open_as):  # noqa: F811
    services.visit_log(
        assigned.actor("cao_leader"),
        assigned.patronage.pk,
        visited_on=dt.date(2026, 3, 10),
        participants="陈县长",
        raised="积水",
        problems=["厂区门前道路积水，影响货车进出"],
    )
    page = open_as("cao_leader", PHONE)
    page.goto(f"/patronage/{assigned.patronage.pk}/")
    category, kind = page.get_by_label("问题分类"), page.get_by_label("诉求类型")
    expect(category).to_be_visible()
    for select in (category, kind):
        assert select.bounding_box()["width"] >= 150  # was 60 px: "施工许可" cut to two characters
    assert page.get_by_role("button", name="转为工单").bounding_box()["width"] < 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
