"""The first-password page on a phone (issue 13 item 18): a demo account outside demo mode signs in, is held at the
page, sets its own password in Chinese, and lands on its own page."""

import pytest

from tests.browser.conftest import PHONE
from whistle.org.passwords import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def production(settings):
    """These rules hold outside demo mode (the suite itself runs in demo mode: scripts/test.sh, pytest-env)."""
    settings.DEMO = False


def test_demo_account_changes_its_password_on_a_phone_at_first_sign_in(heze, browser, live_server, screenshot_dir):
    heze.users.ent_cao.set_password(DEMO_PASSWORD)
    heze.users.ent_cao.save()
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill("ent_cao")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/password/first")
    assert page.get_by_role("heading", name="设置新密码").is_visible()
    # Fits a phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("新密码", exact=True).fill("73920184")
    page.get_by_label("新密码确认", exact=True).fill("73920184")
    page.get_by_role("button", name="保存新密码").click()
    assert page.get_by_text("密码只包含数字").is_visible()
    page.screenshot(path=screenshot_dir / "first-password-phone.png", full_page=True)
    page.get_by_label("新密码", exact=True).fill("Mudan-peony-2027")
    page.get_by_label("新密码确认", exact=True).fill("Mudan-peony-2027")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url("**/my")
    assert page.get_by_text("密码已设置").is_visible()
    context.close()
