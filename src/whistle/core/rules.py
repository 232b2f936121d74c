"""Read tunable rule parameters (table `core_ruleparameter`)."""

from decimal import Decimal

from .tablecache import TableCache


def _load() -> dict[str, Decimal]:
    from .models import RuleParameter

    return dict(RuleParameter.objects.values_list("key", "value"))


# Other processes (the worker, other web workers) see an edit within 30 s; this one at once (core.signals).
_table = TableCache(_load, ttl=30.0)
clear_cache = _table.clear


def param(key: str) -> Decimal:
    """The current value of a rule parameter. A missing key is a deployment error, not a user error."""
    try:
        return _table.get()[key]
    except KeyError:
        raise LookupError(f"rule parameter {key!r} is missing; run migrations") from None


def int_param(key: str) -> int:
    return int(param(key))
