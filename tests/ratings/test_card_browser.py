"""A citizen scans a cadre's card on a phone and rates 不满意: the page thanks them and names the rectification case."""
import pytest
from playwright.sync_api import expect

from whistle.cases.models import Case
from whistle.ratings.models import Rating

from tests.browser.conftest import PHONE, browser  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_phone_scans_card_and_rates_poor(browser, live_server, cards):  # noqa: F811
    cadre, _ = cards
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{cadre.card_code}/")
    expect(page.get_by_role("heading", name="张伟")).to_be_visible()
    expect(page.get_by_text("负责建筑工程施工许可审批")).to_be_visible()
    # Phone-first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("办事拖沓").check()
    page.get_by_label("评价意见（可选）").fill("材料退回三次")
    page.get_by_label("手机号（可选，便于回访；仅保存加密标识）").fill("13900000001")
    page.get_by_role("button", name="提交评价").click()
    case = Case.objects.get()
    expect(page.get_by_role("status")).to_contain_text(f"已转曹县住房和城乡建设局整改，工单号 {case.number}")
    rating = Rating.objects.get()
    assert (rating.level, rating.tags, rating.rater_phone_masked) == (2, ["slow"], "139****0001")
    context.close()
