"""Signing in and out, changing the password, the error pages, CSRF."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from whistle.core.rules import int_param
from whistle.org.models import LoginThrottle


def test_sign_in_takes_each_role_to_its_own_page(heze, client):
    for username, landing in [
        ("ent_cao", "/my"),
        ("cao_zjj", "/desk"),
        ("cao_office", "/ledger?view=queue"),
        ("city_leader", "/dashboard"),
        ("auditor", "/ledger"),
    ]:
        client.logout()
        response = client.post("/login", {"username": username, "password": PASSWORD})
        assert response.status_code == 302
        home = client.get(response["Location"])
        assert home["Location"] == landing, username


def test_sign_in_returns_to_the_page_asked_for(heze, client, permit_case):
    response = client.get(f"/cases/{permit_case.number}")
    assert response["Location"] == f"/login?next=/cases/{permit_case.number}"
    page = client.get(response["Location"])
    assert f'value="/cases/{permit_case.number}"' in page.content.decode()
    response = client.post(
        "/login", {"username": "cao_zjj", "password": PASSWORD, "next": f"/cases/{permit_case.number}"}
    )
    assert response["Location"] == f"/cases/{permit_case.number}"


def test_sign_in_never_redirects_to_another_site(heze, client):
    response = client.post("/login", {"username": "cao_zjj", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_wrong_password_is_shown_beside_the_password_field_and_the_username_kept(heze, client):
    response = client.post("/login", {"username": "cao_zjj", "password": "wrong-password"})
    assert response.status_code == 401
    html = response.content.decode()
    assert 'id="id_password_error"' in html and "用户名或密码错误" in html
    assert 'value="cao_zjj"' in html


def test_empty_sign_in_form_names_both_fields(heze, client):
    response = client.post("/login", {"username": "", "password": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_username_error"' in html and 'id="id_password_error"' in html


def test_repeated_failed_sign_ins_on_the_web_are_slowed_down(heze, client):
    for _ in range(int_param("auth.throttle_account_free_failures")):
        response = client.post("/login", {"username": "cao_zjj", "password": "wrong-password"})
    assert response.status_code == 401
    response = client.post("/login", {"username": "cao_zjj", "password": "wrong-password"})
    assert response.status_code == 429
    assert "登录尝试过于频繁" in response.content.decode()


def test_slowed_down_account_refuses_even_the_right_password_until_the_wait_is_over(heze, client):
    for _ in range(int_param("auth.throttle_account_free_failures")):
        client.post("/login", {"username": "cao_zjj", "password": "wrong-password"})
    response = client.post("/login", {"username": "cao_zjj", "password": PASSWORD})
    assert response.status_code == 429 and "后再试" in response.content.decode()
    LoginThrottle.objects.update(blocked_until=None)  # the wait has run out
    assert client.post("/login", {"username": "cao_zjj", "password": PASSWORD}).status_code == 302


def test_sign_out_needs_a_post_and_ends_the_session(heze, client):
    client.force_login(heze.users.cao_zjj)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response["Location"] == "/login"
    assert client.get("/desk")["Location"].startswith("/login")


def test_change_password_checks_the_old_one_and_keeps_the_session(heze, client):
    client.force_login(heze.users.ent_cao)
    response = client.post(
        "/password", {"old_password": "nope", "new_password1": "Heze-new-2026", "new_password2": "Heze-new-2026"}
    )
    assert response.status_code == 422
    assert 'id="id_old_password_error"' in response.content.decode()
    response = client.post(
        "/password", {"old_password": PASSWORD, "new_password1": "Heze-new-2026", "new_password2": "Heze-new-2026"}
    )
    assert response.status_code == 302
    assert client.get("/my").status_code == 200
    heze.users.ent_cao.refresh_from_db()
    assert heze.users.ent_cao.check_password("Heze-new-2026")


def test_unknown_page_is_a_chinese_404(heze, client):
    client.force_login(heze.users.ent_cao)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面或工单不存在" in response.content.decode()


def test_server_error_page_is_in_chinese_and_needs_nothing_from_the_request(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()


def test_page_of_another_role_is_a_chinese_403(heze, client):
    client.force_login(heze.users.ent_cao)
    response = client.get("/desk")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_user_without_a_role_is_told_to_ask_the_administrator(db, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password=PASSWORD))
    response = client.get("/")
    assert response.status_code == 403
    assert "尚未分配角色" in response.content.decode()


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_forms_refuse_a_post_without_csrf_token(heze, path):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"username": "cao_zjj", "password": PASSWORD})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_every_page_form_carries_a_csrf_token(heze, client, permit_case):
    client.force_login(heze.users.cao_zjj)
    html = client.get(f"/cases/{permit_case.number}").content.decode()
    assert html.count('method="post"') == html.count('name="csrfmiddlewaretoken"') > 0
