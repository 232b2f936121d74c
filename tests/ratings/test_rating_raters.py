"""Issue 22 on partitioned ratings: the burst rule's "seen before" (rules.md §8.5: a burst near a window is held, but a
device or phone with a counted rating from before the burst is a regular rater) read from the raters' first counted
moments (`RatingRater`, kept by triggers on PostgreSQL), which must always say what the ratings say."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests.conftest import at
from whistle.ratings import rating_raters
from whistle.ratings.models import Rating, RatingRater
from whistle.ratings.services import rating_submit


def post(card, level, ip, client=None, **data):
    client = client or Client()
    return client.post(f"/r/{card.card_code}/", {"level": level, "comment": "窗口让我跑了三趟", **data}, REMOTE_ADDR=ip)


def test_item_8_a_device_whose_earlier_rating_stopped_counting_is_not_seen_before(cards, set_rule):
    cadre, _ = cards
    regular = Client()
    regular.get(f"/r/{cadre.card_code}/")
    device = regular.cookies["whistle_device"].value
    earlier = rating_submit(cadre, level=5, device=device, ip="10.9.0.1", now=at(2026, 10, 1))
    # Voided (an appeal upheld against it): the same statement services.appeal_review runs.
    Rating.objects.filter(pk=earlier.pk).update(status="voided", counted=False)
    set_rule("ratings.burst_threshold", 3)
    for i in range(3):  # the burst
        post(cadre, 5, ip=f"10.7.{i}.1")
    held = post(cadre, 4, ip="10.8.0.1", client=regular).context["rating"]
    assert Rating.objects.get(pk=held.pk).status == "flagged"  # its only earlier rating no longer counts
    # Counted again (a review): the device is a regular rater once more.
    Rating.objects.filter(pk=earlier.pk).update(status="counted", counted=True)
    again = post(cadre, 4, ip="10.8.1.1", client=regular).context["rating"]
    assert Rating.objects.get(pk=again.pk).status == "counted"


def _from_ratings():
    with connection.cursor() as cursor:
        cursor.execute(rating_raters.FROM_RATINGS)
        return set(cursor.fetchall())


def _kept():
    assert rating_raters.verify()[1] == []
    return set(RatingRater.objects.values_list("kind", "value", "first_counted_at"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers keep the table on PostgreSQL")
def test_issue_22_the_raters_first_counted_moments_say_what_the_ratings_say(cards, set_rule):
    cadre, window = cards
    first = rating_submit(cadre, level=5, phone="13912345601", device="a", ip="10.1.0.1", now=at(2026, 9, 1))
    later = rating_submit(window, level=4, phone="13912345601", device="a", ip="10.1.1.1", now=at(2026, 10, 1))
    set_rule("ratings.burst_threshold", 1)
    assert rating_submit(cadre, level=4, device="b", ip="10.1.2.1", now=at(2026, 10, 3, 9)).status == "counted"
    flagged = rating_submit(cadre, level=4, device="c", ip="10.1.3.1", now=at(2026, 10, 3, 9, 30))
    assert flagged.status == "flagged"
    assert _kept() == _from_ratings() and len(_kept()) == 3  # a and b's devices, the phone; not c's
    Rating.objects.filter(pk=first.pk).update(status="voided", counted=False)  # the phone's first moves on
    assert _kept() == _from_ratings()
    Rating.objects.filter(pk=later.pk).update(status="voided", counted=False)  # a and the phone: gone
    assert _kept() == _from_ratings() and len(_kept()) == 1
    Rating.objects.filter(pk=flagged.pk).update(status="counted", counted=True)  # reviewed: c is seen
    Rating.objects.filter(pk=first.pk).update(status="counted", counted=True)
    Rating.objects.filter(pk__in=[first.pk, later.pk]).update(rater_phone_masked="")  # nothing a rater is
    assert _kept() == _from_ratings() and len(_kept()) == 4
    Rating.objects.filter(pk=first.pk).delete()
    assert _kept() == _from_ratings()
    RatingRater.objects.all().delete()  # an operator's mistake: the command finds it and puts it right
    assert rating_raters.verify()[1] and _from_ratings()
    call_command("ratings", "rebuild-raters")
    call_command("ratings", "verify-raters")
    assert _kept() == _from_ratings()
