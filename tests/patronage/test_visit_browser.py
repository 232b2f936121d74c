"""Playwright: a leader opens an enterprise in the portfolio, logs a visit with a problem, turns it into a case, opens
the case and sees where it came from."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser  # noqa: F401  (the browser fixture)
from tests.conftest import PASSWORD
from whistle.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_patronage_visit_to_case_round_trip(browser, live_server, assigned):  # noqa: F811
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url, **PHONE)
    context.set_default_timeout(30_000)  # the shared machine is often loaded; clicks that navigate wait for the server
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill("cao_leader")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="包保", exact=True).click()
    expect(page.get_by_role("heading", name="我的包保")).to_be_visible()
    page.get_by_role("link", name="曹县木业有限公司").click()
    expect(page.get_by_role("heading", name="曹县木业有限公司")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # phone-first

    page.get_by_label("走访日期").fill("2026-03-10")
    page.get_by_label("参加人员").fill("陈县长、县住建局")
    page.get_by_label("企业反映的情况").fill("雨天厂区门前积水")
    page.get_by_label("议定事项").fill("住建局一周内查勘")
    page.get_by_label("需要办理的问题").fill("厂区门前道路积水，影响货车进出")
    page.get_by_role("button", name="保存走访").click()
    expect(page.get_by_text("已登记走访")).to_be_visible()
    expect(page.get_by_text("厂区门前道路积水，影响货车进出")).to_be_visible()

    page.get_by_label("问题分类").select_option("construction")
    page.get_by_role("button", name="转为工单").click()
    case = Case.objects.get()
    assert case.channel == "visit"
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}/cases/{case.number}")
    expect(page.get_by_text(f"已转为工单 {case.number}")).to_be_visible()
    expect(page.get_by_text("领导包保走访").first).to_be_visible()  # where the case came from

    # And back: the visit on the patronage page names the case and links to it.
    page.go_back()
    page.reload()
    page.get_by_role("link", name=f"工单 {case.number}").click()
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}/cases/{case.number}")
    context.close()
