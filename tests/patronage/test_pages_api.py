"""The pages and the API over real HTTP (Django test client): portfolio, visit → case, coverage export, import, scopes."""

import io
import json

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from tests.conftest import PASSWORD
from whistle.cases.models import Case
from whistle.patronage.models import Patronage, Visit

from .test_import import GOOD, workbook


def login(username):
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_leader_portfolio_page_and_nav(assigned):
    page = login("cao_leader").get("/patronage/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "我的包保" in body and "曹县木业有限公司" in body and 'href="/patronage/"' in body


def test_enterprise_user_and_handler_see_nothing(assigned):
    for name in ("ent_cao", "cao_zjj"):
        client = login(name)
        assert client.get("/patronage/").status_code == 403
        assert client.get(f"/patronage/{assigned.patronage.pk}/").status_code == 403
        assert client.get("/api/v1/patronage/portfolio").status_code == 404
        assert client.get(f"/api/v1/patronage/patronages/{assigned.patronage.pk}").status_code == 404


def test_outside_scope_is_404(assigned):
    assert login("shan_office").get(f"/patronage/{assigned.patronage.pk}/").status_code == 404
    response = login("shan_office").get(f"/api/v1/patronage/patronages/{assigned.patronage.pk}")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")


def test_visit_and_problem_to_case_through_pages(assigned):
    client = login("cao_leader")
    response = client.post(
        f"/patronage/{assigned.patronage.pk}/visits",
        {
            "visited_on": "2026-03-10",
            "participants": "县长、住建局",
            "raised": "道路积水",
            "decided": "一周内查勘",
            "problems": "厂区道路积水\n\n施工许可慢",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.problems.count() == 2
    bad = client.post(f"/patronage/{assigned.patronage.pk}/visits", {"visited_on": "2026-03-10", "participants": ""})
    assert bad.status_code == 422 and "请填写参加人员" in bad.content.decode()
    problem = visit.problems.first()
    response = client.post(f"/patronage/problems/{problem.pk}/case", {"category": "construction", "kind": "help"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}"
    page = client.get(f"/patronage/{assigned.patronage.pk}/").content.decode()
    assert f"工单 {case.number}" in page
    refused = client.post(f"/patronage/problems/{visit.problems.last().pk}/case", {"category": "nope"})
    assert refused.status_code == 422 and "问题分类不存在" in refused.content.decode()


def test_coordinator_assigns_changes_and_ends_through_pages(key):
    client = login("cao_office")
    bad = client.post(
        "/patronage/assign",
        {
            "kind": "enterprise",
            "target": key.ent_cao.uscc,
            "leader": "nobody",
            "lead_unit": "caoxian-zjj",
            "started_on": "2026-01-05",
        },
    )
    assert bad.status_code == 422 and "包保领导不存在" in bad.content.decode()
    response = client.post(
        "/patronage/assign",
        {
            "kind": "enterprise",
            "target": key.ent_cao.uscc,
            "leader": "cao_leader",
            "lead_unit": "caoxian-zjj",
            "started_on": "2026-01-05",
            "task_force": "张三/caoxian-zjj/联络员\n李四",
        },
    )
    p = Patronage.objects.get()
    assert response.status_code == 302 and p.task_force.count() == 2
    reversed_end = client.post(f"/patronage/{p.pk}/end", {"ended_on": "2025-01-01", "reason": "x"})
    assert reversed_end.status_code == 422 and "结束日期不能早于" in reversed_end.content.decode()
    client.post(
        f"/patronage/{p.pk}/change",
        {"leader": "city_leader", "lead_unit": "caoxian-zjj", "changed_on": "2026-05-01", "reason": "分工调整"},
    )
    assert list(Patronage.objects.order_by("pk").values_list("leader__username", "ended_on__month")) == [
        ("cao_leader", 5),
        ("city_leader", None),
    ]
    assert login("cao_leader").post("/patronage/assign", {}).status_code == 403


def test_coverage_page_and_export(assigned):
    client = login("city_leader")
    page = client.get("/patronage/coverage?year=2026")
    assert page.status_code == 200 and "规上企业遍访率" in page.content.decode()
    export = client.get("/patronage/coverage.xlsx?year=2026")
    assert export.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(export.streaming_content)))
    assert book.sheet_names == ["概况", "按县区", "按领导", "包保对象", "滞后项目"]
    counties = book.get_sheet_by_name("按县区").to_python()
    assert counties[0] == ["县区编码", "县区", "规上企业", "已走访", "遍访率(%)"]
    assert [r[0] for r in counties[1:]] == ["caoxian", "shanxian"]


def test_import_page_with_rejects_download(heze):
    client = login("cao_office")
    upload = io.BytesIO(workbook(GOOD))
    upload.name = "包保.xlsx"
    page = client.post("/patronage/import", {"file": upload})
    assert page.status_code == 200 and "退回6行" in page.content.decode()
    rejects = client.get("/patronage/import/rejects.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(rejects.content)).get_sheet_by_name("退回行").to_python()
    assert len(rows) == 7
    assert client.post("/patronage/import", {}).status_code == 422
    assert client.get("/patronage/import/template.xlsx").status_code == 200


def test_api_round_trip(key):
    office, leader = login("cao_office"), login("cao_leader")
    post = lambda c, url, body: c.post(url, json.dumps(body), content_type="application/json")  # noqa: E731
    created = post(
        office,
        "/api/v1/patronage/patronages",
        {
            "kind": "enterprise",
            "target": key.ent_cao.uscc,
            "leader": "cao_leader",
            "lead_unit": "caoxian-zjj",
            "started_on": "2026-01-05",
            "task_force": [{"name": "张三", "unit": "caoxian-zjj"}],
        },
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    again = post(
        office,
        "/api/v1/patronage/patronages",
        {
            "kind": "enterprise",
            "target": key.ent_cao.uscc,
            "leader": "cao_leader",
            "lead_unit": "caoxian-zjj",
            "started_on": "2026-01-05",
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "patronage_active_exists"
    bad_date = post(office, f"/api/v1/patronage/patronages/{pk}/end", {"ended_on": "2025-01-01", "reason": "x"})
    assert bad_date.status_code == 422 and bad_date.json()["code"] == "dates_reversed"
    garbage = post(office, f"/api/v1/patronage/patronages/{pk}/end", {"ended_on": "not a date"})
    assert garbage.status_code == 422
    assert [p["id"] for p in leader.get("/api/v1/patronage/portfolio").json()] == [pk]
    visit = post(
        leader,
        f"/api/v1/patronage/patronages/{pk}/visits",
        {"visited_on": "2026-03-10", "participants": "县长", "problems": ["道路积水"]},
    )
    assert visit.status_code == 201
    problem = visit.json()["problems"][0]["id"]
    case = post(leader, f"/api/v1/patronage/problems/{problem}/case", {"category": "construction"})
    assert case.status_code == 201 and case.json()["channel"] == "visit"
    coverage = leader.get("/api/v1/patronage/coverage?year=2026").json()
    assert (
        coverage["summary"]["above_scale"] == 1
        and coverage["summary"]["visited"] == 1
        and coverage["summary"]["open_cases"] == 1
    )
    assert leader.get("/api/v1/patronage/coverage?year=99999").status_code == 422
    project = post(
        office,
        "/api/v1/patronage/projects",
        {
            "code": "XM-9",
            "name": "项目",
            "county": "caoxian",
            "planned_start": "2026-01-01",
            "planned_end": "2026-12-31",
        },
    )
    assert project.status_code == 201 and project.json()["behind_plan"] is not None
    reversed_project = post(
        office,
        "/api/v1/patronage/projects",
        {
            "code": "XM-10",
            "name": "项目",
            "county": "caoxian",
            "planned_start": "2026-06-01",
            "planned_end": "2026-01-01",
        },
    )
    assert reversed_project.status_code == 422 and reversed_project.json()["field"] == "planned_end"


@pytest.mark.parametrize("username", ["ent_cao", "cao_zjj"])
def test_api_nothing_for_enterprise_and_units(assigned, username):
    assert login(username).get("/api/v1/patronage/coverage").status_code == 404
