"""rules.md §3 / §8.3: a poor rating's rectification runs as an ordinary case — verify, fix, answer — and then the
rater re-rates through an HMAC link; the re-rating is the case's follow-up and a new rating tied to the poor one."""

from tests.conftest import at
from whistle.cases import services
from whistle.cases.models import Case, CaseEvent
from whistle.ratings.models import Rating
from whistle.ratings.rectification import rerate_token
from whistle.ratings.services import rating_submit


def poor(cadre, when=None):
    return rating_submit(
        cadre, level=2, comment="材料退回三次", device="phone-1", ip="10.0.0.1", now=when or at(2026, 11, 2, 9)
    )


def answer(heze, case, when=at(2026, 11, 2, 10)):
    actor = heze.actor("cao_zjj")
    for action, payload in [
        ("accept", {}),
        ("contact", {"note": "已电话回访核实"}),
        ("opinion", {"opinion": "补正材料一次性告知"}),
        ("reply", {"content": "已整改：材料清单一次性告知，次日办结"}),
    ]:
        case = services.case_transition(actor, case.number, action, payload, when)
    return case


def test_rule_8_3_rectification_is_an_ordinary_case_with_the_rectification_profile(heze, cards):
    rating = poor(cards[0])
    case = rating.rectification
    assert (case.channel, case.kind, case.category.code, case.category.sla_profile.code) == (
        "rating",
        "complaint",
        "rating-rectification",
        "rectification",
    )
    assert case.lead_unit == heze.cao_zjj and case.state == "dispatched"


def test_rule_8_3_rater_cannot_rerate_before_the_unit_answers(client, heze, cards):
    rating = poor(cards[0])
    page = client.get(f"/r/rerate/{rerate_token(rating)}")
    body = page.content.decode()
    assert page.status_code == 200 and rating.rectification.number in body and "正在核实整改" in body
    r = client.post(f"/r/rerate/{rerate_token(rating)}", {"level": "5"})
    assert r.status_code == 409 and "尚未答复" in r.content.decode()
    assert Rating.objects.count() == 1


def test_rule_8_3_satisfied_rerating_closes_the_case_and_is_recorded_on_the_rectification(client, heze, cards):
    rating = poor(cards[0])
    case = answer(heze, rating.rectification)
    page = client.get(f"/r/rerate/{rerate_token(rating)}").content.decode()
    assert "已整改：材料清单一次性告知" in page and "核实</strong> 签收并回访核实（已完成）" in page
    r = client.post(f"/r/rerate/{rerate_token(rating)}", {"level": "4", "comment": "这次很快"})
    assert r.status_code == 200 and "感谢您的再评价" in r.content.decode()
    case.refresh_from_db()
    assert (case.state, case.resolution, case.satisfaction) == ("closed", "resolved", "satisfied")
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.action, event.actor_label, event.actor_id) == ("follow_up", "系统", None)
    again = Rating.objects.exclude(pk=rating.pk).get()
    assert (again.level, again.rerate_of, again.case_number, again.cadre) == (4, rating, "", cards[0])
    # 一事一评: the link does not take a second re-rating.
    r = client.post(f"/r/rerate/{rerate_token(rating)}", {"level": "5"})
    assert r.status_code == 409 and Rating.objects.count() == 2


def test_rule_8_3_unsatisfied_rerating_reopens_and_supervises(client, heze, cards):
    rating = poor(cards[0])
    case = answer(heze, rating.rectification)
    client.post(f"/r/rerate/{rerate_token(rating)}", {"level": "3"})  # 基本满意 closes
    assert Case.objects.get(pk=case.pk).satisfaction == "basically_satisfied"

    other = poor(cards[0], at(2026, 11, 3, 9))
    second = answer(heze, other.rectification, at(2026, 11, 3, 10))
    rectifications = Case.objects.filter(channel="rating").count()
    client.post(f"/r/rerate/{rerate_token(other)}", {"level": "1"})
    second.refresh_from_db()
    assert (second.state, second.satisfaction, second.supervision_count) == ("reopened", "unsatisfied", 1)
    # The poor re-rating acts on this case: it opens no second rectification.
    assert Case.objects.filter(channel="rating").count() == rectifications


def test_rerate_link_is_an_hmac_a_forged_one_is_404(client, cards):
    rating = poor(cards[0])
    token = rerate_token(rating)
    assert client.get(f"/r/rerate/{rating.pk}-{'0' * 24}").status_code == 404
    assert client.get(f"/r/rerate/{rating.pk}").status_code == 404
    assert client.get(f"/r/rerate/{token}x").status_code == 404
    assert client.get("/r/rerate/99999999999999999999999-abc").status_code == 404
    assert client.get(f"/r/rerate/{token}").status_code == 200


def test_public_page_after_poor_rating_shows_case_number_and_rerate_link(client, cards):
    r = client.post(f"/r/{cards[0].card_code}/", {"level": "1", "comment": "窗口无人"})
    rating = Rating.objects.get()
    body = r.content.decode()
    assert rating.rectification.number in body and f"/r/rerate/{rerate_token(rating)}" in body


def test_rule_8_5_the_rectification_case_carries_no_rater_contact(heze, cards):
    rating = rating_submit(
        cards[0],
        comment="窗口让我跑了三趟",
        level=1,
        phone="13912345678",
        device="phone-2",
        ip="10.0.0.2",
        now=at(2026, 11, 2, 9),
    )
    case = Case.objects.get(pk=rating.rectification_id)
    assert (case.contact_name, case.contact_phone) == ("评价人", cards[0].supervision_phone)
    stored = [case.title, case.description, case.contact_name, case.contact_phone, case.address]
    # The submit event's content hash is hex and may hold any digits ("139" at random): it is a hash, not a number.
    stored += [
        str({k: v for k, v in e.payload.items() if k != "content_hash"}) for e in CaseEvent.objects.filter(case=case)
    ]
    assert not any("5678" in text or "139" in text for text in stored)
    assert rating.rater_phone_masked == "139****5678"  # kept on the rating, read only through rater_contact


def test_rule_8_5_migration_clears_the_masked_phone_from_older_rectification_cases(heze, cards):
    """Cases opened by the older code carried 评价人139****5678 as contact name; migration ratings 0010 neutralises
    them and leaves the names of other channels' cases alone."""
    import importlib

    from django.apps import apps

    older = rating_submit(
        cards[0],
        comment="窗口让我跑了三趟",
        level=1,
        phone="13912345678",
        device="phone-3",
        ip="10.0.0.3",
        now=at(2026, 11, 2, 9),
    )
    Case.objects.filter(pk=older.rectification_id).update(contact_name="评价人139****5678")
    other, _ = services.case_submit(
        heze.actor("ent_cao"),
        kind="help",
        category="construction",
        description="施工许可审批慢",
        contact_name="评价人王五",
    )
    importlib.import_module("whistle.ratings.migrations.0010_rectification_contact_name").neutral_contact_names(
        apps, None
    )
    assert Case.objects.get(pk=older.rectification_id).contact_name == "评价人"
    assert Case.objects.get(pk=other.pk).contact_name == "评价人王五"
