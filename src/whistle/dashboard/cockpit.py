"""The leader's cockpit (领导驾驶舱, `GET /dashboard`): one screen over a leader's scope for one month.

Every figure is read from the rollups, never by scanning the case or rating rows: the month's counts, states and
rates and the "now" figures (open, overdue, supervised, escalated) from the metrics rollup (`CaseMonthFact`, as
of its measuring moment), the ratings from `RatingRollup` through the ratings selectors (which count the few
poor ratings that opened a rectification by their own index), the hot topics from their per-scope cache. So
computing the page is a few small grouped sums, whatever the number of cases and ratings.

The computed page of a scope and month is kept in Django's cache named "pages" (settings.CACHES: Redis or a
database table), shared by every web host and the worker, under a key of scope and month only: no clock in it. The entry records
the scope's stamp (`scope_stamp`): for the whole city, when rollup rows last changed; for a unit's subtree, the newest
`UnitRollupStamp` in it (the rollup stamps the county and the lead unit of every group it changes); both with the
metric definitions' last edit. A page stays valid until its scope's stamp moves, whatever the time: the worker job
`warm` runs after each rollup refresh and re-renders the pages (the last complete month and this one) of exactly the
active scopes whose stamp moved, so a busy minute in one county re-renders the city's page and that county's, and a
quiet night re-renders nothing. A request computes the page itself (and stores it) only when the entry is missing or
its stamp is not the scope's (between a refresh that changed its rows and the warm job of the same worker run).

What is not from the case rollup is not in the stored page: the ratings (two grouped sums over `RatingRollup`, which
the ratings write path keeps current) and the hot topics (their own per-scope cache) are read per request; the
rankings of the counties are the city's, the same for every scope, so they are computed once per month into a shared
entry (valid while the city's stamp stands and for `MAX_AGE_SECONDS`: other apps' facts and the ranking classes carry
no stamp) and each request keeps the rows its actor may see. The page shows the rollup's latest measuring moment
("数据截至"). Each figure links to the 台账 listing its cases.

The patronage block depends on the person (a leader sees the assignments they lead themselves, wherever they
are), so it is read per request and never shared between leaders of a scope.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.cache import BaseCache, caches
from django.urls import reverse
from django.utils import timezone

from whistle.cases.models import State
from whistle.core.months import add_months, last_complete_month, month_bounds, month_of
from whistle.org.models import Unit
from whistle.org.scopes import Actor
from whistle.org.selectors import counties_for

from . import case_rollup, metrics
from .models import CaseMonthFact, MetricDefinition, MetricKind, RollupState, UnitRollupStamp
from .rankings import own_city, ranking
from .topics import _database_instance, active_scopes, hot_topics, scope_key

RATE_CODES_FALLBACK = ["response", "resolution", "satisfaction"]
# How old the shared rankings entry may be before it is computed again (their other apps' facts carry no stamp).
MAX_AGE_SECONDS = 300
UNITS_SHOWN = 20


def store() -> BaseCache:
    """The stored pages' shared cache (settings.CACHES["pages"])."""
    return caches["pages"]


def _key(actor: Actor, month: dt.date) -> str:
    return f"cockpit:v4:{_database_instance()}:{scope_key(actor)}:{month:%Y-%m}"


def _rankings_key(month: dt.date, city_id: int | None = None) -> str:
    return f"cockpit-rankings:v2:{_database_instance()}:{month:%Y-%m}:{city_id or 'all'}"


def _rollup_state() -> tuple[dt.datetime | None, dt.datetime] | None:
    """(when rollup rows last changed, the measuring moment) — None before the rollup's first refresh. The measuring
    moment moves on every refresh, changed rows or not, so it is in no stamp: a page stays valid across refreshes that
    changed nothing, and shows the latest moment its figures were checked at."""
    row = RollupState.objects.values_list("refreshed_at", "checked_at").first()
    return (row[0], row[1]) if row else None


def scope_stamp(actor: Actor, state: tuple | None = None) -> tuple | None:
    """Which state of the actor's scope's rollup rows (and of the metric definitions) a page is computed from: for the
    city, when rows last changed; for a unit's subtree, the newest stamp of a unit in it (a group belongs to a
    subtree when its county or its lead unit does, as `metrics.fact_scope_q` counts it). None before the first
    refresh."""
    state = state or _rollup_state()
    if state is None:
        return None
    edited = MetricDefinition.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    key = scope_key(actor)
    root = actor.scope_root
    if key == "all" or root is None:
        return (key, state[0], edited)
    newest = (
        UnitRollupStamp.objects.filter(unit__path__startswith=root.path)
        .order_by("-changed_at")
        .values_list("changed_at", flat=True)
        .first()
    )
    return (key, newest, edited)


# ---- the page ------------------------------------------------------------------------------------------------


def page(actor: Actor, month: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The cockpit for the actor's scope and `month` (default: this month): the stored computation when it was
    made from the rollup as it stands and is recent enough, else computed here and stored; plus the parts read
    per request (patronage, month navigation)."""
    now = now or timezone.now()
    month = (month or month_of(now)).replace(day=1)
    state = _rollup_state()
    stamp = scope_stamp(actor, state)
    entry = store().get(_key(actor, month)) if stamp else None
    if entry is None or entry["stamp"] != stamp:
        entry = _computed(actor, month, now, stamp, state)
    data = dict(entry["data"])
    start, end = data["start"], data["end"]
    link = _linker(data["period"])
    data.update(
        as_of=state[1] if state else None,
        computed_at=entry["computed_at"],
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1) if end <= now else None,
        rankings=_rankings(actor, month, link, now, state),
        ratings=_ratings(actor, start, end),
        # Read from the worker's per-scope cache only: tokenising case texts is the worker's (`refresh_topics`).
        topics=hot_topics(actor, month, limit=10, compute=0, month_cases=data["totals"]["cases"]),
        patronage=_patronage(actor, month.year),
    )
    return data


def _computed(actor: Actor, month: dt.date, now: dt.datetime, stamp: tuple | None, state: tuple | None) -> dict:
    """Compute the scope's page and store it (not before the rollup's first refresh: nothing to key it on)."""
    entry = {"stamp": stamp, "computed_at": now, "data": compute(actor, month, as_of=state[1] if state else None)}
    if stamp:
        store().set(_key(actor, month), entry)
    return entry


def _linker(period: dict):
    """link(**filters): the 台账 URL of the page's month with these filters."""
    ledger = reverse("web:ledger")

    def link(**filters) -> str:
        merged = {**period, **filters}
        return ledger + "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")}, doseq=True)

    return link


def compute(actor: Actor, month: dt.date, as_of: dt.datetime | None = None) -> dict:
    """Every figure of the cockpit that is the same for all leaders of the scope, from the case rollup."""
    start, end = month_bounds(month)
    period = {
        "view": "all",
        "date_from": start.date().isoformat(),
        "date_to": (end - dt.timedelta(days=1)).date().isoformat(),
    }

    ledger = reverse("web:ledger")  # once: the page has hundreds of links

    def ledger_url(**filters) -> str:
        return ledger + "?" + urlencode({k: v for k, v in filters.items() if v not in (None, "")}, doseq=True)

    def link(**filters) -> str:
        return ledger_url(**{**period, **filters})

    # Which rates, by which definitions: the composite's parts and the composite itself.
    defs = metrics.definitions()
    by_code = {d.code: d for d in defs}
    composite = next((d for d in defs if d.kind == MetricKind.COMPOSITE), None)
    shown = [
        c for c in (list(composite.params.get("weights", {})) if composite else RATE_CODES_FALLBACK) if c in by_code
    ]
    shown += [composite.code] if composite else []
    labels = {d.code: d.name for d in defs}
    denominators = {
        d.code: sorted(f for f, w in d.params.get("denominator", {}).items() if float(w))
        for d in defs
        if d.kind == MetricKind.RATIO
    }
    definitions = [
        {
            "code": d.code,
            "name": d.name,
            "label": d.label,
            "caption": d.display_caption(labels),
            "weights": d.params.get("weights"),
        }
        for d in defs
        if d.code in shown
    ]

    def rate_cells(row: dict, **scope) -> list[dict]:
        values = metrics.evaluate(defs, row)
        cells = []
        for code in shown:
            figure = values.get(code) or {}
            facts = denominators.get(code)
            cells.append(
                {
                    "code": code,
                    "label": labels.get(code, code),
                    "value": figure.get("value"),
                    "numerator": figure.get("numerator"),
                    "denominator": figure.get("denominator"),
                    "url": link(fact=facts, **scope) if facts else link(**scope),
                }
            )
        return cells

    facts = CaseMonthFact.objects.filter(metrics.fact_scope_q(actor))
    in_month = facts.filter(month=month)
    county_counts = {r["county_id"]: r for r in case_rollup.sums(in_month, "county_id")}
    counts = {name: sum(r[name] for r in county_counts.values()) for name in case_rollup.FACT_NAMES}
    totals = {**counts, "open": _open(counts), "rate_cells": rate_cells(counts)}

    # The "now" figures: the open cases of every month (the rollup's rows of open states), as of the rollup.
    now_names = ("cases", "overdue", "supervised", "escalated")
    open_rows = facts.exclude(state=State.CLOSED)
    now_by_county = {r["county_id"]: r for r in case_rollup.sums(open_rows, "county_id", now_names)}
    current = {name: sum(r[name] for r in now_by_county.values()) for name in now_names}
    current["open"] = current.pop("cases")
    current_links = {
        "overdue": ledger_url(view="overdue"),
        "supervised": ledger_url(view="supervised"),
        "escalated": ledger_url(view="escalated", basis="open"),
        "open": ledger_url(view="open"),
    }

    by_state = {r["state"]: r["cases"] for r in case_rollup.sums(in_month, "state", ("cases",))}
    states = [
        {"code": s, "name": label, "value": by_state.get(s, 0), "url": link(state=s)} for s, label in State.choices
    ]
    # The closed state splits into 已办结 (closed with a reply) and 已撤回 (withdrawn, no reply), as the rollup counts them.
    states[-1:] = [
        {"code": State.CLOSED, "name": State.CLOSED.label, "value": counts["closed"], "url": link(fact="closed")},
        {"code": "withdrawn", "name": "已撤回", "value": counts["withdrawn"], "url": link(fact="withdrawn")},
    ]

    first = add_months(month, -11)
    monthly = {
        r["month"]: r
        for r in case_rollup.sums(facts.filter(month__gte=first, month__lte=month), "month", ("cases", "closed"))
    }
    trend = []
    for n in range(11, -1, -1):
        m = add_months(month, -n)
        s_, e_ = month_bounds(m)
        row = monthly.get(m, {})
        span = {"date_from": s_.date().isoformat(), "date_to": (e_ - dt.timedelta(days=1)).date().isoformat()}
        trend.append(
            {
                "month": f"{m:%Y-%m}",
                "label": f"{m.month}月",
                "total": row.get("cases", 0),
                "closed": row.get("closed", 0),
                "url": ledger_url(view="all", **span),
                "closed_url": ledger_url(view="all", fact="closed", **span),
            }
        )

    by_county = []
    for county in counties_for(actor):
        c = county_counts.get(county.pk) or {name: 0 for name in case_rollup.FACT_NAMES}
        code = county.code
        row = {
            "code": code,
            "name": county.short_name or county.name,
            "full_name": county.name,
            "total": c["cases"],
            "closed": c["closed"],
            "open": _open(c),
            # The month's cases now overdue: the same period as the 受理 beside it (the all-month "now" figure
            # is the 当前超期 tile above).
            "overdue": c["overdue"],
            "url": link(county=code),
            "overdue_url": link(view="overdue", county=code),
        }
        row["rate_cells"] = rate_cells(c, county=code)
        row["rates"] = {cell["code"]: cell for cell in row["rate_cells"]}
        by_county.append(row)

    unit_counts = {
        r["lead_unit_id"]: r for r in case_rollup.sums(in_month.filter(lead_unit__isnull=False), "lead_unit_id")
    }
    names = Unit.objects.in_bulk(list(unit_counts))
    busiest = sorted(unit_counts, key=lambda pk: (-unit_counts[pk]["cases"], names[pk].name))[:UNITS_SHOWN]
    by_unit = []
    for pk in busiest:
        c, code = unit_counts[pk], names[pk].code
        by_unit.append(
            {
                "code": code,
                "name": names[pk].name,
                "total": c["cases"],
                "closed": c["closed"],
                "open": _open(c),
                "overdue": c["overdue"],
                "url": link(unit=code),
                "overdue_url": link(view="overdue", unit=code),
                "rate_cells": rate_cells(c, unit=code),
            }
        )

    rectification = {
        "total": counts["rect_cases"],
        "contacted": counts["rect_contacted"],
        "open": counts["rect_open"],
        "overdue": counts["rect_overdue"],
    }
    rectification_links = {
        "total": link(fact="rect_cases"),
        "contacted": link(fact="rect_contacted"),
        "open": link(channel="rating", basis="open"),
        "overdue": link(view="overdue", channel="rating"),
    }

    return {
        "month": month,
        "start": start,
        "end": end,
        "as_of": as_of,
        "period": period,
        "totals": totals,
        "links": {
            "all": link(),
            "open": link(basis="open"),
            "closed": link(fact="closed"),
            "reopened": link(fact="reopened"),
        },
        "current": current,
        "current_links": current_links,
        "states": states,
        "trend": trend,
        "by_county": by_county,
        "by_unit": by_unit,
        "shown": shown,
        "labels": labels,
        "definitions": definitions,
        "rectification": rectification,
        "rectification_links": rectification_links,
        # Ratings are not cases: their figures open the month's 亮评价 ranking; patronage's open the portfolio and the
        # coverage table (and its .xlsx).
        "other_links": {
            "ratings": f"{reverse('ratings:ranking')}?month={month:%Y-%m}",
            "patronage": reverse("patronage:home"),
            "coverage": reverse("patronage:coverage"),
        },
    }


def _open(c: dict) -> int:
    """Cases of the month still open: neither closed nor withdrawn."""
    return c["cases"] - c["closed"] - c["withdrawn"]


def _city_rankings(
    month: dt.date,
    now: dt.datetime,
    state: tuple | None,
    *,
    renew_after: float = MAX_AGE_SECONDS,
    city_id: int | None = None,
):
    """红榜/黑榜 of the counties (the metrics app's monthly ranking) as a city sees it (`city_id`; None: every county
    of the deployment, as the province's staff see them): one shared entry per month and city, computed again when
    the rollup rows changed or it is older than `renew_after` seconds."""

    stamp = state[0] if state else None
    key = _rankings_key(month, city_id)
    entry = store().get(key) if state else None
    if entry is None or entry["stamp"] != stamp or entry["computed_at"] < now - dt.timedelta(seconds=renew_after):
        result = ranking(Actor.system(), "county", month, city=city_id)
        paths = dict(Unit.objects.filter(code__in=[r["unit"] for r in result["rows"]]).values_list("code", "path"))
        entry = {"stamp": stamp, "computed_at": now, "result": result, "paths": paths}
        if state:
            store().set(key, entry)
    return entry


def _rankings(actor: Actor, month: dt.date, link, now: dt.datetime, state: tuple | None) -> dict:
    """The city's county ranking with the table rows the actor may see (`rankings.ranking`'s rule), each name
    linking to the county's cases."""
    entry = _city_rankings(month, now, state, city_id=own_city(actor))
    result = dict(entry["result"])
    root = actor.scope_root
    if not (actor.is_system or actor.role in metrics.READ_ALL_ROLES or (root is not None and actor.sees_all)):
        paths = entry["paths"]
        result["rows"] = [
            r for r in result["rows"] if root is not None and paths.get(r["unit"], "").startswith(root.path)
        ]
    # The lists are the city's (a county leader sees all of them); a name links to cases the actor may open.
    visible = {r["unit"] for r in result["rows"]}
    result["top_list"] = [
        {**r, "url": link(county=r["unit"]) if r["unit"] in visible else ""} for r in result["top_list"]
    ]
    result["bottom_list"] = [
        {**r, "url": link(county=r["unit"]) if r["unit"] in visible else ""} for r in result["bottom_list"]
    ]
    result["page_url"] = reverse("dashboard:rankings") + f"?class=county&month={month:%Y-%m}"
    return result


def _ratings(actor: Actor, start: dt.datetime, end: dt.datetime) -> dict:
    from whistle.ratings.selectors import ratings_by_unit, ratings_overview

    last = (end - dt.timedelta(days=1)).date()
    return {
        "overview": ratings_overview(actor, start.date(), last),
        "by_unit": list(ratings_by_unit(actor, start.date(), last))[:10],
    }


def _patronage(actor: Actor, year: int) -> dict:
    from whistle.patronage.selectors import coverage_by_county, coverage_summary

    return {"summary": coverage_summary(actor, year), "by_county": list(coverage_by_county(actor, year)), "year": year}


# ---- the worker job ------------------------------------------------------------------------------------------


def warm(now: dt.datetime) -> dict:
    """Worker job (after the rollup refresh): re-render the cockpit of every active scope whose stamp moved, for the
    month the page opens on (the last complete one) and for this month, so no leader waits for either; and the
    city's rankings of both months once, when they changed or half their life is gone. Counts the pages stored."""
    state = _rollup_state()
    if state is None:
        return {"cockpit_scopes_warmed": 0}
    months = (last_complete_month(now), month_of(now))
    warmed = 0
    cities: set[int | None] = {None}
    for actor in active_scopes():
        cities.add(own_city(actor))
        stamp = scope_stamp(actor, state)
        for month in months:
            entry = store().get(_key(actor, month))
            if entry is None or entry["stamp"] != stamp:
                _computed(actor, month, now, stamp, state)
                warmed += 1
    for month in months:
        for city_id in cities:
            _city_rankings(month, now, state, renew_after=MAX_AGE_SECONDS / 2, city_id=city_id)
    return {"cockpit_scopes_warmed": warmed}
