"""The dispatch catalogue (派单目录): which unit a submitted case goes to without the office's hand."""

from __future__ import annotations

from django.db.models import Q

from whistle.core.memo import remembered
from whistle.org.models import Unit

from .models import Case, Category, DispatchRule


def route_for(case: Case) -> Unit | None:
    """The dispatch catalogue: the case's category (or its nearest ancestor) × its county, else × any county. Inside
    `core.memo.held()` (a set-based writer) each (category, county) is looked up once."""
    return remembered(("route_for", case.category_id, case.county_id), lambda: _route_for(case))


def _route_for(case: Case) -> Unit | None:
    # One statement: the rules of the category and of each of its ancestors, for the case's county and for any county,
    # with their units; the nearest category with a rule wins, its county's rule before the any-county one. (The
    # ancestors come with the category when it was read with its parents, as `services.case_submit` reads it.)
    chain: list[Category] = []
    category: Category | None = case.category
    while category is not None and category not in chain:
        chain.append(category)
        category = category.parent
    rules = {
        (r.category_id, r.area_id): r.unit
        for r in DispatchRule.objects.filter(
            Q(area_id=case.county_id) | Q(area__isnull=True), category__in=[c.pk for c in chain]
        ).select_related("unit")
    }
    for category in chain:
        unit = rules.get((category.pk, case.county_id)) or rules.get((category.pk, None))
        if unit is not None and unit.is_active:
            return unit
    return None
