"""rules.md §7: the 不罚/轻罚 lists applied at an inspection — conditions checked against the enterprise's history and
never loosened, the version chosen by the finding's date, no penalty still meaning an order to correct within a
working-day deadline, a re-check that closes or reopens, and deviations approved by the level above."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import at
from tests.leniency.conftest import ALL_YES, record
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.leniency import selectors, services
from whistle.leniency.models import (
    Approval,
    Decision,
    FindingState,
    ListVersion,
    OrderState,
)


def decide_no_penalty(heze, finding, item, now=None, **extra):
    return services.finding_decide(
        heze.actor("cao_inspector"),
        finding.pk,
        decision=Decision.NO_PENALTY,
        item=item.pk,
        answers=ALL_YES,
        fine_standard=3000,
        now=now or at(finding.inspected_on.year, finding.inspected_on.month, finding.inspected_on.day, 11),
        **extra,
    )


def test_rule_7_a_finding_is_matched_to_its_item_by_field_and_words(lists):
    finding = record(lists)
    best = selectors.suggestions_for(finding, ALL_YES)[0]
    assert best["item"] == lists.item("sd-2021", "1")
    assert best["in_field"]  # 曹县市场监管局 enforces 市场监管
    assert "营业执照" in best["shared"]
    assert best["applicable"]


def test_rule_7_first_offence_holds_over_a_clean_history(lists):
    finding = record(lists)
    checks = selectors.check_conditions(lists.item("sd-2021", "1"), finding, ALL_YES)
    first = next(c for c in checks if c["code"] == "first_offence")
    assert first["holds"] is True


def test_rule_7_first_offence_fails_after_an_earlier_violation_of_the_same_kind(lists):
    item = lists.item("sd-2021", "1")
    earlier = record(lists, day=dt.date(2026, 1, 12))
    decide_no_penalty(lists, earlier, item)
    again = record(lists, day=dt.date(2026, 3, 10))
    checks = selectors.check_conditions(item, again, ALL_YES)
    first = next(c for c in checks if c["code"] == "first_offence")
    assert first["holds"] is False and "2026年1月12日" in first["detail"]
    with pytest.raises(Invalid) as refused:
        decide_no_penalty(lists, again, item)
    assert refused.value.code == "conditions_not_met"
    # Nothing suggested is applicable now: the suggestion is not an item whose conditions fail.
    assert all(not s["applicable"] for s in selectors.suggestions_for(again, ALL_YES) if s["item"] == item)


def test_rule_7_first_offence_looks_back_only_over_the_configured_period(lists):
    item = lists.item("sd-2021", "1")
    old = record(lists, day=dt.date(2023, 11, 20))
    decide_no_penalty(lists, old, item)
    finding = record(lists, day=dt.date(2026, 3, 10))  # 28 months later; the look-back is 24
    first = next(c for c in selectors.check_conditions(item, finding, ALL_YES) if c["code"] == "first_offence")
    assert first["holds"] is True


def test_rule_7_first_offence_counts_only_the_enterprises_own_history(lists):
    item = lists.item("sd-2021", "1")
    other = lists.ent_cao.__class__.objects.create(
        uscc="91371721MA3C5TXL6X",
        name="曹县服装有限公司",
        county=lists.cao,
        contact_name="赵",
        contact_phone="13905300003",
    )
    decide_no_penalty(lists, record(lists, day=dt.date(2026, 1, 12), enterprise=other), item)
    finding = record(lists)
    first = next(c for c in selectors.check_conditions(item, finding, ALL_YES) if c["code"] == "first_offence")
    assert first["holds"] is True


def test_rule_7_conditions_are_never_loosened(lists):
    item = lists.item("sd-2021", "1")
    finding = record(lists)
    with pytest.raises(Invalid) as refused:
        services.finding_decide(
            lists.actor("cao_inspector"),
            finding.pk,
            decision=Decision.NO_PENALTY,
            item=item.pk,
            answers={**ALL_YES, "no_harm": False},
        )
    assert refused.value.code == "conditions_not_met" and "没有造成危害后果" in refused.value.detail
    with pytest.raises(Invalid) as unanswered:
        services.finding_decide(lists.actor("cao_inspector"), finding.pk, decision=Decision.NO_PENALTY, item=item.pk)
    assert unanswered.value.code == "conditions_unanswered"
    finding.refresh_from_db()
    assert finding.state == FindingState.DRAFT and not hasattr(finding, "order_id")


def test_rule_7_no_penalty_still_orders_correction_within_a_working_day_deadline(lists):
    """不罚 still means 责令改正: 5 working days from 30 September 2025 skip the National Day holiday (1–8 October)
    and count the swapped working Saturday 11 October."""
    item = lists.item("sd-2021", "1")
    finding = record(lists, day=dt.date(2025, 9, 30))
    finding = decide_no_penalty(lists, finding, item, now=at(2025, 9, 30, 11))
    assert finding.state == FindingState.ORDERED
    assert finding.decision == Decision.NO_PENALTY and finding.fine_imposed == 0
    assert finding.amount_not_imposed == Decimal(3000)
    assert "第1项" in finding.legal_basis and "行政处罚法" in finding.legal_basis
    order = finding.order
    assert (order.ordered_on, order.days, order.due_on) == (dt.date(2025, 9, 30), 5, dt.date(2025, 10, 14))


def test_rule_7_corrected_within_the_ordered_period_closes_the_matter(lists):
    finding = decide_no_penalty(lists, record(lists), lists.item("sd-2021", "1"))
    due = finding.order.due_on
    services.order_report(
        lists.actor("ent_cao"), finding.pk, report="已将营业执照悬挂于收银台上方", now=at(2026, 3, 12)
    )
    finding = services.finding_recheck(
        lists.actor("cao_inspector"),
        finding.pk,
        corrected=True,
        rechecked_on=due + dt.timedelta(days=3),
        now=at(2026, 3, 30),
    )
    assert finding.state == FindingState.CLOSED and finding.order.state == OrderState.CORRECTED


def test_rule_7_correction_after_the_deadline_reopens_the_matter_for_ordinary_handling(lists):
    finding = decide_no_penalty(lists, record(lists), lists.item("sd-2021", "1"))
    late = finding.order.due_on + dt.timedelta(days=2)
    services.order_report(lists.actor("ent_cao"), finding.pk, report="已改正", now=at(late.year, late.month, late.day))
    finding = services.finding_recheck(lists.actor("cao_inspector"), finding.pk, corrected=True, now=at(2026, 4, 30))
    assert finding.state == FindingState.REOPENED and finding.order.state == OrderState.NOT_CORRECTED


def test_rule_7_not_corrected_reopens_the_matter_for_ordinary_handling(lists):
    finding = decide_no_penalty(lists, record(lists), lists.item("sd-2021", "1"))
    finding = services.finding_recheck(lists.actor("cao_inspector"), finding.pk, corrected=False, now=at(2026, 3, 31))
    assert finding.state == FindingState.REOPENED
    with pytest.raises(Conflict):
        services.finding_recheck(lists.actor("cao_inspector"), finding.pk, corrected=True, now=at(2026, 4, 1))


def test_rule_7_the_version_is_selected_by_the_findings_date(lists):
    v = lists.versions
    assert selectors.versions_in_force(dt.date(2020, 5, 31), lists.cao) == []
    assert selectors.versions_in_force(dt.date(2021, 3, 1), lists.cao) == [v["sd-2020"]]
    assert selectors.versions_in_force(dt.date(2021, 7, 1), lists.cao) == [v["sd-2021"]]
    assert selectors.versions_in_force(dt.date(2023, 5, 1), lists.cao) == [v["sd-2021"], v["heze-2022"]]
    finding = record(lists, day=dt.date(2021, 3, 1))
    assert {s["item"].version.code for s in selectors.suggestions_for(finding, ALL_YES)} == {"sd-2020"}
    with pytest.raises(Invalid) as refused:
        decide_no_penalty(lists, finding, lists.item("sd-2021", "1"))  # the 2021 list did not apply yet
    assert refused.value.code == "item_not_in_force"
    finding = decide_no_penalty(lists, finding, lists.item("sd-2020", "1"))
    assert finding.item.version.code == "sd-2020" and "2020年版" in finding.legal_basis


def test_rule_7_a_county_addition_applies_only_in_its_county(lists):
    county = services.version_create(
        services.Actor.system(),
        {
            "code": "shan-2024",
            "name": "单县补充清单",
            "level": "county",
            "region": "shanxian",
            "effective_from": "2024-01-01",
        },
    )
    services.item_save(
        county,
        {
            "number": "S-1",
            "field": services.field_get_or_create(county, "农业农村"),
            "treatment": "no_penalty",
            "violation": "农资经营者未建立进货台账",
            "legal_basis": "《行政处罚法》第三十三条",
            "conditions": [],
        },
    )
    services.review_record(
        services.Actor.system(),
        county.pk,
        {"decision": "approve", "reviewer_unit": "单县司法局", "reviewer_name": "审查员", "reviewed_on": "2023-12-20"},
    )
    day = dt.date(2026, 3, 1)
    assert county in selectors.versions_in_force(day, lists.shan)
    assert county not in selectors.versions_in_force(day, lists.cao)
    assert lists.versions["heze-2022"] in selectors.versions_in_force(day, lists.shan)  # the city's, in each county


def test_rule_7_a_version_applies_only_after_its_legality_review_approves_it(lists):
    system = services.Actor.system()
    draft = services.version_create(
        system,
        {
            "code": "sd-2026",
            "name": "山东省清单（2026年版）",
            "level": "province",
            "effective_from": "2026-01-01",
            "replaces": lists.versions["sd-2021"].pk,
        },
    )
    services.item_save(
        draft,
        {
            "number": "1",
            "field": services.field_get_or_create(draft, "市场监管", "scjg"),
            "treatment": "no_penalty",
            "violation": "未将营业执照置于醒目位置",
            "legal_basis": "《行政处罚法》第三十三条",
            "conditions": [],
        },
    )
    day = dt.date(2026, 3, 1)
    assert selectors.versions_in_force(day, lists.cao)[0] == lists.versions["sd-2021"]  # not reviewed yet
    review = {"reviewer_unit": "山东省司法厅", "reviewer_name": "审查员", "reviewed_on": "2025-12-20"}
    services.review_record(system, draft.pk, {**review, "decision": "reject", "opinion": "第1项条件宽于法律规定"})
    assert selectors.versions_in_force(day, lists.cao)[0] == lists.versions["sd-2021"]
    services.review_record(system, draft.pk, {**review, "decision": "approve"})
    assert selectors.versions_in_force(day, lists.cao)[0] == draft
    assert ListVersion.objects.get(pk=draft.pk).review.approved  # who approved, when: the latest review
    with pytest.raises(Conflict):
        services.check_editable(draft)


def test_rule_7_a_deviation_needs_a_reason_and_the_approval_of_the_level_above(lists):
    finding = record(lists)
    suggested = lists.item("sd-2021", "1")
    with pytest.raises(Invalid) as refused:
        services.finding_decide(
            lists.actor("cao_inspector"), finding.pk, decision=Decision.ORDINARY, answers=ALL_YES, fine_standard=3000
        )
    assert refused.value.code == "reason_required"
    finding = services.finding_decide(
        lists.actor("cao_inspector"),
        finding.pk,
        decision=Decision.ORDINARY,
        answers=ALL_YES,
        fine_standard=3000,
        reason="拒不配合检查",
        now=at(2026, 3, 10, 11),
    )
    assert finding.deviation and finding.suggested_item == suggested
    assert finding.state == FindingState.PENDING_APPROVAL and finding.approval == Approval.PENDING
    with pytest.raises(Forbidden):
        services.finding_approve(lists.actor("cao_inspector"), finding.pk, decision="approve")
    with pytest.raises(NotFound):  # another department's head does not see it at all
        services.finding_approve(lists.actor("cao_zjj_head"), finding.pk, decision="approve")
    finding = services.finding_approve(
        lists.actor("cao_scjg_admin"), finding.pk, decision="approve", note="同意", now=at(2026, 3, 11)
    )
    assert finding.state == FindingState.PUNISHED and finding.approval == Approval.APPROVED
    assert finding.approved_by == lists.users.cao_scjg_admin


def test_rule_7_a_refused_deviation_goes_back_to_the_inspector(lists):
    finding = record(lists)
    finding = services.finding_decide(
        lists.actor("cao_inspector"),
        finding.pk,
        decision=Decision.ORDINARY,
        answers=ALL_YES,
        reason="从严处理",
    )
    with pytest.raises(Invalid):  # refusing needs a note
        services.finding_approve(lists.actor("cao_scjg_admin"), finding.pk, decision="reject")
    finding = services.finding_approve(
        lists.actor("cao_scjg_admin"), finding.pk, decision="reject", note="符合首违不罚条件，应适用清单"
    )
    assert finding.state == FindingState.DRAFT and finding.decision == ""
    finding = decide_no_penalty(lists, finding, lists.item("sd-2021", "1"))
    assert finding.state == FindingState.ORDERED and not finding.deviation


def test_rule_7_choosing_another_item_than_the_suggested_one_is_a_deviation(lists):
    finding = record(lists, "检查发现食品从业人员未取得健康证明上岗，营业执照未置于醒目位置")
    suggestions = [s for s in selectors.suggestions_for(finding, ALL_YES) if s["applicable"]]
    assert len(suggestions) >= 2
    second = suggestions[1]["item"]
    decision = Decision.NO_PENALTY if second.is_no_penalty else Decision.LIGHT_PENALTY
    extra = {} if second.is_no_penalty else {"fine_imposed": second.fine_min}
    with pytest.raises(Invalid) as refused:
        services.finding_decide(
            lists.actor("cao_inspector"), finding.pk, decision=decision, item=second.pk, answers=ALL_YES, **extra
        )
    assert refused.value.code == "deviation_reason_required"


def test_rule_7_light_penalty_stays_within_the_items_range(lists):
    item = lists.item("sd-2021", "10")  # 健康证明: 2000–5000 元
    finding = record(lists, "检查发现食品从业人员未取得健康证明从事接触直接入口食品的工作")
    assert selectors.suggestions_for(finding, ALL_YES)[0]["item"] == item
    args = dict(decision=Decision.LIGHT_PENALTY, item=item.pk, answers=ALL_YES, fine_standard=20000)
    with pytest.raises(Invalid) as refused:
        services.finding_decide(lists.actor("cao_inspector"), finding.pk, fine_imposed=6000, **args)
    assert refused.value.code == "fine_out_of_range"
    with pytest.raises(Invalid) as wrong:
        services.finding_decide(
            lists.actor("cao_inspector"), finding.pk, decision=Decision.NO_PENALTY, item=item.pk, answers=ALL_YES
        )
    assert wrong.value.code == "item_treatment_mismatch"
    finding = services.finding_decide(lists.actor("cao_inspector"), finding.pk, fine_imposed=3000, **args)
    assert finding.state == FindingState.ORDERED
    assert finding.amount_not_imposed == Decimal(17000)


def test_rule_7_only_an_inspector_of_the_department_decides(lists):
    finding = record(lists)
    with pytest.raises(NotFound):  # another department's inspector does not see it
        services.finding_decide(
            lists.actor("cao_zjj_inspector"),
            finding.pk,
            decision=Decision.NO_PENALTY,
            item=lists.item("sd-2021", "1").pk,
            answers=ALL_YES,
        )
    with pytest.raises(Forbidden):
        services.finding_decide(lists.actor("cao_office"), finding.pk, decision=Decision.ORDINARY, reason="x")
