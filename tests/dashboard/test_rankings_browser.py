"""A city office on a phone: the rankings page, another class, the Excel link and the printable report."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser, open_as, screenshot_dir  # noqa: F401
from whistle.dashboard import case_rollup
from whistle.dashboard.models import RankingClass

from .conftest import make_case, march_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def ranked(heze):
    march_cases(heze)
    march_cases(heze, lead=heze.shan_zjj, county=heze.shan)
    # One more resolved, satisfied case puts 曹县住建局 ahead: tied units are on neither list.
    make_case(heze, contact=True, opinion=True, replied=True, follow=("resolved", "satisfied"), state="closed")
    RankingClass.objects.update(min_cases=5)
    case_rollup.rebuild()
    return heze


def test_rule_4_office_reads_rankings_on_a_phone_and_prints_the_report(ranked, open_as, screenshot_dir):  # noqa: F811
    page = open_as("city_office", PHONE)
    page.get_by_role("link", name="排名").first.click()
    page.get_by_label("月份", exact=True).fill("2026-03")
    page.get_by_label("类别", exact=True).select_option(label="县直部门")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="红榜")).to_be_visible()
    expect(page.locator(".red li").first).to_contain_text("曹县住房和城乡建设局")
    expect(page.get_by_role("link", name="导出 Excel")).to_have_attribute(
        "href", "/dashboard/rankings.xlsx?class=county_department&month=2026-03"
    )
    page.screenshot(path=str(screenshot_dir / "rankings-phone.png"), full_page=True)
    page.get_by_role("link", name="月度考核通报").click()
    expect(page.get_by_role("heading", name="2026年3月考核通报")).to_be_visible()
    page = open_as("city_office", {"viewport": {"width": 794, "height": 1123}})  # A4 at 96 dpi
    page.goto("/dashboard/report?month=2026-03")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_text("签发：")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "report-print.png"), full_page=True)
