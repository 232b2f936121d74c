"""Sign-in with lockout, and bearer tokens (stored as keyed hashes)."""
from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from whistle.core.errors import Invalid, Locked, NotAuthenticated
from whistle.core.hashing import keyed_hash
from whistle.core.rules import int_param

from .models import ApiToken, Membership

TOKEN_PREFIX = "wst_"


def login_check(username: str, password: str, request=None, now: dt.datetime | None = None):
    """Return the user, or refuse. After N consecutive failures the account is locked for M minutes.

    N and M are rule parameters (`auth.lockout_threshold`, `auth.lockout_minutes`). Unknown usernames and
    wrong passwords get the same answer, so the form does not reveal which accounts exist.
    """
    now = now or timezone.now()
    if not username or not password:
        raise Invalid("请输入用户名和密码", code="credentials_required", field="username" if not username else "password")
    user = get_user_model().objects.filter(username=username).first()
    membership = Membership.objects.filter(user=user).first() if user else None
    if membership and membership.locked_until and membership.locked_until > now:
        minutes = max(1, int((membership.locked_until - now).total_seconds() // 60) + 1)
        raise Locked(f"连续登录失败次数过多，账号已锁定，请{minutes}分钟后再试", code="account_locked")
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        if membership is not None and _count_failure(membership, now):
            raise Locked("连续登录失败次数过多，账号已锁定", code="account_locked")
        raise NotAuthenticated("用户名或密码错误", code="invalid_credentials", field="password")
    if membership is not None and (membership.failed_logins or membership.locked_until):
        Membership.objects.filter(pk=membership.pk).update(failed_logins=0, locked_until=None)
    return authenticated


def _count_failure(membership: Membership, now: dt.datetime) -> bool:
    """Count one failed sign-in; True when it locks the account. Committed before the refusal is raised."""
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(failed_logins=F("failed_logins") + 1)
        membership.refresh_from_db(fields=["failed_logins"])
        if membership.failed_logins < int_param("auth.lockout_threshold"):
            return False
        Membership.objects.filter(pk=membership.pk).update(
            locked_until=now + dt.timedelta(minutes=int_param("auth.lockout_minutes")), failed_logins=0
        )
        return True


def token_issue(user, name: str = "", days: int | None = None) -> tuple[str, ApiToken]:
    """Create a bearer token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = days if days is not None else int_param("auth.token_days")
    token = ApiToken.objects.create(
        user=user, name=name[:60], key_hash=keyed_hash(plain), prefix=plain[len(TOKEN_PREFIX):][:8],
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    return plain, token


def token_user(plain: str):
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=keyed_hash(plain)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # coarse, so reads do not all write
    return token.user
