"""Calendar months in Beijing time: the unit every rollup, ranking and monthly page counts by. A month is the date
of its first day."""

import datetime as dt

from django.utils import timezone


def month_of(moment: dt.datetime) -> dt.date:
    """The Beijing calendar month a moment falls in."""
    return timezone.localtime(moment).date().replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The month `n` months after `month`'s (before, when `n` is negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as an aware half-open interval [first moment, first moment of the next month)."""
    nxt = add_months(month, 1)
    return (
        timezone.make_aware(dt.datetime(month.year, month.month, 1)),
        timezone.make_aware(dt.datetime(nxt.year, nxt.month, 1)),
    )


def last_complete_month(moment: dt.datetime) -> dt.date:
    """The month before the one `moment` falls in: what a monthly page shows by default, since the current month is
    still filling (on the 2nd it holds two days of cases and no follow-ups)."""
    return add_months(month_of(moment), -1)
