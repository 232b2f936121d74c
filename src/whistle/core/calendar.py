"""Working-day arithmetic: China's statutory holidays and swapped working days (调休).

Truth comes from three places, in order: the `HolidayOverride` table (admin-editable), the
`chinese-calendar` package (which knows 2004 to its last published year), and for a year it does not
know, Monday–Friday less the statutory holidays that fall on fixed dates (元旦 1/1, 劳动节 5/1–5/2,
国庆节 10/1–10/3, per 《全国年节及纪念日放假办法》) — unless the administrator has entered overrides for
that year, in which case the table is taken as that year's complete list of changes (the lunar holidays
and the 调休 are only known once the State Council publishes them, each November). From the month set by
`calendar.warn_next_year_from_month`, the admin and the coordinators' pages warn while next year is known
to neither the package nor the table (`next_year_missing`). Deadlines in working days keep the time of day: a case dispatched on Friday
15:00 with "1 working day" is due the next working day at 15:00. A clock that starts on a day off
starts at 00:00 of the next working day. Days are those of the platform's time zone (TIME_ZONE,
Beijing time), whatever zone a request may have activated for display.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

import chinese_calendar
from django.utils import timezone

_overrides: dict[dt.date, bool] | None = None
_loaded_at = 0.0
_TTL_SECONDS = 60.0
# add_working_days answers by (start day, working days), forgotten with the overrides they were counted from: every
# clock started on one day counts to the same day (the sweep's escalations at one moment, a bulk load's deadlines);
# a long-running process asks ever new ones, so the memo is bounded.
_shifted: dict[tuple, tuple[dt.date, bool]] = {}
_SHIFTED_MAX = 4096


def clear_cache() -> None:
    global _overrides
    _overrides = None
    _shifted.clear()
    _package_working_day.cache_clear()


def _override_table() -> dict[dt.date, bool]:
    global _overrides, _loaded_at
    if _overrides is None or time.monotonic() - _loaded_at > _TTL_SECONDS:
        from .models import HolidayOverride

        _overrides = dict(HolidayOverride.objects.values_list("date", "is_working_day"))
        _loaded_at = time.monotonic()
        _shifted.clear()
    return _overrides


# Statutory holidays on fixed solar dates (国务院《全国年节及纪念日放假办法》, as amended 2024): (month, day).
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def package_knows(year: int) -> bool:
    """Whether `chinese-calendar` has the State Council's published arrangement for `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def _package_working_day(day: dt.date) -> bool | None:
    """The package's answer; None for a year it does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


_years: tuple[dict, frozenset[int]] | None = None


def _overridden_years() -> frozenset[int]:
    """The years the override table has any day of (recomputed only when the table is reloaded)."""
    global _years
    table = _override_table()
    if _years is None or _years[0] is not table:
        _years = (table, frozenset(day.year for day in table))
    return _years[1]


def is_working_day(day: dt.date) -> bool:
    override = _override_table().get(day)
    if override is not None:
        return override
    known = _package_working_day(day)
    if known is not None:
        return known
    if day.weekday() >= 5:
        return False
    # A year neither knows: the fixed-date holidays are certain, unless the table holds the year's own list.
    return day.year in _overridden_years() or (day.month, day.day) not in FIXED_HOLIDAYS


def next_year_missing(today: dt.date | None = None) -> int | None:
    """Next year, when it is time to enter its holidays (from `calendar.warn_next_year_from_month`) and neither the
    package nor the override table knows it; else None. Deadlines in that year would count only the fixed-date
    holidays: no Spring Festival, no 调休."""
    from .rules import int_param

    today = today or timezone.localdate()
    try:
        from_month = int_param("calendar.warn_next_year_from_month")
    except LookupError:
        from_month = 12
    year = today.year + 1
    if today.month < from_month or package_knows(year) or year in _overridden_years():
        return None
    return year


def next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def previous_working_day(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def working_days_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (a limit of 1 working day from day d ends on the next working day)."""
    for _ in range(n):
        day = next_working_day(day)
    return day


def working_days_before(day: dt.date, n: int) -> dt.date:
    """The n-th working day before `day`."""
    for _ in range(n):
        day = previous_working_day(day)
    return day


def limit_ends(day: dt.date) -> dt.date:
    """The last day of a time limit that falls on `day`: on a day off, the next working day."""
    return day if is_working_day(day) else next_working_day(day)


def overdue_from(due: dt.date) -> dt.date:
    """The first day a limit ending on `due` is overdue: the working day after its last day (the red light's day)."""
    return next_working_day(limit_ends(due))


def _local(moment: dt.datetime) -> dt.datetime:
    zone = timezone.get_default_timezone()
    return timezone.localtime(moment, zone) if timezone.is_aware(moment) else timezone.make_aware(moment, zone)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The moment `days` working days after `start` (negative counts back)."""
    _override_table()  # past its TTL, reloads the overrides and forgets the memo
    local = _local(start)
    key = (local.date(), days)  # the day counted to depends on the start's day alone: one count serves the whole day
    moved = _shifted.get(key)
    if moved is None:
        if len(_shifted) >= _SHIFTED_MAX:
            _shifted.clear()
        moved = _shifted[key] = _count_working_days(local.date(), days)
    day, from_midnight = moved
    clock = dt.time(0, 0) if from_midnight else local.timetz().replace(tzinfo=None)
    return timezone.make_aware(dt.datetime.combine(day, clock), timezone.get_default_timezone())


def _count_working_days(day: dt.date, days: int) -> tuple[dt.date, bool]:
    """(the day `days` working days after `day`, whether the clock starts at 00:00: a start on a day off counts
    forward from the next working day's start)."""
    from_midnight = days >= 0 and not is_working_day(day)
    if from_midnight:
        day = next_working_day(day)
    step = next_working_day if days >= 0 else previous_working_day
    for _ in range(abs(days)):
        day = step(day)
    return day, from_midnight


def add_hours(start: dt.datetime, hours: int) -> dt.datetime:
    """Natural hours (the 2-hour contact rule runs on weekends too)."""
    return start + dt.timedelta(hours=hours)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; negative if end is before start."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign > 0 else (end, start)
    count = 0
    day = lo
    while day < hi:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return sign * count
