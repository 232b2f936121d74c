"""A burst-flagged rating waits for a person (rules.md §8.5): counted — a poor one then opens its rectification — or voided."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from whistle.cases.models import Case
from whistle.ratings.models import Rating


def signed_in(username):
    client = Client()
    client.post("/login", {"username": username, "password": PASSWORD})
    return client


@pytest.fixture
def flagged_poor(cards, set_rule):
    set_rule("ratings.burst_threshold", 1)
    cadre, _ = cards
    Client().post(f"/r/{cadre.card_code}/", {"level": 5}, REMOTE_ADDR="10.0.0.1")
    Client().post(f"/r/{cadre.card_code}/", {"level": 2, "comment": "窗口无人"}, REMOTE_ADDR="10.0.1.1")
    rating = Rating.objects.get(level=2)
    assert rating.status == "flagged" and not Case.objects.exists()
    return rating


def test_flagged_poor_rating_counted_on_review_opens_rectification(heze, flagged_poor):
    response = signed_in("cao_office").post(
        f"/r/ratings/{flagged_poor.pk}/review", {"decision": "counted", "review_reason": "回访确认为本人真实评价"}
    )
    case = Case.objects.get()
    html = response.content.decode()
    assert response.status_code == 200 and "有效" in html and case.number in html
    flagged_poor.refresh_from_db()
    assert flagged_poor.counted and flagged_poor.rectification == case and case.lead_unit == heze.cao_zjj


def test_flagged_rating_voided_on_review_stays_stored(flagged_poor):
    response = signed_in("cao_office").post(
        f"/r/ratings/{flagged_poor.pk}/review",
        {"decision": "voided", "review_reason": "同一时段集中评价，疑似组织刷评"},
    )
    assert response.status_code == 200 and "已作废" in response.content.decode()
    flagged_poor.refresh_from_db()
    assert (flagged_poor.status, flagged_poor.counted, flagged_poor.review_reason) == (
        "voided",
        False,
        "同一时段集中评价，疑似组织刷评",
    )
    assert not Case.objects.exists()
    again = signed_in("cao_office").post(
        f"/r/ratings/{flagged_poor.pk}/review", {"decision": "counted", "review_reason": "改判"}
    )
    assert again.status_code == 409 and "该评价不在待复核状态" in again.content.decode()


def test_flagged_rating_review_outside_scope_is_404_and_needs_a_reason(flagged_poor):
    for username in ("shan_office", "cao_zjj"):
        assert (
            signed_in(username)
            .post(f"/r/ratings/{flagged_poor.pk}/review", {"decision": "voided", "review_reason": "作废"})
            .status_code
            == 404
        )
    missing = signed_in("cao_office").post(f"/r/ratings/{flagged_poor.pk}/review", {"decision": "voided"})
    assert missing.status_code == 422 and "请填写理由" in missing.content.decode()
    assert Rating.objects.get(pk=flagged_poor.pk).status == "flagged"
