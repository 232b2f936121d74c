"""Ratings in the admin (issue 14 item 20; rules.md §3, §8.3): never added by hand nor deleted — a rating leaves
the figures only by appeal (作废) — and named in Chinese."""

import pytest

from tests.conftest import at
from whistle.ratings.models import Appeal, ContactRead, Rating, RatingRollup
from whistle.ratings.services import appeal_file, rating_submit


@pytest.fixture
def rated(heze, cards):
    cadre, _ = cards
    return rating_submit(
        cadre, level=1, tags=["slow"], comment="材料退回三次", device="d1", ip="10.0.0.1", now=at(2026, 11, 3, 9, 30)
    )


def test_rule_3_ratings_are_never_added_or_deleted_in_the_admin_only_voided_by_appeal(admin_client, rated):
    listing = admin_client.get("/admin/ratings/rating/").content.decode()
    assert "增加 评价" not in listing and "/admin/ratings/rating/add/" not in listing
    assert 'value="delete_selected"' not in listing  # no bulk delete action
    assert admin_client.get("/admin/ratings/rating/add/").status_code == 403
    assert admin_client.get(f"/admin/ratings/rating/{rated.pk}/delete/").status_code == 403
    response = admin_client.post(
        "/admin/ratings/rating/", {"action": "delete_selected", "_selected_action": [rated.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert Rating.objects.filter(pk=rated.pk).exists()
    change = admin_client.get(f"/admin/ratings/rating/{rated.pk}/change/").content.decode()
    assert "/delete/" not in change


def test_ratings_admin_speaks_chinese(admin_client, heze, rated):
    assert str(rated) == "张伟的评价（非常不满意，2026-11-03 09:30）"
    page = admin_client.get(f"/admin/ratings/rating/{rated.pk}/change/").content.decode()
    assert "Rating object" not in page and "张伟的评价（非常不满意" in page
    assert "Device hash" not in page and "Network hash" not in page
    verbose = {f.name: str(f.verbose_name) for f in Rating._meta.fields}
    assert (verbose["device_hash"], verbose["network_hash"], verbose["rater_phone_hash"]) == (
        "设备标识",
        "网络标识",
        "评价人电话标识",
    )
    rollups = admin_client.get("/admin/ratings/ratingrollup/").content.decode()
    assert "非常不满意" in rollups and "N1" not in rollups and "Target id" not in rollups
    assert "月" in str(RatingRollup.objects.first())
    appeal = appeal_file(heze.actor("cao_zjj"), rated.pk, reason="评价人误评")
    assert str(appeal) == f"对{rated}的申诉（待复核）"
    assert "object" not in str(
        ContactRead(rating=rated, actor_label="曹县吹哨办", purpose="回访核实", at=rated.created_at)
    )
    assert isinstance(appeal, Appeal)
