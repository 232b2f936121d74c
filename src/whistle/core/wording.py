"""The city's own wording (table `core_wording`): its name, the platform's name, the issuers of its letters. Pages
read it through the context processor (`{{ wording.city_name }}`), code through `text(key)`; a change in the admin
reaches every process within the cache's lifetime, and this process at once."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from .tablecache import TableCache

log = logging.getLogger(__name__)


def _load() -> dict[int | None, dict[str, str]]:
    """The deployment's phrases under None, each city's overrides under its government's id, already merged."""
    from .models import Wording

    by_city: dict[int | None, dict[str, str]] = {None: {}}
    for city, key, phrase in Wording.objects.order_by("city_id").values_list("city_id", "key", "text"):
        by_city.setdefault(city, {})[key] = phrase
    if not any(by_city.values()):
        return {}  # read before the migration ran: read again next time
    base = by_city[None]
    return {city: (phrases if city is None else {**base, **phrases}) for city, phrases in by_city.items()}


_table = TableCache(_load, ttl=30.0)
clear_cache = _table.clear


def texts(city_id: int | None = None) -> dict[str, str]:
    """Every phrase: a city's own where it has one, else the deployment's."""
    by_city = _table.get()
    return by_city.get(city_id) or by_city.get(None, {})


def text(key: str, city_id: int | None = None) -> str:
    """One phrase, a city's own where it has one. A missing key is a deployment error (run migrations), not a
    user error."""
    try:
        return texts(city_id)[key]
    except KeyError:
        raise LookupError(f"wording {key!r} is missing; run migrations") from None


def context(request) -> dict:
    """Template context: `wording` with every phrase by key, in the city of the person asking (`request.actor`,
    set by the page) or of the page's subject (`request.wording_city`, a public card's unit's city). An error page
    (a refused CSRF token, a 500) must render even when the database does not answer: then the phrases are left out,
    and the log says why."""
    city = getattr(request, "wording_city", None) or getattr(getattr(request, "actor", None), "city_id", None)
    try:
        return {"wording": texts(city)}
    except DatabaseError as error:
        log.warning("the city's wording could not be read: %s", error)
        return {"wording": {}}
