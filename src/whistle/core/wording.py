"""The city's own wording (table `core_wording`): its name, the platform's name, the issuers of its letters. Pages
read it through the context processor (`{{ wording.city_name }}`), code through `text(key)`; a change in the admin
reaches every process within the cache's lifetime, and this process at once."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from .tablecache import TableCache

log = logging.getLogger(__name__)


def _load() -> dict[str, str]:
    from .models import Wording

    return dict(Wording.objects.values_list("key", "text"))


_table = TableCache(_load, ttl=30.0)
clear_cache = _table.clear
texts = _table.get


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
