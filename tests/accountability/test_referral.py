"""Issue 14 §12: referral to 纪检监察 (追责) as an accountability action (rules.md §1: suspected misconduct goes to
纪检监察; §8.1: the action types include 追责 referral, with a trigger = rule id plus evidence). Proposed by a rule or by
hand with evidence, decided like the others, recorded, and printed as a letter in the city's wording."""

import pytest

from tests.conftest import at
from whistle.accountability.evaluation import evaluate_rules
from whistle.accountability.models import ActionKind, Proposal, Rule
from whistle.accountability.services import action_record, proposal_decide, proposal_raise_by_hand
from whistle.core.errors import Invalid, NotFound

from .conftest import rate


def test_rule_8_1_referral_is_proposed_by_rule_on_repeated_poor_ratings(cadres):
    rule = Rule.objects.get(code="repeated-poor-referral")
    assert rule.action == ActionKind.REFERRAL and rule.is_active
    zhang = cadres["zhang"]
    rate(zhang, [1, 2, 1, 2, 1], at(2026, 6, 3))
    rate(zhang, [1, 2, 1, 2], at(2026, 9, 3))
    evaluate_rules(at(2026, 11, 20))
    assert not Proposal.objects.filter(action="referral").exists()  # nine in twelve months
    rate(zhang, [1], at(2026, 11, 2))
    evaluate_rules(at(2026, 11, 21))
    proposal = Proposal.objects.get(action="referral")
    assert proposal.cadre == zhang and len(proposal.evidence["ratings"]) == 10
    assert proposal.get_action_display() == "移送纪检监察"
    assert not Rule.objects.get(code="manual").proposals.exists()  # the manual rule is never evaluated


def test_rule_8_1_referral_raised_by_hand_with_evidence_is_decided_recorded_and_printed(heze, cadres, client):
    office = heze.actor("cao_office")
    with pytest.raises(NotFound):  # another county's office finds no such cadre
        proposal_raise_by_hand(
            heze.actor("shan_office"),
            subject="cadre",
            subject_id=cadres["zhang"].pk,
            action="referral",
            summary="x",
            evidence="y",
        )
    with pytest.raises(Invalid) as refused:
        proposal_raise_by_hand(
            office, subject="cadre", subject_id=cadres["zhang"].pk, action="referral", summary="回访不实", evidence=""
        )
    assert refused.value.field == "evidence"
    proposal = proposal_raise_by_hand(
        office,
        subject="cadre",
        subject_id=cadres["zhang"].pk,
        action="referral",
        summary="诱导企业作出“满意”评价",
        evidence="回访抽查3件均与企业自评不一致，企业反映经办人要求其选择“满意”。",
        now=at(2026, 11, 3),
    )
    assert proposal.rule.code == "manual" and proposal.state == "pending" and proposal.unit == heze.cao_zjj
    client.force_login(heze.users.cao_office)
    page = client.get(f"/accountability/proposals/{proposal.pk}/").content.decode()
    assert "回访抽查3件均与企业自评不一致" in page and "打印问题线索移送函" not in page  # not confirmed yet
    assert client.get(f"/accountability/proposals/{proposal.pk}/letter").status_code == 404
    proposal_decide(office, proposal.pk, "confirm", "线索属实，移送处理", now=at(2026, 11, 4))
    action = action_record(
        office,
        proposal.pk,
        kind="referral",
        held_on="2026-11-05",
        participants="县吹哨办 王主任",
        outcome="已将问题线索移送县纪委监委",
        now=at(2026, 11, 5),
    )
    assert action.get_kind_display() == "移送纪检监察"
    page = client.get(f"/accountability/proposals/{proposal.pk}/").content.decode()
    assert "打印问题线索移送函" in page
    letter = client.get(f"/accountability/proposals/{proposal.pk}/letter").content.decode()
    assert "曹县企业吹哨办" in letter and "关于移送问题线索的函" in letter and "曹县纪委监委：" in letter
    assert "诱导企业作出“满意”评价" in letter and "2026年11月4日" in letter
    for code in ("referral", "manual", "evidence", "§"):  # codes and research notes stay out of official output
        assert code not in letter.split('<article class="letter">')[1]


def test_rule_8_1_referral_raised_on_the_page_for_a_unit(heze, cadres, client):
    client.force_login(heze.users.cao_office)
    form = client.get("/accountability/proposals/new").content.decode()
    assert 'value="referral" selected' in form and heze.cao_zjj.name in form
    response = client.post(
        "/accountability/proposals/new",
        {"subject": "unit", "subject_id": heze.cao_zjj.pk, "action": "referral", "summary": "谎报办结", "evidence": ""},
    )
    assert response.status_code == 422 and "请填写依据" in response.content.decode()
    response = client.post(
        "/accountability/proposals/new",
        {
            "subject": "unit",
            "subject_id": heze.cao_zjj.pk,
            "action": "referral",
            "summary": "谎报办结",
            "evidence": "台账与现场不符",
        },
    )
    assert response.status_code == 302
    assert Proposal.objects.get(subject="unit").action == "referral"
    client.force_login(heze.users.cao_zjj)
    assert client.get("/accountability/proposals/new").status_code in (403, 404)
