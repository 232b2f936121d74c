"""What `whistle seed --province` gives each city beyond its units (issue 21 item 1): its own Open311 jurisdiction,
and for a few cities categories of their own (`Category.city`) with cases under them. Read as integrators and staff
read them: `GET /api/v1/categories` with a bearer token and Open311 `services.json?jurisdiction_id=…`. Run again, the
seed keeps what it finds and adds only what a province seeded before these existed lacks."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from whistle.cases.models import Case, Category, DispatchRule
from whistle.core import wording
from whistle.open311.models import Jurisdiction
from whistle.org.models import Level, Unit, UnitKind
from whistle.org.services import token_issue
from whistle.seed.heze import load_heze
from whistle.seed.province import CITY_CATEGORIES

OWN = {code: {row[0] for row in rows} for code, rows in CITY_CATEGORIES.items()}  # city code → its categories
EVERY_OWN = set().union(*OWN.values())


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", "--province", "--cases-per-city", "2", "--firms-per-county", "2", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    """The Heze demo's organisation (small), then `whistle seed --province` as an operator runs it."""
    load_heze(enterprises=20, seed=1)
    wording.clear_cache()
    return _seed()


def _cities():
    return Unit.objects.filter(level=Level.CITY, kind=UnitKind.GOVERNMENT)


def _categories(username: str) -> set[str]:
    token = token_issue(get_user_model().objects.get(username=username))[0]
    response = Client().get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    return {c["code"] for c in response.json()}


def _services(jurisdiction: str | None = None) -> set[str]:
    params = {"jurisdiction_id": jurisdiction} if jurisdiction is not None else {}
    response = Client().get("/open311/v2/services.json", params)
    assert response.status_code == 200, response.content[:300]
    return {s["service_code"] for s in json.loads(response.content)}


def test_seed_province_gives_each_city_its_own_open311_jurisdiction(seeded):
    cities = list(_cities())
    assert len(cities) == 16
    rows = {j.city_id: j for j in Jurisdiction.objects.filter(city__isnull=False)}
    assert set(rows) == {c.pk for c in cities}
    for city in cities:
        row = rows[city.pk]
        assert (row.code, row.name) == (f"{city.code}.gov.cn", city.short_name)
        assert city.short_name in row.contact and "菏泽" not in row.contact.replace(city.short_name, "")
    # The endpoint's own jurisdiction (no city) is now the province's; Heze's domain names Heze's row.
    own = Jurisdiction.objects.get(city__isnull=True)
    assert (own.code, own.name) == ("shandong.gov.cn", "山东省") and "山东省" in own.key_service
    discovery = json.loads(Client().get("/open311/v2/discovery.json").content)
    listed = {j["jurisdiction_id"] for j in discovery["jurisdictions"]}
    assert listed == {"shandong.gov.cn"} | {f"{c.code}.gov.cn" for c in cities}  # each city once, by its row
    jinan = json.loads(Client().get("/open311/v2/discovery.json", {"jurisdiction_id": "JN"}).content)
    assert jinan["contact"] == Jurisdiction.objects.get(code="jinan.gov.cn").contact  # the prefix finds the row


def test_seed_province_city_sees_its_own_categories_and_not_another_citys(seeded):
    for code, own in OWN.items():
        others = EVERY_OWN - own
        for username in (f"{code}_chuishao", f"{code}_lingdao"):
            offered = _categories(username)
            assert own <= offered and not offered & others, username
        county = Unit.objects.filter(parent__code=code, level=Level.COUNTY).order_by("path").first()
        enterprise = f"qy-{county.code}-0001"
        assert own <= _categories(enterprise) and not _categories(enterprise) & others
    assert not _categories("jinan_chuishao") & EVERY_OWN  # a city without categories of its own
    assert not _categories("shengchuishao") & EVERY_OWN  # the province's staff: the province's categories
    assert {"construction", "market"} <= _categories("jinan_chuishao")


def test_seed_province_open311_lists_a_citys_own_services_under_its_jurisdiction_only(seeded):
    for code, own in OWN.items():
        prefix = Unit.objects.get(code=code).case_prefix
        for named in (f"{code}.gov.cn", prefix, prefix.lower()):
            services = _services(named)
            assert own <= services and not services & (EVERY_OWN - own), named
            assert "construction-permit" in services
    assert not _services() & EVERY_OWN  # the province's endpoint: the province's services
    assert not _services("jinan.gov.cn") & EVERY_OWN
    assert not _services("heze.gov.cn") & EVERY_OWN


def test_seed_province_raises_cases_under_each_city_category_routed_in_its_city(seeded):
    for code, own in OWN.items():
        city = Unit.objects.get(code=code)
        for category in Category.objects.filter(code__in=own):
            assert category.city_id == city.pk and category.parent.city_id is None
            rule = DispatchRule.objects.get(category=category)
            assert rule.area_id == city.pk and rule.unit.city_id == city.pk
            cases = Case.objects.filter(category=category).select_related("lead_unit")
            assert cases.count() == 2 and {c.county.parent_id for c in cases} == {city.pk}
            assert all(c.number.startswith(city.case_prefix) and c.lead_unit.city_id == city.pk for c in cases)


def test_seed_province_run_again_reuses_what_it_finds(seeded):
    counts = (
        Jurisdiction.objects.count(),
        Category.objects.count(),
        DispatchRule.objects.count(),
        Case.objects.count(),
    )
    assert "已存在" in _seed() and "已存在" in _seed("--seed", "2")
    after = (Jurisdiction.objects.count(), Category.objects.count(), DispatchRule.objects.count(), Case.objects.count())
    assert after == counts


def test_seed_province_run_again_adds_what_a_province_seeded_before_lacks(db):
    """A province seeded before cities had jurisdictions and categories of their own: the endpoint's row still
    Heze's, no city rows, no city categories. Run again, it gets them, with their cases; a third run adds nothing."""
    load_heze(enterprises=20, seed=1)
    _seed("--cases-per-city", "0")
    Jurisdiction.objects.filter(city__isnull=False).delete()
    own = Jurisdiction.objects.get(city__isnull=True)
    own.code, own.name = "heze.gov.cn", "菏泽市"
    own.contact, own.key_service = (t.replace("山东省", "菏泽市") for t in (own.contact, own.key_service))
    own.save()
    Category.objects.filter(city__isnull=False).delete()  # their rules go with them; no case used them
    assert "补充 Open311 辖区 16 个、各市自有问题分类 4 个、工单 8 条" in _seed()
    assert Jurisdiction.objects.filter(city__isnull=False).count() == 16
    assert Jurisdiction.objects.get(city__isnull=True).code == "shandong.gov.cn"
    assert Jurisdiction.objects.get(code="jinan.gov.cn").contact.startswith("济南市企业吹哨办")
    assert Case.objects.filter(category__city__isnull=False).count() == 2 * len(EVERY_OWN)
    assert _seed().count("未重复加载") == 1
