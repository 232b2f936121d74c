"""A citizen scans a cadre's card on a phone and rates 不满意: the page thanks them and names the rectification case."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser  # noqa: F401  (the browser fixture)
from whistle.cases.models import Case
from whistle.ratings.models import Rating

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
    page.get_by_label("评价意见", exact=True).fill("材料退回三次")
    page.get_by_label("手机号（可选，便于回访；仅保存加密标识）").fill("13900000001")
    page.get_by_role("button", name="提交评价").click()
    case = Case.objects.get()
    expect(page.get_by_role("status")).to_contain_text(f"已转曹县住房和城乡建设局整改，工单号 {case.number}")
    rating = Rating.objects.get()
    assert (rating.level, rating.tags, rating.rater_phone_masked) == (2, ["slow"], "139****0001")
    context.close()


def test_rule_8_3_phone_rates_poor_then_rerates_after_the_unit_replies(browser, live_server, cards, heze):  # noqa: F811
    """Scan → 不满意 → the page names the rectification case and gives the re-rate link → the unit verifies, fixes and
    answers through the workflow → the rater opens the link, sees the answer and rates 满意 → the case closes."""
    from whistle.cases import services

    cadre, _ = cards
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{cadre.card_code}/")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("窗口无人").check()
    page.get_by_role("button", name="提交评价").click()
    case = Case.objects.get()
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"工单号 {case.number}")
    link = status.get_by_role("link")
    rerate_url = link.get_attribute("href")
    assert "/r/rerate/" in rerate_url

    actor = heze.actor("cao_zjj")
    for action, payload in [
        ("accept", {}),
        ("contact", {"note": "电话回访核实"}),
        ("opinion", {"opinion": "当场补正"}),
        ("reply", {"content": "已向评价人说明并当日办结"}),
    ]:
        services.case_transition(actor, case.number, action, payload)

    link.click()
    expect(page.get_by_role("heading", name=f"整改工单 {case.number}")).to_be_visible()
    expect(page.get_by_text("已向评价人说明并当日办结")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交再评价").click()
    expect(page.get_by_role("status")).to_contain_text("感谢您的再评价")
    case.refresh_from_db()
    assert (case.state, case.satisfaction) == ("closed", "satisfied")
    assert Rating.objects.filter(rerate_of__rectification=case, level=4).exists()  # recorded on the rectification
    context.close()
