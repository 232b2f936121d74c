"""The city's own wording (table `core_wording`): its name, the platform's name, the issuers of its letters. Pages
read it through the context processor (`{{ wording.city_name }}`), code through `text(key)`; a change in the admin
reaches every process within the cache's lifetime, and this process at once."""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError

log = logging.getLogger(__name__)

_cache: dict[str, str] = {}
_loaded_at = 0.0
_TTL_SECONDS = 30.0


def clear_cache(**kwargs) -> None:
    global _loaded_at
    _cache.clear()
    _loaded_at = 0.0


def texts() -> dict[str, str]:
    global _loaded_at
    if not _cache or time.monotonic() - _loaded_at > _TTL_SECONDS:
        from .models import Wording

        fresh = dict(Wording.objects.values_list("key", "text"))
        _cache.clear()
        _cache.update(fresh)
        _loaded_at = time.monotonic()
    return _cache


def text(key: str) -> str:
    """One phrase. A missing key is a deployment error (run migrations), not a user error."""
    try:
        return texts()[key]
    except KeyError:
        raise LookupError(f"wording {key!r} is missing; run migrations") from None


def context(request) -> dict:
    """Template context: `wording` with every phrase by key. An error page (a refused CSRF token, a 500) must render
    even when the database does not answer: then the phrases are left out, and the log says why."""
    try:
        return {"wording": texts()}
    except DatabaseError as error:
        log.warning("the city's wording could not be read: %s", error)
        return {"wording": {}}
