"""Sign-in with growing delays instead of a hard lock, one check for every sign-in path, and bearer tokens stored
hashed (DESIGN.md "Access"; issue 13 items 1 and 10)."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import RequestFactory

from tests.conftest import PASSWORD, at
from whistle.core.errors import NotAuthenticated, Problem
from whistle.core.models import RuleParameter
from whistle.org.models import ApiToken, LoginThrottle
from whistle.org.services import login_check, token_issue, token_user
from whistle.org.throttle import Throttled, client_address

NOW = at(2026, 11, 2, 9, 0)


def from_address(address):
    return RequestFactory().post("/login", REMOTE_ADDR=address)


def attempt(username, password="wrong-password", now=NOW, address="10.0.0.1"):
    """The refusal as a client sees it (status, code, detail), or "ok"."""
    try:
        login_check(username, password, from_address(address), now=now)
    except Problem as refused:
        return refused.status, refused.code, refused.detail
    return "ok"


def fail(username, times, now=NOW, address="10.0.0.1"):
    return [attempt(username, now=now, address=address)[1] for _ in range(times)]


def test_wrong_password_and_unknown_user_get_the_same_answer(heze):
    with pytest.raises(NotAuthenticated) as wrong:
        login_check("ent_cao", "wrong-password", now=NOW)
    with pytest.raises(NotAuthenticated) as unknown:
        login_check("no_such_user", "wrong-password", now=NOW)
    assert wrong.value.as_dict() == unknown.value.as_dict()
    assert wrong.value.code == "invalid_credentials" and wrong.value.detail == "用户名或密码错误"


class CountingHasher(MD5PasswordHasher):
    """Django's own hasher, counting how often a password is hashed."""

    encodings = 0

    def encode(self, password, salt):
        CountingHasher.encodings += 1
        return super().encode(password, salt)


def test_unknown_user_gets_the_same_answer_as_known(heze, settings):
    # Same answers, failure after failure, including the throttled ones: the answers tell nothing about which
    # accounts exist. Each tried from its own address so only the account's own count is at work.
    known = [attempt("ent_cao", now=NOW + dt.timedelta(seconds=n), address="10.0.1.1") for n in range(8)]
    unknown = [attempt("no_such_user", now=NOW + dt.timedelta(seconds=n), address="10.0.2.1") for n in range(8)]
    assert known == unknown
    assert known[0] == (401, "invalid_credentials", "用户名或密码错误") and (429, "login_throttled") in [
        k[:2] for k in known
    ]
    # Timing: an unknown name costs one password hashing, like a known one (ModelBackend hashes for it too).
    settings.PASSWORD_HASHERS = ["tests.org.test_login.CountingHasher"]
    heze.users.ent_shan.set_password(PASSWORD)
    heze.users.ent_shan.save()
    for username in ("ent_shan", "nobody_at_all"):
        CountingHasher.encodings = 0
        assert attempt(username, now=NOW, address="10.0.3.1")[1] == "invalid_credentials"
        assert CountingHasher.encodings == 1, username


def test_failures_past_the_free_ones_make_each_attempt_wait_twice_as_long(heze):
    assert fail("ent_cao", 5) == ["invalid_credentials"] * 5
    waits = []
    for _ in range(5):
        row = LoginThrottle.objects.get(scope="account")
        waits.append((row.blocked_until - row.last_failure_at).total_seconds())
        assert attempt("ent_cao", now=row.blocked_until)[1] == "invalid_credentials"  # once the wait is over, it tries
    assert waits == [1, 2, 4, 8, 16]


def test_right_password_during_the_wait_gets_the_same_refusal(heze):
    fail("ent_cao", 5)
    wrong = attempt("ent_cao")
    right = attempt("ent_cao", PASSWORD)
    assert right == wrong and right[:2] == (429, "login_throttled") and "秒后再试" in right[2]
    # Refused attempts during the wait do not count: the one who waits is not pushed further back.
    assert LoginThrottle.objects.get(scope="account").failures == 5


def test_wait_is_capped_and_a_fuzzing_run_does_not_lock_an_account_for_long(heze):
    moment = NOW
    for _ in range(30):
        attempt("ent_cao", now=moment)
        moment = LoginThrottle.objects.get(scope="account").blocked_until or moment
    row = LoginThrottle.objects.get(scope="account")
    assert (row.blocked_until - row.last_failure_at).total_seconds() == 900
    assert attempt("ent_cao", PASSWORD, now=row.blocked_until) == "ok"


def test_right_password_after_the_wait_signs_in_and_clears_the_account_count(heze):
    fail("ent_cao", 5)
    assert attempt("ent_cao", PASSWORD, now=NOW + dt.timedelta(seconds=1)) == "ok"
    assert not LoginThrottle.objects.filter(scope="account").exists()
    assert fail("ent_cao", 4, now=NOW + dt.timedelta(seconds=4)) == ["invalid_credentials"] * 4


def test_failures_are_forgotten_after_a_quiet_spell(heze):
    fail("ent_cao", 4)
    later = NOW + dt.timedelta(minutes=61)
    assert fail("ent_cao", 4, now=later) == ["invalid_credentials"] * 4
    assert LoginThrottle.objects.get(scope="account").failures == 4


def test_throttle_thresholds_are_rule_parameters(heze):
    RuleParameter.objects.filter(key="auth.throttle_account_free_failures").update(value=2)
    RuleParameter.objects.filter(key="auth.throttle_base_seconds").update(value=30)
    RuleParameter.objects.filter(key="auth.throttle_max_seconds").update(value=45)
    assert fail("ent_cao", 3) == ["invalid_credentials", "invalid_credentials", "login_throttled"]
    row = LoginThrottle.objects.get(scope="account")
    assert row.blocked_until == NOW + dt.timedelta(seconds=30)
    attempt("ent_cao", now=row.blocked_until)
    assert LoginThrottle.objects.get(scope="account").blocked_until == row.blocked_until + dt.timedelta(seconds=45)


def test_one_address_guessing_at_many_accounts_is_slowed_down(heze):
    RuleParameter.objects.filter(key="auth.throttle_address_free_failures").update(value=6)
    names = ["ent_cao", "ent_shan", "cao_zjj", "shan_zjj", "cao_office", "city_office"]
    assert [attempt(name, address="203.0.113.9")[1] for name in names] == ["invalid_credentials"] * 6
    assert attempt("auditor", PASSWORD, address="203.0.113.9")[:2] == (429, "login_throttled")
    assert attempt("auditor", PASSWORD, address="203.0.113.10") == "ok"  # another address is not held up


def test_ipv6_addresses_of_one_64_count_together():
    assert client_address(from_address("2001:db8:1:2::a")) == client_address(from_address("2001:db8:1:2:ffff::1"))
    assert client_address(from_address("2001:db8:1:3::a")) != client_address(from_address("2001:db8:1:2::a"))
    assert client_address(from_address("::ffff:192.0.2.7")) == "192.0.2.7"
    assert client_address(from_address("not an address")) is None


def test_throttle_keeps_no_typed_username_in_plain_text(heze):
    fail("my-secret-password-typed-in-the-wrong-box", 1)
    row = LoginThrottle.objects.get(scope="account")
    assert "secret" not in row.key_hash and row.label == "（不存在的账号）"


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


def test_throttled_refusal_is_429_with_the_seconds_to_wait(heze):
    fail("ent_cao", 5)
    with pytest.raises(Throttled) as refused:
        login_check("ent_cao", PASSWORD, from_address("10.0.0.1"), now=NOW)
    assert refused.value.as_dict()["retry_after"] == 1 and refused.value.status == 429
