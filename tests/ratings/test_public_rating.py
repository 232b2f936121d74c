"""三亮 cards and 好差评 over the full stack (domain/rules.md §2, §3, §8.3–§8.5)."""

import io
import re

import segno
from django.test import Client

from tests.conftest import PASSWORD
from whistle.cases.models import Case
from whistle.core.hashing import keyed_hash
from whistle.ratings.models import Rating, grade


def post(card, level, ip="10.0.0.1", client=None, **data):
    """One rating from a phone of its own (a fresh client is a fresh device)."""
    client = client or Client()
    return client.post(f"/r/{card.card_code}/", {"level": level, "comment": "窗口让我跑了三趟", **data}, REMOTE_ADDR=ip)


def test_card_page_shows_identity_duties_and_the_form_without_login(cards):
    cadre, window = cards
    html = Client().get(f"/r/{cadre.card_code}/").content.decode()
    for text in [
        "张伟",
        "党员",
        "审批科科长",
        "曹县住房和城乡建设局",
        "0530-3212345",
        "负责建筑工程施工许可审批",
        "施工许可证核发 3个工作日",
        "暂无评价",
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]:
        assert text in html, text
    assert "菏泽市政务服务中心一楼" in Client().get(f"/r/{window.card_code}/").content.decode()


def test_card_code_is_unguessable_and_an_unknown_code_is_404(cards):
    cadre, window = cards
    assert len(cadre.card_code) >= 16 and cadre.card_code != window.card_code
    assert Client().get("/r/not-a-card/").status_code == 404


def test_level_mapping_good_neutral_poor(cards):
    assert [grade(level) for level in (5, 4, 3, 2, 1)] == ["good", "good", "neutral", "poor", "poor"]
    cadre, _ = cards
    for i, level in enumerate([5, 4, 3, 2]):
        assert post(cadre, level, ip=f"10.0.{i}.1").status_code == 200
    html = Client().get(f"/r/{cadre.card_code}/").content.decode()
    stats = re.sub(r"\s+", "", html)
    assert "<dt>评价数</dt><dd>4</dd>" in stats
    assert "<dt>好评率</dt><dd>50.0%</dd>" in stats  # 非常满意 + 满意
    assert "<dt>满意率</dt><dd>75.0%</dd>" in stats  # + 基本满意


def test_good_rating_is_thanked_and_opens_no_case(cards):
    cadre, _ = cards
    html = post(cadre, 5, tags=["friendly", "fast"], comment="办事很快").content.decode()
    assert "感谢您的评价" in html and "您的评价：非常满意" in html
    rating = Rating.objects.get()
    assert rating.tags == ["friendly", "fast"] and rating.counted and rating.rectification is None
    assert not Case.objects.exists()


def test_poor_rating_opens_rectification_case(heze, cards):
    cadre, _ = cards
    html = post(
        cadre, 2, tags=["slow"], comment="材料退回三次", case_number="SX2026-0001", phone="13900000001"
    ).content.decode()
    case = Case.objects.get()
    assert f"已转曹县住房和城乡建设局整改，工单号 {case.number}" in html
    assert Rating.objects.get().rectification == case
    assert (case.kind, case.channel, case.category.code, case.category.name) == (
        "complaint",
        "rating",
        "rating-rectification",
        "差评整改",
    )
    assert case.state == "dispatched" and case.lead_unit == heze.cao_zjj and case.county == heze.cao
    assert case.sla_profile.code == "rectification"
    assert case.sla_profile.stages.get(stage="resolve").amount == 15
    assert "不满意" in case.description and "办事拖沓" in case.description and "SX2026-0001" in case.description
    # The rated unit finds it in its inbox like every other case.
    handler = Client()
    handler.post("/login", {"username": "cao_zjj", "password": PASSWORD})
    assert case.number in handler.get("/desk").content.decode()


def test_poor_rating_of_a_city_window_goes_to_the_city_unit(heze, cards):
    _, window = cards
    post(window, 1)
    case = Case.objects.get()
    assert case.lead_unit == heze.city_scjg and case.level == "city" and case.contact_name == "评价人"


def test_one_rating_per_case_number(cards):
    cadre, window = cards
    assert post(cadre, 4, case_number="SX2026-0002").status_code == 200
    # A repeat is answered like a fresh rating (no oracle of which numbers were rated) and stored nowhere.
    again = post(window, 1, ip="10.9.9.9", case_number="SX2026-0002")
    assert again.status_code == 200 and "感谢您的评价" in again.content.decode()
    assert Rating.objects.count() == 1 and not Case.objects.exists()
    # Without a case number each visit is its own rating (一次一评).
    assert post(cadre, 4).status_code == post(cadre, 4, ip="10.1.1.1").status_code == 200


def test_rater_phone_stored_only_as_keyed_hash(cards):
    cadre, _ = cards
    post(cadre, 1, phone="13900000001")
    rating = Rating.objects.get()
    assert rating.rater_phone_hash == keyed_hash("13900000001")
    assert rating.rater_phone_masked == "139****0001"
    stored = [str(getattr(rating, f.attname)) for f in Rating._meta.fields]
    case = Case.objects.get()
    stored += [str(getattr(case, f.attname)) for f in Case._meta.fields]
    stored += [str(e.payload) for e in case.events.all()]
    assert not any("13900000001" in value for value in stored)
    assert case.contact_name == "评价人" and case.contact_phone == "0530-3212345"  # not even the masked number


def test_rate_limit_per_device(cards, set_rule):
    set_rule("ratings.max_per_device_per_day", 2)
    cadre, window = cards
    phone = Client()
    phone.get(f"/r/{cadre.card_code}/")  # scanning the code opens the page, which marks the device
    assert post(cadre, 5, client=phone).status_code == 200
    assert post(window, 5, client=phone, ip="10.7.7.7").status_code == 200  # another network, same device
    refused = post(cadre, 5, client=phone, ip="10.8.8.8")
    assert refused.status_code == 429 and "本设备今天的评价次数已达上限" in refused.content.decode()
    assert Rating.objects.count() == 2
    assert post(cadre, 5).status_code == 200  # another phone


def test_rate_limit_per_network(cards, set_rule):
    set_rule("ratings.max_per_network_per_hour", 2)
    cadre, _ = cards
    assert post(cadre, 5, ip="10.3.3.1").status_code == post(cadre, 5, ip="10.3.3.2").status_code == 200
    refused = post(cadre, 5, ip="10.3.3.3")  # same /24
    assert refused.status_code == 429 and "当前网络评价过于频繁" in refused.content.decode()
    assert post(cadre, 5, ip="10.4.0.1").status_code == 200


def test_rating_burst_is_flagged_not_counted(cards, set_rule):
    set_rule("ratings.burst_threshold", 3)
    cadre, _ = cards
    for i in range(3):
        post(cadre, 5, ip=f"10.5.{i}.1")
    html = post(cadre, 1, ip="10.5.9.1").content.decode()
    assert "本条评价将经复核后计入统计" in html
    flagged = Rating.objects.get(level=1)
    assert (flagged.counted, flagged.status) == (False, "flagged")
    assert not Case.objects.exists()  # a flagged 差评 waits for review before it opens a rectification
    stats = re.sub(r"\s+", "", Client().get(f"/r/{cadre.card_code}/").content.decode())
    assert "<dt>评价数</dt><dd>3</dd>" in stats and "<dt>好评率</dt><dd>100.0%</dd>" in stats


def test_bad_rating_input_is_refused_beside_its_field_and_nothing_written(cards):
    cadre, _ = cards
    for data, status, detail in [
        ({}, 422, "请选择评价等级"),
        ({"level": 7}, 422, "请选择评价等级"),
        ({"level": 4, "phone": "12345"}, 422, "请填写正确的手机号"),
        ({"level": 4, "tags": ["bought"]}, 422, "评价标签不正确"),
        ({"level": 4, "comment": "长" * 501}, 422, "评价意见不能超过500字"),
        ({"level": 4, "case_number": "<script>"}, 422, "办件编号只能由字母、数字"),
    ]:
        response = Client().post(f"/r/{cadre.card_code}/", data)
        assert response.status_code == status and detail in response.content.decode(), data
    assert not Rating.objects.exists()


def test_qr_code_leads_to_the_public_page(cards):
    cadre, _ = cards
    response = Client().get(f"/r/{cadre.card_code}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    expected = io.BytesIO()
    segno.make(f"http://testserver/r/{cadre.card_code}/", error="m").save(expected, kind="svg", scale=4)
    assert response.content == expected.getvalue() and b"<svg" in response.content


def test_printable_card_for_administrators_of_the_unit(heze, cards):
    cadre, _ = cards
    assert Client().get(f"/r/{cadre.card_code}/print")["Location"].startswith("/login")
    office = Client()
    office.post("/login", {"username": "cao_office", "password": PASSWORD})
    html = office.get(f"/r/{cadre.card_code}/print").content.decode()
    assert "size:A6" in html and "张伟" in html and "<svg" in html and "0530-3212345" in html
    other = Client()
    other.post("/login", {"username": "shan_office", "password": PASSWORD})
    assert other.get(f"/r/{cadre.card_code}/print").status_code == 404
