"""链式招商 in a real browser (issue 19): a chain office takes a target from a gap node, records a leader's trip,
moves the project to signed and started, and a city leader sees it on the chain page and opens a node's firms."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.chains.conftest import _office
from whistle.chains import services
from whistle.chains.models import Chain, Project, Trip
from whistle.org.models import Unit

from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _chain(heze):
    gxj = Unit.objects.create(
        code="heze-gxj", name="菏泽市工业和信息化局", level="city", kind="department", parent=heze.city
    )
    bio = Chain.objects.get(code="biomedicine")
    bio.lead_unit = gxj
    bio.save()
    _office(heze, "chain_bio", gxj, "biomedicine")
    office = heze.actor("chain_bio")
    api = services.node_add(office, bio, name="原料药", segment="up")
    services.node_add(office, bio, name="医药中间体", parent=api.pk)
    prep = services.node_add(office, bio, name="制剂", segment="mid")
    services.node_add(office, bio, name="包装材料", segment="down")
    services.firm_add(office, bio, api.pk, uscc=heze.ent_cao.uscc)
    services.firm_add(office, bio, prep.pk, name="苏州某制药", place="苏州")
    return bio


def test_office_takes_a_gap_target_records_a_trip_signs_and_starts_and_a_leader_sees_it(heze, open_as, screenshot_dir):
    _chain(heze)
    today = timezone.localdate().isoformat()
    page = open_as("chain_bio", DESKTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/chains/biomedicine/")
    expect(page.locator("#chain-map-chart canvas").first).to_be_visible()
    page.locator("#map").screenshot(path=str(screenshot_dir / "chains-map.png"))

    # The gap analysis ranks 制剂 (a known firm elsewhere) first; 采纳 fills the target form.
    row = page.locator('tr[data-gap="制剂"]')
    expect(row).to_contain_text("缺链")
    row.get_by_role("link", name="采纳").click()
    form = page.locator("#target-form")
    expect(form.get_by_label("项目名称")).to_have_value("制剂补链项目")
    expect(form.get_by_label("目标企业")).to_have_value("苏州某制药")
    form.get_by_label("落地县区").select_option(label="曹县人民政府")
    form.get_by_role("button", name="列入招商目标").click()
    expect(page.get_by_text("已登记项目“制剂补链项目”（目标锁定）")).to_be_visible()
    project = Project.objects.get(name="制剂补链项目")
    assert project.node.name == "制剂" and project.stage.code == "target"

    # A leader's trip about it.
    trip = page.locator("#trip-form")
    trip.get_by_label("日期").fill(today)
    trip.get_by_label("赴往城市").fill("苏州")
    trip.get_by_label("带队及参加人员").fill("张副市长、市工信局")
    trip.get_by_label("洽谈对象").fill("苏州某制药董事长")
    trip.get_by_label("涉及项目").select_option(label="制剂补链项目")
    trip.get_by_role("button", name="记录招商活动").click()
    expect(page.get_by_text("赴苏州招商")).to_be_visible()
    assert Trip.objects.get().projects.get() == project

    # Signed, then started, on the project's page.
    page.get_by_role("link", name="制剂补链项目").first.click()
    advance = page.locator("#advance-form")
    advance.get_by_label("推进至").select_option(label="签约（须填投资额）")
    advance.get_by_label("投资额（万元）").fill("30000")
    advance.get_by_role("button", name="确认推进").click()
    expect(page.get_by_text("已推进至“签约”")).to_be_visible()
    advance = page.locator("#advance-form")
    advance.get_by_label("推进至").select_option(label="开工")
    advance.get_by_role("button", name="确认推进").click()
    expect(page.get_by_text("已推进至“开工”")).to_be_visible()
    project.refresh_from_db()
    assert project.stage.code == "started" and project.signed_on and project.started_on
    assert errors == []

    # The city leader sees it on the chain page, in 开工, with the trip; no office forms.
    leader = open_as("city_leader", DESKTOP)
    leader.goto("/chains/biomedicine/")
    expect(leader.locator('section[data-stage="started"][data-pipeline="investment"]')).to_contain_text("制剂补链项目")
    expect(leader.locator("#trips")).to_contain_text("苏州某制药董事长")
    expect(leader.locator('[data-kpi="started"] .n')).to_have_text("1")
    assert leader.locator("#target-form").count() == 0 and leader.get_by_role("link", name="采纳").count() == 0
    # A node's firms are loaded on demand, in place: 原料药's local firm.
    node = leader.locator("#map li", has=leader.locator("strong", has_text="原料药"))
    expect(node.locator(".node-firms")).to_have_count(0)
    node.get_by_role("link", name="企业1家（本地1家）").click()
    expect(node.locator(".node-firms")).to_contain_text("曹县木业有限公司")
    assert leader.url.endswith("/chains/biomedicine/")  # stayed on the chain page
    leader.screenshot(path=str(screenshot_dir / "chains-leader.png"), full_page=True)
