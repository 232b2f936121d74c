"""Who is calling: a bearer token, or a signed-in session (with CSRF on writes)."""
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security import HttpBearer

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
            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if reason is not None:
                return None
        return _attach(request, user, "session")
