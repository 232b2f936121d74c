"""The rules of rules.md §7b and §10.4 as reforms implements them: roll-up by weight, statuses with default
progress, lights at working-day boundaries around holidays, one 督办函 per lapse, repeated red → 约谈 proposal,
no 销号 without acceptance, sheets closed item by item."""

import datetime as dt

import pytest

from tests.reforms.conftest import at, make_task, pdf
from whistle.accountability.models import Proposal
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.core.models import HolidayOverride, RuleParameter
from whistle.reforms import lights, selectors, services
from whistle.reforms.models import Light, NoticeKind, State, Task, TaskEvent, TaskNotice


def refresh(task):
    return Task.objects.get(pk=task.pk)


def test_rule_progress_rolls_up_from_children_by_weight(reform):
    parent = make_task(reform)
    office = reform.actor("gaige")
    heavy = services.task_create(
        office, {"parent": parent.pk, "title": "试点", "lead_unit": "caoxian-zjj", "weight": 3}
    )
    light = services.task_create(
        office, {"parent": parent.pk, "title": "总结", "lead_unit": "caoxian-scjg", "weight": 1}
    )
    services.report_add(reform.actor("cao_zjj"), heavy.pk, text_value="试点过半", progress=60, now=at(2026, 2, 2))
    services.report_add(reform.actor("cao_scjg"), light.pk, text_value="起草中", progress=20, now=at(2026, 2, 2))
    assert refresh(parent).progress == 50  # (60×3 + 20×1) / 4
    # A parent's own report keeps the rolled-up figure: its percent is its children's.
    services.report_add(reform.actor("cao_zjj"), parent.pk, text_value="总体推进", progress=99, now=at(2026, 2, 3))
    assert refresh(parent).progress == 50


def test_rule_a_status_without_a_percent_takes_its_default_progress(reform):
    task = make_task(reform)
    event = services.report_add(
        reform.actor("cao_zjj"), task.pk, text_value="方案已出台", status="issued", now=at(2026, 2, 2)
    )
    assert event.progress == 40 and refresh(task).progress == 40 and refresh(task).status.code == "issued"


def test_rule_lights_at_working_day_boundaries_around_the_national_day_holiday(reform):
    """Due 2026-09-30, the last working day before the holiday (10-01 to 10-07; 9-25 to 9-27 off too): yellow 5
    working days before (9-22), still yellow through the holiday, red on the first working day after (10-08)."""
    task = make_task(reform, due_on="2026-09-30")
    services.report_add(reform.actor("cao_zjj"), task.pk, text_value="按月报送", now=at(2026, 9, 1))
    task = refresh(task)
    assert (task.yellow_on, task.red_on) == (dt.date(2026, 9, 22), dt.date(2026, 10, 8))
    for day, light in [
        (dt.date(2026, 9, 21), Light.GREEN),
        (dt.date(2026, 9, 22), Light.YELLOW),
        (dt.date(2026, 10, 7), Light.YELLOW),
        (dt.date(2026, 10, 8), Light.RED),
    ]:
        lights.set_lights(day)
        assert refresh(task).light == light, day


def test_rule_a_time_limit_ending_on_a_day_off_runs_to_the_next_working_day(reform):
    task = refresh(make_task(reform, due_on="2026-10-03"))  # a holiday: the limit ends on 10-08, red from 10-09
    assert task.red_on == dt.date(2026, 10, 9)


def test_rule_lights_follow_holiday_overrides_as_data(reform):
    task = refresh(make_task(reform, due_on="2026-06-30"))
    assert task.red_on == dt.date(2026, 7, 1)
    HolidayOverride.objects.create(date=dt.date(2026, 7, 1), is_working_day=False, note="测试")
    from whistle.core import calendar

    calendar.clear_cache()
    services.report_add(reform.actor("cao_zjj"), task.pk, text_value="报送", now=at(2026, 6, 1))
    assert refresh(task).red_on == dt.date(2026, 7, 2)


def test_rule_yellow_within_n_working_days_is_a_parameter(reform):
    RuleParameter.objects.filter(key="reforms.yellow_within_working_days").update(value=1)
    from whistle.core import rules

    rules.clear_cache()
    task = refresh(make_task(reform, due_on="2026-09-30"))
    assert task.yellow_on == dt.date(2026, 9, 29)


def test_rule_a_missing_report_turns_the_light_yellow_and_reminds_the_lead_unit(reform):
    """Monthly reports: January's is due within 5 working days after January ends; missing from the 6th."""
    task = refresh(make_task(reform, due_on="2026-12-31"))
    assert task.report_missing_on == dt.date(2026, 2, 9)  # Feb 2–6 are the 5 working days, missing from Mon 9th
    assert lights.sweep(at(2026, 2, 6))["reform_notices"] == 0
    result = lights.sweep(at(2026, 2, 9))
    assert refresh(task).light == Light.YELLOW and result["reform_notices"] == 1
    notice = TaskNotice.objects.get()
    assert (notice.kind, notice.reason, notice.unit) == (NoticeKind.REMINDER, "未按期报送进展", reform.cao_zjj)
    # A report filed within the grace covers the month before; once filed, the light is green again.
    services.report_add(reform.actor("cao_zjj"), task.pk, text_value="一月进展", now=at(2026, 2, 10))
    assert refresh(task).reported_through == dt.date(2026, 2, 1)
    lights.sweep(at(2026, 2, 10))
    assert refresh(task).light == Light.GREEN


def test_rule_report_within_grace_counts_for_the_period_just_ended(reform):
    task = make_task(reform, due_on="2026-12-31")
    event = services.report_add(reform.actor("cao_zjj"), task.pk, text_value="一月", now=at(2026, 2, 4))
    assert event.period == dt.date(2026, 1, 1)
    event = services.report_add(reform.actor("cao_zjj"), task.pk, text_value="二月", now=at(2026, 2, 20))
    assert event.period == dt.date(2026, 2, 1)


def test_rule_one_letter_per_lapse(reform):
    """Red → one 督办函 to the lead unit, however often the sweep runs; another only after the repeat interval."""
    task = make_task(reform, due_on="2026-09-30")
    for day in (8, 9, 12, 20):
        lights.sweep(at(2026, 10, day))
    letters = TaskNotice.objects.filter(task=task, kind=NoticeKind.LETTER)
    assert [n.lapse_on for n in letters] == [dt.date(2026, 10, 8)]
    assert letters.get().unit == reform.cao_zjj
    # 20 working days later it is still red: a second lapse, a second letter — still one for it.
    lights.sweep(at(2026, 11, 5))
    lights.sweep(at(2026, 11, 6))
    assert TaskNotice.objects.filter(task=task, kind=NoticeKind.LETTER).count() == 2


def test_rule_a_sheet_item_gets_warning_then_supervision_letters(reform):
    sheet = services.sheet_issue(
        reform.actor("gaige"),
        {
            "title": "2026年曹县交办单",
            "issuer_title": "市委书记",
            "lead_unit": "caoxian",
            "starts_on": "2026-02-20",
            "due_on": "2026-12-31",
            "items": [{"title": "扬尘治理", "due_on": "2026-06-30"}],
        },
        at(2026, 2, 20),
    )
    item = sheet.children.get()
    assert item.kind == "item" and item.owner == reform.city
    lights.sweep(at(2026, 6, 24))
    lights.sweep(at(2026, 7, 1))
    kinds = sorted(TaskNotice.objects.filter(task=item).values_list("kind", flat=True))
    assert NoticeKind.WARNING in kinds and NoticeKind.LETTER in kinds
    assert not TaskNotice.objects.filter(task=sheet).exists()  # the sheet itself is not swept


def test_rule_repeated_red_lights_raise_an_accountability_proposal_with_evidence(reform):
    task = make_task(reform, due_on="2026-09-30")
    lights.sweep(at(2026, 10, 8))
    assert not Proposal.objects.exists()
    lights.sweep(at(2026, 11, 5))  # the second 督办函 within 3 months (the rule's numbers)
    proposal = Proposal.objects.get()
    assert proposal.rule.code == "reform-repeated-red" and proposal.action == "talk"
    assert proposal.unit == reform.cao_zjj and proposal.subject == "unit"
    assert proposal.evidence["task"]["code"] == task.code and len(proposal.evidence["letters"]) == 2
    lights.sweep(at(2026, 11, 6))
    assert Proposal.objects.count() == 1  # the same evidence never proposes twice
    # The city's coordinators see it in the accountability app, like any proposal.
    from whistle.accountability.selectors import proposal_list

    assert list(proposal_list(reform.actor("cao_office"))) == [proposal]


def test_rule_repeated_red_lights_after_a_backlog_raise_one_proposal_per_task_once(reform):
    """A sweep after a backlog finds many tasks past the threshold at once: one proposal each, written in one go,
    under the same rule (inactive: none), and never again for the same letters."""
    from whistle.accountability.models import Rule
    from whistle.accountability.services import proposals_raise

    tasks = [make_task(reform, lead, due_on="2026-09-30") for lead in ("caoxian-zjj", "caoxian-scjg", "caoxian-zjj")]
    assert lights.sweep(at(2026, 10, 8))["reform_proposals"] == 0
    assert lights.sweep(at(2026, 11, 5))["reform_proposals"] == 3
    assert sorted(Proposal.objects.values_list("evidence__task__id", flat=True)) == sorted(t.pk for t in tasks)
    assert {p.unit.code for p in Proposal.objects.all()} == {"caoxian-zjj", "caoxian-scjg"}
    assert {(p.rule.code, p.action, p.subject) for p in Proposal.objects.all()} == {
        ("reform-repeated-red", "talk", "unit")
    }
    assert lights.sweep(at(2026, 11, 6))["reform_proposals"] == 0
    assert Proposal.objects.count() == 3
    # The same evidence again (a second worker, a rerun) proposes nothing; an inactive rule proposes nothing.
    again = [
        {"unit": reform.cao_zjj, "summary": p.summary, "evidence": p.evidence, "evidence_key": p.evidence_key}
        for p in Proposal.objects.all()
    ]
    assert proposals_raise("reform-repeated-red", again) == 0
    Rule.objects.filter(code="reform-repeated-red").update(is_active=False)
    fresh = [{**again[0], "evidence_key": "reform-task-0-9"}]
    assert proposals_raise("reform-repeated-red", fresh) == 0
    assert Proposal.objects.count() == 3


def test_rule_no_close_without_acceptance(reform):
    task = make_task(reform)
    office, unit = reform.actor("gaige"), reform.actor("cao_zjj")
    with pytest.raises(Conflict) as refused:
        services.task_close(office, task.pk)
    assert refused.value.code == "invalid_state"
    services.task_submit(unit, task.pk, text_value="已完成", files=[pdf()])
    with pytest.raises(Conflict):
        services.task_close(office, task.pk)  # submitted is not accepted
    with pytest.raises(Forbidden):
        services.task_accept(unit, task.pk)  # the lead unit cannot accept its own work
    services.task_accept(office, task.pk)
    services.task_close(office, task.pk)
    task = refresh(task)
    assert task.state == State.CLOSED and task.progress == 100 and task.closed_at
    kinds = list(TaskEvent.objects.filter(task=task).values_list("kind", flat=True))
    assert kinds == ["create", "submit", "accept", "close"]


def test_rule_submission_needs_evidence_and_send_back_needs_reasons(reform):
    task = make_task(reform)
    unit, office = reform.actor("cao_zjj"), reform.actor("gaige")
    with pytest.raises(Invalid) as refused:
        services.task_submit(unit, task.pk, text_value="已完成")
    assert refused.value.code == "evidence_required"
    services.task_submit(unit, task.pk, text_value="已完成", files=[pdf()])
    with pytest.raises(Invalid) as refused:
        services.task_send_back(office, task.pk, reason=" ")
    assert refused.value.field == "reason"
    services.task_send_back(office, task.pk, reason="佐证材料不全")
    assert refresh(task).state == State.OPEN
    assert selectors.allowed_actions(unit, refresh(task)) == ["report", "submit"]


def test_rule_a_parent_is_submitted_only_when_its_children_are_closed(reform):
    parent = make_task(reform)
    child = services.task_create(
        reform.actor("gaige"), {"parent": parent.pk, "title": "子任务", "lead_unit": "caoxian-zjj"}
    )
    with pytest.raises(Conflict) as refused:
        services.task_submit(reform.actor("cao_zjj"), parent.pk, text_value="完成", files=[pdf()])
    assert refused.value.code == "children_open"
    assert "submit" not in selectors.allowed_actions(reform.actor("cao_zjj"), refresh(parent))
    assert "submit" in selectors.allowed_actions(reform.actor("cao_zjj"), child)


def test_rule_sheet_items_close_one_by_one_and_the_sheet_is_scored_at_year_end(reform):
    office = reform.actor("gaige")
    sheet = services.sheet_issue(
        office,
        {
            "title": "曹县交办单",
            "issuer_title": "市长",
            "lead_unit": "caoxian",
            "starts_on": "2026-02-20",
            "due_on": "2026-12-31",
            "items": [{"title": "事项一", "due_on": "2026-06-30"}, {"title": "事项二", "due_on": "2026-09-30"}],
        },
    )
    first, second = sheet.children.order_by("code")
    county = reform.actor("cao_gaige")  # the county's reform office reports for the county government
    assert selectors.is_reporter(county, first)
    with pytest.raises(Conflict) as refused:
        services.report_add(county, sheet.pk, text_value="整张报送")
    assert refused.value.code == "sheet_has_items"
    services.task_submit(county, first.pk, text_value="已整改", files=[pdf()])
    with pytest.raises(Forbidden):
        services.task_accept(county, first.pk)  # the county does not accept the city's sheet
    services.task_accept(office, first.pk)
    services.task_close(office, first.pk)
    assert refresh(first).state == State.CLOSED and refresh(second).state == State.OPEN
    assert refresh(sheet).progress == 50
    services.sheet_review(office, sheet.pk, score="92.5", note="整改到位")
    assert refresh(sheet).review_score == pytest.approx(92.5)


def test_a_task_outside_the_scope_is_not_found(reform):
    task = make_task(reform, lead="shanxian-zjj")
    for name in ("cao_zjj", "cao_office", "cao_leader", "cao_gaige", "ent_cao"):
        with pytest.raises(NotFound):
            selectors.task_get(reform.actor(name), task.pk)
        with pytest.raises(NotFound):
            services.report_add(reform.actor(name), task.pk, text_value="x")
    assert selectors.task_get(reform.actor("city_leader"), task.pk) == task


def test_the_county_reform_office_manages_only_its_county(reform):
    county = reform.actor("cao_gaige")
    with pytest.raises(Invalid) as refused:
        make_task(reform, lead="shanxian-zjj", by="cao_gaige")
    assert refused.value.code == "lead_unit_out_of_scope"
    task = make_task(reform, by="cao_gaige")
    assert task.owner == reform.cao and selectors.is_office(county, task)
    assert not selectors.is_office(county, make_task(reform, title="市级任务"))
