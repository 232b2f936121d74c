"""Issue 14 in a real browser: the report and rankings on a 375 px phone (items 16), the cockpit's tiles and its
三率·按承办单位 chart (items 16, 11), and /api/docs with no network beyond whistle (item 19)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser, open_as, screenshot_dir  # noqa: F401  (fixtures)
from tests.dashboard.test_cockpit import _fresh, month  # noqa: F401  (fixtures)
from whistle.dashboard import case_rollup
from whistle.dashboard.models import RankingClass

from .conftest import make_case, march_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The lines a cell's text is laid out on: the distinct tops of its text's boxes.
LINES = """(cells) => cells.map((td) => { const r = document.createRange(); r.selectNodeContents(td);
  return new Set(Array.from(r.getClientRects()).map((b) => Math.round(b.top))).size; })"""
# Whether an element's content is wider than its box (a figure spilling out of its tile).
OVERFLOWS = "(els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.trim())"


@pytest.fixture
def ranked(heze):
    for lead, county in ((heze.cao_zjj, heze.cao), (heze.shan_zjj, heze.shan), (heze.cao_scjg, heze.cao)):
        march_cases(heze, lead=lead, county=county)
    make_case(heze, contact=True, opinion=True, replied=True, follow=("resolved", "satisfied"), state="closed")
    RankingClass.objects.update(min_cases=5)
    case_rollup.rebuild()
    return heze


def test_phone_rankings_and_report_keep_each_unit_name_on_one_line(ranked, open_as, screenshot_dir):  # noqa: F811
    page = open_as("city_office", PHONE)
    for url in ("/dashboard/rankings?class=county_department&month=2026-03", "/dashboard/report?month=2026-03"):
        page.goto(url)
        names = page.locator(".rank-table tbody td:nth-child(2)")
        expect(names.first).to_be_visible()
        assert names.count() >= 3
        assert set(names.evaluate_all(LINES)) == {1}, url  # 曹县住房和城乡建设局 on one line, not one character a line
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url  # the table scrolls in its box
        # The table is wider than the phone and scrolls inside its box.
        box = page.locator(".rank-table").first.evaluate("(t) => [t.scrollWidth, t.parentElement.clientWidth]")
        assert box[0] > box[1]
    page.screenshot(path=str(screenshot_dir / "report-phone.png"), full_page=True)


def test_phone_cockpit_tiles_hold_their_figures(month, open_as, screenshot_dir):  # noqa: F811
    page = open_as("cao_leader", PHONE)
    page.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")
    expect(page.locator(".stats.big")).to_contain_text("100.0%")  # 曹县's satisfaction: the widest figure there is
    expect(page.locator("#county-grid .tile-value")).to_contain_text("100.0%")
    figures = page.locator(".stats .n, .tile-value")
    assert figures.count() > 8
    assert figures.evaluate_all(OVERFLOWS) == []
    tiles = page.locator(".stats.big li")
    assert (
        tiles.evaluate_all(
            "(els) => els.filter((li) => li.querySelector('.n').getBoundingClientRect().right > li.getBoundingClientRect().right).length"
        )
        == 0
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshot_dir / "cockpit-phone.png"), full_page=True)


def test_cockpit_unit_chart_plots_rates_not_counts(month, open_as):  # noqa: F811
    page = open_as("city_leader", DESKTOP)
    page.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")
    page.wait_for_function("document.querySelector('#chart-unit canvas') !== null")
    option = page.evaluate("""() => { const o = echarts.getInstanceByDom(document.getElementById('chart-unit')).getOption();
        return {max: o.xAxis[0].max, series: o.series.map((s) => s.name),
                values: Object.fromEntries(o.yAxis[0].data.map((name, i) => [name, o.series.map((s) => s.data[i].value)]))}; }""")
    assert option["max"] == 100 and option["series"] == ["响应率", "解决率", "满意率"]
    # 单县住建局: C (contacted in time, unresolved, unsatisfied) and E (contacted a day late): 50% / 0% / 0%.
    assert option["values"]["单县住房和城乡建设局"] == [50, 0, 0]
    assert option["values"]["曹县住房和城乡建设局"] == [100, 75, 100]


def test_api_docs_render_with_no_network_beyond_whistle(heze, browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, **DESKTOP)
    page = context.new_page()
    asked = []

    def only_whistle(route):
        asked.append(route.request.url)
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            route.abort()  # a government intranet: no CDN

    page.route("**/*", only_whistle)
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("whistle API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert [u for u in asked if not u.startswith(live_server.url)] == []
    assert any(re.search(r"/static/ninja/swagger-ui-bundle\.js$", u) for u in asked)
    context.close()
