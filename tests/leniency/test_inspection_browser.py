"""Playwright on a phone: an inspector records a finding, accepts the suggested 不罚 item (an order to correct with
its working-day deadline), the enterprise sees the order on its phone and reports the correction, the inspector
re-checks and closes the matter."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser, open_as, screenshot_dir  # noqa: F401  (the fixtures)
from whistle.leniency.models import Finding, FindingState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_inspector_applies_the_suggested_no_penalty_item_and_closes_it_after_the_enterprise_corrects(
    lists,
    open_as,
    screenshot_dir,  # noqa: F811
):
    inspector = open_as("cao_inspector", PHONE)
    inspector.context.set_default_timeout(30_000)  # the shared machine is often loaded
    inspector.get_by_role("link", name="行政检查", exact=True).first.click()
    inspector.get_by_role("link", name="登记检查").click()
    inspector.get_by_label("被检查企业").fill(lists.ent_cao.uscc)
    inspector.get_by_label("检查事项").fill("食品安全和价格检查")
    inspector.get_by_label("发现的问题").fill("检查发现营业执照未置于经营场所醒目位置")
    inspector.get_by_role("button", name="保存检查").click()
    expect(inspector.get_by_role("heading", name="建议适用的清单事项")).to_be_visible()
    assert inspector.evaluate("document.documentElement.scrollWidth") <= 375  # phone-first
    first = inspector.locator("article.suggestion").first
    expect(first).to_contain_text("个体工商户未将营业执照置于经营场所醒目位置")
    expect(first).to_contain_text("近期无同类违法记录")
    for box in first.get_by_role("checkbox").all():
        box.check()
    inspector.screenshot(path=str(screenshot_dir / "leniency-suggestion-phone.png"), full_page=True)
    first.get_by_role("button", name="采纳：不予处罚").click()
    expect(inspector.get_by_text("已作出处理决定：不予处罚")).to_be_visible()
    expect(inspector.get_by_role("heading", name="责令改正", exact=True)).to_be_visible()
    finding = Finding.objects.get()
    assert finding.state == FindingState.ORDERED and finding.item.number == "1"
    due = finding.order.due_on

    enterprise = open_as("ent_cao", PHONE)
    enterprise.context.set_default_timeout(30_000)
    enterprise.get_by_role("link", name="检查记录", exact=True).first.click()
    expect(enterprise.get_by_text(f"改正期限 {due:%Y年%-m月%-d日}")).to_be_visible()
    enterprise.get_by_role("link", name="检查发现营业执照未置于经营场所醒目位置").click()
    assert enterprise.evaluate("document.documentElement.scrollWidth") <= 375
    enterprise.get_by_label("改正情况").fill("营业执照已悬挂在收银台上方醒目位置")
    enterprise.get_by_role("button", name="报告已改正").click()
    expect(enterprise.get_by_text("已报告改正情况，等待执法人员复查")).to_be_visible()

    inspector.reload()
    inspector.get_by_role("button", name="提交复查").click()
    expect(inspector.get_by_text("已复查：已按期改正，结案")).to_be_visible()
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED
    enterprise.reload()
    expect(enterprise.get_by_text("已按期改正，结案").first).to_be_visible()
