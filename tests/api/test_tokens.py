"""One's own API tokens: listed without secrets, revoked one by one, by a program's sign-out and by any password
change (issue 13 item 11)."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.api.conftest import problem
from tests.conftest import PASSWORD
from whistle.org.models import ApiToken
from whistle.org.services import token_issue


def bearer(plain):
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_token_list_shows_ones_own_tokens_without_secrets(client, heze):
    mine, _ = token_issue(heze.users.cao_zjj, "内网系统")
    other, _ = token_issue(heze.users.cao_zjj, "手机")
    token_issue(heze.users.ent_cao, "别人的")
    listed = client.get("/api/v1/auth/tokens", **bearer(mine))
    assert listed.status_code == 200
    rows = listed.json()
    assert sorted(r["name"] for r in rows) == ["内网系统", "手机"]
    assert {r["prefix"] for r in rows} == {mine[4:12], other[4:12]}
    assert [r["current"] for r in rows if r["name"] == "内网系统"] == [True]
    assert mine not in listed.content.decode() and other not in listed.content.decode()
    assert set(rows[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"}


def test_deleting_ones_own_token_revokes_it(client, heze):
    mine, _ = token_issue(heze.users.cao_zjj)
    _, spare = token_issue(heze.users.cao_zjj)
    assert client.delete(f"/api/v1/auth/tokens/{spare.pk}", **bearer(mine)).status_code == 204
    assert not ApiToken.objects.filter(pk=spare.pk).exists()
    assert client.get("/api/v1/me", **bearer(mine)).status_code == 200


def test_someone_elses_token_answers_404_like_a_missing_one(client, heze):
    mine, _ = token_issue(heze.users.cao_zjj)
    _, theirs = token_issue(heze.users.ent_cao)
    hidden = problem(client.delete(f"/api/v1/auth/tokens/{theirs.pk}", **bearer(mine)), 404, "token_not_found", "id")
    missing = problem(client.delete("/api/v1/auth/tokens/999999", **bearer(mine)), 404, "token_not_found", "id")
    assert {k: v for k, v in hidden.items() if k not in ("instance", "request_id")} == {
        k: v for k, v in missing.items() if k not in ("instance", "request_id")
    }
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_api_logout_revokes_the_token_it_was_called_with(client, heze):
    mine, _ = token_issue(heze.users.cao_zjj)
    spare, _ = token_issue(heze.users.cao_zjj)
    assert client.post("/api/v1/auth/logout", **bearer(mine)).status_code == 204
    problem(client.get("/api/v1/me", **bearer(mine)), 401, "not_authenticated")
    assert client.get("/api/v1/me", **bearer(spare)).status_code == 200


def test_web_logout_leaves_a_programs_tokens_alone(client, heze):
    # Decided: tokens belong to programs, not to a browser session (api/auth.py); signing out ends the session only.
    program, _ = token_issue(heze.users.ent_cao)
    client.force_login(heze.users.ent_cao)
    client.post("/logout")
    assert client.get("/api/v1/me", **bearer(program)).status_code == 200


def test_password_change_on_the_web_revokes_api_tokens(client, heze):
    stolen, _ = token_issue(heze.users.ent_cao)
    client.force_login(heze.users.ent_cao)
    changed = client.post(
        "/password", {"old_password": PASSWORD, "new_password1": "Heze-new-2026", "new_password2": "Heze-new-2026"}
    )
    assert changed.status_code == 302
    problem(Client().get("/api/v1/me", **bearer(stolen)), 401, "not_authenticated")


def test_password_change_over_the_api_revokes_api_tokens(client, heze):
    stolen, _ = token_issue(heze.users.ent_cao)
    changed = client.post(
        "/api/v1/auth/password",
        {"username": "ent_cao", "old_password": PASSWORD, "new_password": "Heze-new-2026"},
        content_type="application/json",
    )
    assert changed.status_code == 204
    problem(client.get("/api/v1/me", **bearer(stolen)), 401, "not_authenticated")
    assert (
        client.post(
            "/api/v1/auth/token", {"username": "ent_cao", "password": "Heze-new-2026"}, content_type="application/json"
        ).status_code
        == 201
    )


def test_password_set_by_the_admin_or_the_command_line_revokes_api_tokens(heze, monkeypatch):
    token_issue(heze.users.ent_cao)
    user = get_user_model().objects.get(username="ent_cao")
    user.set_password("Admin-chosen-2026")
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    token_issue(heze.users.cao_zjj)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Command-line-2026")
    call_command("changepassword", "cao_zjj")
    assert not ApiToken.objects.filter(user=heze.users.cao_zjj).exists()


def test_saving_a_user_without_a_new_password_keeps_its_tokens(heze):
    token_issue(heze.users.ent_cao)
    user = get_user_model().objects.get(username="ent_cao")
    user.first_name = "曹"
    user.save()
    user.set_password(PASSWORD)  # the same password hashed anew, as Django does when it upgrades a hash
    user.save()
    assert ApiToken.objects.filter(user=user).count() == 1
