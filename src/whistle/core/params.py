"""Bounded parsers for the numbers people put in query strings: a month, a year, a page.

Each is a 422 naming the field when it is not one (`Invalid`), and stays inside what the calendar, the timezone
conversion and the database can hold: `month=0001-01` turned into a moment before year 1 in UTC, `year=10000` into
no date at all, `page=10**20` into an OFFSET past a bigint — each was a 500 (issue 13, item 12).
"""

from __future__ import annotations

import datetime as dt

from .errors import Invalid

YEAR_MIN, YEAR_MAX = 2000, 2100
PAGE_MAX = 100_000  # deeper than anyone pages (core.paging.MAX_PAGE)


def parse_year(value, field: str = "year") -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid("年份格式应为四位数字，如 2026", code="invalid_year", field=field) from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Invalid(f"年份须在{YEAR_MIN}–{YEAR_MAX}之间", code="out_of_range", field=field)
    return year


def parse_month(value, field: str = "month") -> dt.date:
    """'YYYY-MM' → the first day of that month, a year between YEAR_MIN and YEAR_MAX."""
    if isinstance(value, dt.date):
        value = f"{value:%Y-%m}" if YEAR_MIN <= value.year <= YEAR_MAX else ""
    try:
        year, month = str(value).split("-")
        if len(year) != 4 or len(month) != 2 or not (year + month).isascii() or not (year + month).isdigit():
            raise ValueError
        parsed = dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise Invalid("月份格式应为 YYYY-MM，如 2026-03", code="invalid_month", field=field) from None
    if not YEAR_MIN <= parsed.year <= YEAR_MAX:
        raise Invalid(f"月份须在{YEAR_MIN}–{YEAR_MAX}年之间", code="out_of_range", field=field)
    return parsed


def parse_page(value, field: str = "page") -> int:
    """A page number from 1 to PAGE_MAX; absent or empty is 1."""
    if value in (None, ""):
        return 1
    try:
        page = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid("页码须为正整数", code="invalid_page", field=field) from None
    if not 1 <= page <= PAGE_MAX:
        raise Invalid(f"页码须在1–{PAGE_MAX}之间", code="out_of_range", field=field)
    return page
