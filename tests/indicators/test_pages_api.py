"""The API for systems that push figures, the .xlsx import with its rejects report, the 通报 as .xlsx, and the pages
a reviewer and a unit land on."""

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from tests.api.conftest import Api, problem
from whistle.core import sheets
from whistle.indicators.models import Figure, Point


def test_a_system_pushes_a_figure_it_waits_for_review_and_the_same_push_again_writes_nothing(world, client):
    api = Api(client, world.heze)
    body = {"indicator": "retail", "region": "heze", "period": "2026-03", "value": 106.5, "source_note": "快报"}
    first = api.post("/api/v1/indicators/figures", "tianbao", body)
    assert first.status_code == 201 and first.json()["state"] == "pending"
    again = api.post("/api/v1/indicators/figures", "tianbao", body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Figure.objects.count() == 1
    problem(api.post("/api/v1/indicators/figures", "tianbao", {**body, "value": "很多"}), 422, "invalid_value", "value")
    problem(api.post("/api/v1/indicators/figures", "cao_zjj", body), 404, "series_not_found")
    pk = first.json()["id"]
    problem(
        api.post(f"/api/v1/indicators/figures/{pk}/review", "reviewer", {"decision": "maybe"}),
        422,
        "invalid_decision",
        "decision",
    )
    approved = api.post(f"/api/v1/indicators/figures/{pk}/review", "reviewer", {"decision": "approve", "note": "核实"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    series = api.get("/api/v1/indicators/series", "city_leader", {"indicator": "retail"}).json()
    assert series[0]["value"] == 106.5
    assert api.get("/api/v1/indicators/series", "ent_cao", {"indicator": "retail"}).status_code == 404


def _workbook(rows_data, rows_air=()):
    book = sheets.Book()
    book.table("数据", ["指标编码", "地区编码", "期别", "数值", "同比增长（%）", "数据来源说明"], rows_data)
    book.table(
        "乡镇空气", ["地区编码", "期别", "PM2.5", "PM10", "SO2", "NO2", "O3", "CO", "数据来源说明"], list(rows_air)
    )
    return book.close()


def test_xlsx_import_with_rejects_report_and_idempotent_rerun(world, client):
    data = _workbook(
        [
            ["retail", "heze", "2026-03", 106, None, "快报"],
            ["retail", "jinan", "2026-03", "abc", None, ""],
            ["industry_va", "heze", "2026-03", None, 8.2, ""],
            ["nosuch", "heze", "2026-03", 1, None, ""],
        ]
    )
    client.force_login(world.heze.users.tianbao)
    page = client.post("/indicators/import", {"file": SimpleUploadedFile("x.xlsx", data)})
    assert page.status_code == 200
    result = page.context["result"]
    assert result.created == 2 and len(result.rejects) == 2
    assert [r["row"] for r in result.rejects] == [3, 5]
    book = CalamineWorkbook.from_filelike(io.BytesIO(client.get("/indicators/import/rejects.xlsx").content))
    assert book.get_sheet_by_name("退回行").to_python()[1][3] == "数值须为数字"
    again = client.post("/indicators/import", {"file": SimpleUploadedFile("x.xlsx", data)}).context["result"]
    assert again.created == 0 and again.unchanged == 2
    assert Figure.objects.count() == 2
    # The reviewer approves the batch in one step.
    client.force_login(world.heze.users.reviewer)
    client.post("/indicators/review/batch", {"batch": result.batch})
    assert Figure.objects.filter(state="approved").count() == 2
    assert Point.objects.filter(indicator__code="industry_va").get().growth == Decimal("8.2")


def test_towns_monitoring_data_load_in_bulk(world, client):
    data = _workbook(
        [],
        [
            ["caoxian-zhuangzhai", "2026-03", 48, 86, 9, 28, 132, 1.2, ""],
            ["caoxian-zhuangzhai", "2026-03", "", "", "", "", "", "", ""],
        ],
    )
    client.force_login(world.heze.users.sthj)
    result = client.post("/indicators/import", {"file": SimpleUploadedFile("x.xlsx", data)}).context["result"]
    assert result.created == 6
    assert [(r["row"], r["reason"]) for r in result.rejects] == [(3, "至少填写一项污染物浓度")]


def test_report_xlsx_and_landing_pages(world, client):
    client.force_login(world.heze.users.reviewer)
    assert client.get("/").url == "/indicators/review"
    client.force_login(world.heze.users.city_leader)
    response = client.get("/indicators/report.xlsx?month=2026-03")
    assert response["Content-Type"] == sheets.XLSX
    assert CalamineWorkbook.from_filelike(io.BytesIO(response.content)).sheet_names == ["指标通报", "预警函"]
    assert client.get("/indicators/report?month=2026-03").status_code == 200
    client.force_login(world.heze.users.tianbao)
    owe = client.get("/indicators/owe")
    assert owe.status_code == 200 and owe.context["missing"] > 0
    assert client.get("/indicators/").status_code == 403  # the leader's page is not a unit's


def test_the_leaders_page_shows_the_overview_of_the_indicators_category_only(world, client):
    from whistle.indicators.models import Indicator

    client.force_login(world.heze.users.city_leader)
    retail = Indicator.objects.get(code="retail")
    page = client.get("/indicators/?indicator=retail")
    assert page.status_code == 200
    shown = {r["indicator"].code for r in page.context["overview"]}
    same = set(Indicator.objects.filter(is_active=True, category=retail.category).values_list("code", flat=True))
    assert shown == same and "retail" in shown
    assert Indicator.objects.filter(is_active=True).exclude(category=retail.category).exists()  # others left out
    assert f"本市{retail.get_category_display()}" in page.content.decode()
    # Every indicator stays one choice away in the selector.
    assert len(page.context["indicators"]) == Indicator.objects.filter(is_active=True).count()
