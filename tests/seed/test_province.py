"""`whistle seed --province` (issue 21 item 1): sixteen cities around the Heze demo, each with its own prefix, wording,
catalogue and staff, who see their own city only; the province's staff see all of them."""

import pytest
from django.contrib.auth import get_user_model

from whistle.cases.audit import verify
from whistle.cases.models import Case
from whistle.cases.selectors import case_list
from whistle.core import wording
from whistle.org.models import Level, Unit, UnitKind
from whistle.org.scopes import Actor
from whistle.seed.bulk import generate_cases
from whistle.seed.heze import load_heze
from whistle.seed.province import CITIES, CITY_CATEGORIES, load_province


@pytest.mark.django_db
def test_seed_province_builds_sixteen_cities_each_seeing_its_own():
    load_heze(enterprises=30, seed=1)
    wording.clear_cache()
    assert "16 个市" in load_province(cases_per_city=2, firms_per_county=3, seed=1)
    cities = Unit.objects.filter(level=Level.CITY, kind=UnitKind.GOVERNMENT)
    assert cities.count() == 16
    prefixes = set(cities.values_list("case_prefix", flat=True))
    assert len(prefixes) == 16 and "" not in prefixes
    cases = list(Case.objects.select_related("city"))
    own = {code: len(rows) for code, rows in CITY_CATEGORIES.items()}  # two more cases for each city category
    assert len(cases) == 15 * 2 + 2 * sum(own.values())
    assert all(c.number.startswith(c.city.case_prefix) for c in cases)
    assert all(c.lead_unit is not None and c.lead_unit.city_id == c.city_id for c in cases)  # routed in its city
    users = get_user_model().objects
    for code, name, _prefix, _counties in CITIES[:3]:
        city = cities.get(code=code)
        seen = case_list(Actor.of(users.get(username=f"{code}_chuishao")))
        assert {c.city_id for c in seen} == {city.pk} and seen.count() == 2 + 2 * own.get(code, 0)
        assert wording.text("city_name", city.pk) == f"{name}市"
    assert case_list(Actor.of(users.get(username="shengchuishao"))).count() == len(cases)
    assert Unit.objects.get(code="heze").parent.code == "shandong"
    assert "已存在" in load_province(cases_per_city=2, seed=1)  # run again: nothing more


@pytest.mark.django_db
def test_bulk_cases_spread_over_the_province():
    """`whistle seed --province` then `--cases N`: the synthetic cases of every city, each led by its own city's
    units, numbered with its city's prefix, their chains intact."""
    load_heze(enterprises=30, seed=1)
    load_province(cases_per_city=0, firms_per_county=5, seed=1)
    generate_cases(600, seed=3)
    cases = Case.objects.select_related("city", "lead_unit")
    assert cases.count() == 600
    assert len({c.city_id for c in cases}) == 16
    assert all(c.lead_unit is None or c.lead_unit.city_id == c.city_id for c in cases)
    assert all(c.number.startswith(c.city.case_prefix) for c in cases)
    # A citizen's report through Open311 is addressed in its own city, never in Heze for every city.
    addressed = [c for c in cases if c.address]
    assert len({c.city_id for c in addressed}) > 1
    assert all(c.address.startswith(wording.text("city_name", c.city_id)) for c in addressed)
    # Some of a city's cases are raised under its own categories, routed by its own rule to its own department.
    own = [c for c in cases.select_related("category") if c.category.city_id is not None]
    assert len({c.category.code for c in own}) > 1
    departments = {code: f"{city}-{function}" for city, rows in CITY_CATEGORIES.items() for code, *_, function in rows}
    for case in own:
        assert case.city_id == case.category.city_id
        assert case.lead_unit.code == departments[case.category.code]
    assert verify().ok
