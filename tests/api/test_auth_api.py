"""Who is calling (DESIGN.md "Access"): bearer tokens from POST /api/v1/auth/token, or the signed-in session with
CSRF on writes."""

import secrets
import string

import pytest
from django.conf import settings
from django.test import Client

from tests.api.conftest import problem, rows
from tests.conftest import PASSWORD
from whistle.org.models import ApiToken

CASE = {"kind": "help", "category": "construction", "description": "厂房施工许可办理慢"}


def test_token_endpoint_exchanges_username_and_password_for_a_bearer_token(client, heze):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "cao_zjj", "password": PASSWORD, "name": "内网系统"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("wst_") and body["token_type"] == "Bearer" and body["expires_at"]
    assert ApiToken.objects.get().name == "内网系统"
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200 and me.json()["username"] == "cao_zjj"


def test_request_without_valid_credentials_is_401(client, heze, subtests):
    before = rows()
    for headers in [{}, {"HTTP_AUTHORIZATION": "Bearer wst_not-a-token"}, {"HTTP_AUTHORIZATION": "Basic abc"}]:
        with subtests.test(headers=headers):
            problem(client.get("/api/v1/cases", **headers), 401, "not_authenticated")
            problem(
                client.post("/api/v1/cases", CASE, content_type="application/json", **headers), 401, "not_authenticated"
            )
    assert rows() == before


def test_token_request_without_username_or_password_is_refused(client, heze):
    problem(
        client.post("/api/v1/auth/token", {"username": "cao_zjj", "password": ""}, content_type="application/json"),
        422,
        "credentials_required",
        "password",
    )
    problem(
        client.post("/api/v1/auth/token", {"password": PASSWORD}, content_type="application/json"),
        422,
        "required",
        "username",
    )


@pytest.fixture
def session(heze):
    """A signed-in browser holding the CSRF cookie a page would have set."""
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="ent_cao", password=PASSWORD)
    browser.csrf_token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    browser.cookies[settings.CSRF_COOKIE_NAME] = browser.csrf_token
    return browser


def test_signed_in_session_reads_without_a_csrf_token(session):
    me = session.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["role"] == "enterprise"
    assert session.get("/api/v1/cases").status_code == 200


def test_session_write_without_csrf_token_is_403(session):
    before = rows()
    problem(session.post("/api/v1/cases", CASE, content_type="application/json"), 403, "csrf_failed")
    problem(
        session.post("/api/v1/cases", CASE, content_type="application/json", HTTP_X_CSRFTOKEN="x" * 32),
        403,
        "csrf_failed",
    )
    assert rows() == before


def test_session_write_with_csrf_token_is_accepted(session):
    response = session.post("/api/v1/cases", CASE, content_type="application/json", HTTP_X_CSRFTOKEN=session.csrf_token)
    assert response.status_code == 201 and response.json()["channel"] == "web"
