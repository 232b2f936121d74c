"""POST requests over real HTTP: a real case is raised, or nothing is written and a spec-shaped error says why."""

import pytest
from django.utils import timezone

from tests.open311.conftest import errors, valid, xml
from whistle.cases.models import Case, CaseAttachment, pk_from_number
from whistle.open311.models import Integration, ServiceRequest
from whistle.open311.services import integration_create, integration_key_issue

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
BASE = {
    "service_code": "market",
    "lat": "34.8245",
    "long": "115.5410",
    "description": "青岗集镇路口长期占道经营，影响通行",
    "first_name": "明",
    "last_name": "王",
    "phone": "13905301234",
}
PERMIT = {
    **BASE,
    "service_code": "construction-permit",
    "attribute[project]": "青岗集镇农贸市场改造",
    "attribute[stage]": "review",
}


def case_of(response) -> Case:
    [body] = valid(response.json(), "request-response.json")
    return Case.objects.get(pk=pk_from_number(body["service_request_id"]))


def test_post_raises_a_real_dispatched_case(o311):
    response = o311.http.post("/requests.json", data={**BASE, "api_key": o311.key, "account_id": "acc-9"})
    assert response.status_code == 200
    [body] = response.json()
    case = case_of(response)
    assert body["service_request_id"] == case.number and "token" not in body
    assert body["account_id"] == "acc-9"
    assert case.channel == "open311" and case.state == "dispatched" and case.lead_unit == o311.heze.city_scjg
    assert case.county == o311.heze.cao and case.kind == "help"
    assert case.contact_name == "王明" and case.contact_phone == "13905301234"
    assert (float(case.lat), float(case.lng)) == (34.8245, 115.541)
    assert case.resolve_due_at is not None
    assert (
        body["service_notice"]
        == f"已派菏泽市市场监督管理局办理，办结时限{timezone.localtime(case.resolve_due_at):%Y-%m-%d %H:%M}"
    )
    assert [e.action for e in case.events.order_by("seq")] == ["submit", "route", "dispatch"]
    assert case.events.get(action="submit").payload["channel"] == "open311"
    assert ServiceRequest.objects.get(case=case).integration == o311.integration
    # and it reads back with its real deadline
    [row] = o311.http.get(f"/requests/{case.number}.json").json()
    assert row["expected_datetime"] == timezone.localtime(case.resolve_due_at).isoformat(timespec="seconds")


def test_post_answers_in_xml(o311):
    response = o311.http.post("/requests.xml", data={**BASE, "api_key": o311.key})
    root = xml(response)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    number = request.findtext("service_request_id")
    assert Case.objects.filter(pk=pk_from_number(number), channel="open311").exists()


def test_api_key_in_the_query_string_and_form_body_in_the_open311_client_style(o311):
    # open311 1.1 puts the key and jurisdiction in the query string and the fields in the body
    response = o311.http.post("/requests.xml", params={"jurisdiction_id": "", "api_key": o311.key}, data=BASE)
    assert response.status_code == 200
    assert Case.objects.filter(channel="open311").count() == 1


def test_multipart_post_with_media_in_the_three_client_style(o311):
    response = o311.http.post(
        "/requests.json",
        data={**BASE, "api_key": o311.key, "jurisdiction_id": "heze.gov.cn"},
        files={"media": ("pothole.png", PNG, "image/png")},
    )
    case = case_of(response)
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.content_type == "image/png" and attachment.size == len(PNG)
    [row] = o311.http.get(f"/requests/{case.number}.json").json()
    assert row["media_url"] == f"{o311.base}/requests/{case.number}/media"
    photo = o311.http.get(row["media_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png" and photo.content == PNG


def test_multipart_post_without_media_and_key_in_query(o311):
    fields = {k: (None, v) for k, v in BASE.items()}
    response = o311.http.post("/requests.json", params={"api_key": o311.key}, files=fields)
    assert case_of(response).description == BASE["description"]


def test_media_url_is_kept_and_published(o311):
    response = o311.http.post(
        "/requests.json", data={**BASE, "api_key": o311.key, "media_url": "https://img.example.cn/1.jpg"}
    )
    [row] = o311.http.get(f"/requests/{case_of(response).number}.json").json()
    assert row["media_url"] == "https://img.example.cn/1.jpg"


def test_address_alone_is_a_location(o311):
    fields = {k: v for k, v in BASE.items() if k not in ("lat", "long")}
    case = case_of(
        o311.http.post("/requests.json", data={**fields, "api_key": o311.key, "address_string": "曹县人民路1号"})
    )
    assert case.address == "曹县人民路1号" and case.lat is None


def test_address_id_alone_is_a_location(o311):
    fields = {k: v for k, v in BASE.items() if k not in ("lat", "long")}
    case = case_of(o311.http.post("/requests.json", data={**fields, "api_key": o311.key, "address_id": "371721-0042"}))
    [row] = o311.http.get(f"/requests/{case.number}.json").json()
    assert row["address_id"] == "371721-0042"


def test_attributes_of_every_datatype_reach_the_handler(o311):
    data = {
        **PERMIT,
        "api_key": o311.key,
        "attribute[area]": "1250.5",
        "attribute[applied_at]": "2026-10-08T09:30:00+08:00",
        "attribute[detail]": "已补正两次材料",
        "attribute[docs][]": ["plan", "contract"],
    }
    case = case_of(o311.http.post("/requests.json", data=data))
    assert case.lead_unit == o311.heze.cao_zjj  # routed by the dispatch catalogue: 工程建设 × 曹县
    assert case.description == (
        "青岗集镇路口长期占道经营，影响通行\n\n【补充信息】\n项目名称：青岗集镇农贸市场改造\n建筑面积（平方米）：1250.5\n"
        "申请提交时间：2026-10-08 09:30\n补充说明：已补正两次材料\n卡在哪个环节：审查\n已提交的材料：规划许可证、施工合同"
    )
    assert ServiceRequest.objects.get(case=case).attributes == {
        "project": "青岗集镇农贸市场改造",
        "area": "1250.5",
        "applied_at": "2026-10-08T09:30:00+08:00",
        "detail": "已补正两次材料",
        "stage": "review",
        "docs": ["plan", "contract"],
    }


def test_multivaluelist_also_accepts_repeated_plain_attribute(o311):
    data = {**PERMIT, "api_key": o311.key, "attribute[docs]": ["land", "plan"]}
    case = case_of(o311.http.post("/requests.json", data=data))
    assert ServiceRequest.objects.get(case=case).attributes["docs"] == ["land", "plan"]


def test_county_and_kind_attributes_steer_the_case(o311):
    data = {**BASE, "api_key": o311.key, "attribute[county]": "shanxian", "attribute[kind]": "complaint"}
    case = case_of(o311.http.post("/requests.json", data=data))
    assert case.county == o311.heze.shan and case.kind == "complaint"


def test_integration_without_county_needs_one_per_request(o311):
    key, _ = integration_create("市12345热线")
    response = o311.http.post("/requests.json", data={**BASE, "api_key": key})
    assert response.status_code == 400 and errors(response)[0]["code"] == "county_required"
    assert "attribute[county]" in errors(response)[0]["description"]
    ok = o311.http.post("/requests.json", data={**BASE, "api_key": key, "attribute[county]": "caoxian"})
    assert case_of(ok).county == o311.heze.cao


def test_a_new_key_replaces_the_old(o311):
    old = o311.key
    new = integration_key_issue(o311.integration)
    assert o311.http.post("/requests.json", data={**BASE, "api_key": old}).status_code == 403
    assert o311.http.post("/requests.json", data={**BASE, "api_key": new}).status_code == 200
    assert Integration.objects.get().key_hash not in (old, new)  # only the keyed hash is stored


# ---- refusals: each spec-shaped, nothing written -----------------------------------------------------


def refused(o311, fmt, status, code, *, params=None, data=None, files=None):
    before = (Case.objects.count(), ServiceRequest.objects.count(), CaseAttachment.objects.count())
    response = o311.http.post(f"/requests.{fmt}", params=params, data=data, files=files)
    assert response.status_code == status, response.text
    found = errors(response, fmt)
    assert found[0]["code"] == code and found[0]["description"]
    assert (Case.objects.count(), ServiceRequest.objects.count(), CaseAttachment.objects.count()) == before
    return found[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_api_key_is_403(o311, fmt):
    refused(o311, fmt, 403, "api_key_required", data=BASE)
    refused(o311, fmt, 403, "api_key_required", data={**BASE, "api_key": ""})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_wrong_or_disabled_api_key_is_403(o311, fmt):
    refused(o311, fmt, 403, "api_key_invalid", data={**BASE, "api_key": "o311_not-a-key"})
    Integration.objects.update(is_active=False)
    refused(o311, fmt, 403, "api_key_invalid", data={**BASE, "api_key": o311.key})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_location_is_400(o311, fmt):
    fields = {k: v for k, v in BASE.items() if k not in ("lat", "long")}
    error = refused(o311, fmt, 400, "location_required", data={**fields, "api_key": o311.key})
    assert "address_string" in error["description"]


def test_lat_without_long_is_400(o311):
    refused(o311, "json", 400, "invalid_location", data={**BASE, "long": "", "api_key": o311.key})


def test_coordinates_out_of_range_are_400(o311):
    error = refused(o311, "json", 400, "invalid_location", data={**BASE, "long": "215.5", "api_key": o311.key})
    assert error["description"].startswith("long：")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_attribute_code_is_400(o311, fmt):
    error = refused(
        o311, fmt, 400, "unknown_attribute", data={**PERMIT, "attribute[colour]": "red", "api_key": o311.key}
    )
    assert error["description"].startswith("attribute[colour]：")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_5000_character_description_is_400(o311, fmt):
    error = refused(
        o311, fmt, 400, "description_too_long", data={**BASE, "description": "占" * 5000, "api_key": o311.key}
    )
    assert "4000" in error["description"]


def test_description_with_answers_over_4000_is_400(o311):
    refused(o311, "json", 400, "description_too_long", data={**PERMIT, "description": "占" * 3990, "api_key": o311.key})


def test_unknown_service_code_is_404_and_missing_is_400(o311):
    refused(o311, "json", 404, "service_not_found", data={**BASE, "service_code": "potholes", "api_key": o311.key})
    refused(o311, "xml", 400, "service_code_required", data={**BASE, "service_code": "", "api_key": o311.key})


def test_missing_phone_is_400_because_units_must_call_back(o311):
    error = refused(o311, "json", 400, "phone_required", data={**BASE, "phone": "", "api_key": o311.key})
    assert error["description"].startswith("phone：")
    refused(o311, "json", 400, "invalid_phone", data={**BASE, "phone": "12345", "api_key": o311.key})


@pytest.mark.parametrize(
    "data,code",
    [
        ({"attribute[stage]": ""}, "attribute_required"),
        ({"attribute[stage]": "approve"}, "attribute_invalid_value"),
        ({"attribute[stage]": ["accept", "review"]}, "attribute_single_value"),
        ({"attribute[docs][]": ["plan", "deed"]}, "attribute_invalid_value"),
        ({"attribute[area]": "很大"}, "attribute_invalid_value"),
        ({"attribute[area]": "NaN"}, "attribute_invalid_value"),
        ({"attribute[applied_at]": "上周"}, "attribute_invalid_value"),
        ({"attribute[project]": "项" * 201}, "attribute_too_long"),
        ({"attribute[notice]": "我读过了"}, "unknown_attribute"),  # text shown to the user, not a question
        ({"attribute[county]": "beijing"}, "unknown_county"),
        ({"attribute[kind]": "praise"}, "invalid_kind"),
    ],
)
def test_bad_attribute_values_are_400(o311, data, code):
    refused(o311, "json", 400, code, data={**PERMIT, "api_key": o311.key, **data})


@pytest.mark.parametrize(
    "data,code",
    [
        ({"media_url": "javascript:alert(1)"}, "invalid_media_url"),
        ({"address_id": "x" * 61}, "address_id_too_long"),
        ({"address_string": "路" * 201}, "address_too_long"),
        ({"first_name": "名" * 41}, "contact_name_too_long"),
    ],
)
def test_bad_optional_fields_are_400(o311, data, code):
    refused(o311, "json", 400, code, data={**BASE, "api_key": o311.key, **data})


def test_media_that_is_not_an_image_is_400(o311):
    refused(
        o311,
        "json",
        400,
        "media_type_not_allowed",
        data={**BASE, "api_key": o311.key},
        files={"media": ("notes.pdf", b"%PDF-1.4", "application/pdf")},
    )


def test_unknown_jurisdiction_on_post_is_404(o311):
    refused(
        o311, "json", 404, "jurisdiction_not_found", data={**BASE, "api_key": o311.key, "jurisdiction_id": "sfgov.org"}
    )


def test_post_to_a_single_request_is_400(o311):
    response = o311.http.post("/requests/HZ00000001.json", data={**BASE, "api_key": o311.key})
    assert response.status_code == 400 and errors(response)[0]["code"] == "method_not_allowed"


def test_item_13_open311_media_that_is_not_an_image_is_refused_and_nothing_is_created(o311):
    """The photo is served publicly with its stored type: an HTML page declared image/png would run on our origin."""
    response = o311.http.post(
        "/requests.json",
        data={**BASE, "api_key": o311.key},
        files={"media": ("pothole.png", b"<html><script>alert(1)</script></html>", "image/png")},
    )
    assert response.status_code == 400 and errors(response)[0]["code"] == "media_type_not_allowed"
    assert not Case.objects.filter(channel="open311").exists()
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 64
    case = case_of(
        o311.http.post(
            "/requests.json", data={**BASE, "api_key": o311.key}, files={"media": ("pothole.png", jpeg, "image/png")}
        )
    )
    attachment = CaseAttachment.objects.get(case=case)
    assert (attachment.content_type, attachment.name) == ("image/jpeg", "pothole.jpg")
