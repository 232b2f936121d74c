"""Issue 14, item 20 (and the admin half of item 10): the back office validates rule parameters, speaks Chinese,
finds a dispatch rule among hundreds, ships only Heze's SLA profiles and warns when next year's holidays are due."""

import re

import pytest

from whistle.core import calendar, rules
from whistle.core.models import RuleParameter

from .test_office_pages import sysadmin  # noqa: F401  (fixture)


def test_rule_parameters_refuse_values_outside_their_range(heze, signed_in, sysadmin):  # noqa: F811
    client = signed_in(sysadmin)
    param = RuleParameter.objects.get(key="escalation.returns_to_city")
    form = {"key": param.key, "value": "-3", "description": param.description, "min_value": "1", "max_value": "20"}
    # The page's inline of the cities' own values (core.RuleOverride), sent empty as a browser sends it.
    form.update({"overrides-TOTAL_FORMS": "0", "overrides-INITIAL_FORMS": "0"})
    response = client.post(f"/admin/core/ruleparameter/{param.pk}/change/", form)
    assert response.status_code == 200 and "取值不能小于 1" in response.content.decode()
    param.refresh_from_db()
    assert param.value == 2
    response = client.post(f"/admin/core/ruleparameter/{param.pk}/change/", {**form, "value": "3"})
    assert response.status_code == 302
    # A parameter added later without a range still refuses a negative count (the default minimum is 0).
    fresh = RuleParameter(key="x.count", value=-3, description="某个次数")
    with pytest.raises(Exception) as refused:
        fresh.full_clean()
    assert "取值不能小于 0" in str(refused.value)


def test_admin_speaks_chinese_on_its_pages(heze, signed_in, sysadmin):  # noqa: F811
    from whistle.cases import services

    client = signed_in(sysadmin)
    index = client.get("/admin/").content.decode()
    assert "企业吹哨·部门报到 管理后台" in index and "whistle" not in re.sub(r"<[^>]+>", "", index).lower()
    case, _ = services.case_submit(
        heze.actor("ent_cao"), kind="help", category="construction", description="厂房验收排期太久"
    )
    for url in (
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/core/ruleparameter/",
        "/admin/dashboard/casemonthfact/",
        "/admin/org/apitoken/add/",
    ):
        text = re.sub(r"<[^>]+>", " ", client.get(url).content.decode())
        for leak in (
            "object (",
            "Seq",
            "From state",
            "Actor label",
            "Number",
            "Cases",
            "On time",
            "Created at",
            "User\n",
        ):
            assert leak not in text, (url, leak)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "工单编号" in client.get("/admin/cases/case/").content.decode() and "办理记录" in page and "已派单" in page


def test_dispatch_catalogue_admin_searches_and_filters_by_county_only(heze, signed_in, sysadmin):  # noqa: F811
    client = signed_in(sysadmin)
    listing = client.get("/admin/cases/dispatchrule/").content.decode()
    assert 'id="searchbar"' in listing
    filters = listing[listing.index('id="changelist-filter"') :]
    offered = re.findall(r'href="\?area=([^"&]+)"', filters)
    assert offered == ["none", str(heze.cao.pk), str(heze.shan.pk)]  # no departments, townships or offices
    found = client.get("/admin/cases/dispatchrule/", {"q": "单县住房"}).content.decode()
    assert "单县住房和城乡建设局" in found and "曹县住房和城乡建设局" not in found
    only_cao = client.get("/admin/cases/dispatchrule/", {"area": heze.cao.pk}).content.decode()
    assert "曹县住房和城乡建设局" in only_cao and "单县住房和城乡建设局" not in only_cao


def test_a_heze_deployment_ships_no_zaozhuang_sla_profile(db):
    from whistle.cases.models import SlaProfile

    assert not SlaProfile.objects.filter(code="zaozhuang").exists()
    assert {"shandong-2115", "shandong-2020"} <= set(SlaProfile.objects.values_list("code", flat=True))


def test_rule_8_2_admin_and_coordinators_are_warned_when_next_years_holidays_are_missing(heze, signed_in, sysadmin):  # noqa: F811
    RuleParameter.objects.filter(key="calendar.warn_next_year_from_month").update(value=1)  # warn all year round
    rules.clear_cache()
    missing = calendar.next_year_missing()
    warned = f"{missing}年的法定节假日和调休尚未录入" if missing else None
    client = signed_in(sysadmin)
    index = client.get("/admin/").content.decode()
    office = signed_in(heze.users.cao_office).get("/ledger").content.decode()
    enterprise = signed_in(heze.users.ent_cao).get("/my").content.decode()
    if warned:  # chinese-calendar does not know next year yet
        assert warned in index and warned in office and warned not in enterprise
    else:
        assert "尚未录入" not in index and "尚未录入" not in office
