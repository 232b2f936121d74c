"""A city's own categories beside the province's (issue 21, Category.city): a city's enterprises and staff are
offered, and may submit, the province's categories and their own city's; another city's is refused with a stable
code and field, and no page, API list or Open311 services list offers it."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.api.conftest import Api, problem
from tests.conftest import PASSWORD
from tests.org.test_province import province  # noqa: F401 — 菏泽 and 济南 under 山东
from whistle.cases import selectors
from whistle.cases.models import Case, Category, DispatchRule, category_city_q, category_in_city


@pytest.fixture
def own(province):  # noqa: F811
    """济南's own category (泉水保护, under the province's 工程建设) and 菏泽's own (牡丹产业), each routed in its city."""
    p = province
    p.spring = Category.objects.create(code="jn-spring", name="泉水保护", parent=p.heze.cat_build, city=p.jinan)
    p.peony = Category.objects.create(code="hz-peony", name="牡丹产业", city=p.heze.city)
    DispatchRule.objects.create(category=p.spring, area=None, unit=p.licheng_zjj)
    DispatchRule.objects.create(category=p.peony, area=None, unit=p.heze.cao_zjj)
    return p


def _codes(groups) -> set[str]:
    return {code for _, options in groups for code, _ in options}


def test_a_city_is_offered_the_provinces_categories_and_its_own(own, subtests):
    p = own
    shared = {"construction", "construction-permit", "market", "other"}
    for user, expected in {
        "ent_licheng": shared | {"jn-spring"},
        "jinan_office": shared | {"jn-spring"},
        "ent_cao": shared | {"hz-peony"},
        "city_office": shared | {"hz-peony"},
        "province_office": shared,  # the province's staff: the categories of every city's case
    }.items():
        with subtests.test(user=user):
            city = selectors.category_city(p.heze.actor(user))
            assert _codes(selectors.category_choices(city_id=city)) == expected


def test_the_submit_page_and_the_category_search_offer_only_what_the_service_accepts(own):
    client = Client()
    client.login(username="ent_licheng", password=PASSWORD)
    page = client.get("/cases/new").content.decode()
    assert 'value="jn-spring"' in page and 'value="hz-peony"' not in page and 'value="market"' in page
    search = client.get("/cases/categories", {"category_q": "产业"}).content.decode()
    assert "hz-peony" not in search
    search = client.get("/cases/categories", {"category_q": "泉水"}).content.decode()
    assert "jn-spring" in search


def test_another_citys_category_is_refused_with_a_stable_code_and_field(own, client):
    p = own
    api = Api(client, p.heze)
    refused = api.submit("ent_licheng", category="hz-peony")
    problem(refused, 422, "category_other_city", "category")
    accepted = api.submit("ent_licheng", category="jn-spring")
    assert accepted.status_code == 201, accepted.content
    body = accepted.json()
    assert body["category"] == "jn-spring" and body["number"].startswith("JN")
    # The web form refuses it too, beside the field, and creates nothing.
    web = Client()
    web.login(username="ent_cao", password=PASSWORD)
    page = web.post(
        "/cases/new",
        {"kind": "help", "category": "jn-spring", "description": "泉水保护区内厂房施工受限", "contact_name": "王经理",
         "contact_phone": "13905300001", "idempotency_key": "k-jn-spring"},
    )  # fmt: skip
    assert page.status_code == 422
    assert not Case.objects.filter(category=p.spring, enterprise=p.heze.ent_cao).exists()


def test_the_city_filter_and_the_city_test_of_one_category_agree(own):
    """`category_city_q` (queries) and `category_in_city` (a category in hand: Open311's services, `case_submit`)
    are one rule: for no city, each city and a city that does not exist they pick the same categories."""
    p = own
    categories = list(Category.objects.all())
    assert {c.city_id for c in categories} >= {None, p.jinan.pk, p.heze.city.pk}
    for city in (None, p.jinan.pk, p.heze.city.pk, p.province.pk, 0):
        queried = set(Category.objects.filter(category_city_q(city)).values_list("code", flat=True))
        assert queried == {c.code for c in categories if category_in_city(c, city)}, city


def test_open311_lists_the_provinces_services_without_a_city(own):
    services = json.loads(Client().get("/open311/v2/services.json").content)
    codes = {s["service_code"] for s in services}
    assert "construction" in codes and not codes & {"jn-spring", "hz-peony"}
    missing = Client().get("/open311/v2/services/jn-spring.json")
    assert missing.status_code == 404


def test_a_citys_category_under_another_citys_parent_is_refused(own):
    p = own
    child = Category(code="hz-spring-child", name="泉水下级", parent=p.spring, city=p.heze.city)
    with pytest.raises(ValidationError) as refused:
        child.full_clean()
    assert "city" in refused.value.message_dict


def test_the_admin_lists_and_filters_categories_by_city(own, admin_client):
    page = admin_client.get("/admin/cases/category/", {"city__id__exact": own.jinan.pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert "泉水保护" in text and "牡丹产业" not in text


def test_the_api_lists_what_the_caller_may_submit(own, client):
    p = own
    api = Api(client, p.heze)
    listed = {c["code"]: c for c in api.get("/api/v1/categories", "ent_licheng").json()}
    assert set(listed) == {"construction", "construction-permit", "market", "other", "jn-spring"}
    assert listed["jn-spring"] == {"code": "jn-spring", "name": "泉水保护", "parent": "construction", "city": "jinan"}
    assert listed["market"]["city"] is None
    assert "hz-peony" in {c["code"] for c in api.get("/api/v1/categories", "cao_office").json()}
    assert api.get("/api/v1/categories").status_code == 401


def test_a_citys_category_is_routed_inside_that_city_only(own):
    p = own
    wrong = DispatchRule(category=p.spring, area=p.heze.cao, unit=p.heze.cao_zjj)
    with pytest.raises(ValidationError) as refused:
        wrong.full_clean()
    assert set(refused.value.message_dict) == {"area"}
    DispatchRule(category=p.spring, area=p.licheng, unit=p.licheng_zjj).full_clean()


def test_the_ledger_filter_offers_a_city_its_categories_and_the_province_all(own):
    from whistle.web.exports import ledger_form

    jinan = {c.code for c in ledger_form(own.heze.actor("jinan_office"), {}).fields["category"].queryset}
    assert "jn-spring" in jinan and "hz-peony" not in jinan and "market" in jinan
    everything = {c.code for c in ledger_form(own.heze.actor("province_office"), {}).fields["category"].queryset}
    assert {"jn-spring", "hz-peony"} <= everything
