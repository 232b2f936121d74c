"""Playwright: a unit reports progress on a phone and asks for acceptance, the reform office accepts and closes
(销号), and a leader drills from the cockpit to a red task."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser, open_as  # noqa: F401  (the fixtures)
from tests.reforms.conftest import at, make_task
from whistle.reforms import lights
from whistle.reforms.models import State, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_report_on_a_phone_accept_and_close_then_a_leader_drills_to_a_red_task(reform, open_as):  # noqa: F811
    task = make_task(
        reform,
        title="推行企业开办一日办结",
        due_on="2026-12-31",
        milestones=[{"name": "方案出台", "due_on": "2026-03-31"}],
    )
    red = make_task(reform, title="深化排污权交易改革", lead="caoxian-scjg", due_on="2026-09-30", now=at(2026, 1, 5))
    lights.sweep()

    # A unit on a phone: its list, the task, a report with a photo of the evidence, then the request for acceptance.
    page = open_as("cao_zjj", PHONE)
    page.context.set_default_timeout(30_000)
    page.get_by_role("link", name="改革任务", exact=True).click()
    expect(page.get_by_role("heading", name="本单位改革任务")).to_be_visible()
    page.get_by_role("link", name="推行企业开办一日办结").click()
    expect(page.get_by_role("heading", name="推行企业开办一日办结")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # phone-first
    page.get_by_label("进展情况").fill("方案已印发，窗口已开通")
    page.get_by_label("进度（%）").fill("100")
    page.get_by_label("已完成节点：方案出台").check()
    page.get_by_label("佐证材料", exact=True).set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}]
    )
    page.get_by_role("button", name="报送进展").click()
    expect(page.get_by_text("已报送进展")).to_be_visible()
    expect(page.get_by_role("link", name="现场.png")).to_be_visible()
    page.get_by_label("完成情况").fill("全部目标已完成")
    page.get_by_role("button", name="申请验收").click()
    expect(page.get_by_text("已申请验收")).to_be_visible()
    expect(page.get_by_role("button", name="验收通过")).to_have_count(0)  # not the unit's step

    # The reform office accepts, then closes.
    office = open_as("gaige", DESKTOP)
    office.context.set_default_timeout(30_000)
    expect(office.get_by_role("heading", name="改革任务看板")).to_be_visible()  # where the office lands
    office.goto(f"/reforms/tasks/{task.pk}/")
    expect(office.get_by_role("button", name="销号")).to_have_count(0)  # nothing closes before acceptance
    office.get_by_label("验收意见").fill("经核查，目标达成")
    office.get_by_role("button", name="验收通过").click()
    expect(office.get_by_text("已验收通过")).to_be_visible()
    office.get_by_role("button", name="销号").click()
    expect(office.get_by_role("status").get_by_text("已销号")).to_be_visible()
    assert Task.objects.get(pk=task.pk).state == State.CLOSED

    # A leader: the cockpit's reform section names the red task; one click opens it.
    leader = open_as("city_leader", DESKTOP)
    leader.context.set_default_timeout(30_000)
    leader.goto("/dashboard")
    section = leader.locator("section", has=leader.get_by_role("heading", name="改革任务"))
    section.get_by_role("link", name="深化排污权交易改革").click()
    expect(leader.get_by_role("heading", name="深化排污权交易改革")).to_be_visible()
    expect(leader.locator("h1 .light-red")).to_be_visible()
    assert Task.objects.get(pk=red.pk).light == "red"
