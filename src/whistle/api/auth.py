"""Who is calling: a bearer token, or a signed-in session (with CSRF on writes); and the /auth endpoints that
hand out, list and revoke one's own tokens.

Tokens and sessions are not linked: a token is issued to a program by `POST /auth/token`, not to a browser's
session, so signing out of the web leaves a program's tokens alone. A program signs out with
`POST /auth/logout`, which revokes the token it called with; a password change revokes every token of the user.
"""

import datetime as dt

from django.contrib.auth import logout as session_logout
from django.middleware.csrf import CsrfViewMiddleware
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.security import HttpBearer

from whistle.core.errors import Forbidden
from whistle.org.scopes import Actor
from whistle.org.services import (
    login_check,
    password_set,
    refuse_until_password_changed,
    token_get,
    token_issue,
    token_list,
    token_revoke,
)


def _attach(request, user, kind: str, token=None):
    # A token comes with its user's membership joined (`token_get`): who is asking costs that one statement.
    request.actor = actor = Actor.of_joined(user) if token is not None else Actor.of(user)
    request.auth_kind = kind
    request.auth_token = token
    if actor.membership is not None and actor.membership.must_change_password:
        # Every endpoint but the password change itself: a shared demo password must not open the API.
        refuse_until_password_changed(user)
    return user


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        found = token_get(token)
        return _attach(request, found.user, "token", found) if found else None


class Session:
    """Session auth for the pages' own calls. Unsafe methods must pass Django's CSRF check."""

    openapi_type = "apiKey"

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # Django's check answers with its failure page when the token is missing or wrong; say why instead
            # of falling through to "please sign in", which a signed-in user could not act on.
            if CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None:
                raise Forbidden("CSRF校验失败：请刷新页面后重试，或在请求头 X-CSRFToken 中携带令牌", code="csrf_failed")
        return _attach(request, user, "session")


router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: dt.datetime | None


class TokenInfo(Schema):
    """A token as its owner may see it again: never the secret, only its first characters."""

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    current: bool = Field(description="是否为本次请求所用的令牌")


class PasswordIn(Schema):
    username: str
    old_password: str
    new_password: str


@router.post("/token", response={201: TokenOut}, auth=None, summary="用户名密码换取访问令牌")
def issue_token(request, data: TokenIn):
    """Goes through the same sign-in check as the web and the admin: repeated failures slow down the account
    and the address (`auth.throttle_*`). An account that must change its password gets 403
    `password_change_required` until it has (`POST /auth/password`)."""
    user = login_check(data.username, data.password, request)
    refuse_until_password_changed(user)
    plain, token = token_issue(user, data.name or "api")
    return Status(201, {"token": plain, "expires_at": token.expires_at})


@router.post("/password", response={204: None}, auth=None, summary="修改密码（须提供原密码）")
def change_password(request, data: PasswordIn):
    """Signs in with the old password (throttled like any sign-in), sets the new one if it passes the password
    policy, and revokes the user's tokens."""
    user = login_check(data.username, data.old_password, request)
    password_set(user, data.new_password, field="new_password")
    return Status(204, None)


@router.get("/tokens", response=list[TokenInfo], summary="我的访问令牌")
def list_tokens(request):
    current = getattr(request.auth_token, "pk", None)
    return [
        {
            "id": t.pk,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "expires_at": t.expires_at,
            "current": t.pk == current,
        }
        for t in token_list(request.actor.user)
    ]


@router.delete("/tokens/{int:token_id}", response={204: None}, summary="吊销我的一个访问令牌")
def delete_token(request, token_id: int):
    """Someone else's token answers 404, exactly like one that does not exist."""
    token_revoke(request.actor.user, token_id)
    return Status(204, None)


@router.post("/logout", response={204: None}, summary="退出：吊销本次所用令牌，或结束会话")
def logout(request):
    if request.auth_token is not None:
        token_revoke(request.actor.user, request.auth_token.pk)
    else:
        session_logout(request)
    return Status(204, None)
