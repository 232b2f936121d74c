"""The pages and the API over the real HTTP stack: the board, a unit's list, a task's page offering exactly the
steps the server accepts, the cockpit's section with its drill-down, the public page, the monthly 通报."""

import io
import json
import zipfile

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from tests.api.conftest import Api
from tests.reforms.conftest import at, make_task, pdf
from whistle.reforms import lights, services
from whistle.reforms.models import Task, TaskEvent


def signed_in(heze, name) -> Client:
    client = Client()
    client.force_login(getattr(heze.users, name))
    return client


@pytest.fixture
def red(reform):
    task = make_task(reform, due_on="2026-03-31", title="推行企业开办一日办结")
    lights.sweep(at(2026, 4, 2))
    return Task.objects.get(pk=task.pk)


def test_the_board_counts_by_light_area_and_unit_and_links_to_the_lists(reform, red):
    page = signed_in(reform, "gaige").get("/reforms/?year=2026")
    assert page.status_code == 200
    text = page.content.decode()
    assert "改革任务看板" in text and "经济体制改革" in text and "曹县住房和城乡建设局" in text
    assert page.context["b"]["red"] == 1
    listed = signed_in(reform, "gaige").get("/reforms/tasks?year=2026&light=red&state=open")
    assert [t.pk for t in listed.context["page_obj"]] == [red.pk]


def test_a_unit_sees_its_own_list_and_the_task_offers_only_its_steps(reform, red):
    client = signed_in(reform, "cao_zjj")
    mine = client.get("/reforms/mine")
    assert red.title in mine.content.decode()
    page = client.get(f"/reforms/tasks/{red.pk}/")
    assert page.context["allowed"] == ["report", "submit"]
    text = page.content.decode()
    assert "报送进展" in text and "验收通过" not in text and "销号</button>" not in text
    # The office sees no report form for a unit's task, only what it may do once the task is submitted.
    office = signed_in(reform, "gaige").get(f"/reforms/tasks/{red.pk}/")
    assert office.context["allowed"] == []


def test_a_report_with_an_evidence_file_through_the_form(reform, red):
    client = signed_in(reform, "cao_zjj")
    response = client.post(
        f"/reforms/tasks/{red.pk}/report", {"text": "方案已印发", "progress": "35", "files": [pdf("方案.pdf")]}
    )
    assert response.status_code == 302
    event = TaskEvent.objects.get(task=red, kind="report")
    assert event.progress == 35 and event.files.get().name == "方案.pdf"
    download = client.get(f"/reforms/files/{event.files.get().pk}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    # A file that is not what it says is refused with the field named, and nothing is written.
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")
    refused = client.post(f"/reforms/tasks/{red.pk}/report", {"text": "x", "files": [fake]})
    assert refused.status_code == 422 and "不支持的文件类型" in refused.content.decode()
    assert TaskEvent.objects.filter(task=red, kind="report").count() == 1


def test_the_cockpit_shows_the_reform_section_with_a_drill_down_to_the_red_task(reform, red):
    cockpit = signed_in(reform, "city_leader").get("/dashboard")
    text = cockpit.content.decode()
    assert "改革任务" in text and f"/reforms/tasks/{red.pk}/" in text
    detail = signed_in(reform, "city_leader").get(f"/reforms/tasks/{red.pk}/")
    assert detail.status_code == 200 and detail.context["allowed"] == []
    # A county leader elsewhere does not see it.
    other = make_task(reform, lead="shanxian-zjj", due_on="2026-03-31", title="单县任务")
    lights.sweep(at(2026, 4, 2))
    assert signed_in(reform, "cao_leader").get(f"/reforms/tasks/{other.pk}/").status_code == 404


def test_the_public_page_shows_only_published_tasks_without_staff_names(reform):
    task = make_task(reform, is_public=True)
    services.report_add(reform.actor("cao_zjj"), task.pk, text_value="已完成试点", progress=30, now=at(2026, 2, 2))
    page = Client().get(f"/reforms/public/{task.pk}")
    text = page.content.decode()
    assert page.status_code == 200 and "已完成试点" in text and "cao_zjj" not in text
    hidden = make_task(reform, title="内部任务")
    assert Client().get(f"/reforms/public/{hidden.pk}").status_code == 404


def test_the_monthly_bulletin_prints_and_downloads(reform, red):
    client = signed_in(reform, "gaige")
    page = client.get("/reforms/bulletin?month=2026-04")
    text = page.content.decode()
    assert "重点改革任务推进情况通报" in text and red.title in text and "督办函" in text
    assert "reform_on_time" not in text and "code" not in text.split("<main")[1].split("</main>")[0].lower().replace(
        "<code", ""
    )
    sheet = client.get("/reforms/bulletin.xlsx?month=2026-04")
    book = CalamineWorkbook.from_filelike(io.BytesIO(sheet.content))
    assert book.sheet_names == ["分领域", "红黄灯任务", "提醒与督办函", "本月销号"]
    assert book.get_sheet_by_name("红黄灯任务").to_python()[1][1] == red.title
    assert client.get("/reforms/bulletin?month=2026-13").status_code == 422


def test_user_text_reaches_the_export_as_text(reform):
    make_task(reform, title='=HYPERLINK("http://x","点我")')
    data = signed_in(reform, "gaige").get("/reforms/tasks.xlsx?year=2026").content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("改革任务").to_python()
    assert rows[1][3].startswith("=HYPERLINK")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()  # a string, never a formula


def test_the_api_runs_a_task_from_report_to_close(reform, client):
    api = Api(client, reform)
    task = make_task(reform)
    report = api.post(f"/api/v1/reforms/tasks/{task.pk}/reports", "cao_zjj", {"text": "推进中", "progress": 40})
    assert report.status_code == 201, report.content
    refused = api.post(f"/api/v1/reforms/tasks/{task.pk}/close", "gaige", {})
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"
    services.task_submit(reform.actor("cao_zjj"), task.pk, text_value="完成", files=[pdf()])
    assert api.post(f"/api/v1/reforms/tasks/{task.pk}/accept", "gaige", {"text": "好"}).json()["state"] == "accepted"
    closed = api.post(f"/api/v1/reforms/tasks/{task.pk}/close", "gaige", {}).json()
    assert closed["state"] == "closed"
    detail = api.get(f"/api/v1/reforms/tasks/{task.pk}", "cao_leader").json()
    assert [e["kind"] for e in detail["events"]] == ["create", "report", "submit", "accept", "close"]
    summary = api.get("/api/v1/reforms/summary", "city_leader").json()
    assert summary["closed"] == 1
    missing = api.get("/api/v1/reforms/tasks/99999999", "cao_zjj")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/problem+json")
    bad = api.post(f"/api/v1/reforms/tasks/{task.pk}/reports", "cao_zjj", {"text": "x", "progress": 101})
    assert bad.status_code in (409, 422)


def test_the_api_creates_a_task_with_milestones_and_refuses_bad_input_by_field(reform, client):
    api = Api(client, reform)
    body = {
        "title": "推进排污权交易改革",
        "area": "ecology",
        "lead_unit": "caoxian-zjj",
        "starts_on": "2026-01-01",
        "due_on": "2026-12-31",
        "milestones": [{"name": "方案出台", "due_on": "2026-03-31"}],
    }
    created = api.post("/api/v1/reforms/tasks", "gaige", body)
    assert created.status_code == 201 and created.json()["next_due_on"] == "2026-03-31"
    bad = api.post("/api/v1/reforms/tasks", "gaige", {**body, "due_on": "2025-12-31"})
    assert bad.status_code == 422 and bad.json()["field"] == "due_on"
    bad = api.post("/api/v1/reforms/tasks", "gaige", {**body, "milestones": [{"name": "x", "due_on": "2027-01-01"}]})
    assert bad.json()["code"] == "milestone_out_of_range"
    assert api.post("/api/v1/reforms/tasks", "cao_zjj", body).status_code == 403
    assert Task.objects.count() == 1


def test_the_api_board_by_area(reform, red, client):
    board = Api(client, reform).get("/api/v1/reforms/board?year=2026", "gaige").json()
    assert board["red"] == 1 and board["by_area"][0]["area"] == "economy"
    assert json.dumps(board, ensure_ascii=False)
