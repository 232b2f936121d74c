"""Every sign-in path goes through one check (issue 13 item 1): the web form, the token endpoint and the Django admin
share the throttle and its answers."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import PASSWORD
from whistle.org.models import LoginThrottle, Membership

ERRORS = re.compile(r'<p class="errornote">\s*(.*?)\s*</p>', re.S)


@pytest.fixture
def root(heze):
    user = get_user_model().objects.create_superuser("root", password=PASSWORD)
    Membership.objects.create(user=user, role="sysadmin", display_name="系统管理员")
    return user


def admin_sign_in(client, password, username="root"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"})


def token(client, password, username="root"):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json"
    )


def test_admin_login_goes_through_the_same_throttle(root, client):
    for _ in range(5):
        assert token(client, "wrong-password").status_code == 401
    # Failures at the token endpoint hold the admin's form too, even with the right password.
    refused = admin_sign_in(client, PASSWORD)
    assert refused.status_code == 200 and "登录尝试过于频繁" in refused.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    LoginThrottle.objects.update(blocked_until=None)  # the wait has run out
    assert admin_sign_in(client, PASSWORD)["Location"] == "/admin/"


def test_admin_login_failures_slow_down_the_web_and_the_token_endpoint(root):
    browser = Client()
    for _ in range(5):
        assert "用户名或密码错误" in admin_sign_in(browser, "wrong-password").content.decode()
    assert token(Client(), PASSWORD).status_code == 429
    assert Client().post("/login", {"username": "root", "password": PASSWORD}).status_code == 429


def refusal(response) -> tuple[int, list[str]]:
    return response.status_code, ERRORS.findall(response.content.decode())


def test_admin_login_answers_an_unknown_user_like_a_known_one(root):
    known = [refusal(admin_sign_in(Client(REMOTE_ADDR="10.0.0.1"), "wrong-password")) for _ in range(6)]
    unknown = [refusal(admin_sign_in(Client(REMOTE_ADDR="10.0.0.2"), "wrong-password", "nobody")) for _ in range(6)]
    assert known == unknown
    assert "用户名或密码错误" in known[0][1][0] and "登录尝试过于频繁" in known[-1][1][0]


def test_admin_refuses_an_account_that_must_change_its_password(root, client):
    Membership.objects.filter(user=root).update(must_change_password=True)
    refused = admin_sign_in(client, PASSWORD)
    assert "须先修改密码" in refused.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
