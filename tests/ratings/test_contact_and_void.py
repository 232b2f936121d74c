"""评价人信息保护 (rules.md §3, §8.5): every read of rater contact data is logged; and §8.3: a rating voided on appeal
stops its rectification case through the workflow."""

import pytest

from tests.conftest import at
from whistle.cases import workflow
from whistle.cases.models import Case, CaseEvent
from whistle.core.errors import Invalid, NotFound
from whistle.ratings.models import ContactRead, Rating
from whistle.ratings.services import VOID_ACTION, appeal_file, appeal_review, rater_contact, rating_submit


@pytest.fixture
def poor(cards):
    cadre, _ = cards
    return rating_submit(
        cadre, comment="窗口让我跑了三趟", level=1, phone="13900000001", device="d1", ip="10.0.0.1", now=at(2026, 11, 3)
    )


def test_rule_8_5_every_read_of_rater_contact_is_logged(heze, poor):
    # The whole number, for the call-back (issue 12 item 4), decrypted only through this logged read.
    assert rater_contact(heze.actor("cao_zjj"), poor.pk, "回访核实差评", now=at(2026, 11, 4)) == "13900000001"
    read = ContactRead.objects.get()
    assert (read.rating, read.user, read.purpose, read.at) == (
        poor,
        heze.users.cao_zjj,
        "回访核实差评",
        at(2026, 11, 4),
    )
    assert "曹县住房和城乡建设局" in read.actor_label
    rater_contact(heze.actor("cao_office"), poor.pk, "督办回访")
    assert ContactRead.objects.count() == 2


def test_rule_8_5_rater_contact_outside_scope_or_without_reason_reads_nothing(heze, poor):
    for name in ("shan_zjj", "shan_office", "ent_cao", "cao_leader"):
        with pytest.raises(NotFound):
            rater_contact(heze.actor(name), poor.pk, "查看")
    with pytest.raises(Invalid) as missing:
        rater_contact(heze.actor("cao_zjj"), poor.pk, "  ")
    assert missing.value.code == "reason_required"
    assert not ContactRead.objects.exists()


def test_rule_8_3_voided_rating_closes_its_rectification_case(heze, poor):
    case = workflow.apply(poor.rectification, "accept", heze.actor("cao_zjj"), {}, at(2026, 11, 4))
    appeal = appeal_file(heze.actor("cao_zjj"), poor.pk, "评价人所办事项不属本科室")
    appeal_review(heze.actor("cao_office"), appeal.pk, "voided", "经核实为误评", now=at(2026, 11, 5))
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.is_open, case.closed_at) == ("closed", False, at(2026, 11, 5))
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event.action == VOID_ACTION and "经核实为误评" in event.payload["reason"]


def test_rule_8_5_rater_phone_page_shows_the_number_after_a_reason_and_logs_the_read(client, heze, poor):
    client.force_login(heze.users.cao_zjj)
    case_page = client.get(f"/cases/{poor.rectification.number}").content.decode()
    page_url = f"/r/ratings/{poor.pk}/contact"
    assert "查看评价人电话" in case_page and page_url in case_page and "139****0001" not in case_page
    page = client.get(page_url)
    body = page.content.decode()
    assert page.status_code == 200 and "评价人留了联系电话" in body and "139****0001" not in body
    assert not ContactRead.objects.exists()  # opening the page reads nothing
    refused = client.post(page_url, {"reason": "", "note": ""})
    assert (
        refused.status_code == 422
        and "请选择查看事由" in refused.content.decode()
        and "139****0001" not in refused.content.decode()
    )
    refused = client.post(page_url, {"reason": "other", "note": " "})
    assert refused.status_code == 422 and "请写明查看事由" in refused.content.decode()
    assert not ContactRead.objects.exists()
    shown = client.post(page_url, {"reason": "callback", "note": "第一次回访"})
    body = shown.content.decode()
    assert shown.status_code == 200 and 'href="tel:13900000001"' in body  # the whole number, to call (issue 12)
    assert "no-store" in shown["Cache-Control"]
    read = ContactRead.objects.get()
    assert (read.rating, read.user, read.purpose) == (poor, heze.users.cao_zjj, "回访核实差评：第一次回访")
    assert "曹县住房和城乡建设局" in read.actor_label and read.actor_label in body  # the page lists the reads
    # The county office (coordinator of the unit's subtree) may read too; its read is logged in its own name.
    client.force_login(heze.users.cao_office)
    assert "13900000001" in client.post(page_url, {"reason": "other", "note": "督办抽查回访"}).content.decode()
    assert list(ContactRead.objects.order_by("id").values_list("user__username", "purpose")) == [
        ("cao_zjj", "回访核实差评：第一次回访"),
        ("cao_office", "督办抽查回访"),
    ]


def test_rule_8_5_rater_phone_page_outside_scope_is_404_and_reads_nothing(client, heze, poor, cards):
    page_url = f"/r/ratings/{poor.pk}/contact"
    for name in ("shan_zjj", "shan_office", "city_scjg", "ent_cao", "cao_leader", "auditor"):
        client.force_login(getattr(heze.users, name))
        assert client.get(page_url).status_code == 404, name
        assert client.post(page_url, {"reason": "callback"}).status_code == 404, name
    client.force_login(heze.users.cao_zjj)
    good = rating_submit(cards[0], comment="窗口让我跑了三趟", level=5, phone="13900000002", device="d2", ip="10.0.0.2")
    assert client.get(f"/r/ratings/{good.pk}/contact").status_code == 404  # not a poor rating: no call-back
    assert client.get(f"/r/ratings/{2**70}/contact").status_code == 404
    assert not ContactRead.objects.exists()
    client.logout()
    assert client.get(page_url).status_code == 302  # to the sign-in page


def test_rater_phone_page_says_when_the_rater_left_no_phone(client, heze, cards):
    anonymous = rating_submit(cards[0], comment="窗口让我跑了三趟", level=2, device="d3", ip="10.0.0.3")
    client.force_login(heze.users.cao_zjj)
    assert "评价人未留联系电话" in client.get(f"/cases/{anonymous.rectification.number}").content.decode()
    body = client.get(f"/r/ratings/{anonymous.pk}/contact").content.decode()
    assert "评价人未留联系电话" in body and 'name="reason"' not in body
    assert Rating.objects.get(pk=anonymous.pk).rater_phone_masked == ""
