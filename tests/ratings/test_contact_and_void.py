"""评价人信息保护 (rules.md §3, §8.5): every read of rater contact data is logged; and §8.3: a rating voided on appeal
stops its rectification case through the workflow."""
import pytest

from whistle.cases import workflow
from whistle.cases.models import Case, CaseEvent
from whistle.core.errors import Invalid, NotFound
from whistle.ratings.models import ContactRead
from whistle.ratings.selectors import rater_contact
from whistle.ratings.services import VOID_ACTION, appeal_file, appeal_review, rating_submit

from tests.conftest import at


@pytest.fixture
def poor(cards):
    cadre, _ = cards
    return rating_submit(cadre, level=1, phone="13900000001", device="d1", ip="10.0.0.1", now=at(2026, 11, 3))


def test_rule_8_5_every_read_of_rater_contact_is_logged(heze, poor):
    assert rater_contact(heze.actor("cao_zjj"), poor.pk, "回访核实差评", now=at(2026, 11, 4)) == "139****0001"
    read = ContactRead.objects.get()
    assert (read.rating, read.user, read.purpose, read.at) == (poor, heze.users.cao_zjj, "回访核实差评", at(2026, 11, 4))
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
