"""Issue 13, item 12: input no view can use — NUL characters (PostgreSQL text cannot hold them), lone surrogates
(not UTF-8), years and months outside any calendar, pages past any table — is a 4xx, never a 500, on both
databases. The input guard (core.input_guard) answers the first two for every path; core.params bounds the rest."""

import json

import pytest
from django.test import Client

from tests.api.conftest import CHINESE, problem, rows
from tests.conftest import PASSWORD
from whistle.ratings.models import Cadre, Rating

NUL, SURROGATE = "\x00", "\ud800"


def raw_json(value) -> str:
    """JSON text with the string escaped as \\uXXXX, as a client sends a lone surrogate (json.dumps does the same)."""
    return json.dumps(value)


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone_surrogate"])
def test_item_12_nul_and_lone_surrogates_in_case_fields_and_comments_are_400(api, heze, bad):
    before = rows()
    body = {"kind": "help", "category": "construction-permit", "description": f"厂房施工许可{bad}办理慢"}
    problem(api.post("/api/v1/cases", "ent_cao", raw_json(body)), 400, "invalid_characters", "description")
    problem(
        api.post("/api/v1/cases", "ent_cao", raw_json({**body, "description": "正常", "title": f"标题{bad}"})),
        400,
        "invalid_characters",
        "title",
    )
    assert rows() == before
    number = api.submit().json()["number"]
    problem(
        api.post(f"/api/v1/cases/{number}/actions/withdraw", "ent_cao", raw_json({"reason": f"不需要了{bad}"})),
        400,
        "invalid_characters",
        "reason",
    )
    problem(
        api.post("/api/v1/auth/token", None, raw_json({"username": f"ent{bad}cao", "password": PASSWORD})),
        400,
        "invalid_characters",
        "username",
    )


def test_item_12_nul_in_query_strings_is_400(api):
    for path, params, field in [
        ("/api/v1/cases", {"q": "施工\x00"}, "q"),
        ("/api/v1/cases", {"state": "\x00"}, "state"),
        ("/api/v1/enterprises", {"q": "\x00"}, "q"),
    ]:
        problem(api.get(path, "city_office", params), 400, "invalid_characters", field)
    problem(api.get("/api/v1/cases/HZ%00", "city_office"), 400, "invalid_characters", "path")


def test_item_12_nul_in_visit_participants_is_400(api, heze):
    from whistle.patronage.models import Patronage

    patronage = Patronage.objects.first()
    pk = patronage.pk if patronage else 1
    response = api.post(
        f"/api/v1/patronage/patronages/{pk}/visits",
        "city_office",
        raw_json({"visited_on": "2026-11-02", "participants": "张三\x00", "notes": "走访"}),
    )
    problem(response, 400, "invalid_characters", "participants")


def test_item_12_nul_in_the_anonymous_rating_comment_is_a_chinese_400_page(cards_of_heze):
    cadre = cards_of_heze
    response = Client().post(f"/r/{cadre.card_code}/", {"level": 5, "comment": "很好\x00"}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 400 and "含有不允许的字符" in response.content.decode()
    assert not Rating.objects.exists()


def test_item_12_years_months_and_pages_out_of_range_are_4xx(api, client, heze):
    for year in ("-312", "10000"):
        for path in ("/api/v1/patronage/visits", "/api/v1/patronage/coverage"):
            response = api.get(path, "city_office", {"year": year})
            assert response.status_code == 422, (path, year, response.content[:200])
    for path in ("/api/v1/metrics/rankings", "/api/v1/metrics/topics", "/api/v1/metrics/rates"):
        problem(api.get(path, "city_office", {"month": "0001-01"}), 422, "out_of_range", "month")
    problem(api.get("/api/v1/cases", "city_office", {"page": str(10**20)}), 422, "out_of_range", "page")
    client.post("/login", {"username": "city_office", "password": PASSWORD})
    for path in (
        "/dashboard?month=0001-01",
        "/dashboard/report?month=0001-01",
        "/dashboard/rankings?month=0001-01",
        "/dashboard?month=9999-12",
        "/desk?page=" + str(10**20),
        "/ledger?page=" + str(10**20),
        "/patronage/coverage?year=-312",
        "/patronage/coverage?year=10000",
        "/r/ranking?month=0001-01",
    ):
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code >= 400:
            assert CHINESE.search(response.content.decode()), path


@pytest.fixture
def cards_of_heze(heze):
    return Cadre.objects.create(name="张伟", post="科长", unit=heze.cao_zjj, supervision_phone="0530-3212345")
