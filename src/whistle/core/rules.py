"""Read tunable rule parameters (table `core_ruleparameter`)."""

from decimal import Decimal

from .tablecache import TableCache


def _load() -> dict[str | tuple[str, int], Decimal]:
    """Every parameter by key, and each city's own value by (key, city id)."""
    from .models import RuleOverride, RuleParameter

    values: dict[str | tuple[str, int], Decimal] = dict(RuleParameter.objects.values_list("key", "value"))
    for key, city, value in RuleOverride.objects.values_list("parameter__key", "city_id", "value"):
        values[(key, city)] = value
    return values


# Other processes (the worker, other web workers) see an edit within 30 s; this one at once (core.signals).
_table = TableCache(_load, ttl=30.0)
clear_cache = _table.clear


def param(key: str, city_id: int | None = None) -> Decimal:
    """The current value of a rule parameter: the city's own where it has one (`RuleOverride`), else the
    deployment's. A missing key is a deployment error, not a user error."""
    values = _table.get()
    if city_id is not None and (key, city_id) in values:
        return values[(key, city_id)]
    try:
        return values[key]
    except KeyError:
        raise LookupError(f"rule parameter {key!r} is missing; run migrations") from None


def int_param(key: str, city_id: int | None = None) -> int:
    return int(param(key, city_id))
