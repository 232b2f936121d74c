"""Password policy and change on first sign-in (issue 13 item 18)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.api.conftest import problem
from tests.conftest import PASSWORD
from whistle.org.models import Membership
from whistle.org.passwords import DEMO_PASSWORD
from whistle.org.services import token_issue


@pytest.fixture(autouse=True)
def production(settings):
    """These rules hold outside demo mode (the suite itself runs in demo mode: scripts/test.sh, pytest-env)."""
    settings.DEMO = False


def refusals(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as refused:
        return {e.code for e in refused.error_list}
    return set()


def test_password_policy_refuses_numeric_similar_repeated_and_demo_passwords(heze):
    user = heze.users.cao_zjj
    assert "password_entirely_numeric" in refusals("73920184", user)
    assert "password_too_similar" in refusals("cao_zjj_2026", user)
    assert "password_too_common" in refusals("zzzzzzzzz", user) | refusals("password1", user)
    assert refusals(DEMO_PASSWORD, user) == {"password_is_demo"}
    assert refusals("Mudan-peony-2027", user) == set()


def test_demo_password_is_allowed_in_demo_mode(heze, settings):
    settings.DEMO = True
    assert refusals(DEMO_PASSWORD) == set()


def test_weak_new_password_is_refused_in_chinese_beside_the_field(heze, client):
    client.force_login(heze.users.ent_cao)
    response = client.post(
        "/password", {"old_password": PASSWORD, "new_password1": "73920184", "new_password2": "73920184"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_new_password2_error"' in html and "密码只包含数字" in html
    body = problem(
        client.post(
            "/api/v1/auth/password",
            {"username": "ent_cao", "old_password": PASSWORD, "new_password": DEMO_PASSWORD},
            content_type="application/json",
        ),
        422,
        "password_too_weak",
        "new_password",
    )
    assert "演示密码" in body["detail"]


@pytest.fixture
def demo_password_user(heze):
    """An account still on the published demo password, in a system not in demo mode."""
    user = heze.users.ent_cao
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def test_demo_account_must_change_password_before_the_api_answers(demo_password_user, client):
    refused = problem(
        client.post(
            "/api/v1/auth/token", {"username": "ent_cao", "password": DEMO_PASSWORD}, content_type="application/json"
        ),
        403,
        "password_change_required",
    )
    assert "修改密码" in refused["detail"]
    # A token issued before (e.g. in demo mode) is refused too until the password is changed.
    plain, _ = token_issue(demo_password_user)
    problem(client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {plain}"), 403, "password_change_required")
    assert (
        client.post(
            "/api/v1/auth/password",
            {"username": "ent_cao", "old_password": DEMO_PASSWORD, "new_password": "Mudan-peony-2027"},
            content_type="application/json",
        ).status_code
        == 204
    )
    assert not Membership.objects.get(user=demo_password_user).must_change_password
    assert (
        client.post(
            "/api/v1/auth/token",
            {"username": "ent_cao", "password": "Mudan-peony-2027"},
            content_type="application/json",
        ).status_code
        == 201
    )


def test_demo_account_is_sent_to_the_change_password_page_on_the_web(demo_password_user, client):
    response = client.post("/login", {"username": "ent_cao", "password": DEMO_PASSWORD, "next": "/cases/new"})
    assert response["Location"] == "/password/first"
    page = client.get("/password/first")
    assert page.status_code == 200 and "设置新密码" in page.content.decode()
    assert 'name="viewport"' in page.content.decode()  # the shared base page, made for phones
    assert client.get("/my")["Location"].startswith("/login")
    done = client.post("/password/first", {"new_password1": "Mudan-peony-2027", "new_password2": "Mudan-peony-2027"})
    assert done["Location"] == "/cases/new" and client.get("/my").status_code == 200


def test_password_change_page_without_a_pending_sign_in_goes_back_to_login(client):
    assert client.get("/password/first")["Location"] == "/login"


def test_member_created_by_the_admin_must_change_password(heze, admin_client):
    user = get_user_model().objects.create_user("new_handler", password="Chosen-by-admin-2026")
    response = admin_client.post(
        "/admin/org/membership/add/",
        {"user": user.pk, "role": "handler", "unit": heze.cao_zjj.pk, "display_name": "新同事"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(user=user).must_change_password


def test_account_marked_by_the_admin_mid_session_is_sent_to_change_password(heze, client):
    client.force_login(heze.users.cao_zjj)
    Membership.objects.filter(user=heze.users.cao_zjj).update(must_change_password=True)
    assert client.get("/desk")["Location"] == "/password"
    page = client.get("/password")
    assert page.status_code == 200 and "管理员要求您先修改密码" in page.content.decode()
    client.post(
        "/password",
        {"old_password": PASSWORD, "new_password1": "Mudan-peony-2027", "new_password2": "Mudan-peony-2027"},
    )
    assert client.get("/desk").status_code == 200
