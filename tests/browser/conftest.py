"""Playwright against Django's live server, with Debian's Chromium (never a downloaded browser).

Screenshots go to $WHISTLE_SCREENSHOT_DIR (the user guides use `docs/img`), else to var/screenshots, so an
ordinary test run leaves the committed pictures alone:

    WHISTLE_SCREENSHOT_DIR=docs/img WHISTLE_FAST_HASHER=1 .venv/bin/pytest -m browser tests/browser
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread; Django's ORM refuses to run beside one
# unless told that this thread is not serving async code (it is not: it is a test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 1}


@pytest.fixture
def browser(_django_db_helper):
    """One Chromium per test, started after the test database is set up and stopped before it is torn down.

    While Playwright's loop runs, Django hands this thread fresh connection objects; a session-wide browser
    would hide the originals (and their serialized data) from the flush and restore between tests.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def screenshot_dir():
    path = Path(os.environ.get("WHISTLE_SCREENSHOT_DIR") or Path.cwd() / "var" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def open_as(browser, live_server):
    """A signed-in page for one user: `open_as("ent_cao", PHONE)`; signs in through the real form."""
    from tests.conftest import PASSWORD

    contexts = []

    def sign_in(username, device, **options):
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url, **device, **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return page

    yield sign_in
    for context in contexts:
        context.close()
