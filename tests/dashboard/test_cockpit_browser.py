"""Playwright: a leader signs in, opens the cockpit and drills from a county's satisfaction rate to its cases."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser, open_as, screenshot_dir  # noqa: F401  (fixtures)
from tests.dashboard.test_cockpit import _fresh, month  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _jieba_loaded(month):  # noqa: F811
    """Load jieba's dictionary before the browser signs in (a second or more on a busy machine, once per process)."""
    from whistle.dashboard import topics

    topics.tokenizer()


def test_leader_drills_from_a_countys_satisfaction_rate_to_its_cases(open_as, month, screenshot_dir):  # noqa: F811
    page = open_as("city_leader", PHONE)
    page.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")
    expect(page.get_by_role("heading", name=re.compile("领导驾驶舱"))).to_be_visible()
    # Phone-first: the page is no wider than the screen (wide tables scroll inside their panel).
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    tile = page.get_by_role("link", name="单县人民政府 满意率")
    expect(tile).to_contain_text("0.0%")
    tile.click()
    page.wait_for_load_state()
    assert "county=shanxian" in page.url
    numbers = page.locator(".items .num").all_inner_texts()
    assert numbers == [month["C"].number]  # the county's one rated follow-up, nothing of 曹县


def test_county_grid_recolours_by_the_chosen_rate(open_as, month, screenshot_dir):  # noqa: F811
    page = open_as("city_leader", DESKTOP)
    page.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")
    page.get_by_label("着色指标").select_option(label="响应率")
    tile = page.get_by_role("link", name="单县人民政府 响应率")
    expect(tile).to_contain_text("50.0%")
    tile.click()
    page.wait_for_load_state()
    assert sorted(page.locator(".items .num").all_inner_texts()) == sorted([month["C"].number, month["E"].number])
    page.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")
    page.wait_for_function("document.querySelector('#chart-trend canvas') !== null")
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)


def test_county_leader_cockpit_has_only_the_county(open_as, month):  # noqa: F811
    page = open_as("cao_leader", PHONE)
    page.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")
    expect(page.locator("#county-grid .tile")).to_have_count(1)
    expect(page.get_by_role("link", name="曹县人民政府 满意率")).to_contain_text("100.0%")
