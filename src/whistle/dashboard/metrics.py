"""Rates computed from the monthly rollup by the definitions in `MetricDefinition`.

`rates()` is the interface the cockpit uses; keep its signature.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cache

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from whistle.core import params
from whistle.core.errors import Forbidden, Invalid
from whistle.core.figures import percent
from whistle.core.months import add_months, last_complete_month, month_of
from whistle.org.models import Role, Unit
from whistle.org.scopes import READ_ALL_ROLES, UNIT_ROLES, Actor

from . import case_rollup
from .models import CaseMonthFact, MetricDefinition, MetricKind

GROUPS = ("county", "unit")


def definitions(active_only: bool = True) -> list[MetricDefinition]:
    qs = MetricDefinition.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("order", "code"))


@cache
def _providers() -> dict[str, str]:
    """Facts other apps count, outside the case rollup: `metric_facts` on an AppConfig maps a fact name to the dotted
    path of a function (first day, last day, unit ids) -> {unit id: {fact: count}} — reforms' tasks due and done on
    time, the call-back sample's checked and consistent answers. Named by path, not imported (dashboard sits below
    reforms), like `worker_jobs` and `demo_seeders`."""
    return {name: path for c in apps.get_app_configs() for name, path in getattr(c, "metric_facts", {}).items()}


def outside_fact_names() -> set[str]:
    """The facts other apps count, which a ratio definition may name besides the rollup's."""
    return set(_providers())


def outside_facts(defs: list[MetricDefinition], month_from: dt.date, month_to: dt.date, units) -> dict[int, dict]:
    """The facts of `defs` that the case rollup does not hold, per unit of `units` (ids) over the months [month_from,
    month_to]: {unit id: {fact: count}}. Nothing is read when no definition in use names such a fact."""
    wanted = {
        fact
        for d in defs
        if d.kind == MetricKind.RATIO
        for part in ("numerator", "denominator")
        for fact in d.params.get(part, {})
    } - set(case_rollup.FACT_NAMES)
    paths = sorted({path for fact, path in _providers().items() if fact in wanted})
    found: dict[int, dict] = defaultdict(dict)
    if not paths:
        return found
    units = list(units)
    last_day = add_months(month_to, 1) - dt.timedelta(days=1)
    for path in paths:
        for unit_id, facts in import_string(path)(month_from, last_day, units).items():
            found[unit_id].update(facts)
    return found


def outside_facts_by(defs, month_from: dt.date, month_to: dt.date, column: str, keys) -> dict[int, dict]:
    """`outside_facts` summed by `column` of the grouping: the unit itself (`lead_unit_id`), its county
    (`county_id`, every unit of the county counted for it) or its city (`county__city_id`, every unit of the city)."""
    keys = list(keys)
    if column == "lead_unit_id":
        return outside_facts(defs, month_from, month_to, keys)
    field = "city_id" if column == "county__city_id" else "county_id"  # a city's units, or a county's
    county_of = dict(Unit.objects.filter(**{f"{field}__in": keys}).values_list("pk", field))
    by_unit = outside_facts(defs, month_from, month_to, county_of)
    summed: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for unit_id, facts in by_unit.items():
        for fact, n in facts.items():
            summed[county_of[unit_id]][fact] += n
    return summed


def _number(x: float):
    return int(x) if float(x).is_integer() else round(x, 2)


def evaluate(defs: list[MetricDefinition], facts: dict) -> dict[str, dict]:
    """Every definition over one set of summed facts: {code: {value (percent, 1 decimal), numerator, denominator}}."""
    out: dict[str, dict] = {}
    for d in sorted(defs, key=lambda d: d.kind == MetricKind.COMPOSITE):
        if d.kind == MetricKind.RATIO:
            num = sum(float(w) * facts.get(f, 0) for f, w in d.params.get("numerator", {}).items())
            den = sum(float(w) * facts.get(f, 0) for f, w in d.params.get("denominator", {}).items())
            out[d.code] = {"value": percent(num, den), "numerator": _number(num), "denominator": _number(den)}
        else:
            out[d.code] = composite(d, out)
    return out


def composite(d: MetricDefinition, values: dict[str, dict]) -> dict:
    """w₁·响应率 + w₂·解决率 + w₃·满意率. A component without a denominator is left out and the remaining
    weights are rescaled ("renormalize", the default), or the composite is empty ("null")."""
    weights = {code: float(w) for code, w in d.params.get("weights", {}).items()}
    got = {code: values.get(code, {}).get("value") for code in weights}
    if any(v is None for v in got.values()) and d.params.get("missing", "renormalize") == "null":
        return {"value": None, "numerator": None, "denominator": None}
    used = {code: w for code, w in weights.items() if got[code] is not None}
    total = sum(used.values())
    if not total:
        return {"value": None, "numerator": None, "denominator": None}
    score = sum(w * got[code] for code, w in used.items())
    return {"value": round(score / total, 1), "numerator": _number(round(score, 4)), "denominator": _number(total)}


def labels(defs: list[MetricDefinition]) -> dict[str, str]:
    return {d.code: d.label for d in defs}


def fact_scope_q(actor: Actor) -> Q:
    """The rollup rows an actor may count: the same subtree rule as `cases.selectors.case_scope_q`
    (a unit sees the cases it leads; an enterprise sees no unit figures). The fields exist on `Case` too, so the
    same filter scopes the raw computation."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role in UNIT_ROLES and actor.unit is not None:
        return Q(lead_unit_id=actor.unit.pk)
    if actor.role in (Role.COORDINATOR, Role.LEADER):
        return actor.subtree_q("county", "lead_unit")
    return Q(pk__in=[])


def parse_month(value, field: str = "month") -> dt.date:
    """'YYYY-MM' → the first day of that month, inside the years a calendar can count (core.params)."""
    return params.parse_month(value, field)


def month_or_current(value, field: str = "month") -> dt.date:
    """A request's month parameter: absent or empty is the current month, anything else as `parse_month`."""
    return parse_month(value, field) if value else month_of(timezone.now())


def month_or_last_complete(value, field: str = "month") -> dt.date:
    """A page's month parameter: absent or empty is the last complete month (the monthly report, the rankings and
    the cockpit open on it), anything else as `parse_month`."""
    return parse_month(value, field) if value else last_complete_month(timezone.now())


def rates(
    actor: Actor, month_from: dt.date, month_to: dt.date, group_by: str | None = None, *, source: str = "rollup"
) -> list[dict]:
    """Every active rate over the months [month_from, month_to] (inclusive, by month of submission) in the
    actor's scope, one row per county (`group_by="county"`), per lead unit (`"unit"`) or for the whole scope (None).

    Each row: code, name, cases, and per metric code {"value", "numerator", "denominator"}; `definitions` maps
    each metric code to the "code@version" used. `source="raw"` computes the same from the case rows (for
    checks and benchmarks)."""
    if group_by not in (None, *GROUPS):
        raise Invalid("分组只能是 county 或 unit", code="invalid_group_by", field="group_by")
    month_from, month_to = month_from.replace(day=1), month_to.replace(day=1)
    if month_from > month_to:
        raise Invalid("起始月份不能晚于结束月份", code="invalid_month_range", field="month_from")
    defs = definitions()
    used = labels(defs)
    qs = CaseMonthFact.objects.filter(fact_scope_q(actor), month__gte=month_from, month__lte=month_to)
    column = "county_id" if group_by == "county" else "lead_unit_id"

    def total(group=None):
        if source == "raw":
            return case_rollup.raw_sums(fact_scope_q(actor), month_from, month_to, group)
        return case_rollup.sums(qs, group)

    if group_by is None:
        facts = total()
        in_scope = Unit.objects.filter(actor.subtree_q()).values_list("pk", flat=True)
        for extra in outside_facts(defs, month_from, month_to, in_scope).values():
            for fact, n in extra.items():
                facts[fact] = facts.get(fact, 0) + n
        root = actor.scope_root
        return [
            {
                "code": root.code if root else None,
                "name": (root.name if root else "全市"),
                "cases": facts["cases"],
                **evaluate(defs, facts),
                "definitions": used,
            }
        ]
    grouped = [r for r in total(column) if r[column] is not None]
    units = Unit.objects.in_bulk([r[column] for r in grouped])
    extra = outside_facts_by(defs, month_from, month_to, column, units)
    rows = []
    for r in grouped:
        unit = units[r[column]]
        r = {**r, **extra.get(r[column], {})}
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "cases": r["cases"],
                **evaluate(defs, r),
                "definitions": used,
                "_path": unit.path,
            }
        )
    rows.sort(key=lambda row: row.pop("_path"))
    return rows


VIEWER_ROLES = {Role.HANDLER, Role.UNIT_ADMIN, Role.COORDINATOR, Role.LEADER, *READ_ALL_ROLES}


def check_viewer(actor: Actor) -> None:
    """Unit figures are for the units and the offices over them, not for enterprises."""
    if not (actor.is_system or actor.role in VIEWER_ROLES):
        raise Forbidden("无权查看考核指标", code="metrics_forbidden")


def definition_dict(d: MetricDefinition) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "kind": d.kind,
        "params": d.params,
        "version": d.version,
        "label": d.label,
        "is_active": d.is_active,
        "source": d.source,
    }
