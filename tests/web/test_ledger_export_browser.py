"""Playwright: a coordinator starts a large ledger export from the 台账 page, watches its progress refresh by itself
while the worker job runs, and downloads the .xlsx from the link that appears."""

import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from tests.browser.conftest import DESKTOP, browser, open_as, screenshot_dir  # noqa: F401  (fixtures)
from tests.web.test_ledger_export import background, cases  # noqa: F401  (fixtures)
from whistle.web.exports import run_pending_exports

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_coordinator_exports_a_large_ledger_in_the_background_and_downloads_it(
    open_as, cases, background, screenshot_dir
):  # noqa: F811
    page = open_as("city_office", DESKTOP)
    page.goto("/ledger?view=all")
    page.get_by_role("button", name="导出Excel").click()
    status = page.locator("#export-status")
    expect(status).to_have_attribute("data-state", "queued")
    expect(status.locator(".rows-total")).to_have_text("4")

    run_pending_exports(timezone.now())  # the worker's job, in this process

    link = page.locator("#export-download")
    expect(link).to_be_visible()  # htmx polled the status block until the file was ready
    expect(status).to_have_attribute("data-state", "done")
    page.screenshot(path=str(screenshot_dir / "ledger-export.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    body = open(download.value.path(), "rb").read()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_name("台账").to_python()
    assert {r[0] for r in rows[1:]} == {c.number for c in cases.values()}
