"""Issue 22: the public rating's answer page shows the card's figures with the new rating — on PostgreSQL returned by
the write statement itself, no read after it — equal to what the rollups then say."""

from django.test import Client

from whistle.ratings.selectors import rating_summary


def test_issue_22_the_answer_shows_the_cards_figures_as_stored(cards, set_rule):
    cadre, window = cards
    for i, (card, level) in enumerate([(cadre, 5), (cadre, 4), (window, 3), (cadre, 2), (cadre, 5)]):
        answer = Client().post(
            f"/r/{card.card_code}/", {"level": level, "comment": "窗口让我跑了三趟"}, REMOTE_ADDR=f"10.5.{i}.1"
        )
        assert answer.status_code == 200
        assert answer.context["summary"] == rating_summary(card) and answer.context["summary"]["count"] > 0
    set_rule("ratings.burst_threshold", 1)  # a burst: stored, flagged, not in the figures
    answer = Client().post(f"/r/{cadre.card_code}/", {"level": 1, "comment": "没人"}, REMOTE_ADDR="10.6.0.1")
    assert answer.context["rating"].status == "flagged"
    assert answer.context["summary"] == rating_summary(cadre) and answer.context["summary"]["count"] == 4
