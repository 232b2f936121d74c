"""Bad input, and what it gets (issue 2): a clear 4xx problem+json with a stable code, the field at fault and a
Chinese detail, and nothing written."""

import json

import pytest

from tests.api.conftest import CHINESE, problem, rows
from tests.cases.flow import case_in, submit
from tests.conftest import PASSWORD
from whistle.core.errors import Invalid
from whistle.enterprises.models import Enterprise
from whistle.enterprises.services import enterprise_register
from whistle.org.models import LoginThrottle


def refused(response, status, code, field, before):
    body = problem(response, status, code, field)
    assert rows() == before, "a refused request wrote something"
    return body


def test_invalid_uscc_is_refused_by_enterprise_registration(heze):
    before = Enterprise.objects.count()
    for uscc in ("91371721MA3C5TXL5K", "9137172", "不是代码", ""):
        with pytest.raises(Invalid) as error:
            enterprise_register(uscc=uscc, name="新注册企业", county=heze.cao)
        assert (error.value.status, error.value.code, error.value.field) == (422, "invalid_uscc", "uscc")
        assert CHINESE.search(error.value.detail)
    assert Enterprise.objects.count() == before
    assert (
        enterprise_register(uscc="91371721ma3c5txl6m", name="新注册企业", county=heze.cao).uscc == "91371721MA3C5TXL6M"
    )


def test_invalid_uscc_of_the_enterprise_a_coordinator_registers_for_is_refused(api):
    before = rows()
    refused(api.submit("cao_office", enterprise="91371721MA3C5TXL5K"), 422, "invalid_uscc", "enterprise", before)


def test_enterprise_outside_the_coordinators_county_is_unknown(api):
    before = rows()
    refused(api.submit("cao_office", enterprise="91371722MA3C5TXL51"), 422, "unknown_enterprise", "enterprise", before)


def test_unknown_category_is_refused(api):
    before = rows()
    refused(api.submit(category="no-such-category"), 422, "unknown_category", "category", before)


def test_unknown_unit_is_refused(api, heze):
    case = submit(heze, category="other")
    before = rows()
    refused(
        api.act(case.number, "dispatch", "cao_office", {"unit": "no-such-unit"}), 422, "unknown_unit", "unit", before
    )
    refused(api.get("/api/v1/cases", "city_office", {"unit": "no-such-unit"}), 422, "unknown_unit", "unit", before)


def test_unknown_county_is_refused(api):
    before = rows()
    refused(api.submit(county="no-such-county"), 422, "unknown_county", "county", before)
    refused(api.submit(county="caoxian-zjj"), 422, "unknown_county", "county", before)  # a department is no county


def test_case_outside_the_coordinators_county_is_refused(api):
    before = rows()
    refused(
        api.submit("cao_office", county="shanxian", contact_name="张三", contact_phone="13905300009"),
        422,
        "county_out_of_scope",
        "county",
        before,
    )


def test_empty_description_is_refused(api):
    before = rows()
    refused(api.submit(description="   \n "), 422, "description_required", "description", before)


def test_ten_megabyte_description_is_refused(api):
    before = rows()
    body = json.dumps(
        {"kind": "help", "category": "construction", "description": "描" * (3_500_000)}, ensure_ascii=False
    )
    assert len(body.encode()) > 10 * 1024 * 1024
    refused(api.post("/api/v1/cases", "ent_cao", body), 422, "description_too_long", "description", before)


def test_request_body_over_the_upload_limit_is_413(api):
    before = rows()
    body = json.dumps({"kind": "help", "category": "construction", "description": "x" * (13 * 1024 * 1024)})
    refused(api.post("/api/v1/cases", "ent_cao", body), 413, "request_too_large", "body", before)


def test_malformed_phone_is_refused(api, subtests):
    before = rows()
    for phone in ["12345", "1390530000", "139053000011", "０５３０-1234567", "phone"]:
        with subtests.test(phone=phone):
            refused(api.submit(contact_phone=phone), 422, "invalid_phone", "contact_phone", before)


def test_transition_from_the_wrong_state_is_409(api, heze):
    case = case_in(heze, "accepted")
    before = rows()
    body = refused(
        api.act(case.number, "reply", "cao_zjj", {"content": "直接答复"}), 409, "invalid_state", "action", before
    )
    assert body["state"] == "accepted"


def test_reply_with_no_content_is_refused(api, heze):
    case = case_in(heze, "in_progress")
    before = rows()
    refused(api.act(case.number, "reply", "cao_zjj", {}), 422, "content_required", "content", before)
    refused(api.act(case.number, "reply", "cao_zjj", {"content": "  "}), 422, "content_required", "content", before)


def test_follow_up_by_someone_not_the_requester_is_403(api, heze):
    case = case_in(heze, "replied")
    before = rows()
    refused(
        api.act(case.number, "follow_up", "ent_cao2", {"resolution": "resolved", "satisfaction": "satisfied"}),
        403,
        "action_not_permitted",
        "action",
        before,
    )


def test_extension_asked_twice_is_409(api, heze):
    case = case_in(heze, "in_progress", present=True)  # before the deadline: the only time an extension may be asked
    assert api.act(case.number, "request_extension", "cao_zjj", {"reason": "需省厅审批"}).status_code == 200
    before = rows()
    refused(
        api.act(case.number, "request_extension", "cao_zjj", {"reason": "再申请一次"}),
        409,
        "extension_pending",
        "action",
        before,
    )


def test_date_in_the_wrong_format_is_422(api, subtests):
    for value in ["yesterday", "2026-13-01", "2026-11-02T25:00"]:
        with subtests.test(due_before=value):
            body = problem(
                api.get("/api/v1/cases", "city_office", {"due_before": value}), 422, "invalid_input", "due_before"
            )
            assert body["detail"] == "参数“due_before”格式不正确"


def test_wrong_password_ten_times_slows_the_account_down_until_the_wait_is_over(api, heze):
    def sign_in(password):
        return api.post("/api/v1/auth/token", None, {"username": "ent_cao", "password": password})

    statuses = [sign_in("wrong-password").status_code for _ in range(10)]
    assert statuses == [401] * 5 + [429] * 5
    body = problem(sign_in(PASSWORD), 429, "login_throttled")
    assert "秒后再试" in body["detail"] and body["retry_after"] >= 1
    LoginThrottle.objects.update(blocked_until=None)  # the wait has run out
    assert sign_in(PASSWORD).status_code == 201


def test_wrong_password_is_401_without_saying_whether_the_user_exists(api):
    wrong = problem(
        api.post("/api/v1/auth/token", None, {"username": "ent_cao", "password": "nope-nope"}),
        401,
        "invalid_credentials",
        "password",
    )
    unknown = problem(
        api.post("/api/v1/auth/token", None, {"username": "nobody", "password": "nope-nope"}),
        401,
        "invalid_credentials",
        "password",
    )
    assert wrong["detail"] == unknown["detail"] == "用户名或密码错误"


def test_malformed_json_body_is_400(api, heze, subtests):
    case = case_in(heze, "in_progress")
    before = rows()
    for body in ['{"kind": "help",', "{'kind': 'help'}", '{"lat": NaN}', '{"lat": 1e999}', "\x00"]:
        with subtests.test(body=body):
            refused(api.post("/api/v1/cases", "ent_cao", body), 400, "invalid_json", "body", before)
            refused(
                api.post(f"/api/v1/cases/{case.number}/actions/comment", "ent_cao", body),
                400,
                "invalid_json",
                "body",
                before,
            )


def test_body_that_is_not_a_json_object_is_422(api, heze, subtests):
    case = case_in(heze, "in_progress")
    before = rows()
    for body in ["[]", '[{"kind": "help"}]', '"help"', "42"]:
        with subtests.test(body=body):
            refused(api.post("/api/v1/cases", "ent_cao", body), 422, "body_not_object", "body", before)
            refused(
                api.post(f"/api/v1/cases/{case.number}/actions/comment", "ent_cao", body),
                422,
                "body_not_object",
                "body",
                before,
            )


def test_missing_required_field_is_named(api):
    before = rows()
    body = refused(
        api.post("/api/v1/cases", "ent_cao", {"kind": "help", "category": "construction"}),
        422,
        "required",
        "description",
        before,
    )
    assert body["detail"] == "缺少必填项“description”"


def test_field_of_the_wrong_type_is_named(api, subtests):
    before = rows()
    for field, value in [("kind", 5), ("description", ["a"]), ("lat", "north"), ("cross_county", "maybe")]:
        with subtests.test(field=field, value=value):
            refused(api.submit(**{field: value}), 422, "invalid_input", field, before)


def test_kind_outside_the_list_is_refused(api):
    before = rows()
    refused(api.submit(kind="praise"), 422, "invalid_kind", "kind", before)


def test_location_out_of_range_or_half_given_is_refused(api, subtests):
    before = rows()
    for lat, lng, field in [(91, 115, "lat"), (34, 181, "lng"), (34, None, "lng")]:
        with subtests.test(lat=lat, lng=lng):
            refused(api.submit(lat=lat, lng=lng), 422, "invalid_location", field, before)


def test_unknown_action_name_is_422(api, heze):
    case = case_in(heze, "in_progress")
    before = rows()
    refused(api.act(case.number, "approve_everything", "cao_office"), 422, "unknown_action", "action", before)
    refused(api.act(case.number, "submit", "ent_cao", {"kind": "help"}), 422, "unknown_action", "action", before)
    refused(api.act(case.number, "yellow_card", "cao_office"), 422, "unknown_action", "action", before)


def test_workflow_payload_values_of_wrong_types_are_422(api, heze, subtests):
    case = submit(heze, category="other")
    before = rows()
    for payload, code, field in [
        ({"unit": []}, "unit_required", "unit"),
        ({"unit": {"code": "caoxian-zjj"}}, "invalid_unit", "unit"),
        ({"unit": 3.5}, "invalid_unit", "unit"),
        ({"unit": "caoxian-zjj", "complex": "yes"}, "invalid_complex", "complex"),
        ({"unit": "caoxian-zjj", "assisting_units": 7}, "invalid_assisting_units", "assisting_units"),
    ]:
        with subtests.test(payload=payload):
            refused(api.act(case.number, "dispatch", "cao_office", payload), 422, code, field, before)


def test_numbers_or_lists_where_text_is_expected_are_422(api, heze, subtests):
    case = case_in(
        heze, "accepted", present=True
    )  # inside its deadlines, so each action is open and only its input is wrong
    before = rows()
    for action, user, payload, code in [
        ("comment", "ent_cao", {"note": 12}, "invalid_note"),
        ("comment", "ent_cao", {"note": ["a"]}, "invalid_note"),
        ("request_extension", "cao_zjj", {"reason": {"a": 1}}, "invalid_reason"),
        ("contact", "cao_zjj", {"method": 1}, "invalid_method"),
    ]:
        with subtests.test(action=action, payload=payload):
            refused(api.act(case.number, action, user, payload), 422, code, next(iter(payload)), before)


def test_page_out_of_range_is_422(api):
    body = problem(api.get("/api/v1/cases", "auditor", {"page": 0}), 422, "out_of_range", "page")
    assert body["detail"] == "参数“page”超出允许范围"
    problem(api.get("/api/v1/cases", "auditor", {"page": 10**20}), 422, "out_of_range", "page")
    problem(api.get("/api/v1/cases", "auditor", {"page_size": 1000}), 422, "out_of_range", "page_size")
    problem(api.get("/api/v1/cases", "auditor", {"page": "two"}), 422, "invalid_input", "page")


def test_only_enterprise_users_and_coordinators_submit_cases(api, subtests):
    before = rows()
    for user in ["cao_zjj", "cao_leader", "auditor"]:
        with subtests.test(user=user):
            refused(
                api.submit(user, county="caoxian", contact_name="张三", contact_phone="13905300009"),
                403,
                "submit_not_permitted",
                None,
                before,
            )


def test_enterprise_user_cannot_submit_for_another_enterprise(api):
    before = rows()
    refused(api.submit(enterprise="91371722MA3C5TXL51"), 422, "enterprise_not_allowed", "enterprise", before)


def test_idempotency_key_longer_than_100_characters_is_refused(api):
    before = rows()
    refused(
        api.post(
            "/api/v1/cases",
            "ent_cao",
            {"kind": "help", "category": "market", "description": "营业执照变更"},
            **{"Idempotency-Key": "k" * 101},
        ),
        422,
        "invalid_idempotency_key",
        "Idempotency-Key",
        before,
    )
