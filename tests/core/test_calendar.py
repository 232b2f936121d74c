"""Working days (domain/rules.md §8.2 "Working-day calendar"): statutory holidays and swapped working days (调休)
from chinese-calendar, the HolidayOverride table over it, and weekends plus the fixed-date holidays for years
the package does not know.

The 2026 dates were checked against chinese-calendar 1.11: 中秋 25–27 Sep, 国庆 1–7 Oct, swapped working days
Sunday 20 Sep and Saturday 10 Oct.
"""

import datetime as dt

import pytest

from tests.conftest import at
from whistle.core import calendar
from whistle.core.models import HolidayOverride

D = dt.date


@pytest.mark.parametrize("day", [D(2026, 9, 25), D(2026, 10, 1), D(2026, 10, 5), D(2026, 10, 7)])
def test_statutory_holidays_are_not_working_days(db, day):
    assert day.weekday() < 5 and not calendar.is_working_day(day)


@pytest.mark.parametrize("day", [D(2026, 9, 20), D(2026, 10, 10)])
def test_swapped_weekend_days_are_working_days(db, day):
    assert day.weekday() >= 5 and calendar.is_working_day(day)


def test_working_days_skip_mid_autumn_and_national_day(db):
    # Thursday 24 Sep 15:00 + 1 working day: 25–27 Sep is 中秋 → Monday 28 Sep 15:00.
    assert calendar.add_working_days(at(2026, 9, 24, 15), 1) == at(2026, 9, 28, 15)
    # Wednesday 30 Sep 15:00 + 1: 1–7 Oct is 国庆 → Thursday 8 Oct; + 2 → Friday 9; + 3 → Saturday 10 (调休).
    assert calendar.add_working_days(at(2026, 9, 30, 15), 1) == at(2026, 10, 8, 15)
    assert calendar.add_working_days(at(2026, 9, 30, 15), 3) == at(2026, 10, 10, 15)
    assert calendar.add_working_days(at(2026, 9, 30, 15), 4) == at(2026, 10, 12, 15)


def test_deadline_in_working_days_keeps_the_time_of_day(db):
    # Friday 6 Nov 2026 15:00 + 1 working day → Monday 9 Nov 15:00.
    assert calendar.add_working_days(at(2026, 11, 6, 15, 0), 1) == at(2026, 11, 9, 15, 0)
    assert calendar.add_working_days(at(2026, 11, 6, 15, 0), -1) == at(2026, 11, 5, 15, 0)


def test_clock_starting_on_a_day_off_starts_at_midnight_of_next_working_day(db):
    # Saturday 7 Nov 10:00: the clock starts Monday 9 Nov 00:00; one working day later is Tuesday 00:00.
    assert calendar.add_working_days(at(2026, 11, 7, 10), 1) == at(2026, 11, 10, 0, 0)
    # On 3 Oct (国庆) the clock starts Thursday 8 Oct 00:00; two working days later is Saturday 10 Oct (调休).
    assert calendar.add_working_days(at(2026, 10, 3, 16), 2) == at(2026, 10, 10, 0, 0)


def test_natural_hours_run_through_weekends_and_holidays(db):
    assert calendar.add_hours(at(2026, 10, 1, 23), 2) == at(2026, 10, 2, 1)


def test_override_table_wins_over_the_package(db):
    assert calendar.is_working_day(D(2026, 11, 9))
    HolidayOverride.objects.create(date=D(2026, 11, 9), is_working_day=False, note="本地停工")
    HolidayOverride.objects.create(date=D(2026, 10, 4), is_working_day=True, note="假期值班补班")
    assert not calendar.is_working_day(D(2026, 11, 9))
    assert calendar.is_working_day(D(2026, 10, 4))


def test_override_entered_in_the_table_changes_a_deadline_computed_afterwards(db):
    before = calendar.add_working_days(at(2026, 11, 6, 15), 1)
    HolidayOverride.objects.create(date=D(2026, 11, 9), is_working_day=False, note="本地停工")
    after = calendar.add_working_days(at(2026, 11, 6, 15), 1)
    assert (before, after) == (at(2026, 11, 9, 15), at(2026, 11, 10, 15))
    HolidayOverride.objects.filter(date=D(2026, 11, 9)).delete()
    assert calendar.add_working_days(at(2026, 11, 6, 15), 1) == at(2026, 11, 9, 15)


def test_year_unknown_to_the_package_counts_weekends_and_fixed_date_holidays(db):
    with pytest.raises(NotImplementedError):
        import chinese_calendar

        chinese_calendar.is_workday(D(2027, 1, 1))
    assert not calendar.is_working_day(D(2027, 1, 1))  # a Friday, but 元旦 is on a fixed date
    assert not calendar.is_working_day(D(2027, 1, 2))
    assert calendar.is_working_day(D(2027, 2, 10))  # 春节 moves with the moon: not assumed
    assert calendar.add_working_days(at(2027, 1, 4, 9), 1) == at(2027, 1, 5, 9)


def test_override_table_covers_a_year_the_package_does_not_know(db):
    # An administrator enters 2027 New Year (1 Jan off) and a Spring Festival week with a swapped Saturday.
    HolidayOverride.objects.bulk_create(
        [HolidayOverride(date=D(2027, 1, 1), is_working_day=False, note="元旦")]
        + [HolidayOverride(date=D(2027, 2, d), is_working_day=False, note="春节") for d in range(8, 13)]
        + [HolidayOverride(date=D(2027, 2, 20), is_working_day=True, note="春节调休上班")]
    )
    calendar.clear_cache()  # bulk_create sends no signals; the admin saves one row at a time
    assert not calendar.is_working_day(D(2027, 1, 1))
    assert calendar.add_working_days(at(2026, 12, 31, 9), 1) == at(2027, 1, 4, 9)
    assert calendar.add_working_days(at(2027, 2, 5, 10), 1) == at(2027, 2, 15, 10)
    assert calendar.add_working_days(at(2027, 2, 19, 10), 1) == at(2027, 2, 20, 10)


def test_working_days_between_counts_the_days_after_the_start(db):
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert calendar.working_days_between(D(2026, 10, 8), D(2026, 9, 30)) == -1
    assert calendar.working_days_between(D(2026, 11, 2), D(2026, 11, 2)) == 0


# ---- issue 14, item 10: a year the package does not know --------------------------------------------------------


@pytest.mark.parametrize("day", [D(2027, 1, 1), D(2027, 5, 3), D(2027, 10, 1)])
def test_rule_8_2_unknown_year_assumes_the_fixed_date_statutory_holidays(db, day):
    """2027 is past chinese-calendar 1.11 and the table is empty: 元旦, 劳动节 and 国庆节 fall on fixed dates
    (《全国年节及纪念日放假办法》), so they are days off even before the State Council publishes the year."""
    assert not calendar.package_knows(2027)
    shifted = {D(2027, 5, 3): D(2027, 5, 1)}.get(day, day)  # 1 May 2027 is a Saturday; 3 May is a plain Monday
    assert not calendar.is_working_day(shifted)
    assert calendar.is_working_day(D(2027, 5, 3)) and calendar.is_working_day(D(2027, 1, 4))


def test_rule_8_2_an_extension_past_new_year_2027_skips_new_years_day(db):
    """The issue's case: Thursday 31 Dec 2026 + 1 working day landed on Friday 1 Jan 2027 (元旦)."""
    assert calendar.add_working_days(at(2026, 12, 31, 15), 1) == at(2027, 1, 4, 15)
    assert calendar.add_working_days(at(2027, 9, 30, 9), 1) == at(2027, 10, 4, 9)  # 1 Oct 2027 is a Friday


def test_rule_8_2_overrides_entered_for_a_year_replace_the_assumed_holidays(db):
    HolidayOverride.objects.create(date=D(2027, 10, 1), is_working_day=False, note="国庆节")
    calendar.clear_cache()
    # The administrator's list is the year's: a day it does not name is a weekday like any other.
    assert not calendar.is_working_day(D(2027, 10, 1))
    assert calendar.is_working_day(D(2027, 1, 1))


def test_rule_8_2_next_years_holidays_missing_is_reported_from_the_configured_month(db):
    from whistle.core import rules
    from whistle.core.models import RuleParameter

    assert calendar.next_year_missing(D(2026, 11, 30)) is None  # before December (the default month)
    assert calendar.next_year_missing(D(2026, 12, 1)) == 2027
    assert calendar.next_year_missing(D(2025, 12, 1)) is None  # the package knows 2026
    RuleParameter.objects.filter(key="calendar.warn_next_year_from_month").update(value=11)
    rules.clear_cache()
    assert calendar.next_year_missing(D(2026, 11, 2)) == 2027
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_working_day=False, note="元旦")
    calendar.clear_cache()
    assert calendar.next_year_missing(D(2026, 12, 1)) is None


def test_dates_show_the_year_when_not_this_year(db):
    from django.utils import timezone

    from whistle.web.templatetags.web import when

    this_year = timezone.localdate().year
    assert when(at(this_year, 3, 5, 14)) == "3月5日 14:00"
    assert when(at(this_year + 1, 1, 4, 9)) == f"{this_year + 1}年1月4日 09:00"
    assert when(D(this_year - 1, 12, 31)) == f"{this_year - 1}年12月31日"
