"""The coordination office's ledger and its .xlsx export, the leader's dashboard, the admin back office."""

import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from whistle.cases import services, sweeper
from whistle.cases.models import Case


def this_month() -> str:
    return f"/dashboard?month={timezone.localdate():%Y-%m}"  # the page opens on the last complete month


@pytest.fixture
def cases(heze):
    """Four cases: two in 曹县 (one routed, one left for the office), one in 单县, one closed unsatisfied-then-fine."""
    cao, shan = heze.actor("ent_cao"), heze.actor("ent_shan")
    routed, _ = services.case_submit(cao, kind="help", category="construction-permit", description="施工许可办理慢")
    unrouted, _ = services.case_submit(cao, kind="complaint", category="other", description="厂区门口道路破损")
    shan_case, _ = services.case_submit(shan, kind="consult", category="construction", description="单县厂房验收咨询")
    closed, _ = services.case_submit(cao, kind="suggestion", category="construction", description="建议简化竣工验收")
    handler = heze.actor("cao_zjj")
    for action, payload in [("accept", {}), ("contact", {}), ("reply", {"content": "已答复"})]:
        services.case_transition(handler, closed.number, action, payload)
    services.case_transition(cao, closed.number, "follow_up", {"resolution": "resolved", "satisfaction": "satisfied"})
    return {"routed": routed, "unrouted": unrouted, "shan": shan_case, "closed": closed}


def _numbers(html: str) -> set[str]:
    return set(re.findall(r'<span class="num">(HZ\d{8})</span>', html))


def test_dispatch_queue_holds_what_the_catalogue_could_not_route(heze, signed_in, cases):
    html = signed_in(heze.users.cao_office).get("/ledger?view=queue").content.decode()
    assert _numbers(html) == {cases["unrouted"].number}
    assert "派单目录未匹配到承办单位" not in html  # the list shows the case, the sentence is on its page
    page = signed_in(heze.users.cao_office).get(f"/cases/{cases['unrouted'].number}").content.decode()
    assert "派单目录未匹配到承办单位，已转吹哨办人工派单" in page and 'id="act-dispatch"' in page


def test_county_office_dispatches_only_to_units_of_its_county(heze, signed_in, cases):
    client = signed_in(heze.users.cao_office)
    page = client.get(f"/cases/{cases['unrouted'].number}").content.decode()
    assert "曹县住房和城乡建设局" in page and "单县住房和城乡建设局" not in page
    response = client.post(
        f"/cases/{cases['unrouted'].number}/do/dispatch",
        {"dispatch-unit": "caoxian-zhuangzhai", "dispatch-assisting_units": ["caoxian-zjj"]},
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=cases["unrouted"].pk)
    assert case.lead_unit == heze.zhuangzhai and list(case.assisting_units.all()) == [heze.cao_zjj]


def test_ledger_stays_inside_the_offices_county(heze, signed_in, cases):
    html = signed_in(heze.users.cao_office).get("/ledger?view=all").content.decode()
    assert cases["shan"].number not in _numbers(html)
    assert _numbers(html) == {cases["routed"].number, cases["unrouted"].number, cases["closed"].number}
    city = signed_in(heze.users.city_office).get("/ledger?view=all").content.decode()
    assert cases["shan"].number in _numbers(city)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"county": "shanxian"}, {"shan"}),
        ({"unit": "caoxian-zjj"}, {"routed", "closed"}),
        ({"category": "construction"}, {"routed", "shan", "closed"}),  # a category takes its subcategories along
        ({"state": "closed"}, {"closed"}),
        ({"kind": "complaint"}, {"unrouted"}),
        ({"satisfaction": "satisfied"}, {"closed"}),
    ],
)
def test_ledger_filters_by_county_unit_category_state(heze, signed_in, cases, query, expected):
    html = signed_in(heze.users.city_office).get("/ledger", {"view": "all", **query}).content.decode()
    assert _numbers(html) == {cases[k].number for k in expected}


def test_ledger_filters_by_submission_date(heze, signed_in, cases):
    client = signed_in(heze.users.city_office)
    today = cases["routed"].submitted_at.astimezone().date()
    assert (
        len(_numbers(client.get("/ledger", {"view": "all", "date_from": today, "date_to": today}).content.decode()))
        == 4
    )
    later = today.replace(year=today.year + 1)
    assert _numbers(client.get("/ledger", {"view": "all", "date_from": later}).content.decode()) == set()


def test_ledger_filter_errors_are_shown_beside_the_fields(heze, signed_in, cases):
    response = signed_in(heze.users.city_office).get(
        "/ledger", {"date_from": "2026-12-01", "date_to": "2026-11-01", "county": "nowhere"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "结束日期不能早于开始日期" in html and 'id="id_county_error"' in html


def test_supervised_list_holds_cases_under_a_supervision_notice(heze, signed_in, cases):
    routed = Case.objects.get(pk=cases["routed"].pk)
    sweeper.sweep(now=routed.supervise_at)
    html = signed_in(heze.users.cao_office).get("/ledger?view=supervised").content.decode()
    assert _numbers(html) == {cases["routed"].number} and "督办1次" in html
    assert re.search(r'督办中 <span class="count">1</span>', html)


def test_ledger_exports_the_filtered_cases_to_xlsx_with_chinese_headers(heze, signed_in, cases):
    response = signed_in(heze.users.city_office).get("/ledger.xlsx", {"view": "all", "county": "caoxian"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheet_names == ["台账"]
    rows = book.get_sheet_by_name("台账").to_python()
    header = rows[0]
    assert header[:6] == ["工单编号", "标题", "诉求内容", "诉求类型", "问题分类", "企业"] and "满意度" in header
    body = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert set(body) == {cases[k].number for k in ("routed", "unrouted", "closed")}
    closed = body[cases["closed"].number]
    assert closed["状态"] == "已办结" and closed["满意度"] == "满意" and closed["主办单位"] == "曹县住房和城乡建设局"
    assert closed["诉求类型"] == "建议" and closed["是否超期"] == "否"
    assert body[cases["unrouted"].number]["主办单位"] == ""


def test_export_stays_inside_the_scope(heze, signed_in, cases):
    response = signed_in(heze.users.cao_office).get("/ledger.xlsx", {"view": "all", "county": "shanxian"})
    # 单县 is not offered to 曹县's office: the filter is refused, nothing is exported.
    assert response.status_code == 422


def test_enterprise_cannot_open_the_ledger_or_its_export(heze, signed_in, cases):
    client = signed_in(heze.users.ent_cao)
    assert client.get("/ledger").status_code == 403
    assert client.get("/ledger.xlsx").status_code == 403


# ---- leader's dashboard ------------------------------------------------------------------------------


@pytest.fixture
def rolled(cases):
    """The cases above, summed by the metrics rollup as the worker does every minute."""
    from whistle.dashboard import case_rollup

    case_rollup.refresh()
    return cases


def test_dashboard_counts_this_months_cases_and_links_every_number(heze, signed_in, rolled):
    client = signed_in(heze.users.city_leader)
    html = client.get(this_month()).content.decode()
    stats = dict(re.findall(r'<a href="([^"]+)"><span class="n">([^<]+)</span>', html))
    by_label = {
        label: (href, n)
        for href, n, label in re.findall(r'<a href="([^"]+)"><span class="n">([^<]+)</span>([^<]+)</a>', html)
    }
    assert by_label["本月受理"][1] == "4" and by_label["在办"][1] == "3" and by_label["已办结"][1] == "1"
    assert by_label["解决率"][1] == "100.0%" and by_label["满意率"][1] == "100.0%"
    assert stats  # every figure above is a link
    # Following a figure's link lists exactly the cases it counted.
    for label in ("本月受理", "在办", "已办结"):
        href = by_label[label][0].replace("&amp;", "&")
        assert len(_numbers(client.get(href).content.decode())) == int(by_label[label][1]), label
    assert "曹县人民政府" in html and "单县人民政府" in html and "曹县住房和城乡建设局" in html
    assert "echarts.common.min.js" in html and 'id="chart-data"' in html


def test_county_leader_dashboard_covers_only_the_county(heze, signed_in, rolled):
    html = signed_in(heze.users.cao_leader).get(this_month()).content.decode()
    assert "单县人民政府" not in html
    assert re.search(r'<span class="n">3</span>本月受理', html)


def test_dashboard_county_row_links_to_that_countys_cases(heze, signed_in, rolled):
    client = signed_in(heze.users.city_leader)
    html = client.get(this_month()).content.decode()
    href = re.search(r'<td>单县人民政府</td><td><a href="([^"]+)">1</a>', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlparse(href).query)["county"] == ["shanxian"]
    assert _numbers(client.get(href).content.decode()) == {rolled["shan"].number}


def test_handler_has_no_dashboard(heze, signed_in):
    assert signed_in(heze.users.cao_zjj).get("/dashboard").status_code == 403


# ---- admin -----------------------------------------------------------------------------------------


@pytest.fixture
def sysadmin(heze, django_user_model):
    from whistle.org.models import Membership

    user = django_user_model.objects.create_superuser("admin", password="Whistle-admin-2026")
    Membership.objects.create(user=user, role="sysadmin", display_name="管理员")
    return user


@pytest.mark.parametrize(
    "model",
    [
        "org/unit",
        "auth/user",
        "org/membership",
        "cases/category",
        "cases/dispatchrule",
        "cases/slaprofile",
        "core/holidayoverride",
        "core/ruleparameter",
        "enterprises/enterprise",
    ],
)
def test_admin_edits_the_rules_as_data_in_chinese(heze, signed_in, sysadmin, model):
    client = signed_in(sysadmin)
    listing = client.get(f"/admin/{model}/")
    assert listing.status_code == 200
    assert "管理后台" in listing.content.decode() or "系统管理" in listing.content.decode()
    assert client.get(f"/admin/{model}/add/").status_code == 200


def test_admin_is_linked_from_the_nav_for_sysadmins_only(heze, signed_in, sysadmin):
    assert 'href="/admin/"' in signed_in(sysadmin).get("/ledger").content.decode()
    assert 'href="/admin/"' not in signed_in(heze.users.city_office).get("/ledger").content.decode()


def test_admin_saves_a_holiday_override_and_a_dispatch_rule(heze, signed_in, sysadmin):
    from whistle.cases.models import DispatchRule
    from whistle.core.models import HolidayOverride

    client = signed_in(sysadmin)
    response = client.post(
        "/admin/core/holidayoverride/add/", {"date": "2027-10-09", "is_working_day": "on", "note": "国庆调休上班"}
    )
    assert response.status_code == 302
    assert HolidayOverride.objects.get(date="2027-10-09").is_working_day
    rule = DispatchRule.objects.get(category=heze.cat_market)
    response = client.post(
        f"/admin/cases/dispatchrule/{rule.pk}/change/",
        {"category": heze.cat_market.pk, "area": heze.cao.pk, "unit": heze.cao_scjg.pk},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.area == heze.cao and rule.unit == heze.cao_scjg


def test_a_units_ledger_lists_only_its_own_cases_without_the_offices_queues(heze, signed_in, cases):
    html = signed_in(heze.users.cao_zjj).get("/ledger?view=all").content.decode()
    assert _numbers(html) == {cases["routed"].number, cases["closed"].number}
    assert "待派单" not in html and "督办中" in html
