"""Paged lists, as every list endpoint answers them: `{count, page, page_size, items}`."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000  # deeper than anyone pages; keeps OFFSET inside the database's integer range


class PageFilter(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


def page_of(qs: QuerySet, filters: PageFilter, item: Callable) -> dict:
    """One page of `qs`, each row through `item`. A first page shorter than a page is the whole list: counted
    without a COUNT query."""
    start = (filters.page - 1) * filters.page_size
    items = [item(row) for row in qs[start : start + filters.page_size]]
    short_first = filters.page == 1 and len(items) < filters.page_size
    return {
        "count": len(items) if short_first else qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": items,
    }
