"""Issue 17, Playwright: a unit enters a monthly figure on a phone, a reviewer approves it, a leader sees the rank
change and the warning (the sweep runs between, as the worker would)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser, open_as, screenshot_dir  # noqa: F401  (fixtures)
from whistle.core.months import add_months
from whistle.indicators import services, warnings
from whistle.indicators.models import WarningRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_phone_entry_review_then_leader_sees_rank_drop_and_warning(world, open_as, screenshot_dir):  # noqa: F811
    WarningRule.objects.exclude(code="econ-rank-drop").update(is_active=False)
    WarningRule.objects.filter(code="econ-rank-drop").update(places=2)
    this = add_months(timezone.localdate().replace(day=1), -1)
    before, year_ago, year_ago_before = add_months(this, -1), add_months(this, -12), add_months(this, -13)
    tianbao, reviewer = world.actor("tianbao"), world.actor("reviewer")
    # 济南 +5%, 青岛 +4%; 菏泽 +8% last month (1st of 3).
    for region, growth_before, growth_now in [("heze", 1.08, None), ("jinan", 1.05, 1.05), ("qingdao", 1.04, 1.04)]:
        for period, value in [(year_ago_before, 100), (year_ago, 200), (before, 100 * growth_before)]:
            figure, _ = services.figure_submit(tianbao, indicator="retail", region=region, period=period, value=value)
            services.figure_review(reviewer, figure.pk, "approve", "核实")
        if growth_now:
            figure, _ = services.figure_submit(
                tianbao, indicator="retail", region=region, period=this, value=200 * growth_now
            )
            services.figure_review(reviewer, figure.pk, "approve", "核实")

    phone = open_as("tianbao", PHONE)
    phone.goto("/indicators/owe")
    expect(phone.get_by_text("社会消费品零售总额 · 菏泽市").first).to_be_visible()
    phone.goto("/indicators/enter")
    phone.get_by_label("指标与地区").select_option("retail|heze")
    phone.get_by_label("期别（期末月份）").fill(this.strftime("%Y-%m"))
    phone.get_by_label("数值").fill("204")  # +2%: below 济南 and 青岛
    phone.get_by_label("数据来源说明").fill("市统计局月度快报")
    phone.get_by_role("button", name="提交审核").click()
    expect(phone.get_by_text("待审核").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(screenshot_dir / "indicators-entry-phone.png"), full_page=True)

    desk = open_as("reviewer", DESKTOP)
    desk.goto("/indicators/review")
    expect(desk.get_by_text("社会消费品零售总额").first).to_be_visible()
    desk.get_by_label("审核意见").first.fill("与快报一致")
    desk.get_by_role("button", name="通过发布").first.click()
    expect(desk.get_by_text("已发布")).to_be_visible()

    warnings.sweep()  # the worker's job

    leader = open_as("city_leader", DESKTOP)
    leader.goto("/indicators/?indicator=retail")
    expect(leader.locator("#set-province").get_by_text("↓2")).to_be_visible()
    expect(leader.locator("#warnings").get_by_text("较上期下降2位")).to_be_visible()
    leader.screenshot(path=str(screenshot_dir / "indicators-leader.png"), full_page=True)
    leader.locator("#warnings a").first.click()
    expect(leader.get_by_role("heading", name="预 警 函")).to_be_visible()
    leader.goto("/dashboard")
    expect(leader.get_by_role("heading", name="指标预警")).to_be_visible()
