"""The dispatch catalogue (派单目录): which unit a submitted case goes to without the office's hand."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from whistle.core.compiled import Compiled
from whistle.core.memo import remembered
from whistle.org.models import Unit

from .models import Case, Category, DispatchRule


def route_for(case: Case) -> Unit | None:
    """The dispatch catalogue: the case's category (or its nearest ancestor) × its county, else × its city, else × any
    area. Inside `core.memo.held()` (a set-based writer) each (category, county) is looked up once."""
    return remembered(("route_for", case.category_id, case.county_id), lambda: _route_for(case))


def _route_for(case: Case) -> Unit | None:
    # One statement: the rules of the category and of each of its ancestors, for the case's county, for its city (a
    # city government as the area: the city's own rule) and for any area, with their units; the nearest category with
    # a rule wins, its county's rule before its city's before the any-area one. An any-area rule only sends a case to
    # a unit of the case's own city or of the province: a province's cities share the catalogue, not their units.
    chain: list[Category] = []
    category: Category | None = case.category
    while category is not None and category not in chain:
        chain.append(category)
        category = category.parent
    city_id = case.city_id
    ids = [c.pk for c in chain]
    if case.county_id is None:
        found: Iterable[DispatchRule] = _rules(None, city_id, *ids)
    elif city_id is None:
        found = _catalogue(False, len(ids)).rows(case.county_id, *ids)
    else:
        found = _catalogue(True, len(ids)).rows(case.county_id, city_id, *ids)
    rules = {(r.category_id, r.area_id): r.unit for r in found}
    for category in chain:
        for area in (case.county_id, city_id, None) if city_id is not None else (case.county_id, None):
            unit = rules.get((category.pk, area))
            if unit is None or not unit.is_active:
                continue
            if area is None and unit.city_id not in (None, city_id):
                continue
            return unit
    return None


# The catalogue's statement in each of its shapes (with or without a city; one to n categories), compiled once.
_SHAPES: dict[tuple[bool, int], Compiled[DispatchRule]] = {}


def _catalogue(with_city: bool, categories: int) -> Compiled[DispatchRule]:
    shape = (with_city, categories)
    if shape not in _SHAPES:
        if with_city:
            _SHAPES[shape] = Compiled(_rules, *(int,) * (2 + categories))
        else:
            _SHAPES[shape] = Compiled(lambda county, *ids: _rules(county, None, *ids), *(int,) * (1 + categories))
    return _SHAPES[shape]


def _rules(county_id, city_id, *category_ids) -> QuerySet[DispatchRule]:
    areas = Q(area_id=county_id) | Q(area__isnull=True)
    if city_id is not None:
        areas |= Q(area_id=city_id)
    return DispatchRule.objects.filter(areas, category__in=category_ids).select_related("unit")
