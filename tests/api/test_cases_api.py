"""The JSON API under /api/v1 over real HTTP through Django's test client (issue 2, item 6)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import problem, rows
from tests.cases.flow import case_in, submit
from tests.conftest import at
from whistle.cases.models import Case, CaseAttachment
from whistle.cases.workflow import TRANSITIONS


def test_submit_case_returns_201_with_number_dispatch_events_and_deadlines(api):
    response = api.submit(address="曹县经济开发区", lat=34.82, lng=115.54, contact_phone="0530-3211234")
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get()
    assert body["number"] == case.number and body["state"] == "dispatched" and body["channel"] == "api"
    assert body["lead_unit"] == {"code": "caoxian-zjj", "name": "曹县住房和城乡建设局"}
    assert body["enterprise"] == "曹县木业有限公司" and body["contact_name"] == "王经理"
    assert [e["action"] for e in body["events"]] == ["submit", "route", "dispatch"]
    assert body["deadlines"]["contact_due_at"] is not None and body["deadlines"]["resolve_due_at"] is not None
    assert (body["lat"], body["lng"]) == (34.82, 115.54)


def test_retry_with_the_same_idempotency_key_creates_nothing_and_returns_the_same_number(api):
    first = api.post(
        "/api/v1/cases",
        "ent_cao",
        {"kind": "help", "category": "market", "description": "营业执照变更"},
        **{"Idempotency-Key": "k-2026-0001"},
    )
    assert first.status_code == 201
    before = rows()
    retry = api.post(
        "/api/v1/cases",
        "ent_cao",
        {"kind": "help", "category": "market", "description": "营业执照变更"},
        **{"Idempotency-Key": "k-2026-0001"},
    )
    assert retry.status_code == 200 and retry.json()["number"] == first.json()["number"]
    assert rows() == before


def test_same_idempotency_key_with_a_different_body_is_409(api):
    api.post(
        "/api/v1/cases",
        "ent_cao",
        {"kind": "help", "category": "market", "description": "营业执照变更"},
        **{"Idempotency-Key": "k-2026-0002"},
    )
    before = rows()
    response = api.post(
        "/api/v1/cases",
        "ent_cao",
        {"kind": "help", "category": "market", "description": "另一件事"},
        **{"Idempotency-Key": "k-2026-0002"},
    )
    problem(response, 409, "idempotency_key_reused", "Idempotency-Key")
    assert rows() == before


def test_idempotency_keys_belong_to_one_user(api):
    body = {"kind": "help", "category": "market", "description": "营业执照变更"}
    one = api.post("/api/v1/cases", "ent_cao", body, **{"Idempotency-Key": "same"})
    other = api.post("/api/v1/cases", "ent_cao2", body, **{"Idempotency-Key": "same"})
    assert (one.status_code, other.status_code) == (201, 201) and one.json()["number"] != other.json()["number"]


def test_list_cases_filters_by_state_unit_county_kind_overdue_and_due_before(api, heze):
    old = submit(heze, now=at(2020, 1, 6, 10))  # long overdue: contact was due 6 Jan 2020 12:00
    fresh = api.submit().json()["number"]
    shan = api.submit("ent_shan", category="construction", kind="complaint").json()["number"]
    unrouted = api.submit(category="other").json()["number"]

    def numbers(**params):
        response = api.get("/api/v1/cases", "city_office", params)
        assert response.status_code == 200, response.content
        return {item["number"] for item in response.json()["items"]}

    assert numbers() == {old.number, fresh, shan, unrouted}
    assert numbers(state="submitted") == {unrouted}
    assert numbers(unit="caoxian-zjj") == {old.number, fresh}
    assert numbers(county="shanxian") == {shan}
    assert numbers(kind="complaint") == {shan}
    assert numbers(overdue="true") == {old.number}
    assert numbers(overdue="false") == {fresh, shan, unrouted}
    assert numbers(due_before="2020-01-07T00:00:00+08:00") == {old.number}
    assert numbers(due_before="2020-01-06T11:00:00") == set()  # a time without a zone is Beijing time
    assert numbers(state="dispatched", county="caoxian") == {old.number, fresh}


def test_list_cases_is_paginated_newest_first(api, heze):
    made = [submit(heze, now=at(2026, 11, d, 10)).number for d in (2, 3, 4, 5, 6)]
    page1 = api.get("/api/v1/cases", "auditor", {"page_size": 2}).json()
    page3 = api.get("/api/v1/cases", "auditor", {"page_size": 2, "page": 3}).json()
    assert page1["count"] == 5 and page1["page_size"] == 2
    assert [i["number"] for i in page1["items"]] == made[::-1][:2]
    assert [i["number"] for i in page3["items"]] == [made[0]]
    assert api.get("/api/v1/cases", "auditor", {"page": 4, "page_size": 2}).json()["items"] == []


def test_case_detail_has_events_deadlines_and_the_callers_allowed_actions(api, heze):
    case = case_in(heze, "contacted")
    response = api.get(f"/api/v1/cases/{case.number}", "cao_zjj")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "contacted" and body["state_label"] == "已联系"
    assert [e["action"] for e in body["events"]] == ["submit", "route", "dispatch", "accept", "contact"]
    assert body["events"][3]["label"] == "签收" and body["events"][3]["actor"] == "曹县住房和城乡建设局 cao_zjj"
    assert body["deadlines"]["opinion_due_at"] == "2026-11-03T02:00:00Z"  # 10:00 Beijing time
    assert body["deadlines"]["resolve_due_at"] == "2026-11-23T02:00:00Z"
    offered = {a["action"] for a in body["allowed_actions"]}
    # A November case asked about now is past its deadline: an extension is no longer offered (issue 14 item 6).
    assert offered >= {"opinion", "reply", "comment"} and "request_extension" not in offered
    enterprise_view = api.get(f"/api/v1/cases/{case.number}", "ent_cao").json()
    assert {a["action"] for a in enterprise_view["allowed_actions"]} == {"comment", "attach"}


def test_every_transition_over_http(api, heze):
    done = set()

    def act(number, action, user, payload=None):
        response = api.act(number, action, user, payload)
        assert response.status_code == 200, (action, response.content)
        done.add(action)
        return response.json()

    # Unroutable: the county office dispatches with an assisting unit; the unit walks it to a reply.
    one = api.submit(category="other").json()["number"]
    act(one, "dispatch", "cao_office", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-scjg"], "complex": False})
    act(one, "accept", "cao_zjj")
    act(one, "contact", "cao_zjj", {"method": "onsite", "note": "到企业现场查看"})
    act(one, "opinion", "cao_zjj", {"opinion": "需会同市场监管局核查"})
    act(one, "assist_note", "cao_scjg", {"note": "已核查，无违法记录"})
    act(one, "comment", "ent_cao", {"note": "补充：厂房已建成待验收"})
    act(one, "urge", "cao_office", {"note": "请本周内办结"})
    act(one, "supervise", "cao_office", {"reason": "企业多次来电"})
    act(one, "request_extension", "cao_zjj", {"reason": "需省厅审批"})
    act(one, "approve_extension", "cao_office", {"note": "同意延期"})
    act(one, "reply", "cao_zjj", {"content": "已协调办结验收"})
    body = act(
        one, "follow_up", "ent_cao", {"resolution": "unresolved", "satisfaction": "unsatisfied", "comment": "仍未验收"}
    )
    assert body["state"] == "reopened" and body["supervision_count"] == 2
    act(one, "reply", "cao_zjj", {"content": "验收已通过"})
    assert (
        act(one, "follow_up", "ent_cao", {"resolution": "resolved", "satisfaction": "satisfied"})["state"] == "closed"
    )

    # Returned twice, escalated to the city by the system, then the green channel.
    two = api.submit().json()["number"]
    act(two, "return", "cao_zjj", {"reason": "属市场监管职责", "suggested_unit": "caoxian-scjg"})
    act(two, "dispatch", "cao_office", {"unit": "caoxian-scjg"})
    act(two, "accept", "cao_scjg")
    act(two, "request_extension", "cao_scjg", {"reason": "需要更多时间"})
    act(two, "reject_extension", "cao_office", {"reason": "时限内可办结"})
    act(two, "escalate", "cao_office", {"reason": "涉及市级审批"})
    body = act(two, "green_channel", "city_office", {"leader": str(heze.users.city_leader.pk), "reason": "市领导督办"})
    assert body["level"] == "green_channel"

    three = api.submit().json()["number"]
    assert (
        act(three, "redispatch", "cao_office", {"unit": "caoxian-scjg", "reason": "派错单位"})["state"] == "dispatched"
    )
    assert act(three, "set_urgency", "cao_office", {"urgency": "urgent", "reason": "企业停电"})["urgency"] == "urgent"
    assert act(three, "withdraw", "ent_cao", {"reason": "问题已自行解决"})["state"] == "closed"

    offered = {t.action for t in TRANSITIONS.values() if t.public and t.manual}
    assert done == offered


def test_action_with_an_empty_body_is_an_action_without_payload(api, heze):
    case = submit(heze)
    response = api.client.post(
        f"/api/v1/cases/{case.number}/actions/accept", "", content_type="application/json", **api.headers("cao_zjj", {})
    )
    assert response.status_code == 200 and response.json()["state"] == "accepted"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(api, number, user, name, content, content_type):
    return api.client.post(
        f"/api/v1/cases/{number}/attachments",
        {"file": SimpleUploadedFile(name, content, content_type)},
        **api.headers(user, {}),
    )


def test_attachment_upload_is_stored_listed_and_recorded(api, heze, media):
    case = submit(heze)
    response = upload(api, case.number, "ent_cao", "现场照片.jpg", b"\xff\xd8\xff\xe0" + b"0" * 2048, "image/jpeg")
    assert response.status_code == 201 and response.json()["name"] == "现场照片.jpg" and response.json()["size"] == 2052
    detail = api.get(f"/api/v1/cases/{case.number}", "cao_zjj").json()
    assert [a["name"] for a in detail["attachments"]] == ["现场照片.jpg"]
    assert detail["events"][-1]["action"] == "attach" and detail["events"][-1]["payload"]["size"] == 2052
    assert (media / CaseAttachment.objects.get().file.name).read_bytes()[:4] == b"\xff\xd8\xff\xe0"


def test_attachment_over_ten_megabytes_is_refused(api, heze, media):
    case = submit(heze)
    before = rows()
    response = upload(api, case.number, "ent_cao", "大文件.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "application/pdf")
    problem(response, 422, "file_too_large", "file")
    assert rows() == before and not any(media.rglob("*.pdf"))


def test_attachment_of_a_disallowed_type_is_refused(api, heze, media):
    case = submit(heze)
    before = rows()
    problem(
        upload(api, case.number, "ent_cao", "run.exe", b"MZ" + b"0" * 100, "application/x-msdownload"),
        422,
        "file_type_not_allowed",
        "file",
    )
    assert rows() == before


def test_attachment_without_a_file_is_refused(api, heze):
    case = submit(heze)
    response = api.client.post(f"/api/v1/cases/{case.number}/attachments", {}, **api.headers("ent_cao", {}))
    problem(response, 422, "required", "file")


def test_units_list(api):
    response = api.get("/api/v1/units", "ent_cao", {"level": "county", "kind": "government"})
    assert response.status_code == 200
    assert response.json() == [
        {"code": "caoxian", "name": "曹县人民政府", "level": "county", "kind": "government", "parent": "heze"},
        {"code": "shanxian", "name": "单县人民政府", "level": "county", "kind": "government", "parent": "heze"},
    ]


def test_enterprises_list_is_scoped_and_paginated(api):
    own = api.get("/api/v1/enterprises", "ent_cao").json()
    assert own["count"] == 1 and own["items"][0]["uscc"] == "91371721MA3C5TXL5J"
    county = api.get("/api/v1/enterprises", "cao_office").json()
    assert [e["name"] for e in county["items"]] == ["曹县木业有限公司"]
    page = api.get("/api/v1/enterprises", "auditor", {"page_size": 1, "page": 2}).json()
    assert page["count"] == 2 and [e["name"] for e in page["items"]] == ["曹县木业有限公司"]
    problem(api.get("/api/v1/enterprises", "auditor", {"page_size": 0}), 422, "out_of_range", "page_size")


def test_coordinator_registers_a_case_for_an_enterprise_by_its_credit_code(api):
    response = api.submit("cao_office", enterprise="91371721ma3c5txl5j", description="代企业登记：用电报装慢")
    assert response.status_code == 201 and response.json()["enterprise"] == "曹县木业有限公司"
    assert response.json()["channel"] == "api"


def test_me_tells_the_caller_who_they_are(api):
    assert api.get("/api/v1/me", "cao_zjj").json() == {
        "username": "cao_zjj",
        "name": "曹县住房和城乡建设局 cao_zjj",
        "role": "handler",
        "unit": "caoxian-zjj",
        "enterprise": None,
    }


def test_workflow_table_lists_every_transition(api):
    table = {row["action"]: row for row in api.get("/api/v1/workflow", "ent_cao").json()}
    assert set(table) == set(TRANSITIONS)
    assert table["return"]["required"] == ["reason", "suggested_unit"] and table["accept"]["from"] == ["dispatched"]


def test_openapi_document_loads_and_docs_redirect(api, client):
    docs = client.get("/api/docs")
    assert docs.status_code == 302 and docs["Location"] == "/api/v1/docs"
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/actions/{action}",
        "/api/v1/cases/{number}/attachments",
        "/api/v1/auth/token",
        "/api/v1/units",
        "/api/v1/enterprises",
    } <= set(paths)


def test_unit_that_returns_a_case_is_answered_with_the_returned_case(api):
    number = api.submit().json()["number"]  # dispatched now, so the return window is open
    response = api.act(number, "return", "cao_zjj", {"reason": "属市场监管职责", "suggested_unit": "caoxian-scjg"})
    assert response.status_code == 200 and response.json()["state"] == "returned"
    assert response.json()["allowed_actions"] == []
    problem(api.get(f"/api/v1/cases/{number}", "cao_zjj"), 404, "case_not_found", "number")


def test_submit_answer_built_from_what_was_written_equals_the_case_read_back(api):
    """The create answer is not read back from the database (issue 2: the create step); it must say exactly what a
    read of the same case says."""
    created = api.submit(address="曹县经济开发区", lat=34.82, lng=115.54)
    assert created.status_code == 201
    read = api.get(f"/api/v1/cases/{created.json()['number']}", "ent_cao")
    assert read.status_code == 200 and created.json() == read.json()
    cross = api.submit(cross_county=True)  # not routed: submitted at city level
    assert cross.status_code == 201 and cross.json()["state"] == "submitted"
    assert cross.json() == api.get(f"/api/v1/cases/{cross.json()['number']}", "ent_cao").json()


def test_submit_writes_the_case_once_and_its_three_events_in_one_statement(api):
    """submit → route → dispatch: on PostgreSQL the case as the three steps left it and its three chained events in
    one statement (issue 22: the case is numbered before it is written); elsewhere one INSERT and one UPDATE of the
    case and one INSERT of the events. Then one INSERT of their notices."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.submit()  # the token is issued and cached outside the count
    with CaptureQueriesContext(connection) as queries:
        assert api.submit().status_code == 201
    sql = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        writes = [s for s in sql if '"cases_case"' in s and s.startswith(("INSERT", "UPDATE", "WITH"))]
        assert len(writes) == 1 and writes[0].startswith('WITH w0 AS (INSERT INTO "cases_case"'), "\n".join(sql)
        assert writes[0].count('INSERT INTO "cases_caseevent"') == 1 and not any(s.startswith("UPDATE") for s in sql)
    else:
        assert sum(s.startswith('INSERT INTO "cases_case"') for s in sql) == 1
        assert sum(s.startswith('UPDATE "cases_case"') for s in sql) == 1
        assert sum(s.startswith('INSERT INTO "cases_caseevent"') for s in sql) == 1
    # The outbox's one INSERT of its notices (issue 12) rides in the same transaction.
    assert sum(s.startswith('INSERT INTO "notices_notice"') for s in sql) == 1
    assert len(sql) <= 13, "\n".join(sql)
    case = Case.objects.order_by("-pk").first()
    events = list(case.events.order_by("seq"))
    assert [e.action for e in events] == ["submit", "route", "dispatch"]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]] and case.last_event_hash == events[
        -1
    ].hash


def test_inbox_lists_the_handlers_unit_open_cases_nearest_deadline_first(api, heze):
    from tests.cases.flow import act

    later = submit(heze, now=at(2026, 11, 3, 10))  # contact due 3 Nov 12:00
    sooner = submit(heze, now=at(2026, 11, 2, 10))  # contact due 2 Nov 12:00
    replied = case_in(heze, "replied")  # owes nothing now: last
    closed = act(
        heze,
        case_in(heze, "replied"),
        "follow_up",
        "ent_cao",
        {"resolution": "resolved", "satisfaction": "satisfied"},
        at(2026, 11, 6),
    )
    other = submit(heze, "ent_shan")  # 单县住建局's
    body = api.get("/api/v1/cases/inbox", "cao_zjj").json()
    numbers = [c["number"] for c in body["items"]]
    assert numbers == [sooner.number, later.number, replied.number] and body["count"] == 3
    assert closed.number not in numbers and other.number not in numbers
    assert (
        api.get("/api/v1/cases/inbox", "cao_zjj", {"page_size": 1, "page": 2}).json()["items"][0]["number"]
        == later.number
    )
    assert api.get("/api/v1/cases/inbox", "cao_zjj", {"page_size": 1}).json()["count"] == 3
    assert api.get("/api/v1/cases/inbox", "ent_cao").json() == {"count": 0, "page": 1, "page_size": 20, "items": []}
    assert api.get("/api/v1/cases/inbox", "cao_zjj", {"page_size": 0}).status_code == 422


def test_inbox_reads_a_page_in_the_same_few_queries_whatever_its_length(api, heze):
    """No query per case (the lead unit, category, county and enterprise come with the cases)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        api.get("/api/v1/cases/inbox", "cao_zjj")  # the token's first use is not what is counted
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/cases/inbox", "cao_zjj").status_code == 200
        return len(captured)

    submit(heze)
    one = queries()
    for hour in range(4):
        submit(heze, now=at(2026, 11, 3, 9 + hour))
    assert queries() == one
