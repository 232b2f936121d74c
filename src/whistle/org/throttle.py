"""Growing delays after failed sign-ins, per account name and per client address.

A hard lock let anyone lock anyone out (a fuzzing run locked `qiye` for 15 minutes). Here the first failures
are free; past them each failure doubles the wait before the next attempt, up to a cap, and a quiet spell
forgets them. Every number is a rule parameter (`auth.throttle_*`) a city changes in the admin.

Attempts during a wait are refused before the password is looked at, with the same answer whether the
password was right, wrong, or the account does not exist; they do not count as failures, so a legitimate user
who waits is not pushed further back by an attacker who does not.

Two attempts racing through the check before either failure is recorded both get tried: each recorded
failure still doubles the wait, so a burst buys an attacker a handful of guesses and then a longer wait.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

from django.db import transaction
from django.db.models import F, Max, Q

from whistle.core.errors import Problem
from whistle.core.hashing import keyed_hash
from whistle.core.rules import int_param

from .models import LoginThrottle, ThrottleScope


class Throttled(Problem):
    status = 429
    code = "login_throttled"
    title = "尝试过于频繁"


def client_address(request) -> str | None:
    """The network a request comes from: the address itself for IPv4, its /64 for IPv6 (one household or
    office gets a whole /64). REMOTE_ADDR only: the proxy layer is what makes it the client's address."""
    raw = (request.META.get("REMOTE_ADDR") or "").strip() if request is not None else ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _keys(username: str, address: str | None) -> list[tuple[ThrottleScope, str]]:
    keys = [(ThrottleScope.ACCOUNT, keyed_hash("login-account:" + username))]
    if address:
        keys.append((ThrottleScope.ADDRESS, keyed_hash("login-address:" + address)))
    return keys


def wait_seconds(username: str, address: str | None, now: dt.datetime) -> int:
    """Seconds before this account name from this address may try again; 0 when it may now."""
    match = Q()
    for scope, key in _keys(username, address):
        match |= Q(scope=scope, key_hash=key)
    until = LoginThrottle.objects.filter(match, blocked_until__gt=now).aggregate(until=Max("blocked_until"))["until"]
    return math.ceil((until - now).total_seconds()) if until else 0


def refuse_if_waiting(username: str, address: str | None, now: dt.datetime) -> None:
    seconds = wait_seconds(username, address, now)
    if seconds:
        raise Throttled(f"登录尝试过于频繁，请{_duration(seconds)}后再试", retry_after=seconds)


def _duration(seconds: int) -> str:
    return f"{seconds}秒" if seconds < 60 else f"{math.ceil(seconds / 60)}分钟"


def delay_after(failures: int, free: int) -> int:
    """The wait after the `failures`-th failure in a row: none while free, then base·2^k seconds, capped."""
    if failures < free:
        return 0
    exponent = min(failures - free, 40)  # 2^40 s is far past any cap; keeps the number small
    return min(int_param("auth.throttle_base_seconds") * 2**exponent, int_param("auth.throttle_max_seconds"))


def record_failure(username: str, address: str | None, label: str, now: dt.datetime) -> None:
    """Count one failure for the account name and the address. Committed before the refusal is raised."""
    forget_before = now - dt.timedelta(minutes=int_param("auth.throttle_forget_minutes"))
    free = {
        ThrottleScope.ACCOUNT: int_param("auth.throttle_account_free_failures"),
        ThrottleScope.ADDRESS: int_param("auth.throttle_address_free_failures"),
    }
    labels = {ThrottleScope.ACCOUNT: label, ThrottleScope.ADDRESS: address or ""}
    with transaction.atomic():
        for scope, key in _keys(username, address):
            row, _ = LoginThrottle.objects.get_or_create(
                scope=scope, key_hash=key, defaults={"label": labels[scope][:80], "last_failure_at": now}
            )
            # An increment in the database, so two failures at once both count.
            stale = row.last_failure_at < forget_before
            LoginThrottle.objects.filter(pk=row.pk).update(
                failures=1 if stale else F("failures") + 1, last_failure_at=now
            )
            row.refresh_from_db(fields=["failures"])
            seconds = delay_after(row.failures, free[scope])
            if seconds:
                LoginThrottle.objects.filter(pk=row.pk).update(blocked_until=now + dt.timedelta(seconds=seconds))


def record_success(username: str) -> None:
    """A right password clears the account's count. The address keeps its count: otherwise an attacker with one
    account of their own could clear their address between guesses at others."""
    LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key_hash=_keys(username, None)[0][1]).delete()
