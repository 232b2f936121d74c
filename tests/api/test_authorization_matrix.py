"""The authorization matrix (DESIGN.md "Access"): every role against every case endpoint.

Outside its scope a case is 404 exactly like a missing one; inside the scope an action the role may not do is 403;
an action it may do but not in the case's state is 409.
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import problem, rows
from tests.cases.flow import MONDAY, act, submit
from tests.conftest import PASSWORD, at
from whistle.cases.workflow import TRANSITIONS
from whistle.org.models import Membership

ACTIONS = sorted(t.action for t in TRANSITIONS.values() if t.public and t.manual)
COORDINATION = {
    "dispatch",
    "redispatch",
    "approve_extension",
    "reject_extension",
    "follow_up",
    "comment",
    "urge",
    "supervise",
    "escalate",
    "set_urgency",
    "attach",
}
LEAD = {"accept", "return", "contact", "opinion", "request_extension", "reply", "comment", "attach"}
# What each role may do to a 曹县 case of 曹县木业 (requester ent_cao), led by 曹县住建局 with 曹县市场监管局 assisting.
PERMITTED = {
    "ent_cao": {"withdraw", "follow_up", "comment", "attach"},
    "ent_cao2": {"comment", "attach"},
    "cao_zjj": LEAD,
    "cao_zjj_admin": LEAD,
    "cao_scjg": {"assist_note", "attach"},
    "cao_office": COORDINATION,
    "city_office": COORDINATION | {"green_channel"},
    "cao_leader": set(),
    "city_leader": set(),
    "auditor": set(),
}
# Roles that can see only part of the city, and so have a case outside their scope (a 单县 case).
SCOPED = ["ent_cao", "ent_cao2", "cao_zjj", "cao_zjj_admin", "cao_scjg", "cao_office", "cao_leader"]
MISSING = "HZ99999999"


@pytest.fixture
def world(heze):
    admin = get_user_model().objects.create_user("cao_zjj_admin", password=PASSWORD)
    Membership.objects.create(user=admin, role="unit_admin", unit=heze.cao_zjj, display_name="单位管理员")
    heze.users.cao_zjj_admin = admin

    def assisted():
        case = submit(heze, category="other", title="曹县木业厂房验收迟迟未办")
        return act(
            heze, case, "dispatch", "cao_office", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-scjg"]}, MONDAY
        )

    inside = assisted()
    for action, payload, minute in [("accept", {}, 10), ("contact", {}, 20), ("opinion", {"opinion": "正在协调"}, 30)]:
        inside = act(heze, inside, action, "cao_zjj", payload, at(2026, 11, 2, 11, minute))
    closed = act(heze, assisted(), "withdraw", "ent_cao", {"reason": "已自行解决"}, at(2026, 11, 2, 11))
    outside = submit(heze, "ent_shan", category="construction", title="单县食品冷库审批机密标题")
    return {"inside": inside, "closed": closed, "outside": outside}


def call(api, user, number, endpoint):
    if endpoint == "detail":
        return api.get(f"/api/v1/cases/{number}", user)
    if endpoint == "attach":
        upload = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, "image/jpeg")
        return api.client.post(f"/api/v1/cases/{number}/attachments", {"file": upload}, **api.headers(user, {}))
    return api.act(number, endpoint, user, {"note": "x", "reason": "x"})


def comparable(response, number) -> str:
    body = response.json()
    body.pop("request_id", None)  # each request's own id (issue 11), the same field in both answers
    return response["Content-Type"] + json.dumps(body, ensure_ascii=False, sort_keys=True).replace(number, "N")


def test_every_endpoint_answers_a_case_outside_scope_exactly_like_a_missing_case(api, world):
    outside = world["outside"]
    before = rows()
    for user in SCOPED:
        for endpoint in ["detail", "attach", *ACTIONS]:
            hidden, missing = call(api, user, outside.number, endpoint), call(api, user, MISSING, endpoint)
            assert (hidden.status_code, missing.status_code) == (404, 404), (user, endpoint, hidden.content)
            assert comparable(hidden, outside.number) == comparable(missing, MISSING), (user, endpoint)
            assert "单县食品" not in hidden.content.decode() and "冷库" not in hidden.content.decode()
        listed = api.get("/api/v1/cases", user).json()["items"]
        assert outside.number not in {item["number"] for item in listed}, user
    assert rows() == before


def test_every_role_may_read_a_case_in_its_scope(api, world):
    for user in PERMITTED:
        response = call(api, user, world["inside"].number, "detail")
        assert response.status_code == 200 and response.json()["title"] == "曹县木业厂房验收迟迟未办", user


def test_action_in_scope_but_not_permitted_to_the_role_is_403(api, world):
    inside = world["inside"]
    before = rows()
    for user, permitted in PERMITTED.items():
        for endpoint in ["attach", *ACTIONS]:
            if endpoint not in permitted:
                body = problem(call(api, user, inside.number, endpoint), 403, "action_not_permitted", "action")
                assert body["instance"].startswith(f"/api/v1/cases/{inside.number}"), (user, endpoint)
    assert rows() == before


def test_permitted_action_in_the_wrong_state_is_409(api, world):
    closed = world["closed"]
    before = rows()
    for user, permitted in PERMITTED.items():
        for endpoint in sorted(permitted):
            body = problem(
                call(api, user, closed.number, endpoint),
                409,
                "invalid_state",
                "file" if endpoint == "attach" else "action",
            )
            assert "已办结" in body["detail"], (user, endpoint)
    assert rows() == before


def test_token_endpoints_show_and_revoke_only_ones_own_tokens_for_every_role(api, world):
    """`GET/DELETE /api/v1/auth/tokens`: every role lists only its own; another user's token answers 404 exactly
    like a missing one, and stays."""
    from whistle.org.models import ApiToken
    from whistle.org.services import token_issue

    users = list(PERMITTED)
    spares = {user: token_issue(getattr(api.heze.users, user), "备用")[1] for user in users}
    for n, user in enumerate(users):
        listed = api.get("/api/v1/auth/tokens", user)
        assert listed.status_code == 200, user
        own = set(ApiToken.objects.filter(user=getattr(api.heze.users, user)).values_list("pk", flat=True))
        assert {row["id"] for row in listed.json()} == own, user
        other = spares[users[(n + 1) % len(users)]]
        hidden = problem(
            api.client.delete(f"/api/v1/auth/tokens/{other.pk}", **api.headers(user, {})), 404, "token_not_found", "id"
        )
        missing = problem(
            api.client.delete("/api/v1/auth/tokens/99999999", **api.headers(user, {})), 404, "token_not_found", "id"
        )
        assert hidden["detail"] == missing["detail"] and ApiToken.objects.filter(pk=other.pk).exists(), user
    for user in users:
        assert api.client.delete(f"/api/v1/auth/tokens/{spares[user].pk}", **api.headers(user, {})).status_code == 204
    problem(api.client.get("/api/v1/auth/tokens"), 401, "not_authenticated")
