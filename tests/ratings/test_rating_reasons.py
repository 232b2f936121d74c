"""The server's side of the rating form (issue 14 item 18; rules.md §3, §8.3): tags fit the level, and a poor
rating says what went wrong, with a Chinese message beside the field at fault."""

import re

import pytest
from django.test import Client

from whistle.core.errors import Invalid
from whistle.ratings.models import Rating, Tag, tags_for
from whistle.ratings.services import rating_submit


def _post(card, **data):
    return Client().post(f"/r/{card.card_code}/", data, REMOTE_ADDR="10.0.0.1")


def _error_after(html: str, anchor: str) -> str:
    """The error text the page shows after the control or fieldset named by `anchor`."""
    tail = html.split(anchor, 1)[1]
    match = re.search(r'class="error" role="alert"[^>]*>([^<]+)<', tail)
    return match.group(1) if match else ""


@pytest.mark.django_db
def test_rule_3_praise_tags_fit_good_levels_and_problem_tags_fit_poor_ones():
    assert tags_for(5) == tags_for(4) == ["friendly", "fast", "one_visit", "clear"]
    assert tags_for(2) == tags_for(1) == ["rude", "slow", "runaround", "absent"]
    assert tags_for(3) == list(Tag.values)  # 基本满意 may say what went well or what fell short


def test_rule_3_a_very_unsatisfied_rating_with_praise_tags_is_refused_beside_the_tags(cards):
    cadre, _ = cards
    response = _post(cadre, level="1", tags=["friendly", "slow"], comment="窗口让我回去补材料")
    assert response.status_code == 422
    html = response.content.decode()
    assert _error_after(html, 'class="tags"') == "“态度热情”与“非常不满意”不符，请重新勾选评价标签"
    assert 'value="slow" checked' in html and "窗口让我回去补材料" in html  # nothing typed is lost
    assert not Rating.objects.exists()


def test_rule_3_problem_tags_with_a_good_rating_are_refused(cards):
    cadre, _ = cards
    with pytest.raises(Invalid) as refused:
        rating_submit(cadre, level=5, tags=["rude"], device="d", ip="10.0.0.1")
    assert (refused.value.code, refused.value.field) == ("tag_level_mismatch", "tags")


@pytest.mark.parametrize("level, label", [("2", "不满意"), ("1", "非常不满意")])
def test_rule_8_3_a_poor_rating_without_a_problem_tag_or_comment_is_refused_beside_the_comment(cards, level, label):
    cadre, _ = cards
    response = _post(cadre, level=level, comment="  ")
    assert response.status_code == 422
    assert _error_after(response.content.decode(), 'id="comment"') == f"选择“{label}”时，请勾选遇到的问题或填写评价意见"
    assert not Rating.objects.exists()
    with pytest.raises(Invalid) as refused:
        rating_submit(cadre, level=int(level), device="d", ip="10.0.0.1")
    assert (refused.value.code, refused.value.field) == ("reason_required", "comment")


def test_rule_8_3_a_poor_rating_with_a_problem_tag_alone_or_a_comment_alone_opens_its_rectification(cards):
    cadre, window = cards
    assert _post(cadre, level="1", tags=["absent"]).status_code == 200
    assert (
        Client()
        .post(f"/r/{window.card_code}/", {"level": "2", "comment": "材料退回三次"}, REMOTE_ADDR="10.0.1.1")
        .status_code
        == 200
    )
    assert Rating.objects.filter(rectification__isnull=False).count() == 2


def test_good_and_middling_ratings_need_no_reason(cards):
    cadre, window = cards
    assert _post(cadre, level="5").status_code == 200
    assert (
        Client().post(f"/r/{window.card_code}/", {"level": "3", "tags": ["slow"]}, REMOTE_ADDR="10.0.1.1").status_code
        == 200
    )
    assert Rating.objects.count() == 2
