"""Issue 13, items 3, 6, 8 and 9: what a hostile rater could do with the public card, and what stops it now."""

import pytest
from django.test import Client

from tests.conftest import at
from tests.ratings.test_rectification import answer
from whistle.cases import services as case_services
from whistle.cases.models import Case
from whistle.cases.selectors import case_list
from whistle.core.errors import Invalid, NotFound
from whistle.org.models import Level, Unit, UnitKind
from whistle.ratings.models import Rating, Window
from whistle.ratings.rectification import rerate_token
from whistle.ratings.services import clean_case_number, rating_submit


def post(card, level, ip="10.0.0.1", client=None, **data):
    client = client or Client()  # a fresh client: a fresh cookie, as an abuser would make one per rating
    return client.post(f"/r/{card.card_code}/", {"level": level, "comment": "窗口让我跑了三趟", **data}, REMOTE_ADDR=ip)


def test_item_3_rectification_case_number_cannot_block_the_raters_rerating(client, heze, cards):
    cadre, window = cards
    rating = rating_submit(
        cadre, comment="窗口让我跑了三趟", level=2, device="rater", ip="10.0.0.1", now=at(2026, 11, 2, 9)
    )
    case = answer(heze, rating.rectification)
    # The attack: rate any card with the rectification's number first.
    for spelling in (case.number, case.number.lower(), f"{case.number}-", f"hz-{case.number[2:]}"):
        refused = post(window, 5, ip="10.66.0.1", case_number=spelling)
        assert refused.status_code == 422 and "诉求工单号" in refused.content.decode(), spelling
    assert not Rating.objects.exclude(pk=rating.pk).exists()
    # The rater's own re-rating goes through, recorded on the rectification itself.
    done = client.post(f"/r/rerate/{rerate_token(rating)}", {"level": "4"})
    assert done.status_code == 200 and "感谢您的再评价" in done.content.decode()
    assert Rating.objects.get(rerate_of=rating).level == 4
    assert Case.objects.get(pk=case.pk).state == "closed"


def test_item_6_city_units_rectification_belongs_to_the_city_not_the_first_county(heze, cards):
    _, window = cards  # a window of 市市场监管局
    case = rating_submit(window, comment="窗口让我跑了三趟", level=1, device="d", ip="10.0.0.1").rectification
    assert (case.county, case.level, case.lead_unit) == (heze.city, "city", heze.city_scjg)
    for county_user in ("cao_office", "cao_leader", "shan_office"):
        assert not case_list(heze.actor(county_user)).filter(pk=case.pk).exists(), county_user
        with pytest.raises(NotFound):
            case_services.case_transition(heze.actor(county_user), case.number, "supervise", {"note": "督办"})
    assert case_list(heze.actor("city_office")).filter(pk=case.pk).exists()
    assert case_list(heze.actor("city_scjg")).filter(pk=case.pk).exists()


def test_item_6_in_a_province_a_city_units_rectification_belongs_to_its_city_not_the_province(heze, cards):
    # The tree's root is the province now: the rectification is filed under the rated unit's own city government.
    province = Unit.objects.create(
        code="shandong", name="山东省人民政府", level=Level.PROVINCE, kind=UnitKind.GOVERNMENT
    )
    heze.city.parent = province
    heze.city.save()
    window = Window.objects.get(pk=cards[1].pk)  # read again: its unit's path and city moved with the city
    case = rating_submit(window, comment="窗口让我跑了三趟", level=1, device="d", ip="10.0.0.1").rectification
    assert (case.county_id, case.city_id, case.level, case.lead_unit_id) == (
        heze.city.pk,
        heze.city.pk,
        "city",
        heze.city_scjg.pk,
    )
    assert case.number.startswith("HZ")
    assert case_list(heze.actor("city_office")).filter(pk=case.pk).exists()
    # A province department's card: no city, so its rectification is the province government's own.
    department = Unit.objects.create(
        code="shandong-scjg",
        name="山东省市场监督管理局",
        level=Level.PROVINCE,
        kind=UnitKind.DEPARTMENT,
        parent=province,
    )
    counter = Window.objects.create(name="省级窗口", unit=department, supervision_phone="0531-1234567")
    case = rating_submit(counter, comment="窗口让我跑了三趟", level=1, device="d", ip="10.0.0.2").rectification
    assert (case.county_id, case.level, case.lead_unit_id) == (province.pk, "city", department.pk)


def test_item_8_rating_limits_per_phone_and_per_card_hold_against_fresh_cookies(heze, cards, set_rule):
    cadre, window = cards
    # One phone, a fresh cookie and address each time: two ratings of one card a day, then refused.
    for i in range(2):
        assert post(cadre, 1, ip=f"10.1.{i}.1", phone="13912345601").status_code == 200
    refused = post(cadre, 1, ip="10.1.9.1", phone="13912345601")
    assert refused.status_code == 429 and "该手机号今天已评价过这张亮码" in refused.content.decode()
    assert Case.objects.count() == 2  # not six
    # The same phone across cards: ratings.max_per_phone_per_day in all.
    set_rule("ratings.max_per_phone_per_day", 3)
    assert post(window, 4, ip="10.2.0.1", phone="139 1234 5601").status_code == 200
    refused = post(window, 4, ip="10.2.9.1", phone="13912345601")
    assert refused.status_code == 429 and "该手机号今天的评价次数已达上限" in refused.content.decode()


def test_item_8_one_network_is_limited_on_one_card_and_ipv6_counts_per_64(cards, set_rule):
    set_rule("ratings.max_per_network_per_card_per_hour", 3)
    cadre, window = cards
    for i in range(3):  # fresh cookies from one IPv6 /64
        assert post(cadre, 5, ip=f"2001:db8:1:2::{i + 1}").status_code == 200
    refused = post(cadre, 5, ip="2001:db8:1:2:ffff::9")
    assert refused.status_code == 429 and "当前网络对该亮码的评价过于频繁" in refused.content.decode()
    assert post(window, 5, ip="2001:db8:1:2::7").status_code == 200  # another card from that network
    assert post(cadre, 5, ip="2001:db8:1:3::1").status_code == 200  # the neighbouring /64


def test_item_8_a_burst_does_not_hold_ratings_from_devices_and_phones_seen_before(cards, set_rule):
    set_rule("ratings.burst_threshold", 3)
    cadre, _ = cards
    regular = Client()
    regular.get(f"/r/{cadre.card_code}/")
    rating_submit(
        cadre,
        comment="窗口让我跑了三趟",
        level=5,
        device=regular.cookies["whistle_device"].value,
        ip="10.9.0.1",
        now=at(2026, 10, 1),
    )
    rating_submit(
        cadre,
        comment="窗口让我跑了三趟",
        level=4,
        phone="13912345609",
        device="old-phone",
        ip="10.9.1.1",
        now=at(2026, 10, 1),
    )
    for i in range(4):  # the flood: new cookies, new networks
        post(cadre, 1, ip=f"10.7.{i}.1")
    assert Rating.objects.filter(status="flagged").count() == 1  # the fourth on was held
    assert Rating.objects.get(pk=post(cadre, 2, ip="10.8.0.1", client=regular).context["rating"].pk).status == "counted"
    by_phone = post(cadre, 2, ip="10.8.1.1", phone="13912345609").context["rating"]
    assert Rating.objects.get(pk=by_phone.pk).status == "counted"
    newcomer = post(cadre, 2, ip="10.8.2.1").context["rating"]
    assert Rating.objects.get(pk=newcomer.pk).status == "flagged"


def test_item_9_case_numbers_are_normalised_and_a_repeat_gets_no_oracle(cards):
    cadre, window = cards
    assert clean_case_number(" ｓｘ２０２６ ００１５ ") == clean_case_number("SX2026-0015-") == "SX2026-0015"
    with pytest.raises(Invalid):
        clean_case_number("hz00001545")
    first = post(cadre, 4, case_number="SX2026-0015")
    assert first.status_code == 200
    for spelling in ("sx2026-0015", "SX2026-0015-", "ＳＸ２０２６－００１５", "sx2026 0015"):
        again = post(window, 4, ip="10.20.0.1", case_number=spelling)
        # Same page as a fresh rating: status, thanks, the level given; nothing stored twice.
        assert (
            again.status_code == 200
            and "感谢您的评价" in again.content.decode()
            and "您的评价：满意" in again.content.decode()
        )
        assert "已评价过" not in again.content.decode()
    assert Rating.objects.filter(case_number="SX2026-0015").count() == Rating.objects.count() == 1
