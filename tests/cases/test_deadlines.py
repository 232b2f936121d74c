"""Deadlines come from SLA profiles stored as data, counted on the working-day calendar (DESIGN.md "Deadlines")."""

import datetime as dt

from tests.cases.flow import submit
from tests.conftest import at
from whistle.cases.models import SlaProfile, SlaStage
from whistle.core.models import HolidayOverride


def test_case_deadlines_skip_national_day_and_count_the_swapped_saturday(heze):
    case = submit(heze, now=at(2026, 9, 30, 10))
    assert case.return_due_at == at(2026, 10, 9, 10)
    assert case.opinion_due_at == at(2026, 10, 8, 10)
    assert case.resolve_due_at == at(2026, 10, 27, 10)  # 8, 9, 10 (调休), 12 … 27 October


def test_holiday_override_changes_the_deadlines_of_a_case_dispatched_afterwards(heze):
    assert submit(heze).opinion_due_at == at(2026, 11, 3, 10)
    HolidayOverride.objects.create(date=dt.date(2026, 11, 3), is_working_day=False, note="本地停工")
    case = submit(heze)
    assert case.opinion_due_at == at(2026, 11, 4, 10) and case.resolve_due_at == at(2026, 11, 24, 10)


def test_sla_profile_edit_applies_to_the_next_case(heze):
    assert submit(heze).resolve_due_at == at(2026, 11, 23, 10)
    stage = SlaStage.objects.get(profile__is_default=True, stage="resolve")
    stage.amount = 10
    stage.save()
    assert submit(heze).resolve_due_at == at(2026, 11, 16, 10)


def test_category_with_its_own_sla_profile_uses_it(heze):
    # A profile a city adds in the admin (枣庄's 1/2/10 working days, as an example of another city's rule).
    profile = SlaProfile.objects.create(code="zaozhuang", name="枣庄“企呼枣应”")
    SlaStage.objects.bulk_create(
        [
            SlaStage(profile=profile, stage=stage, amount=amount, unit="working_days")
            for stage, amount in {
                "contact": 1,
                "opinion": 2,
                "resolve": 10,
                "resolve_complex": 25,
                "extension": 7,
                "reopen": 10,
                "return_window": 2,
            }.items()
        ]
    )
    heze.cat_build.sla_profile = profile
    heze.cat_build.save()
    case = submit(heze, category="construction")
    assert case.sla_profile.code == "zaozhuang"
    assert case.contact_due_at == at(2026, 11, 3, 10) and case.resolve_due_at == at(2026, 11, 16, 10)


def test_default_sla_profile_is_shandong_2115(heze):
    profile = SlaProfile.objects.get(is_default=True)
    stages = {s.stage: (s.amount, s.unit) for s in profile.stages.all()}
    assert profile.code == "shandong-2115"
    assert stages["contact"] == (2, "hours") and stages["opinion"] == (1, "working_days")
    assert stages["resolve"] == (15, "working_days") and stages["resolve_complex"] == (30, "working_days")
    assert stages["extension"] == (7, "working_days") and stages["return_window"] == (2, "working_days")
