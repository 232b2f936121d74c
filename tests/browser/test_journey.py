"""The main journey in a real browser: an enterprise raises a case on a phone, the unit signs and replies at
a desk, the enterprise rates 不满意, the case is redone and the county office sees it supervised."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from whistle.cases import services, sweeper
from whistle.cases.models import Case
from whistle.dashboard import case_rollup

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
    .filter((el) => el.offsetParent !== null && !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                    && !(el.tagName === "BUTTON" && el.textContent.trim()))
    .map((el) => el.outerHTML.slice(0, 80))"""


def _other_cases(heze):
    """Some company for the journey's case, so the lists, cards and charts in the screenshots have something to show."""
    cao, shan = heze.actor("ent_cao"), heze.actor("ent_shan")
    late, _ = services.case_submit(
        cao, kind="help", category="construction", description="厂区周边排水管网改造审批进度慢"
    )
    services.case_transition(heze.actor("cao_zjj"), late.number, "accept")
    services.case_transition(heze.actor("cao_zjj"), late.number, "contact", {"method": "phone"})
    sweeper.sweep(now=Case.objects.get(pk=late.pk).yellow_at)
    services.case_submit(cao, kind="complaint", category="other", description="厂区门口道路破损，货车进出困难")
    services.case_submit(cao, kind="consult", category="market", description="咨询食品经营许可证延续办理材料")
    done, _ = services.case_submit(
        shan, kind="suggestion", category="construction", description="建议竣工联合验收一次办结"
    )
    for action, payload in [("accept", {}), ("contact", {}), ("reply", {"content": "已推行联合验收"})]:
        services.case_transition(heze.actor("shan_zjj"), done.number, action, payload)
    services.case_transition(shan, done.number, "follow_up", {"resolution": "resolved", "satisfaction": "satisfied"})


def test_case_journey_from_phone_to_desk_to_rating_to_supervision(heze, open_as, screenshot_dir):
    _other_cases(heze)
    # 企业: on a 375-px phone, raise a case with a photo and the phone's location.
    phone = open_as(
        "ent_cao", PHONE, geolocation={"latitude": 34.8261, "longitude": 115.5494}, permissions=["geolocation"]
    )
    phone.screenshot(path=screenshot_dir / "enterprise-my-cases.png")
    phone.get_by_role("link", name="我要吹哨").first.click()
    expect(phone.get_by_label("联系人")).to_have_value("王经理")
    phone.get_by_text("投诉", exact=True).click()
    phone.get_by_placeholder("输入关键词搜索").fill("施工许可")
    expect(phone.locator("#id_category option:checked")).to_have_text(re.compile("施工许可"))
    phone.get_by_label("诉求内容").fill("新厂房施工许可迟迟办不下来，材料已提交两周，影响开工。")
    phone.get_by_label("照片或文件").set_input_files([{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    phone.get_by_label("地点").fill("曹县经济开发区纬三路")
    phone.get_by_role("button", name="使用当前位置").click()
    expect(phone.locator("#locate-status")).to_contain_text("已记录位置：34.826100，115.549400")
    assert phone.evaluate(UNLABELLED) == []  # every control has a label a screen reader can announce
    phone.screenshot(path=screenshot_dir / "enterprise-new-case.png", full_page=True)
    phone.get_by_role("button", name="提交诉求").click()
    expect(phone.locator(".msg")).to_contain_text("诉求已提交")
    case = Case.objects.get(title__startswith="新厂房施工许可")
    assert case.kind == "complaint" and case.category.code == "construction-permit" and str(case.lat) == "34.826100"
    expect(phone.locator(".timeline")).to_contain_text("系统按派单目录派单至曹县住房和城乡建设局")

    # 工作台: the unit's handler at a 1440-px desk signs, records the site visit and replies with a document.
    desk = open_as("cao_zjj", DESKTOP)
    expect(desk.locator(".items")).to_contain_text(case.number)
    desk.screenshot(path=screenshot_dir / "handler-desk.png")
    desk.get_by_role("link", name=re.compile(case.number)).click()
    desk.get_by_role("button", name="签收").click()
    expect(desk.locator(".timeline")).to_contain_text("已签收")
    desk.get_by_text("到场", exact=True).click()
    desk.get_by_label("联系情况").fill("现场核实了施工许可材料")
    desk.get_by_role("button", name="记录联系").click()
    expect(desk.locator(".timeline")).to_contain_text("已到企业现场")
    desk.locator("summary", has_text="办结回复").click()
    desk.get_by_label("办理结果").fill("经核实，施工许可已于今日核发，请到政务服务大厅领取。")
    desk.get_by_label("附件（照片、文书）").set_input_files(
        [{"name": "许可证.png", "mimeType": "image/png", "buffer": PNG}]
    )
    assert desk.evaluate(UNLABELLED) == []
    desk.screenshot(path=screenshot_dir / "handler-case.png", full_page=True)
    desk.get_by_role("button", name="办结回复").click()
    expect(desk.locator(".state").first).to_have_text("已答复")

    # 企业: rates 不满意 on the phone; the case is redone and says why.
    phone.reload()
    expect(phone.locator(".alert-info")).to_contain_text("承办单位已答复")
    phone.get_by_text("部分解决", exact=True).click()
    phone.get_by_text("不满意", exact=True).click()
    phone.get_by_label("评价意见").fill("许可证只批了一半，二期仍未办理")
    phone.screenshot(path=screenshot_dir / "enterprise-rate.png", full_page=True)
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_role("note")).to_contain_text("第1次重办：回访评价为“部分解决、不满意”：许可证只批了一半")
    expect(phone.locator(".state").first).to_have_text("重办中")
    phone.screenshot(path=screenshot_dir / "enterprise-case-reopened.png", full_page=True)

    # 吹哨办: the county office finds it among the supervised cases.
    office = open_as("cao_office", DESKTOP)
    expect(office.locator(".items")).to_contain_text("厂区门口道路破损")  # the catalogue could not route it
    office.screenshot(path=screenshot_dir / "office-queue.png")
    office.get_by_role("link", name=re.compile("督办中")).click()
    expect(office.locator(".items")).to_contain_text(case.number)
    expect(office.locator(".items")).to_contain_text("督办1次")
    office.screenshot(path=screenshot_dir / "office-supervised.png")

    # 领导: the cockpit draws its charts from the same cases, summed by the metrics rollup as the worker does.
    case_rollup.refresh()
    leader = open_as("city_leader", DESKTOP)
    leader.goto(f"/dashboard?month={timezone.localdate():%Y-%m}")  # it opens on the last complete month
    expect(leader.locator("#chart-state canvas")).to_be_visible()
    expect(leader.locator("#county-grid .tile")).to_have_count(2)
    expect(leader.locator(".stats.big")).to_contain_text("5本月受理")
    leader.screenshot(path=screenshot_dir / "leader-dashboard.png", full_page=True)


def test_sign_in_error_and_keyboard_only_use_on_a_phone(heze, browser, live_server, screenshot_dir):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.goto("/login")
    expect(page.get_by_label("用户名", exact=True)).to_be_focused()  # no tap needed to start typing
    page.keyboard.type("ent_cao")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong-password")
    page.keyboard.press("Enter")
    expect(page.locator("#id_password_error")).to_have_text(re.compile("用户名或密码错误"))
    expect(page.get_by_label("用户名", exact=True)).to_have_value("ent_cao")
    page.screenshot(path=screenshot_dir / "login-error.png")
    context.close()


def test_system_administrator_reaches_the_chinese_admin_from_the_nav(heze, open_as, django_user_model, screenshot_dir):
    from tests.conftest import PASSWORD
    from whistle.org.models import Membership

    user = django_user_model.objects.create_superuser("admin", password=PASSWORD)
    Membership.objects.create(user=user, role="sysadmin", display_name="系统管理员")
    page = open_as("admin", DESKTOP)
    page.get_by_role("link", name="管理后台").click()
    expect(page.get_by_role("link", name="派单目录")).to_be_visible()
    expect(page.get_by_role("link", name="节假日调整")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin.png")
