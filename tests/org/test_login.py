"""Sign-in with lockout and bearer tokens stored hashed (DESIGN.md "Access")."""
import datetime as dt

import pytest

from whistle.core.errors import Locked, NotAuthenticated
from whistle.core.models import RuleParameter
from whistle.org.models import ApiToken, Membership
from whistle.org.services import login_check, token_issue, token_user

from tests.conftest import PASSWORD, at

NOW = at(2026, 11, 2, 9, 0)


def fail(username, times, now=NOW):
    outcomes = []
    for _ in range(times):
        try:
            login_check(username, "wrong-password", now=now)
        except (NotAuthenticated, Locked) as refused:
            outcomes.append(refused.code)
    return outcomes


def test_wrong_password_and_unknown_user_get_the_same_answer(heze):
    with pytest.raises(NotAuthenticated) as wrong:
        login_check("ent_cao", "wrong-password", now=NOW)
    with pytest.raises(NotAuthenticated) as unknown:
        login_check("no_such_user", "wrong-password", now=NOW)
    assert wrong.value.as_dict() == unknown.value.as_dict()
    assert wrong.value.code == "invalid_credentials" and wrong.value.detail == "用户名或密码错误"


def test_account_locks_after_repeated_wrong_passwords_even_for_the_right_password(heze):
    assert fail("ent_cao", 10) == ["invalid_credentials"] * 4 + ["account_locked"] * 6
    assert Membership.objects.get(user=heze.users.ent_cao).locked_until == NOW + dt.timedelta(minutes=15)
    with pytest.raises(Locked) as locked:
        login_check("ent_cao", PASSWORD, now=NOW + dt.timedelta(minutes=14))
    assert locked.value.status == 423 and "分钟后再试" in locked.value.detail


def test_lock_expires_after_the_lockout_minutes(heze):
    fail("ent_cao", 5)
    assert login_check("ent_cao", PASSWORD, now=NOW + dt.timedelta(minutes=15, seconds=1)) == heze.users.ent_cao
    membership = Membership.objects.get(user=heze.users.ent_cao)
    assert membership.locked_until is None and membership.failed_logins == 0


def test_lockout_threshold_and_minutes_come_from_rule_parameters(heze):
    RuleParameter.objects.filter(key="auth.lockout_threshold").update(value=3)
    RuleParameter.objects.filter(key="auth.lockout_minutes").update(value=60)
    assert fail("ent_cao", 3) == ["invalid_credentials"] * 2 + ["account_locked"]
    assert Membership.objects.get(user=heze.users.ent_cao).locked_until == NOW + dt.timedelta(minutes=60)


def test_successful_sign_in_resets_the_failure_count(heze):
    fail("ent_cao", 4)
    login_check("ent_cao", PASSWORD, now=NOW)
    assert fail("ent_cao", 4) == ["invalid_credentials"] * 4
    assert login_check("ent_cao", PASSWORD, now=NOW) == heze.users.ent_cao


def test_token_is_stored_only_as_a_keyed_hash(heze):
    plain, token = token_issue(heze.users.ent_cao, "测试")
    assert plain.startswith("wst_") and token.key_hash != plain and plain not in str(ApiToken.objects.values().get())
    assert token_user(plain) == heze.users.ent_cao
    assert token_user(plain + "x") is None and token_user("Bearer " + plain) is None and token_user("") is None


def test_expired_token_and_inactive_user_are_refused(heze):
    plain, token = token_issue(heze.users.ent_cao, days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=at(2020, 1, 1))
    assert token_user(plain) is None
    plain, _ = token_issue(heze.users.cao_zjj)
    heze.users.cao_zjj.is_active = False
    heze.users.cao_zjj.save()
    assert token_user(plain) is None
