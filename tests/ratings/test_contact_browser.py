"""评价人信息保护 on a phone: the handler of a rated unit opens the rectification case, taps 查看评价人电话, gives a
reason, and sees the whole number with a tel: link (issue 12); the read is logged."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser, open_as, screenshot_dir  # noqa: F401  (fixtures)
from whistle.ratings.models import ContactRead
from whistle.ratings.services import rating_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rule_8_5_handler_reads_the_rater_phone_on_a_phone_with_a_reason(open_as, screenshot_dir, heze, cards):  # noqa: F811
    rating = rating_submit(cards[0], level=1, comment="材料退回三次", phone="13900000001", device="d1", ip="10.0.0.1")
    page = open_as("cao_zjj", PHONE)
    page.goto(f"/cases/{rating.rectification.number}")
    page.get_by_role("link", name="查看评价人电话").click()
    expect(page.get_by_role("heading", name="查看评价人电话")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # phone-first: nothing wider than the screen
    page.get_by_label("回访核实差评").check()
    page.get_by_role("button", name="查看评价人电话").click()
    expect(page.locator("#rater-phone")).to_have_text("13900000001")
    expect(page.locator("#rater-phone")).to_have_attribute("href", "tel:13900000001")
    page.screenshot(path=screenshot_dir / "handler-rater-contact.png", full_page=True)
    read = ContactRead.objects.get()
    assert (read.user, read.purpose) == (heze.users.cao_zjj, "回访核实差评")
