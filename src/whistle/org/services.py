"""Sign-in (one check for the web, the token endpoint and the admin), passwords, and bearer tokens (stored as
keyed hashes)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import authenticate, get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from whistle.core.compiled import Compiled
from whistle.core.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from whistle.core.hashing import keyed_hash
from whistle.core.rules import int_param

from . import throttle
from .models import ApiToken, Level, Membership, Unit, UnitKind
from .passwords import demo_mode, is_demo_password
from .scopes import ACTOR_PATHS

TOKEN_PREFIX = "wst_"
# A token's last use is written at most once in this time, so a program's calls do not each write the token row.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def login_check(username: str, password: str, request=None, now: dt.datetime | None = None):
    """Return the user, or refuse. The one check every sign-in path goes through (web form, token endpoint,
    Django admin), so the throttle (`org.throttle`) cannot be walked around.

    Unknown names and wrong passwords get the same answer, and unknown names do the same work: they are
    throttled under their own name and Django's ModelBackend hashes the password for them too.
    A user signing in with the published demo password outside demo mode is marked to change it.
    """
    now = now or timezone.now()
    if not username or not password:
        raise Invalid(
            "请输入用户名和密码", code="credentials_required", field="username" if not username else "password"
        )
    address = throttle.client_address(request)
    throttle.refuse_if_waiting(username, address, now)
    user = authenticate(request, username=username, password=password)
    if user is None:
        exists = get_user_model().objects.filter(username=username).exists()
        throttle.record_failure(username, address, username if exists else "（不存在的账号）", now)
        raise NotAuthenticated("用户名或密码错误", code="invalid_credentials", field="password")
    throttle.record_success(username)
    if not demo_mode() and is_demo_password(password):
        Membership.objects.filter(user=user, must_change_password=False).update(must_change_password=True)
    return user


def password_change_required(user) -> bool:
    return Membership.objects.filter(user=user, must_change_password=True).exists()


def refuse_until_password_changed(user) -> None:
    if password_change_required(user):
        raise Forbidden(
            "首次登录须先修改密码：请在网页登录后按提示修改，或调用 POST /api/v1/auth/password",
            code="password_change_required",
        )


def password_set(user, new_password: str, field: str = "new_password") -> None:
    """Set a new password that passes the policy (AUTH_PASSWORD_VALIDATORS) and lift the change-on-sign-in mark.
    The user's API tokens are revoked by the password-change signal (`org.signals`)."""
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as refused:
        raise Invalid("；".join(refused.messages), code="password_too_weak", field=field) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save()
        Membership.objects.filter(user=user).update(must_change_password=False)


# ---- bearer tokens -----------------------------------------------------------------------------------


def token_issue(user, name: str = "", days: int | None = None) -> tuple[str, ApiToken]:
    """Create a bearer token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = days if days is not None else int_param("auth.token_days")
    token = ApiToken.objects.create(
        user=user,
        name=name[:60],
        key_hash=keyed_hash(plain),
        prefix=plain[len(TOKEN_PREFIX) :][:8],
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    return plain, token


# One statement for who is asking: the token, its user, and the user's membership with what `Actor.of` reads of it
# (the unit and its parent, the enterprise and its county), so a revoked token or a changed role is seen at the next
# request and nothing is cached between requests but the statement's SQL (`core.compiled`).
_TOKEN = Compiled(
    lambda key_hash: ApiToken.objects.select_related(*(f"user__{path}" for path in ACTOR_PATHS)).filter(
        key_hash=key_hash
    )[:1],
    str,
)


def token_get(plain: str) -> ApiToken | None:
    """The live token behind a bearer string, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = _TOKEN.first(keyed_hash(plain))
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # coarse, so reads do not all write
        token.last_used_at = now
    return token


def token_user(plain: str):
    token = token_get(plain)
    return token.user if token else None


def token_list(user) -> list[ApiToken]:
    """One's own tokens, newest first. Expired ones are listed too, so they can be deleted."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))


def token_revoke(user, token_id: int) -> None:
    """Revoke one of one's own tokens. Someone else's answers exactly like a missing one."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound("令牌不存在", code="token_not_found", field="id")


# ---- the unit tree ------------------------------------------------------------------------------------------


@transaction.atomic
def unit_save(unit: Unit, *args, **kwargs) -> Unit:
    """Save a unit with its materialised path (the parent's path and its own id), and take its subtree along when it
    moved: every scope is a prefix of these paths. `Unit.save` calls this, so no path skips it."""
    if not unit.pk:
        models.Model.save(unit, *args, **kwargs)
        kwargs.pop("force_insert", None)
        kwargs["force_update"] = True
    old_path, old_city = unit.path, unit.city_id
    parent = unit.parent if unit.parent_id else None
    unit.path = (parent.path if parent is not None else "") + f"{unit.pk:06d}/"
    unit.city_id = unit.pk if unit.is_city_government else (parent.city_id if parent is not None else None)
    models.Model.save(unit, *args, **kwargs)
    if old_path and old_path != unit.path:
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1))
        )
    if old_path and (old_path != unit.path or old_city != unit.city_id):
        cities_refresh(unit.path)
    return unit


def cities_refresh(path: str = "") -> int:
    """Set `Unit.city` below `path` (the whole tree by default) from the tree: the nearest city government above a
    unit, or itself. A moved subtree, a unit that became or stopped being a city government, and the migration that
    brought the field call it. Returns the number of units changed."""
    units = list(Unit.objects.filter(path__startswith=path).order_by("path").values_list("pk", "path", "level", "kind"))
    if path:
        units += list(  # the ancestors, whose cities the subtree inherits
            Unit.objects.filter(path__in=_ancestor_paths(path)).values_list("pk", "path", "level", "kind")
        )
    units.sort(key=lambda u: u[1])
    city_at: dict[str, int | None] = {}
    wanted: dict[int, int | None] = {}
    for pk, upath, level, kind in units:
        parent_path = upath[: -len(f"{pk:06d}/")]
        city = pk if (level == Level.CITY and kind == UnitKind.GOVERNMENT) else city_at.get(parent_path)
        city_at[upath] = city
        if upath.startswith(path):
            wanted[pk] = city
    current = dict(Unit.objects.filter(pk__in=wanted).values_list("pk", "city_id"))
    changed = [pk for pk, city in wanted.items() if current.get(pk) != city]
    by_city: dict[int | None, list[int]] = {}
    for pk in changed:
        by_city.setdefault(wanted[pk], []).append(pk)
    for city, pks in by_city.items():
        Unit.objects.filter(pk__in=pks).update(city_id=city)
    return len(changed)


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[:i]) for i in range(1, len(parts))]
