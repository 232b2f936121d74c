"""Absolute links that leave the site: QR cards, re-rate links, Open311's base URL, printed addresses.

They start with WHISTLE_PUBLIC_URL, the address people use, when it is set: a link printed on a card or read out in
a notice must not depend on which host, port or proxy the request that made it came through. Without it (the demo,
tests) the request's own address stands in, and without a request, the demo's address.
"""

from django.conf import settings

DEMO_URL = "http://127.0.0.1:8000"


def public_url(path: str, request=None) -> str:
    """The absolute address of `path` (a site path such as reverse() returns) as people reach it."""
    if not path.startswith("/"):
        raise ValueError(f"public_url needs a site path starting with '/', got {path!r}")
    if settings.WHISTLE_PUBLIC_URL:
        return settings.WHISTLE_PUBLIC_URL + path
    if request is not None:
        return request.build_absolute_uri(path)
    return DEMO_URL + path
