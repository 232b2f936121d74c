"""申诉复核 (domain/rules.md §3, §8.3): the rated unit appeals, a coordinator upholds or voids, with reasons."""

import re

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from whistle.ratings.models import Appeal, Rating


def signed_in(username):
    client = Client()
    client.post("/login", {"username": username, "password": PASSWORD})
    return client


def summary(card):
    return re.sub(r"\s+", "", Client().get(f"/r/{card.card_code}/").content.decode())


@pytest.fixture
def poor_rating(cards):
    cadre, _ = cards
    Client().post(f"/r/{cadre.card_code}/", {"level": 1, "comment": "没给我办"}, REMOTE_ADDR="10.0.0.1")
    Client().post(f"/r/{cadre.card_code}/", {"level": 5}, REMOTE_ADDR="10.0.1.1")
    return Rating.objects.get(level=1)


def test_voided_rating_stays_stored_but_stops_counting(cards, poor_rating):
    cadre, _ = cards
    assert "<dt>好评率</dt><dd>50.0%</dd>" in summary(cadre)
    filed = signed_in("cao_zjj").post(
        f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "评价人所办事项不属本科室，系误评"}
    )
    assert filed.status_code == 200 and "待复核" in filed.content.decode()
    appeal = Appeal.objects.get()
    reviewed = signed_in("cao_office").post(
        f"/r/appeals/{appeal.pk}/review",
        {"decision": "voided", "review_reason": "经调取窗口记录，评价人当日未在本窗口办事"},
    )
    html = reviewed.content.decode()
    assert reviewed.status_code == 200 and "评价作废" in html and "经调取窗口记录" in html
    poor_rating.refresh_from_db()
    assert (poor_rating.status, poor_rating.counted, poor_rating.comment) == ("voided", False, "没给我办")
    stats = summary(cadre)
    assert "<dt>评价数</dt><dd>1</dd>" in stats and "<dt>好评率</dt><dd>100.0%</dd>" in stats


def test_upheld_appeal_keeps_the_rating_counted(cards, poor_rating):
    cadre, _ = cards
    signed_in("cao_zjj").post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "恶意差评"})
    appeal = Appeal.objects.get()
    reviewed = signed_in("cao_office").post(
        f"/r/appeals/{appeal.pk}/review", {"decision": "upheld", "review_reason": "回访核实，评价属实"}
    )
    assert "维持评价" in reviewed.content.decode()
    poor_rating.refresh_from_db()
    assert poor_rating.counted and "<dt>评价数</dt><dd>2</dd>" in summary(cadre)
    again = signed_in("cao_office").post(
        f"/r/appeals/{appeal.pk}/review", {"decision": "voided", "review_reason": "改判"}
    )
    assert again.status_code == 409 and "该申诉已复核" in again.content.decode()


def test_appeal_and_review_outside_scope_are_404(cards, poor_rating):
    assert signed_in("shan_zjj").post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "误评"}).status_code == 404
    assert signed_in("ent_cao").post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "误评"}).status_code == 404
    assert signed_in("cao_zjj").post("/r/ratings/999999/appeal", {"reason": "误评"}).status_code == 404
    signed_in("cao_zjj").post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "误评"})
    appeal = Appeal.objects.get()
    assert (
        signed_in("shan_office")
        .post(f"/r/appeals/{appeal.pk}/review", {"decision": "voided", "review_reason": "作废"})
        .status_code
        == 404
    )
    assert (
        signed_in("cao_zjj")
        .post(f"/r/appeals/{appeal.pk}/review", {"decision": "voided", "review_reason": "作废"})
        .status_code
        == 404
    )
    assert Appeal.objects.get().state == "pending"


def test_appeal_and_review_need_reasons_and_a_rating_is_appealed_once(cards, poor_rating):
    unit = signed_in("cao_zjj")
    missing = unit.post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "  "})
    assert missing.status_code == 422 and "请填写理由" in missing.content.decode()
    assert unit.post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "误评"}).status_code == 200
    twice = unit.post(f"/r/ratings/{poor_rating.pk}/appeal", {"reason": "再次申诉"})
    assert twice.status_code == 409 and "每条评价只能申诉一次" in twice.content.decode()
    office = signed_in("cao_office")
    appeal = Appeal.objects.get()
    for data, detail in [
        ({"decision": "maybe", "review_reason": "x"}, "复核结论须为维持评价或评价作废"),
        ({"decision": "voided", "review_reason": ""}, "请填写理由"),
    ]:
        response = office.post(f"/r/appeals/{appeal.pk}/review", data)
        assert response.status_code == 422 and detail in response.content.decode()
    assert Appeal.objects.get().state == "pending"
    assert unit.get(f"/r/ratings/{poor_rating.pk}/appeal").status_code == 405
