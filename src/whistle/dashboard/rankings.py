"""Monthly rankings by class (县区, 市直部门, 县直部门, 乡镇街道) with 红榜/黑榜 and month-on-month change.

Rules (all data, in `RankingClass`): a unit is ranked on the rolling window of `window_months` months ending
with the month asked for, only with at least `min_cases` cases in that window; the score is the class's metric
(the composite by default).

Tie-break, so the order never depends on the database: higher score first, then more cases in the window, then
the unit code in alphabetical order. Units equal on score and cases share a rank (1, 2, 2, 4); the code only
fixes the order they are listed in.

`ranking()` is the interface the cockpit uses; keep its signature.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from whistle.cases.models import Case, DispatchRule
from whistle.core.errors import Invalid
from whistle.core.months import add_months
from whistle.org.models import Level, Unit, UnitKind
from whistle.org.scopes import Actor

from . import case_rollup, metrics
from .models import CaseMonthFact, GroupBy, MetricKind, RankingClass


def classes() -> list[RankingClass]:
    return list(RankingClass.objects.select_related("metric").order_by("order", "code"))


def get_class(code: str) -> RankingClass:
    found = RankingClass.objects.select_related("metric").filter(code=code or "").first()
    if found is None:
        names = "、".join(f"{c.code}（{c.name}）" for c in classes())
        raise Invalid(f"排名类别不存在，可选：{names}", code="invalid_class", field="class")
    return found


def class_units(rc: RankingClass, city_id: int | None = None):
    """The class's units: in one city when `city_id` is given (a city ranks its own units), else all of them."""
    qs = Unit.objects.filter(level=rc.level, kind__in=rc.kinds, is_active=True)
    return qs.filter(city_id=city_id) if city_id is not None else qs


# The rollup column each grouping sums by: a county's cases, a unit's own, a city's counties'.
COLUMNS = {GroupBy.COUNTY: "county_id", GroupBy.UNIT: "lead_unit_id", GroupBy.CITY: "county__city_id"}


def unclassed_units():
    """Active units that handle cases (in the dispatch catalogue, or leading a case) but match no ranking class:
    they would never be ranked. Empty when the classes cover every handler (rules.md §8.6)."""
    handlers = Unit.objects.filter(
        Q(pk__in=DispatchRule.objects.values("unit_id")) | Q(pk__in=Case.objects.values("lead_unit_id")), is_active=True
    )
    for rc in classes():
        handlers = handlers.exclude(level=rc.level, kind__in=rc.kinds)
    return handlers


def _scores(rc: RankingClass, month: dt.date, defs, units: dict[int, Unit], source: str = "rollup") -> list[dict]:
    """Every unit of the class scored over the window ending with `month`, ranked rows first."""
    first = add_months(month, 1 - rc.window_months)
    column = COLUMNS[GroupBy(rc.group_by)]
    where = {f"{column}__in": list(units)}
    if source == "raw":
        found = case_rollup.raw_sums(Q(**where), first, month, column)
    else:
        found = case_rollup.sums(CaseMonthFact.objects.filter(month__gte=first, month__lte=month, **where), column)
    facts = {r[column]: r for r in found}
    extra = metrics.outside_facts_by(defs, first, month, column, units)
    code = rc.metric.code
    parts = list(rc.metric.params.get("weights", {})) if rc.metric.kind == MetricKind.COMPOSITE else []
    rows = []
    for pk, unit in units.items():
        f = {**(facts.get(pk) or {name: 0 for name in case_rollup.FACT_NAMES}), **extra.get(pk, {})}
        values = metrics.evaluate(defs, f)
        score = values.get(code, {}).get("value")
        rows.append(
            {
                "unit": unit.code,
                "name": unit.name,
                "cases": f["cases"],
                "score": score,
                "rates": {p: values.get(p, {}).get("value") for p in parts},
                "ranked": f["cases"] >= rc.min_cases and score is not None,
            }
        )
    ranked = sorted((r for r in rows if r["ranked"]), key=lambda r: (-r["score"], -r["cases"], r["unit"]))
    rest = sorted((r for r in rows if not r["ranked"]), key=lambda r: (-r["cases"], r["unit"]))
    previous = None
    for position, r in enumerate(ranked, start=1):
        key = (r["score"], r["cases"])
        r["rank"] = previous[1] if previous and previous[0] == key else position
        previous = (key, r["rank"])
    for r in rest:
        r["rank"] = None
    return ranked + rest


def own_city(actor: Actor) -> int | None:
    """The city an actor's rankings are drawn in: its own; None for those who see every city (the province's staff,
    the system, auditors, the root's staff of a one-city deployment)."""
    if actor.is_system or actor.role in metrics.READ_ALL_ROLES or actor.sees_all:
        return None
    return actor.city_id


def _city_of(actor: Actor, rc: RankingClass, city: str | int | None) -> int | None:
    """The city a ranking is drawn in: the actor's own; for the province's staff (and the system) the one asked for
    (a city government's code, or its id from our own code), else none (the whole province). Cities ranked against
    each other are never narrowed."""
    if rc.group_by == GroupBy.CITY:
        return None
    if own_city(actor) is not None:
        return own_city(actor)
    if isinstance(city, int):
        return city
    if city:
        found = Unit.objects.filter(code=city, level=Level.CITY, kind=UnitKind.GOVERNMENT).values_list("pk", flat=True)
        if not found:
            raise Invalid("市不存在", code="unknown_city", field="city")
        return found[0]
    return None


def cities_to_pick(actor: Actor) -> list[Unit]:
    """The cities the province's staff may narrow a ranking to (none for a city's own staff, or with one city)."""
    if own_city(actor) is not None:
        return []
    cities = list(Unit.objects.filter(level=Level.CITY, kind=UnitKind.GOVERNMENT, is_active=True).order_by("path"))
    return cities if len(cities) > 1 else []


def top_and_bottom_lists(ranked: list[dict], length: int) -> tuple[list[dict], list[dict]]:
    """红榜 (best first) and 黑榜 (worst first) from the ranked rows in rank order.

    A unit is on one list at most: with fewer than twice `length` units ranked, each list takes at most half of
    them (rounded down), so the middle unit of an odd count is on neither and a single ranked unit on none. The
    红榜 only takes units scoring above zero and above the bottom score (a 0.0 unit, or a class where everyone
    ties, has nobody to praise); the 黑榜 only units scoring below the top score."""
    size = min(length, len(ranked) // 2)
    if not size:
        return [], []
    top, bottom = ranked[0]["score"], ranked[-1]["score"]
    top_list = [r for r in ranked[:size] if r["score"] > 0 and r["score"] > bottom]
    bottom_list = [r for r in reversed(ranked[-size:]) if r["score"] < top]
    return top_list, bottom_list


def ranking(
    actor: Actor, unit_class: str, month: dt.date, *, source: str = "rollup", city: str | int | None = None
) -> dict:
    """The class's ranking for `month` as the actor may see it. Ranks are city-wide (the class is ranked as a
    whole in the actor's city); an actor below the city sees only the rows of units in its subtree, with their
    city-wide rank. The province's staff see the class ranked across the province, or in one `city` (a city
    government's code); a class grouped by city ranks the cities themselves.

    Rows: rank (None when not ranked), unit, name, cases, score (the class metric, normally the composite),
    rates {metric code: value} of the composite's parts, previous_rank, rank_change (+ = up), score_change.
    `source="raw"` scores from the case rows instead of the rollup (for checks and benchmarks)."""
    rc = get_class(unit_class)
    month = metrics.parse_month(month)
    defs = [d for d in metrics.definitions() if d.code != rc.metric.code] + [rc.metric]
    units = {u.pk: u for u in class_units(rc, _city_of(actor, rc, city))}
    now_rows = _scores(rc, month, defs, units, source)
    before = {r["unit"]: r for r in _scores(rc, add_months(month, -1), defs, units, source)}
    by_code = {u.code: u for u in units.values()}
    visible = []
    for r in now_rows:
        p = before.get(r["unit"])
        r["previous_rank"] = p["rank"] if p else None
        r["rank_change"] = (p["rank"] - r["rank"]) if p and p["rank"] and r["rank"] else None
        r["score_change"] = (
            round(r["score"] - p["score"], 1) if p and p["score"] is not None and r["score"] is not None else None
        )
        r["composite"] = r["score"]
        for part, value in r["rates"].items():
            r[part] = value
        if (
            actor.is_system
            or actor.sees_all
            or actor.role in metrics.READ_ALL_ROLES
            or actor.covers(by_code[r["unit"]])
        ):
            visible.append(r)
    ranked_all = [r for r in now_rows if r["rank"] is not None]
    top_list, bottom_list = top_and_bottom_lists(ranked_all, rc.list_length)
    return {
        "class": rc.code,
        "class_name": rc.name,
        "month": f"{month:%Y-%m}",
        "window": {
            "from": f"{add_months(month, 1 - rc.window_months):%Y-%m}",
            "to": f"{month:%Y-%m}",
            "months": rc.window_months,
        },
        "min_cases": rc.min_cases,
        "list_length": rc.list_length,
        "ranked_count": len(ranked_all),
        "definition": rc.metric.label,
        "definitions": metrics.labels(defs),
        # What official pages print: the metric's name and the city's caption (codes and versions stay in the admin
        # and the .xlsx's 口径 sheet).
        "metric_name": rc.metric.name,
        "metric_caption": rc.metric.display_caption({d.code: d.name for d in defs}),
        "parts": list(rc.metric.params.get("weights", {})) if rc.metric.kind == MetricKind.COMPOSITE else [],
        "rows": visible,
        # The lists are what the city publishes (the 通报 circulates them to every office), so an actor below the
        # city sees them whole, like the ranked count beside them; only the table rows are scoped.
        "top_list": top_list,  # 红榜
        "bottom_list": bottom_list,  # 黑榜
        "classes": [{"code": c.code, "name": c.name} for c in classes()],
    }
