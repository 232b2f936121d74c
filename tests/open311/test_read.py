"""GETs of the façade over real HTTP: discovery, services, definitions, requests, in both formats."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import at
from tests.open311.conftest import close_case, errors, raise_case, valid, xml
from whistle.cases.models import Case, Category, pk_from_number
from whistle.open311.models import Jurisdiction


def test_discovery_lists_the_endpoint_in_both_formats(o311):
    body = valid(o311.http.get("/discovery.json").json(), "discovery.json")
    endpoint = body["endpoints"][0]
    assert endpoint["url"] == o311.base
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert "api_key" in body["key_service"] and body["contact"]
    root = xml(o311.http.get("/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"


def test_discovery_changeset_moves_when_a_category_changes(o311):
    before = o311.http.get("/discovery.json").json()["changeset"]
    Jurisdiction.objects.update(changed_at=timezone.now() - dt.timedelta(days=1))
    stale = o311.http.get("/discovery.json").json()["changeset"]
    o311.heze.cat_market.name = "市场监管与消费维权"
    o311.heze.cat_market.save()
    after = o311.http.get("/discovery.json").json()["changeset"]
    assert stale < before <= after and stale < after


def test_services_are_the_case_categories(o311):
    services = valid(o311.http.get("/services.json").json(), "services.json")
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"construction", "construction-permit", "market", "other"}
    permit = by_code["construction-permit"]
    assert permit == {
        "service_code": "construction-permit",
        "service_name": "施工许可",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "工程建设",
    }
    assert by_code["market"]["metadata"] is False and by_code["market"]["group"] == "市场监管"


def test_keywords_are_comma_separated(o311):
    Category.objects.filter(code="market").update(keywords="价格 质量、计量，特种设备")
    market = next(s for s in o311.http.get("/services.json").json() if s["service_code"] == "market")
    assert market["keywords"] == "价格,质量,计量,特种设备"


def test_inactive_category_is_not_a_service(o311):
    Category.objects.filter(code="other").update(is_active=False)
    codes = [s["service_code"] for s in o311.http.get("/services.json").json()]
    assert "other" not in codes
    assert o311.http.get("/services/other.json").status_code == 404


def test_services_xml_repeats_service_elements(o311):
    root = xml(o311.http.get("/services.xml"))
    assert root.tag == "services"
    permit = next(s for s in root.findall("service") if s.findtext("service_code") == "construction-permit")
    assert permit.findtext("metadata") == "true" and permit.findtext("type") == "realtime"
    assert permit.findtext("group") == "工程建设"


def test_service_definition_has_every_datatype_in_order(o311):
    definition = valid(o311.http.get("/services/construction-permit.json").json(), "service-definition.json")
    attributes = definition["attributes"]
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5, 6, 7]
    assert [a["datatype"] for a in attributes[1:]] == [
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    ]
    assert attributes[0]["variable"] is False and attributes[0]["description"] == "请如实填写，虚假诉求将被退回"
    stage = attributes[5]
    assert stage["required"] is True and stage["datatype_description"] == "选择一项"
    assert stage["values"] == [
        {"key": "accept", "name": "受理"},
        {"key": "review", "name": "审查"},
        {"key": "issue", "name": "发证"},
    ]


def test_service_definition_xml_and_the_singular_alias(o311):
    root = xml(o311.http.get("/services/construction-permit.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "construction-permit"
    values = root.findall("attributes/attribute[code='docs']/values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
        ("plan", "规划许可证"),
        ("land", "土地证"),
        ("contract", "施工合同"),
    ]
    # the open311 1.1 client asks for service/{code} (singular)
    alias = o311.http.get("/service/construction-permit.json")
    assert alias.status_code == 200 and alias.json()["service_code"] == "construction-permit"


def test_service_without_questions_has_an_empty_definition(o311):
    assert o311.http.get("/services/market.json").json() == {"service_code": "market", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(o311, fmt):
    response = o311.http.get(f"/services/no-such-service.{fmt}")
    assert response.status_code == 404
    assert errors(response, fmt)[0]["code"] == "service_not_found"


def test_request_shows_the_real_case(o311):
    case = raise_case(o311, now=at(2026, 11, 2, 9))
    [row] = valid(o311.http.get(f"/requests/{case.number}.json").json(), "requests.json")
    case.refresh_from_db()
    assert row["service_request_id"] == case.number and row["service_code"] == "market"
    assert row["status"] == "open" and row["status_notes"] == "已派单"
    assert row["agency_responsible"] == "菏泽市市场监督管理局"
    assert row["requested_datetime"] == "2026-11-02T09:00:00+08:00"
    assert row["expected_datetime"] == timezone.localtime(case.resolve_due_at).isoformat(timespec="seconds")
    assert row["expected_datetime"].endswith("+08:00")
    assert row["address"] == "曹县青岗集镇" and row["description"] == "路边违规经营占道"
    assert "办结时限" in row["service_notice"]


def test_single_request_xml_is_a_list_of_one(o311):
    case = raise_case(o311)
    root = xml(o311.http.get(f"/requests/{case.number}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == case.number
    assert request.find("zipcode") is not None and request.find("zipcode").text is None


def test_closed_request_carries_close_time_and_outcome(o311):
    case = close_case(o311, raise_case(o311, now=at(2026, 11, 2, 9)), at(2026, 11, 3, 15))
    [row] = o311.http.get(f"/requests/{case.number}.json").json()
    assert row["status"] == "closed" and row["status_notes"] == "已办结，已解决"
    assert row["updated_datetime"] == "2026-11-03T15:00:00+08:00"
    assert row["service_notice"] is None


def test_unrouted_request_has_no_deadline_until_dispatched(o311):
    case = raise_case(o311, service_code="other")
    [row] = o311.http.get(f"/requests/{case.number}.json").json()
    assert row["expected_datetime"] is None and row["agency_responsible"] is None
    assert row["status"] == "open" and row["status_notes"] == "已受理"


def test_personal_data_never_appears_in_a_get(o311):
    posted = o311.http.post(
        "/requests.json",
        data={
            "api_key": o311.key,
            "service_code": "market",
            "address_string": "曹县青岗集镇",
            "description": "占道经营。我是王明，电话13905309876，座机0530-5551234，邮箱wang@example.cn，摊位面积12平方米",
            "first_name": "明",
            "last_name": "王",
            "phone": "13905309876",
            "email": "wang@example.cn",
            "account_id": "acc-1",
            "device_id": "dev-77",
        },
    )
    number = posted.json()[0]["service_request_id"]
    close_case(o311, Case.objects.get(pk=pk_from_number(number)), None)
    for path in [
        f"/requests/{number}.json",
        f"/requests/{number}.xml",
        "/requests.json?extensions=true",
        "/requests.xml?extensions=true",
        f"/requests/{number}.json?extensions=true",
    ]:
        text = o311.http.get(path).text
        assert number in text
        for secret in ("13905309876", "5551234", "王明", "wang@example.cn", "acc-1", "dev-77"):
            assert secret not in text, (path, secret)
    [row] = o311.http.get(f"/requests/{number}.json").json()
    assert row["description"] == "占道经营。我是王*，电话139****9876，座机0530-********，邮箱***@***，摊位面积12平方米"


def test_enterprise_cases_are_not_public(o311):
    from whistle.cases import services

    private, _ = services.case_submit(
        o311.heze.actor("ent_cao"), kind="help", category="market", description="企业内部诉求"
    )
    assert o311.http.get(f"/requests/{private.number}.json").status_code == 404
    listed = o311.http.get("/requests.json", params={"service_request_id": private.number}).json()
    assert listed == []
    assert private.number not in o311.http.get("/requests.json").text


@pytest.mark.parametrize("number", ["HZ99999999", "12345", "not-a-case"])
def test_unknown_request_is_404(o311, number):
    response = o311.http.get(f"/requests/{number}.xml")
    assert response.status_code == 404 and errors(response, "xml")[0]["code"] == "request_not_found"


def test_requests_default_window_is_the_last_90_days(o311):
    now = timezone.now()
    recent = raise_case(o311, now=now - dt.timedelta(days=3))
    old = raise_case(o311, now=now - dt.timedelta(days=120))
    rows = valid(o311.http.get("/requests.json").json(), "requests.json")
    assert [r["service_request_id"] for r in rows] == [recent.number]
    assert old.number not in o311.http.get("/requests.xml").text


def test_requests_newest_first_and_paged(o311):
    now = timezone.now()
    cases = [raise_case(o311, now=now - dt.timedelta(days=d)) for d in (5, 4, 3, 2, 1)]
    newest_first = [c.number for c in reversed(cases)]
    assert [r["service_request_id"] for r in o311.http.get("/requests.json").json()] == newest_first
    page2 = o311.http.get("/requests.json", params={"page": 2, "page_size": 2}).json()
    assert [r["service_request_id"] for r in page2] == newest_first[2:4]
    page3 = xml(o311.http.get("/requests.xml", params={"page": 3, "page_size": 2}))
    assert [r.findtext("service_request_id") for r in page3.findall("request")] == newest_first[4:]


@pytest.mark.parametrize(
    "params,code",
    [
        ({"page": "0"}, "invalid_page"),
        ({"page": "x"}, "invalid_page"),
        ({"page_size": "0"}, "invalid_page_size"),
        ({"page_size": "1001"}, "invalid_page_size"),
    ],
)
def test_bad_paging_is_400(o311, params, code):
    response = o311.http.get("/requests.json", params=params)
    assert response.status_code == 400 and errors(response)[0]["code"] == code


def test_requests_between_dates(o311):
    inside = raise_case(o311, now=at(2026, 3, 10))
    raise_case(o311, now=at(2026, 1, 5))
    raise_case(o311, now=at(2026, 6, 20))
    rows = o311.http.get(
        "/requests.json", params={"start_date": "2026-03-01T00:00:00+08:00", "end_date": "2026-03-31T00:00:00Z"}
    ).json()
    assert [r["service_request_id"] for r in rows] == [inside.number]
    # start alone: the 90 days from it; end alone: the 90 days up to it
    from_start = o311.http.get("/requests.json", params={"start_date": "2026-03-01T00:00:00Z"}).json()
    assert [r["service_request_id"] for r in from_start] == [inside.number]
    to_end = o311.http.get("/requests.json", params={"end_date": "2026-01-10T00:00:00Z"}).json()
    assert len(to_end) == 1 and to_end[0]["requested_datetime"].startswith("2026-01-05")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_dates_out_of_order_are_400(o311, fmt):
    response = o311.http.get(
        f"/requests.{fmt}", params={"start_date": "2026-03-31T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}
    )
    assert response.status_code == 400 and errors(response, fmt)[0]["code"] == "invalid_date_range"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_dates_more_than_90_days_apart_are_400(o311, fmt):
    response = o311.http.get(
        f"/requests.{fmt}", params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}
    )
    assert response.status_code == 400
    [error] = errors(response, fmt)
    assert error["code"] == "date_range_too_long" and "90" in error["description"]


def test_malformed_date_is_400(o311):
    response = o311.http.get("/requests.json", params={"start_date": "last tuesday"})
    assert response.status_code == 400 and errors(response)[0]["code"] == "invalid_date"


def test_requests_by_service_code_and_status(o311):
    market = raise_case(o311, now=at(2026, 11, 2))
    closed = close_case(o311, raise_case(o311, now=at(2026, 11, 2, 11)), at(2026, 11, 3))
    other = raise_case(o311, service_code="other", now=at(2026, 11, 2, 12))
    window = {"start_date": "2026-11-01T00:00:00+08:00", "end_date": "2026-11-05T00:00:00+08:00"}

    def ids(**params):
        return {r["service_request_id"] for r in o311.http.get("/requests.json", params={**window, **params}).json()}

    assert ids(service_code="market") == {market.number, closed.number}
    assert ids(service_code="market,other") == {market.number, closed.number, other.number}
    assert ids(status="open") == {market.number, other.number}
    assert ids(status="closed") == {closed.number}
    assert ids(status="open,closed") == {market.number, closed.number, other.number}
    assert ids(service_code="market", status="closed") == {closed.number}


def test_unknown_service_code_or_status_in_a_query(o311):
    response = o311.http.get("/requests.json", params={"service_code": "market,nope"})
    assert response.status_code == 404 and "nope" in errors(response)[0]["description"]
    response = o311.http.get("/requests.json", params={"status": "pending"})
    assert response.status_code == 400 and errors(response)[0]["code"] == "invalid_status"


def test_service_request_id_overrides_every_other_parameter(o311):
    old = raise_case(o311, now=at(2025, 1, 5))
    other = raise_case(o311, service_code="other", now=at(2026, 11, 2))
    rows = o311.http.get(
        "/requests.json",
        params={
            "service_request_id": f"{old.number}, {other.number},HZ99999999",
            "service_code": "market",
            "status": "closed",
            "start_date": "2026-03-31T00:00:00Z",
            "end_date": "2026-03-01T00:00:00Z",
            "page_size": "0",
        },
    ).json()
    assert {r["service_request_id"] for r in rows} == {old.number, other.number}


def test_extensions_add_the_public_timeline_as_notes(o311):
    case = close_case(o311, raise_case(o311, now=at(2026, 11, 2, 9)), at(2026, 11, 3, 15))
    [plain] = o311.http.get(f"/requests/{case.number}.json").json()
    assert "notes" not in plain
    [row] = valid(o311.http.get(f"/requests/{case.number}.json", params={"extensions": "true"}).json(), "requests.json")
    assert [n["description"] for n in row["notes"]] == [
        "已受理",
        "已派单至菏泽市市场监督管理局",
        "承办单位已签收",
        "承办单位已联系诉求人或到场",
        "承办单位已提出办理意见",
        "承办单位已办结回复",
        "已回访：已解决",
    ]
    assert row["notes"][0]["datetime"] == "2026-11-02T09:00:00+08:00"
    listed = o311.http.get("/requests.xml", params={"extensions": "true", "start_date": "2026-11-01T00:00:00Z"})
    notes = xml(listed).findall("request/notes/note")
    assert [n.findtext("type") for n in notes][:2] == ["submit", "dispatch"]


def test_empty_parameters_count_as_absent(o311):
    case = raise_case(o311)
    empty = {
        k: ""
        for k in (
            "jurisdiction_id",
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
            "page",
            "page_size",
            "extensions",
        )
    }
    assert o311.http.get("/requests.json", params=empty).json() == o311.http.get("/requests.json").json()
    assert [r["service_request_id"] for r in o311.http.get("/requests.json", params=empty).json()] == [case.number]
    assert (
        o311.http.get("/services.json", params={"jurisdiction_id": ""}).json() == o311.http.get("/services.json").json()
    )


@pytest.mark.parametrize("path", ["/discovery", "/services", "/services/market", "/requests"])
def test_known_jurisdiction_is_served_and_unknown_is_404(o311, path):
    assert o311.http.get(f"{path}.json", params={"jurisdiction_id": "heze.gov.cn"}).status_code == 200
    response = o311.http.get(f"{path}.xml", params={"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404 and errors(response, "xml")[0]["code"] == "jurisdiction_not_found"


def test_jurisdiction_is_configurable(o311):
    Jurisdiction.objects.create(
        code="caoxian.heze.gov.cn", name="曹县", contact="曹县企业吹哨办", key_service="向曹县申请"
    )
    body = o311.http.get("/discovery.json", params={"jurisdiction_id": "caoxian.heze.gov.cn"}).json()
    assert body["contact"] == "曹县企业吹哨办"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens_are_never_issued_so_any_token_is_404(o311, fmt):
    response = o311.http.get(f"/tokens/12345.{fmt}")
    assert response.status_code == 404
    [error] = errors(response, fmt)
    assert error["code"] == "token_not_found" and "realtime" in error["description"]


def test_unknown_format_and_path_are_spec_shaped_404(o311):
    for path in ["/services.csv", "/nothing-here.json", "/requests/HZ00000001/notes.json"]:
        response = o311.http.get(path)
        assert response.status_code == 404, path
        assert errors(response, "xml")[0]["code"] in ("format_not_found", "not_found")


def test_root_points_to_discovery(o311):
    response = o311.http.get("/", follow_redirects=True)
    assert xml(response).tag == "discovery"


def test_wrong_method_is_400(o311):
    response = o311.http.post("/services.json")
    assert response.status_code == 400 and errors(response)[0]["code"] == "method_not_allowed"


def test_item_7_open311_masks_phones_in_every_spelling_and_the_address(o311):
    phones = [
        "139 1234 5601",
        "139-1234-5602",
        "+8613912345603",
        "１３９１２３４５６０４",
        "139\u200b1234\u200b5605",
        "(0530) 555 1234",
        "0530 5551235",
        "053055512366",
    ]
    posted = o311.http.post(
        "/requests.json",
        data={
            "api_key": o311.key,
            "service_code": "market",
            "phone": "13905309876",
            "address_string": "曹县青岗集镇，联系13912345607",
            "description": "占道经营，电话：" + "、".join(phones) + "，2026-11-02发现，摊位12平方米",
        },
    )
    assert posted.status_code == 200, posted.content
    number = posted.json()[0]["service_request_id"]
    for path in [f"/requests/{number}.json", f"/requests/{number}.xml", "/requests.json?extensions=true"]:
        text = o311.http.get(path).text
        for secret in ("1234560", "5551234", "5551235", "55512366", "12345607", "１２３４"):
            assert secret not in text, (path, secret)
    [row] = o311.http.get(f"/requests/{number}.json").json()
    assert row["description"] == (
        "占道经营，电话："
        + "、".join(
            [
                "139****5601",
                "139****5602",
                "139****5603",
                "139****5604",
                "139****5605",
                "(0530) *******",
                "0530-********",
                "0530-********",
            ]
        )
        + "，2026-11-02发现，摊位12平方米"
    )
    assert row["address"] == "曹县青岗集镇，联系139****5607"
