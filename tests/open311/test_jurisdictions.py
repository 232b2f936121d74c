"""Open311 jurisdictions per city (issue 21): `jurisdiction_id` names a city by its case prefix (`JN`, any case), its
unit code (`jinan`) or a jurisdiction row the admin gave a city; that jurisdiction lists the province's services and
the city's own, and that city's requests only, and takes requests for that city only. An unknown one is the spec's
404 error document; discovery lists the jurisdictions."""

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from tests.cases.test_city_categories import own  # noqa: F401 — 济南's 泉水保护 and 菏泽's 牡丹产业
from tests.org.test_province import province  # noqa: F401
from whistle.cases.models import Case, pk_from_number
from whistle.open311.models import Jurisdiction
from whistle.open311.services import integration_create

BASE = {
    "lat": "36.6800",
    "long": "117.1200",
    "description": "泉水保护区内厂房施工受限，请协调",
    "first_name": "明",
    "last_name": "赵",
    "phone": "13905311234",
}


@pytest.fixture
def both(own):  # noqa: F811
    """An integration in each city and one Open311 request raised through each."""
    p = own
    p.jinan_key, _ = integration_create("济南接入", county=p.licheng)
    p.heze_key, _ = integration_create("菏泽接入", county=p.heze.cao)
    p.http = Client()
    jinan = p.http.post("/open311/v2/requests.json", {**BASE, "service_code": "jn-spring", "api_key": p.jinan_key})
    heze = p.http.post("/open311/v2/requests.json", {**BASE, "service_code": "hz-peony", "api_key": p.heze_key})
    assert jinan.status_code == 200 and heze.status_code == 200, (jinan.content, heze.content)
    p.jn_number = json.loads(jinan.content)[0]["service_request_id"]
    p.hz_number = json.loads(heze.content)[0]["service_request_id"]
    return p


def _get(p, path, jurisdiction=None):
    params = {"jurisdiction_id": jurisdiction} if jurisdiction is not None else {}
    return p.http.get(f"/open311/v2/{path}", params)


def _json(response, status=200):
    assert response.status_code == status, response.content[:500]
    return json.loads(response.content)


def test_discovery_lists_the_jurisdictions_in_both_formats(both):
    p = both
    listed = {j["jurisdiction_id"]: j["name"] for j in _json(_get(p, "discovery.json"))["jurisdictions"]}
    assert listed == {"heze.gov.cn": "菏泽市", "HZ": "菏泽市人民政府", "JN": "济南市人民政府"}
    root = ET.fromstring(_get(p, "discovery.xml").content)
    assert {e.findtext("jurisdiction_id") for e in root.findall("jurisdictions/jurisdiction")} == set(listed)


@pytest.mark.parametrize("named", ["JN", "jn", "jinan"])
def test_a_citys_jurisdiction_lists_the_provinces_services_and_its_own(both, named):
    codes = {s["service_code"] for s in _json(_get(both, "services.json", named))}
    assert {"jn-spring", "construction", "market"} <= codes and "hz-peony" not in codes
    assert _get(both, "services/jn-spring.json", named).status_code == 200
    assert _get(both, "services/hz-peony.json", named).status_code == 404


def test_a_citys_jurisdiction_lists_its_own_requests_only(both):
    p = both
    assert {r["service_request_id"] for r in _json(_get(p, "requests.json", "JN"))} == {p.jn_number}
    assert {r["service_request_id"] for r in _json(_get(p, "requests.json", "HZ"))} == {p.hz_number}
    assert {r["service_request_id"] for r in _json(_get(p, "requests.json"))} == {p.jn_number, p.hz_number}
    # Another city's request, asked by number (alone or among ids), is not this jurisdiction's.
    missing = _json(_get(p, f"requests/{p.hz_number}.json", "JN"), 404)
    assert missing[0]["code"] == "request_not_found"
    asked = p.http.get("/open311/v2/requests.json", {"jurisdiction_id": "JN", "service_request_id": p.hz_number})
    assert _json(asked) == []
    assert _json(_get(p, f"requests/{p.jn_number}.json", "JN"))[0]["service_request_id"] == p.jn_number


def test_a_citys_jurisdiction_takes_requests_for_that_city_only(both):
    p = both
    before = Case.objects.count()
    wrong_city = p.http.post(
        "/open311/v2/requests.json",
        {**BASE, "service_code": "market", "api_key": p.heze_key, "jurisdiction_id": "JN"},
    )
    errors = _json(wrong_city, 400)
    assert errors[0]["code"] == "county_out_of_jurisdiction" and "jurisdiction_id" in errors[0]["description"]
    other_service = p.http.post(
        "/open311/v2/requests.json",
        {**BASE, "service_code": "hz-peony", "api_key": p.jinan_key, "jurisdiction_id": "JN"},
    )
    assert _json(other_service, 404)[0]["code"] == "service_not_found"
    assert Case.objects.count() == before  # nothing written by either refusal
    taken = p.http.post(
        "/open311/v2/requests.json",
        {**BASE, "service_code": "jn-spring", "api_key": p.jinan_key, "jurisdiction_id": "jn"},
    )
    number = _json(taken)[0]["service_request_id"]
    assert number.startswith("JN") and Case.objects.get(pk=pk_from_number(number)).city_id == p.jinan.pk


@pytest.mark.parametrize("named", ["XX", "济南", "sfgov.org"])
def test_an_unknown_jurisdiction_is_the_specs_404(both, named):
    for path in ("discovery.xml", "services.xml", "requests.xml"):
        response = _get(both, path, named)
        assert response.status_code == 404
        assert ET.fromstring(response.content).findtext("error/code") == "jurisdiction_not_found"


def test_a_jurisdiction_row_the_admin_gives_a_city_is_that_citys(both):
    p = both
    Jurisdiction.objects.create(
        code="jinan.gov.cn",
        name="济南市",
        contact="济南市企业吹哨办",
        key_service="向济南市企业吹哨办申请",
        city=p.jinan,
    )
    listed = {j["jurisdiction_id"] for j in _json(_get(p, "discovery.json"))["jurisdictions"]}
    assert listed == {"heze.gov.cn", "jinan.gov.cn", "HZ"}  # 济南 is listed once, by its row
    assert _json(_get(p, "discovery.json", "JN"))["contact"] == "济南市企业吹哨办"  # the prefix finds the row
    assert {r["service_request_id"] for r in _json(_get(p, "requests.json", "jinan.gov.cn"))} == {p.jn_number}
