"""Read tunable rule parameters (table `core_ruleparameter`)."""

import time
from decimal import Decimal

_cache: dict[str, Decimal] = {}
_loaded_at = 0.0
_TTL_SECONDS = 30.0  # other processes (the worker, other web workers) see an edit within this time


def clear_cache() -> None:
    global _loaded_at
    _cache.clear()
    _loaded_at = 0.0


def param(key: str) -> Decimal:
    """The current value of a rule parameter. A missing key is a deployment error, not a user error."""
    global _loaded_at
    if not _cache or time.monotonic() - _loaded_at > _TTL_SECONDS:
        from .models import RuleParameter

        _cache.clear()
        _cache.update(RuleParameter.objects.values_list("key", "value"))
        _loaded_at = time.monotonic()
    try:
        return _cache[key]
    except KeyError:
        raise LookupError(f"rule parameter {key!r} is missing; run migrations") from None


def int_param(key: str) -> int:
    return int(param(key))
