"""Going back after 我要吹哨 and submitting again, in a real browser on a phone (issue 14 item 14)."""

import re

import pytest
from playwright.sync_api import expect

from whistle.cases.models import Case

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_going_back_after_a_submitted_case_and_submitting_again_shows_the_case_already_created(heze, open_as):
    phone = open_as("ent_cao", PHONE)
    phone.goto("/cases/new")
    phone.get_by_placeholder("输入关键词搜索").fill("施工许可")
    expect(phone.locator("#id_category option:checked")).to_have_text(re.compile("施工许可"))
    phone.get_by_label("诉求内容").fill("新厂房施工许可迟迟办不下来")
    phone.get_by_role("button", name="提交诉求").click()
    expect(phone.get_by_text("诉求已提交")).to_be_visible()
    first = phone.url

    # Back reloads the form from the server (with a new key); the browser restores what was typed.
    phone.go_back()
    expect(phone.get_by_label("诉求内容")).to_have_value("新厂房施工许可迟迟办不下来")
    phone.get_by_role("button", name="提交诉求").click()
    expect(phone.get_by_text("没有重复提交")).to_be_visible()
    assert phone.url == first
    assert Case.objects.count() == 1

    # A fresh 我要吹哨 is a new case.
    phone.goto("/cases/new")
    phone.get_by_placeholder("输入关键词搜索").fill("施工许可")
    expect(phone.locator("#id_category option:checked")).to_have_text(re.compile("施工许可"))
    phone.get_by_label("诉求内容").fill("新厂房施工许可迟迟办不下来")
    phone.get_by_role("button", name="提交诉求").click()
    expect(phone.get_by_text("诉求已提交")).to_be_visible()
    assert Case.objects.count() == 2
