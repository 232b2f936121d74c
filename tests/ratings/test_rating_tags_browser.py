"""The public rating page on a phone offers the tags of the level chosen and asks a poor rating for its reason
(issue 14 item 18; rules.md §3, §8.3): what the page offers is what the server accepts."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser  # noqa: F401  (the browser fixture)
from whistle.ratings.models import Rating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PRAISE = ["态度热情", "办事高效", "一次办好", "一次性告知"]
PROBLEMS = ["态度生硬", "办事拖沓", "多次跑腿", "窗口无人"]


def _shown(page, names):
    return [name for name in names if page.get_by_label(name, exact=True).is_visible()]


def test_rule_3_phone_rating_page_offers_praise_only_with_good_levels_and_asks_a_poor_rating_for_its_reason(
    browser, live_server, cards
):  # noqa: F811
    cadre, _ = cards
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{cadre.card_code}/")
    assert _shown(page, PRAISE + PROBLEMS) == []  # no level yet, no tags

    page.get_by_label("非常满意", exact=True).check()
    assert _shown(page, PRAISE + PROBLEMS) == PRAISE
    page.get_by_label("态度热情", exact=True).check()

    # Switching to 非常不满意 drops the praise already ticked and offers the problems instead.
    page.get_by_label("非常不满意", exact=True).check()
    assert _shown(page, PRAISE + PROBLEMS) == PROBLEMS
    expect(page.locator("fieldset.tags legend")).to_have_text("遇到的问题")
    expect(page.get_by_text("请勾选遇到的问题或填写评价意见，单位将据此核实整改")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # No reason: the browser keeps the form and says why; nothing is stored.
    page.get_by_role("button", name="提交评价").click()
    message = page.get_by_label("评价意见", exact=True).evaluate("el => el.validationMessage")
    assert message == "请勾选遇到的问题或填写评价意见"
    assert not Rating.objects.exists()

    page.get_by_label("多次跑腿", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("status")).to_contain_text("已转")
    rating = Rating.objects.get()
    assert (rating.level, rating.tags) == (1, ["runaround"])
    assert "态度热情" not in rating.rectification.description
    context.close()
