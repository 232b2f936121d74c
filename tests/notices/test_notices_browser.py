"""Issue 12 items 3 and 5 on a phone: the handler's bell and 消息 page; the enterprise, told that the unit contacted it,
opens the notice from the bell and replies to the contact step from the notice's link."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser, open_as, screenshot_dir  # noqa: F401  (fixtures)
from tests.cases.flow import act, submit
from whistle.cases.models import CaseEvent
from whistle.notices import sender
from whistle.notices.models import Delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_issue_12_3_the_bell_and_the_message_page_on_a_phone(open_as, screenshot_dir, heze):  # noqa: F811
    case = submit(heze)
    sender.deliver()
    page = open_as("cao_zjj", PHONE)
    page.goto("/")
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "消息，1条未读")
    bell.click()
    expect(page.get_by_role("heading", name="消息")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "notices-inbox-phone.png", full_page=True)
    page.get_by_role("link", name=f"新派单：{case.number}").click()
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}/cases/{case.number}")
    expect(page.locator("#bell")).to_have_attribute("aria-label", "消息")


def test_issue_12_5_the_enterprise_replies_to_the_contact_step_from_the_notice_link(open_as, screenshot_dir, heze):  # noqa: F811
    case = submit(heze, now=None)
    act(heze, case, "accept", "cao_zjj")
    act(heze, case, "contact", "cao_zjj", {"method": "phone", "note": "已电话联系，需补充厂房图纸"})
    sender.deliver()
    notice = Delivery.objects.get(recipient=heze.users.ent_cao, channel="inapp", subject__startswith="承办单位已联系")
    page = open_as("ent_cao", PHONE)
    page.goto("/my")
    expect(page.locator("#my-notices")).to_contain_text(f"承办单位已联系：{case.number}")
    page.locator("#bell").click()
    page.get_by_role("link", name=f"承办单位已联系：{case.number}").click()
    expect(page.get_by_role("heading", name=case.title)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#act-comment summary").click()
    page.locator("#act-comment textarea").fill("图纸已上传到网盘，今天下午送到住建局")
    page.locator("#act-comment").get_by_role("button", name="补充说明").click()
    expect(page.get_by_text("图纸已上传到网盘，今天下午送到住建局").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "notices-enterprise-reply-phone.png", full_page=True)
    reply = CaseEvent.objects.filter(case_id=case.pk, action="comment").get()
    assert reply.actor_id == heze.users.ent_cao.pk
    notice.refresh_from_db()
    assert notice.read_at is not None
