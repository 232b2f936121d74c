"""Working-day arithmetic: China's statutory holidays and swapped working days (调休).

Truth comes from three places, in order: the `HolidayOverride` table (admin-editable), the
`chinese-calendar` package (which knows 2004 to its last published year), and Monday–Friday for
years neither knows. Deadlines in working days keep the time of day: a case dispatched on Friday
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
# add_working_days answers, forgotten with the overrides they were counted from. The sweep asks the same question
# for every case it acts on at one moment (escalation N working days after a notice issued now); a long-running
# process asks ever new ones, so the memo is bounded.
_shifted: dict[tuple, dt.datetime] = {}
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


@lru_cache(maxsize=8192)
def _package_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def is_working_day(day: dt.date) -> bool:
    override = _override_table().get(day)
    if override is not None:
        return override
    return _package_working_day(day)


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


def _local(moment: dt.datetime) -> dt.datetime:
    zone = timezone.get_default_timezone()
    return timezone.localtime(moment, zone) if timezone.is_aware(moment) else timezone.make_aware(moment, zone)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The moment `days` working days after `start` (negative counts back)."""
    _override_table()  # past its TTL, reloads the overrides and forgets the memo
    key = (start, days)
    moved = _shifted.get(key)
    if moved is None:
        if len(_shifted) >= _SHIFTED_MAX:
            _shifted.clear()
        moved = _shifted[key] = _count_working_days(start, days)
    return moved


def _count_working_days(start: dt.datetime, days: int) -> dt.datetime:
    local = _local(start)
    day = local.date()
    clock = local.timetz().replace(tzinfo=None)
    if days >= 0 and not is_working_day(day):
        day, clock = next_working_day(day), dt.time(0, 0)
    step = next_working_day if days >= 0 else previous_working_day
    for _ in range(abs(days)):
        day = step(day)
    return timezone.make_aware(dt.datetime.combine(day, clock), timezone.get_default_timezone())


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
