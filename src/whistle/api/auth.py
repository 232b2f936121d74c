"""Who is calling: a bearer token, or a signed-in session (with CSRF on writes)."""
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security import HttpBearer

from whistle.core.errors import Forbidden
from whistle.org.scopes import Actor
from whistle.org.services import token_user


def _attach(request, user, kind: str):
    request.actor = Actor.of(user)
    request.auth_kind = kind
    return user


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        return _attach(request, user, "token") if user else None


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
