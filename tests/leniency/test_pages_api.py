"""不罚/轻罚 over HTTP and in scope: who sees which inspections, the pages an inspector, an enterprise and a leader use,
the API, a 吹哨 case raised about an inspection, the monthly figures (.xlsx, printable report, cockpit), repeated
inspections, and the worker's jobs."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.api.conftest import Api
from tests.conftest import PASSWORD, at
from tests.leniency.conftest import ALL_YES, LICENCE, record
from whistle.cases.models import Case
from whistle.core.errors import Forbidden, NotFound
from whistle.leniency import jobs, selectors, services
from whistle.leniency.models import CorrectionOrder, Decision, FindingState, FlagKind, InspectionCase, ItemFlag


def ordered(heze, day=dt.date(2026, 3, 10)):
    finding = record(heze, day=day)
    return services.finding_decide(
        heze.actor("cao_inspector"),
        finding.pk,
        decision=Decision.NO_PENALTY,
        item=heze.item("sd-2021", "1").pk,
        answers=ALL_YES,
        fine_standard=2000,
        now=at(day.year, day.month, day.day, 11),
    )


def test_inspections_are_seen_by_the_department_the_enterprise_and_the_territory(lists):
    cao = record(lists)
    shan = record(lists, "施工现场未设置工程概况牌", user="shan_inspector", enterprise=lists.ent_shan)
    seen = lambda user: set(selectors.finding_list(lists.actor(user)).values_list("pk", flat=True))  # noqa: E731
    assert seen("cao_inspector") == {cao.pk}
    assert seen("cao_scjg_admin") == {cao.pk}
    assert seen("cao_zjj_inspector") == set()  # another department of the same county
    assert seen("ent_cao") == {cao.pk} and seen("ent_shan") == {shan.pk}
    assert seen("cao_office") == {cao.pk} and seen("cao_leader") == {cao.pk}
    assert seen("city_leader") == {cao.pk, shan.pk} and seen("auditor") == {cao.pk, shan.pk}
    assert seen("cao_zjj") == set()  # a case handler sees no inspections
    with pytest.raises(NotFound):
        selectors.finding_get(lists.actor("shan_inspector"), cao.pk)


def test_an_inspector_records_only_for_enterprises_of_their_county(lists):
    with pytest.raises(services.Invalid) as refused:
        record(lists, enterprise=lists.ent_shan)
    assert refused.value.code == "unknown_enterprise"
    with pytest.raises(Forbidden):
        services.inspection_record(
            lists.actor("cao_zjj"), enterprise=lists.ent_cao, inspected_on="2026-03-01", subject="x"
        )


def test_an_inspector_sees_no_cases(lists, client):
    from whistle.cases.selectors import case_list

    assert not case_list(lists.actor("cao_inspector")).exists()
    client.force_login(lists.users.cao_inspector)
    assert client.get("/")["Location"] == "/leniency/"


def test_inspector_pages_record_suggest_and_decide(lists, client):
    client.force_login(lists.users.cao_inspector)
    page = client.get("/leniency/inspections/new")
    assert page.status_code == 200 and lists.ent_cao.uscc in page.content.decode()
    response = client.post(
        "/leniency/inspections/new",
        {
            "enterprise": lists.ent_cao.uscc,
            "inspected_on": "2026-03-10",
            "subject": "日常检查",
            "kind": "routine",
            "findings": LICENCE,
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    item = lists.item("sd-2021", "1")
    assert "采纳：不予处罚" in page and item.violation in page and "近期无同类违法记录" in page
    finding = selectors.finding_list(lists.actor("cao_inspector")).get()
    refused = client.post(f"/leniency/findings/{finding.pk}/decide", {"item": item.pk, "decision": "no_penalty"})
    assert refused.status_code == 422 and "请现场确认" in refused.content.decode()
    response = client.post(
        f"/leniency/findings/{finding.pk}/decide",
        {
            "item": item.pk,
            "decision": "no_penalty",
            "answer_minor": "1",
            "answer_no_harm": "1",
            "answer_corrected_promptly": "1",
            "days": "5",
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.ORDERED and finding.order.days == 5


def test_bad_input_on_the_pages_is_a_chinese_4xx(lists, client):
    client.force_login(lists.users.cao_inspector)
    response = client.post("/leniency/inspections/new", {"enterprise": "nobody", "inspected_on": "2026-13-40"})
    assert response.status_code == 422 and "企业不存在" in response.content.decode()
    finding = record(lists)
    response = client.post(f"/leniency/findings/{finding.pk}/decide", {"decision": "no_penalty", "item": "abc"})
    assert response.status_code == 422
    client.force_login(lists.users.city_leader)
    assert client.get("/leniency/figures?month=2026-99").status_code == 422


def test_the_enterprise_sees_its_order_reports_correction_and_answers(lists, client):
    finding = ordered(lists)
    client.force_login(lists.users.ent_cao)
    home = client.get("/leniency/").content.decode()
    assert "待改正事项" in home and finding.order.due_on.strftime("%Y年%-m月%-d日") in home
    page = client.get(f"/leniency/findings/{finding.pk}/").content.decode()
    assert "报告已改正" in page and "采纳" not in page
    assert client.post(f"/leniency/findings/{finding.pk}/reply", {"text": "营业执照已重新悬挂"}).status_code == 302
    assert client.post(f"/leniency/findings/{finding.pk}/report", {"report": "已悬挂"}).status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.REPORTED
    client.force_login(lists.users.ent_shan)
    assert client.get(f"/leniency/findings/{finding.pk}/").status_code == 404


def test_the_enterprise_raises_a_case_linked_to_the_inspection(lists, client):
    finding = record(lists)
    client.force_login(lists.users.ent_cao)
    response = client.post(
        f"/leniency/inspections/{finding.inspection_id}/case",
        {
            "category": "market",
            "kind": "complaint",
            "description": "一周内被三个部门检查，影响生产",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}"
    assert case.enterprise == lists.ent_cao and case.external_ref == f"leniency-inspection:{finding.inspection_id}"
    assert "行政检查" in case.description
    assert InspectionCase.objects.get().inspection_id == finding.inspection_id
    assert case.events.filter(action="submit").exists()  # through the case service: the workflow's own events
    page = client.get(f"/leniency/inspections/{finding.inspection_id}/").content.decode()
    assert case.number in page
    with pytest.raises(NotFound):
        services.inspection_raise_case(
            lists.actor("ent_shan"), finding.inspection_id, category="market", description="x"
        )


def test_the_api_runs_the_whole_loop(lists, client):
    api = Api(client, lists)
    response = api.post(
        "/api/v1/leniency/suggest",
        "cao_inspector",
        {
            "description": LICENCE,
            "enterprise": lists.ent_cao.uscc,
            "inspected_on": "2026-03-10",
        },
    )
    assert response.status_code == 200 and response.json()[0]["item"]["number"] == "1"
    response = api.post(
        "/api/v1/leniency/inspections",
        "cao_inspector",
        {
            "enterprise": lists.ent_cao.uscc,
            "inspected_on": "2026-03-10",
            "subject": "日常检查",
            "findings": [LICENCE],
        },
    )
    assert response.status_code == 201
    fid = response.json()["findings"][0]["id"]
    detail = api.get(f"/api/v1/leniency/findings/{fid}", "cao_inspector").json()
    item = detail["suggestions"][0]["item"]["id"]
    response = api.post(
        f"/api/v1/leniency/findings/{fid}/decision",
        "cao_inspector",
        {
            "decision": "no_penalty",
            "item": item,
            "answers": ALL_YES,
            "fine_standard": "2000",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["order"]["due_on"]
    bad = api.post(
        f"/api/v1/leniency/findings/{fid}/decision", "cao_inspector", {"decision": "ordinary", "reason": "x"}
    )
    assert bad.status_code == 409 and bad.json()["code"] == "already_decided"
    assert api.post(f"/api/v1/leniency/findings/{fid}/report", "ent_shan", {"report": "x"}).status_code == 404
    assert api.post(f"/api/v1/leniency/findings/{fid}/report", "ent_cao", {"report": "已改正"}).status_code == 200
    response = api.post(f"/api/v1/leniency/findings/{fid}/recheck", "cao_inspector", {"corrected": True})
    assert response.status_code == 200 and response.json()["state"] == "closed"
    figures = api.get("/api/v1/leniency/figures", "city_leader", {"month": "2026-03"}).json()
    assert figures["totals"]["no_penalty"] == 1 and figures["totals"]["corrected"] == 1
    assert api.get("/api/v1/leniency/figures", "ent_cao").status_code == 403


def test_monthly_figures_per_department_export_report_and_cockpit(lists, client):
    ordered(lists)
    light = record(lists, "检查发现食品从业人员未取得健康证明从事接触直接入口食品的工作")
    services.finding_decide(
        lists.actor("cao_inspector"),
        light.pk,
        decision=Decision.LIGHT_PENALTY,
        item=lists.item("sd-2021", "10").pk,
        answers=ALL_YES,
        fine_standard=10000,
        fine_imposed=2000,
        now=at(2026, 3, 10, 11),
    )
    dev = record(lists)
    dev = services.finding_decide(
        lists.actor("cao_inspector"),
        dev.pk,
        decision=Decision.ORDINARY,
        answers=ALL_YES,
        fine_standard=5000,
        reason="拒不配合检查",
    )
    record(lists, "施工现场未设置工程概况牌", user="shan_inspector", enterprise=lists.ent_shan)
    month = dt.date(2026, 3, 1)
    data = selectors.monthly_figures(lists.actor("city_leader"), month)
    row = next(r for r in data["rows"] if r["unit"] == lists.cao_scjg)
    assert (row["inspections"], row["findings"], row["no_penalty"], row["light_penalty"]) == (3, 3, 1, 1)
    assert row["not_imposed"] == 2000 + 8000 and row["deviations"] == 1
    assert data["totals"]["inspections"] == 4
    cao = selectors.monthly_figures(lists.actor("cao_office"), month)
    assert cao["totals"]["inspections"] == 3  # 单县's inspection is outside 曹县's office
    client.force_login(lists.users.city_leader)
    page = client.get("/leniency/figures?month=2026-03").content.decode()
    assert "曹县市场监督管理局" in page and "拒不配合检查" in page
    response = client.get("/leniency/figures.xlsx?month=2026-03")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_name("2026-03按部门").to_python()
    assert rows[0][0] == "执法部门" and rows[-1][0] == "合计" and rows[-1][1] == 4
    report = client.get("/leniency/report?month=2026-03").content.decode()
    assert "“不罚”“轻罚”清单执行情况月报" in report and "共开展涉企行政检查 4 户次" in report
    assert "TODO" not in report and "rules.md" not in report
    summary = selectors.cockpit_summary(lists.actor("city_leader"), month)
    assert summary["totals"]["no_penalty"] == 1 and summary["pending_approval"] == 1
    assert selectors.cockpit_summary(lists.actor("ent_cao"), month) is None


def test_repeated_inspections_of_one_enterprise_by_several_departments(lists):
    record(lists, day=dt.date(2026, 3, 2))
    record(lists, "施工现场未设置工程概况牌", day=dt.date(2026, 3, 9), user="cao_zjj_inspector")
    record(lists, day=dt.date(2026, 3, 20))  # the same department again: still two departments
    rows = selectors.repeated_inspections(lists.actor("cao_office"), dt.date(2026, 3, 1))
    assert [(r["name"], r["departments"], r["inspections"]) for r in rows] == [("曹县木业有限公司", 2, 3)]
    assert selectors.repeated_inspections(lists.actor("cao_office"), dt.date(2026, 4, 1)) == []


def test_correction_sweep_marks_overdue_orders_and_reminds_once(lists):
    finding = ordered(lists)
    order = finding.order
    after = timezone.make_aware(dt.datetime.combine(order.due_on + dt.timedelta(days=1), dt.time(9)))

    def marks(now):
        result = jobs.correction_sweep(now)
        return result["overdue"], result["recheck_reminders"]

    assert marks(at(2026, 3, 11)) == (0, 0)
    assert marks(after) == (1, 1)
    assert marks(after) == (0, 0)
    assert CorrectionOrder.objects.get().overdue_at == after


def test_yearly_review_flags_items_often_deviated_and_never_used(lists):
    for day in range(2, 8):
        f = record(
            lists,
            day=dt.date(2025, 3, day),
            enterprise=lists.ent_cao.__class__.objects.create(
                uscc=f"91371721MA3C5TXL{day}{day}",
                name=f"曹县商户{day}",
                county=lists.cao,
                contact_name="x",
                contact_phone="13905300009",
            ),
        )
        services.finding_decide(
            lists.actor("cao_inspector"),
            f.pk,
            decision=Decision.ORDINARY,
            answers=ALL_YES,
            reason="从严",
            now=at(2025, 3, day, 11),
        )
    result = jobs.yearly_review(at(2026, 1, 2))
    assert result["flags"] > 0
    often = ItemFlag.objects.get(kind=FlagKind.OFTEN_DEVIATED)
    assert often.item == lists.item("sd-2021", "1") and often.matched == 6 and often.deviated == 6
    assert often.reasons == ["从严"]
    unused = set(ItemFlag.objects.filter(kind=FlagKind.UNUSED).values_list("item__version__code", flat=True))
    assert unused == {"sd-2021", "heze-2022"}  # sd-2020 was not in force all of 2025
    assert jobs.yearly_review(at(2026, 1, 3)) == {"flags": 0}


def test_lists_pages_show_versions_items_reviews_and_the_diff(lists, client):
    client.force_login(lists.users.cao_inspector)
    page = client.get("/leniency/lists/").content.decode()
    assert "山东省轻微违法行为不予处罚、从轻减轻处罚清单（2021年版）" in page and "通过" in page
    v2021 = lists.versions["sd-2021"]
    page = client.get(f"/leniency/lists/{v2021.pk}/").content.decode()
    assert "山东省司法厅" in page and "登记审查" not in page  # an inspector reads, does not review
    diff = selectors.version_diff(lists.versions["sd-2020"], v2021)
    assert {i.number for i in diff["added"]} == {"9", "15", "19", "22", "28", "29", "30", "31"}
    assert [c["new"].number for c in diff["changed"]] == ["2"]
    page = client.get(f"/leniency/lists/{v2021.pk}/diff").content.decode()
    assert "新增 8 项" in page and "适用条件" in page
    assert client.get(f"/leniency/items/{lists.item('sd-2021', '1').pk}/").status_code == 200
    assert client.post(f"/leniency/lists/{v2021.pk}/review", {"decision": "approve"}).status_code == 403


def test_a_sysadmin_records_a_legality_review_with_who_and_when(lists, client):
    from django.contrib.auth import get_user_model

    from whistle.org.models import Membership

    root = get_user_model().objects.create_user("root", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=root, role="sysadmin")
    client.force_login(root)
    response = client.post(
        "/leniency/lists/",
        {
            "code": "heze-2026",
            "name": "菏泽市补充清单（2026）",
            "level": "city",
            "region": "heze",
            "effective_from": "2026-01-01",
        },
    )
    assert response.status_code == 302
    version = services.ListVersion.objects.get(code="heze-2026")
    refused = client.post(
        f"/leniency/lists/{version.pk}/review",
        {
            "decision": "approve",
            "reviewer_unit": "菏泽市司法局",
            "reviewer_name": "李审查",
            "reviewed_on": "2025-12-20",
        },
    )
    assert refused.status_code == 409  # no items yet
    services.item_save(
        version,
        {
            "number": "1",
            "field": services.field_get_or_create(version, "城市管理"),
            "treatment": "no_penalty",
            "violation": "占道经营",
            "legal_basis": "x",
            "conditions": [],
        },
    )
    assert (
        client.post(
            f"/leniency/lists/{version.pk}/review",
            {
                "decision": "approve",
                "reviewer_unit": "菏泽市司法局",
                "reviewer_name": "李审查",
                "reviewed_on": "2025-12-20",
            },
        ).status_code
        == 302
    )
    review = version.reviews.get()
    assert review.approved and review.recorded_by == root and review.reviewer_name == "李审查"
