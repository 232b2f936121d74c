"""The metrics API, the rankings page, the .xlsx exports (read back with python-calamine) and the report."""

import datetime as dt
import io

import pytest
from django.utils.dateparse import parse_datetime
from python_calamine import CalamineWorkbook

from whistle.dashboard import case_rollup
from whistle.dashboard.models import RankingClass
from whistle.org.services import token_issue

from .conftest import march_cases


@pytest.fixture
def data(heze):
    march_cases(heze)
    march_cases(heze, lead=heze.shan_zjj, county=heze.shan)
    RankingClass.objects.update(min_cases=5)
    case_rollup.rebuild()
    return heze


def get(client, heze, user, path, **params):
    token = token_issue(getattr(heze.users, user))[0]
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_api_definitions_name_code_and_version(client, data):
    body = get(client, data, "city_leader", "/api/v1/metrics/definitions").json()
    labels = {d["code"]: d["label"] for d in body}
    assert labels["composite"] == "composite@1" and labels["resolution"] == "resolution@1"
    assert next(d for d in body if d["code"] == "composite")["params"]["weights"] == {
        "response": 30,
        "resolution": 35,
        "satisfaction": 35,
    }


def test_api_rates_by_county(client, data):
    body = get(client, data, "city_leader", "/api/v1/metrics/rates", group_by="county", month="2026-03").json()
    assert body["definitions"]["satisfaction"] == "satisfaction@1"
    assert body["definitions"]["response"] == "response@2"  # counted without the cases not yet due since version 2
    assert [(r["code"], r["cases"], r["satisfaction"]["value"]) for r in body["rows"]] == [
        ("caoxian", 7, 66.7),
        ("shanxian", 7, 66.7),
    ]
    measured = parse_datetime(body["as_of"])  # the moment the rates were measured (JSON keeps milliseconds)
    assert abs(measured - case_rollup.as_of()) < dt.timedelta(milliseconds=1)


def test_api_rates_a_county_leader_sees_only_their_county(client, data):
    body = get(client, data, "cao_leader", "/api/v1/metrics/rates", group_by="unit", month="2026-03").json()
    assert [r["code"] for r in body["rows"]] == ["caoxian-zjj"]
    body = get(client, data, "cao_leader", "/api/v1/metrics/rankings", **{"class": "county", "month": "2026-03"}).json()
    assert [(r["unit"], r["rank"]) for r in body["rows"]] == [("caoxian", 1)]


def test_api_rankings(client, data):
    body = get(
        client, data, "city_office", "/api/v1/metrics/rankings", **{"class": "county_department", "month": "2026-03"}
    ).json()
    assert [(r["unit"], r["rank"]) for r in body["rows"]][:2] == [("caoxian-zjj", 1), ("shanxian-zjj", 1)]
    assert body["definition"] == "composite@1" and body["window"] == {"from": "2026-01", "to": "2026-03", "months": 3}


@pytest.mark.parametrize(
    "path,params,code,field",
    [
        ("/api/v1/metrics/rates", {"month": "2026-13"}, "invalid_month", "month"),
        ("/api/v1/metrics/rates", {"month": "March"}, "invalid_month", "month"),
        ("/api/v1/metrics/rates", {"month": "2026-03", "group_by": "planet"}, "invalid_group_by", "group_by"),
        (
            "/api/v1/metrics/rates",
            {"month_from": "2026-04", "month_to": "2026-03"},
            "invalid_month_range",
            "month_from",
        ),
        ("/api/v1/metrics/rankings", {"class": "planets", "month": "2026-03"}, "invalid_class", "class"),
        ("/api/v1/metrics/rankings", {"class": "county", "month": "2026-3"}, "invalid_month", "month"),
        ("/api/v1/metrics/rankings", {"month": "2026-03"}, "invalid_class", "class"),
    ],
)
def test_api_bad_input_is_problem_json(client, data, path, params, code, field):
    response = get(client, data, "city_leader", path, **params)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["field"] == field and body["detail"]


def test_api_enterprises_cannot_read_unit_figures(client, data):
    response = get(client, data, "ent_cao", "/api/v1/metrics/rates", month="2026-03")
    assert response.status_code == 403 and response.json()["code"] == "metrics_forbidden"
    assert client.get("/api/v1/metrics/definitions").status_code == 401


def _sheets(response):
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_rankings_xlsx_reads_back(client, data):
    client.force_login(data.users.city_office)
    response = client.get("/dashboard/rankings.xlsx", {"class": "county_department", "month": "2026-03"})
    assert response.status_code == 200
    sheets = _sheets(response)
    assert list(sheets) == ["排名", "红榜", "黑榜", "口径"]
    header, *rows = sheets["排名"]
    assert header[:4] == ["名次", "单位编码", "单位", "综合得分"] and "响应率" in header
    assert [(r[0], r[1], r[3]) for r in rows[:2]] == [(1, "caoxian-zjj", 62.3), (1, "shanxian-zjj", 62.3)]
    assert rows[2][0] == "未排名（件数不足）"
    assert ["排名口径", "composite@1"] in sheets["口径"]


def test_rates_xlsx_reads_back(client, data):
    client.force_login(data.users.cao_office)
    response = client.get("/dashboard/rates.xlsx", {"group_by": "county", "month": "2026-03"})
    header, *rows = _sheets(response)["指标"]
    assert header[:3] == ["编码", "名称", "受理件数"]
    assert rows == [rows[0]] and rows[0][:3] == ["caoxian", "曹县人民政府", 7]
    col = header.index("解决率(%)")
    assert rows[0][col : col + 3] == [50.0, 1.5, 3]


def test_rankings_page_and_nav_link(client, data):
    client.force_login(data.users.city_leader)
    page = client.get("/dashboard/rankings", {"class": "county", "month": "2026-03"}).content.decode()
    assert "红榜" in page and "黑榜" in page and "曹县人民政府" in page and "composite@1" in page
    assert 'href="/dashboard/rankings"' in page
    bad = client.get("/dashboard/rankings", {"class": "county", "month": "2026-99"})
    assert bad.status_code == 422 and "YYYY-MM" in bad.content.decode()


def test_monthly_assessment_report_is_printable(client, data):
    client.force_login(data.users.city_office)
    page = client.get("/dashboard/report", {"month": "2026-03"}).content.decode()
    for text in (
        "2026年3月考核通报",
        "统计期间",
        "各县区指标",
        "各承办单位指标",
        "县直部门",
        "红榜",
        "黑榜",
        "第1版",
        "签发",
        "@media print",
    ):
        assert text in page, text


def test_pages_refuse_enterprises(client, data):
    client.force_login(data.users.ent_cao)
    assert client.get("/dashboard/rankings").status_code == 403


def test_api_topics_of_the_month(client, data):
    body = get(client, data, "city_leader", "/api/v1/metrics/topics", month="2026-03", limit=5).json()
    assert body["month"] == "2026-03"
    assert {"categories", "words", "docs", "pending"} <= set(
        body
    )  # the content is hot_topics' (tests/dashboard/test_topics.py)
    assert get(client, data, "city_leader", "/api/v1/metrics/topics", month="2026-3").json()["code"] == "invalid_month"
    assert get(client, data, "city_leader", "/api/v1/metrics/topics", month="2026-03", limit=500).status_code == 422
    assert get(client, data, "ent_cao", "/api/v1/metrics/topics", month="2026-03").status_code == 403
